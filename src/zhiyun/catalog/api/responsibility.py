"""The responsibility list (权责清单): everyone reads it; admins edit it, every change versioned."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, CatalogAdmin, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.catalog.api.taxonomy import ChangeOut, ImportOut
from zhiyun.catalog.responsibility import RuleInput, RuleView
from zhiyun.domain.workorder import OrderType

router = APIRouter(
    prefix="/responsibility-rules",
    tags=["responsibility list 权责清单"],
    responses={401: ERROR_RESPONSES[401]},
)

MAX_RULE_ID = 2**31 - 1  # rule ids are INTEGER columns: a larger number names no rule
HISTORY_MAX = 500
RuleId = Path(description="规则编号", ge=1, le=MAX_RULE_ID)


class RuleIn(BaseModel):
    unit_code: str = Field(min_length=1, max_length=64, description="责任单位编码")
    category_code: str | None = Field(default=None, max_length=64, description="分类编码（含下级）；空为任意")
    area_code: str | None = Field(default=None, max_length=64, description="区域单位编码（含下级）；空为全区")
    keywords: list[str] = Field(default_factory=list, max_length=50, description="诉求含任一关键词时适用")
    order_type: OrderType | None = None
    urgent: bool | None = Field(default=None, description="只适用于紧急件（true）或非紧急件（false）")
    priority: int = Field(default=0, ge=-1000, le=1000)
    note: str = Field(default="", max_length=500)
    active: bool = True
    change_note: str = Field(default="", max_length=500, description="修改说明（记入修改记录）")

    def input(self) -> RuleInput:
        return RuleInput(
            unit_code=self.unit_code.strip(),
            category_code=(self.category_code or "").strip() or None,
            area_code=(self.area_code or "").strip() or None,
            keywords=tuple(k.strip() for k in self.keywords if k.strip()),
            order_type=self.order_type,
            urgent=self.urgent,
            priority=self.priority,
            note=self.note,
            active=self.active,
        )


class RuleOut(BaseModel):
    id: int
    unit_code: str
    unit_name: str
    category_code: str | None
    category_name: str | None
    area_code: str | None
    area_name: str | None
    keywords: list[str]
    order_type: OrderType | None
    urgent: bool | None
    priority: int
    note: str
    active: bool
    description: str

    @classmethod
    def of(cls, v: RuleView) -> RuleOut:
        r = v.rule
        return cls(
            id=r.id,
            unit_code=v.unit_code,
            unit_name=v.unit_name,
            category_code=r.category_code,
            category_name=v.category_name,
            area_code=v.area_code,
            area_name=v.area_name,
            keywords=list(r.keywords),
            order_type=r.order_type,
            urgent=r.urgent,
            priority=r.priority,
            note=r.note,
            active=r.active,
            description=v.description,
        )


@router.get("", response_model=list[RuleOut], summary="权责清单")
def list_rules(actor: ActorDep, services: ServicesDep) -> list[RuleOut]:
    return [RuleOut.of(v) for v in services.responsibility.rules()]


@router.get("/export.csv", response_class=PlainTextResponse, summary="导出权责清单 CSV")
def export_rules(actor: ActorDep, services: ServicesDep) -> PlainTextResponse:
    return PlainTextResponse(services.responsibility.export_csv(), media_type="text/csv; charset=utf-8")


@router.post(
    "/import",
    response_model=ImportOut,
    summary="导入权责清单 CSV（管理员；有任何错误则整个文件不导入）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def import_rules(
    admin: CatalogAdmin,
    services: ServicesDep,
    body: str = Body(media_type="text/csv", description="CSV 文本：id,category_code,area_code,unit_code,…"),
    replace: bool = False,
) -> ImportOut:
    created, updated, unchanged, removed = services.responsibility.import_csv(admin, body, replace=replace)
    return ImportOut(created=created, updated=updated, unchanged=unchanged, removed=removed)


@router.get(
    "/history",
    response_model=list[ChangeOut],
    summary="权责清单修改记录（谁、何时、改前改后）",
    responses={422: ERROR_RESPONSES[422]},
)
def rules_history(
    actor: ActorDep,
    services: ServicesDep,
    rule_id: Annotated[int | None, Query(ge=1, le=MAX_RULE_ID, description="只看这条规则")] = None,
    limit: Annotated[int, Query(ge=1, le=HISTORY_MAX, description=f"条数，1 至 {HISTORY_MAX}")] = 100,
) -> list[ChangeOut]:
    return [ChangeOut.of(c) for c in services.responsibility.history(rule_id, limit)]


@router.post(
    "",
    response_model=RuleOut,
    status_code=status.HTTP_201_CREATED,
    summary="新增规则（管理员）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def create_rule(body: RuleIn, admin: CatalogAdmin, services: ServicesDep) -> RuleOut:
    return RuleOut.of(services.responsibility.create(admin, body.input(), note=body.change_note))


@router.get("/{rule_id}", response_model=RuleOut, summary="一条规则", responses={404: ERROR_RESPONSES[404]})
def get_rule(actor: ActorDep, services: ServicesDep, rule_id: int = RuleId) -> RuleOut:
    return RuleOut.of(services.responsibility.get(rule_id))


@router.put(
    "/{rule_id}",
    response_model=RuleOut,
    summary="修改规则（管理员）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def update_rule(body: RuleIn, admin: CatalogAdmin, services: ServicesDep, rule_id: int = RuleId) -> RuleOut:
    return RuleOut.of(services.responsibility.update(admin, rule_id, body.input(), note=body.change_note))


@router.delete(
    "/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除规则（管理员）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404]},
)
def delete_rule(admin: CatalogAdmin, services: ServicesDep, rule_id: int = RuleId) -> Response:
    services.responsibility.delete(admin, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
