"""Quick replies (常用语) over REST: what a user may insert (filled for an order), and the
keeping of the units' sets (admins) and of one's own set (every staff user)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.replies.placeholders import PLACEHOLDERS
from zhiyun.replies.service import Expanded, QuickReply, QuickReplyInput, QuickReplyService, Scope, UnitSet
from zhiyun.replies.tables import TEXT_MAX, TITLE_MAX

router = APIRouter(
    prefix="/quick-replies",
    tags=["quick replies 常用语"],
    responses={401: ERROR_RESPONSES[401]},
)

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number names nothing
ReplyId = Path(description="常用语编号", ge=1, le=MAX_ID)
UnitId = Path(description="组织单位编号", ge=1, le=MAX_ID)
OrderKey = Query(
    min_length=1, max_length=64, description="工单编号或 id：按该工单填充占位符（须有权查看该工单）"
)


def quick_replies(services: ServicesDep) -> QuickReplyService:
    return services.get(QuickReplyService)


RepliesDep = Annotated[QuickReplyService, Depends(quick_replies)]


class QuickReplyIn(BaseModel):
    title: str = Field(
        min_length=1, max_length=TITLE_MAX + 2, description="关键词：在备注中输入“/关键词”调出"
    )
    text: str = Field(
        min_length=1, max_length=TEXT_MAX, description="内容，可含占位符如 {市民称呼}、{工单编号}"
    )
    sort_order: int = Field(default=0, ge=-9999, le=9999, description="在所属常用语中的顺序，小的在前")
    active: bool = Field(default=True, description="是否在输入“/”时提供")

    def input(self) -> QuickReplyInput:
        return QuickReplyInput(
            title=self.title, text=self.text, sort_order=self.sort_order, active=self.active
        )


class QuickReplyCreate(QuickReplyIn):
    scope: Scope = Field(description="personal：我的常用语；unit：单位常用语（管理员）")
    unit_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="单位常用语所属单位的编号")


class QuickReplyOut(BaseModel):
    id: int
    scope: Scope
    unit_id: int | None
    unit_name: str | None
    set_label: str = Field(description="所属：单位名称，或“我的常用语”")
    title: str
    text: str = Field(description="内容（含占位符）")
    sort_order: int
    active: bool
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @classmethod
    def of(cls, r: QuickReply) -> QuickReplyOut:
        return cls(
            id=r.id,
            scope=r.scope,
            unit_id=r.unit_id,
            unit_name=r.unit_name,
            set_label=r.set_label,
            title=r.title,
            text=r.text,
            sort_order=r.sort_order,
            active=r.active,
            created_by=r.created_by,
            created_at=r.created_at,
            updated_by=r.updated_by,
            updated_at=r.updated_at,
        )


class ExpandedOut(QuickReplyOut):
    expanded: str = Field(description="占位符已填充的内容（纯文本）")
    unfilled: list[str] = Field(description="未能填充、原样保留的占位符")

    @classmethod
    def expanded_of(cls, e: Expanded) -> ExpandedOut:
        return cls(**QuickReplyOut.of(e.reply).model_dump(), expanded=e.text, unfilled=list(e.unfilled))


class UnitSetOut(BaseModel):
    unit_id: int
    unit_name: str
    unit_path: str
    replies: list[QuickReplyOut]

    @classmethod
    def of(cls, s: UnitSet) -> UnitSetOut:
        return cls(
            unit_id=s.unit_id,
            unit_name=s.unit_name,
            unit_path=s.unit_path,
            replies=[QuickReplyOut.of(r) for r in s.replies],
        )


class PlaceholderOut(BaseModel):
    name: str
    description: str


@router.get(
    "",
    response_model=list[ExpandedOut],
    summary="我可用的常用语（本单位、我的、上级单位和区中心的），可按工单填充占位符",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def usable_replies(
    actor: ActorDep, replies: RepliesDep, order: Annotated[str | None, OrderKey] = None
) -> list[ExpandedOut]:
    return [ExpandedOut.expanded_of(e) for e in replies.usable(actor, order)]


@router.get("/placeholders", response_model=list[PlaceholderOut], summary="可用的占位符")
def placeholders(actor: ActorDep) -> list[PlaceholderOut]:
    return [PlaceholderOut(name=name, description=text) for name, text in PLACEHOLDERS.items()]


@router.get(
    "/mine",
    response_model=list[QuickReplyOut],
    summary="我的常用语（含停用的）",
    responses={403: ERROR_RESPONSES[403]},
)
def my_replies(actor: ActorDep, replies: RepliesDep) -> list[QuickReplyOut]:
    return [QuickReplyOut.of(r) for r in replies.personal(actor)]


@router.get(
    "/units/{unit_id}",
    response_model=UnitSetOut,
    summary="某单位的常用语（含停用的；本单位及上级单位的管理员）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def unit_replies(actor: ActorDep, replies: RepliesDep, unit_id: int = UnitId) -> UnitSetOut:
    return UnitSetOut.of(replies.unit_set(actor, unit_id))


@router.post(
    "",
    response_model=QuickReplyOut,
    status_code=status.HTTP_201_CREATED,
    summary="新增常用语（我的：任何人；单位的：该单位或上级单位的管理员）",
    responses={
        403: ERROR_RESPONSES[403],
        409: ERROR_RESPONSES[409],
        422: ERROR_RESPONSES[422],
    },
)
def create_reply(body: QuickReplyCreate, actor: ActorDep, replies: RepliesDep) -> QuickReplyOut:
    return QuickReplyOut.of(replies.create(actor, body.scope, body.input(), unit_id=body.unit_id))


@router.get(
    "/{reply_id}",
    response_model=QuickReplyOut,
    summary="一条常用语",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def get_reply(actor: ActorDep, replies: RepliesDep, reply_id: int = ReplyId) -> QuickReplyOut:
    return QuickReplyOut.of(replies.get(actor, reply_id))


@router.get(
    "/{reply_id}/expand",
    response_model=ExpandedOut,
    summary="按工单填充一条常用语的占位符（纯文本）",
    responses={404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def expand_reply(
    actor: ActorDep,
    replies: RepliesDep,
    reply_id: int = ReplyId,
    order: Annotated[str | None, OrderKey] = None,
) -> ExpandedOut:
    return ExpandedOut.expanded_of(replies.expand(actor, reply_id, order))


@router.put(
    "/{reply_id}",
    response_model=QuickReplyOut,
    summary="修改常用语（我的：本人；单位的：该单位或上级单位的管理员）",
    responses={
        403: ERROR_RESPONSES[403],
        404: ERROR_RESPONSES[404],
        409: ERROR_RESPONSES[409],
        422: ERROR_RESPONSES[422],
    },
)
def update_reply(
    body: QuickReplyIn, actor: ActorDep, replies: RepliesDep, reply_id: int = ReplyId
) -> QuickReplyOut:
    return QuickReplyOut.of(replies.update(actor, reply_id, body.input()))


@router.delete(
    "/{reply_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除常用语（我的：本人；单位的：该单位或上级单位的管理员）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def delete_reply(actor: ActorDep, replies: RepliesDep, reply_id: int = ReplyId) -> Response:
    replies.delete(actor, reply_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
