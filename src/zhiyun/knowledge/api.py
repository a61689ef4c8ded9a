"""The knowledge base (知识库) over REST, under /api/v1/knowledge.

- `GET /knowledge/items[?status=&q=&limit=&offset=]`: the items the caller reads (every staff user
  the published ones; admins and inspectors every item).
- `POST /knowledge/items`: a new draft (an admin of the unit or above).
- `GET /knowledge/items/{id}`: one item, with its history for the keepers.
- `PUT /knowledge/items/{id}`: change it (a draft again); `version` guards against a lost update.
- `POST /knowledge/items/{id}/review`, `…/send-back`, `…/publish`, `…/withdraw` (`{"note": …}`).
- `POST /knowledge/proposals`: drafts from answered consultation orders (`{"limit": N}`).
- `GET /knowledge/search?q=&top=`: what the knowledge base answers (the staff's 一键秒回 and
  the assistant ask the same `KnowledgeSearch`): ranked hits with their scores and whether the
  first reaches the answer threshold.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import may_read_knowledge, require
from zhiyun.domain.knowledge import (
    ANSWER_MAX,
    CATEGORY_MAX,
    DEPARTMENT_MAX,
    POLICY_MAX,
    QUESTION_MAX,
    QUESTIONS_MAX,
    SOURCE_MAX,
    TITLE_MAX,
    ItemAction,
    ItemInput,
)
from zhiyun.knowledge.search import QUESTION_MAX as ASK_MAX
from zhiyun.knowledge.search import TOP_MAX, Answer, Hit, KnowledgeSearch
from zhiyun.knowledge.service import ItemView, KnowledgeService, StepView

router = APIRouter(
    prefix="/knowledge",
    tags=["knowledge 知识库"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403]},
)

ItemId = Annotated[int, Path(ge=1, le=2**62, description="知识点 id")]
MUTATION: dict[int | str, dict[str, Any]] = {
    403: ERROR_RESPONSES[403],
    404: ERROR_RESPONSES[404],
    409: ERROR_RESPONSES[409],
    422: ERROR_RESPONSES[422],
}


def knowledge_service(services: ServicesDep) -> KnowledgeService:
    return services.get(KnowledgeService)


def knowledge_search(services: ServicesDep) -> KnowledgeSearch:
    return services.get(KnowledgeSearch)


KnowledgeDep = Annotated[KnowledgeService, Depends(knowledge_service)]
SearchDep = Annotated[KnowledgeSearch, Depends(knowledge_search)]


class ItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX, description="标题（标准问法）")
    answer: str = Field(min_length=1, max_length=ANSWER_MAX, description="答案")
    questions: list[str] = Field(
        default_factory=list, max_length=QUESTIONS_MAX, description="相似问法，每条不超过 200 字"
    )
    category: str = Field(default="", max_length=CATEGORY_MAX)
    department: str = Field(default="", max_length=DEPARTMENT_MAX, description="主管部门")
    source: str = Field(default="", max_length=SOURCE_MAX, description="来源文件或网址")
    policy_ref: str = Field(default="", max_length=POLICY_MAX, description="政策依据及版本")
    valid_from: date | None = Field(default=None, description="生效日期")
    valid_to: date | None = Field(default=None, description="失效日期：过期后不再用于回答")

    def input(self) -> ItemInput:
        return ItemInput(
            title=self.title,
            answer=self.answer,
            category=self.category,
            department=self.department,
            source=self.source,
            policy_ref=self.policy_ref,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            questions=tuple(q[:QUESTION_MAX] for q in self.questions),
        )


class ItemCreate(ItemIn):
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="维护单位，默认区级")


class ItemUpdate(ItemIn):
    version: int | None = Field(default=None, ge=1, description="读取时的版本号：他人已修改时 409")


class StepOut(BaseModel):
    action: str
    label: str
    from_status: str | None
    to_status: str
    actor_name: str
    at: datetime
    note: str
    changed: list[str]

    @classmethod
    def of(cls, s: StepView) -> StepOut:
        return cls(
            action=s.action,
            label=s.label,
            from_status=s.from_status,
            to_status=s.to_status,
            actor_name=s.actor_name,
            at=s.at,
            note=s.note,
            changed=list(s.changed),
        )


class ItemOut(BaseModel):
    id: int
    title: str
    answer: str
    questions: list[str]
    category: str
    unit_id: int | None
    unit_name: str | None
    department: str
    source: str
    policy_ref: str
    valid_from: date | None
    valid_to: date | None
    status: str = Field(description="draft 草稿 / reviewed 已审核 / published 已发布 / withdrawn 已撤回")
    status_label: str
    origin: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    published_at: datetime | None
    version: int
    answerable: bool = Field(description="已发布且在有效期内：会被用于回答")
    actions: list[str] = Field(description="调用者现在可做的操作")
    history: list[StepOut]

    @classmethod
    def of(cls, v: ItemView) -> ItemOut:
        return cls(
            id=v.id,
            title=v.title,
            answer=v.answer,
            questions=list(v.questions),
            category=v.category,
            unit_id=v.unit_id,
            unit_name=v.unit_name,
            department=v.department,
            source=v.source,
            policy_ref=v.policy_ref,
            valid_from=v.valid_from,
            valid_to=v.valid_to,
            status=v.status,
            status_label=v.status_label,
            origin=v.origin,
            created_at=v.created_at,
            created_by=v.created_by,
            updated_at=v.updated_at,
            updated_by=v.updated_by,
            published_at=v.published_at,
            version=v.version,
            answerable=v.answerable,
            actions=list(v.actions),
            history=[StepOut.of(s) for s in v.history],
        )


class ItemPageOut(BaseModel):
    items: list[ItemOut]
    total: int


class NoteIn(BaseModel):
    note: str = Field(default="", max_length=500)


class ProposeIn(BaseModel):
    limit: int = Field(default=50, ge=1, le=500)


class HitOut(BaseModel):
    item_id: int
    title: str
    answer: str
    source: str
    department: str
    category: str
    score: float = Field(description="0–1，越高越相关")
    answerable: bool = Field(description="得分达到回答阈值")

    @classmethod
    def of(cls, h: Hit) -> HitOut:
        return cls(
            item_id=h.item_id,
            title=h.title,
            answer=h.answer,
            source=h.source,
            department=h.department,
            category=h.category,
            score=h.score,
            answerable=h.answerable,
        )


class AnswerOut(BaseModel):
    answerable: bool = Field(description="第一条达到回答阈值；否则应转人工")
    threshold: float
    hits: list[HitOut]

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        return cls(
            answerable=a.answerable,
            threshold=a.threshold,
            hits=[HitOut.of(h) for h in a.hits],
        )


@router.get("/items", response_model=ItemPageOut, summary="知识点列表", responses={422: ERROR_RESPONSES[422]})
def list_items(
    actor: ActorDep,
    knowledge: KnowledgeDep,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=100, description="标题、分类或部门包含")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ItemPageOut:
    page = knowledge.items(actor, status=status_, words=q, limit=limit, offset=offset)
    return ItemPageOut(items=[ItemOut.of(v) for v in page.items], total=page.total)


@router.post(
    "/items",
    response_model=ItemOut,
    status_code=status.HTTP_201_CREATED,
    summary="新建知识点（草稿）",
    responses=MUTATION,
)
def create_item(body: ItemCreate, actor: ActorDep, knowledge: KnowledgeDep) -> ItemOut:
    return ItemOut.of(knowledge.create(actor, body.input(), unit_id=body.unit_id))


@router.get(
    "/items/{item_id}", response_model=ItemOut, summary="一条知识点", responses={404: ERROR_RESPONSES[404]}
)
def get_item(item_id: ItemId, actor: ActorDep, knowledge: KnowledgeDep) -> ItemOut:
    return ItemOut.of(knowledge.get(actor, item_id))


@router.put(
    "/items/{item_id}",
    response_model=ItemOut,
    summary="修改知识点（改后为草稿，须重新审核发布）",
    responses=MUTATION,
)
def update_item(item_id: ItemId, body: ItemUpdate, actor: ActorDep, knowledge: KnowledgeDep) -> ItemOut:
    return ItemOut.of(knowledge.update(actor, item_id, body.input(), version=body.version))


def _act(action: ItemAction, summary: str) -> None:
    path = f"/items/{{item_id}}/{action.value.replace('_', '-')}"

    def step(item_id: ItemId, body: NoteIn, actor: ActorDep, knowledge: KnowledgeDep) -> ItemOut:
        return ItemOut.of(knowledge.act(actor, item_id, action, body.note))

    step.__name__ = f"{action.value}_item"
    router.add_api_route(
        path, step, methods=["POST"], response_model=ItemOut, summary=summary, responses=MUTATION
    )


_act(ItemAction.REVIEW, "审核通过")
_act(ItemAction.SEND_BACK, "退回修改")
_act(ItemAction.PUBLISH, "发布")
_act(ItemAction.WITHDRAW, "撤回")


@router.post(
    "/proposals",
    response_model=list[ItemOut],
    status_code=status.HTTP_201_CREATED,
    summary="由已办结、答复解决问题的咨询工单生成知识点草稿",
    responses=MUTATION,
)
def propose(body: ProposeIn, actor: ActorDep, knowledge: KnowledgeDep) -> list[ItemOut]:
    return [ItemOut.of(v) for v in knowledge.propose_from_orders(actor, limit=body.limit)]


@router.get(
    "/search",
    response_model=AnswerOut,
    summary="检索知识库：前几条及其得分",
    responses={422: ERROR_RESPONSES[422]},
)
def search(
    actor: ActorDep,
    search: SearchDep,
    q: Annotated[str, Query(min_length=1, max_length=ASK_MAX, description="问题")],
    top: Annotated[int, Query(ge=1, le=TOP_MAX)] = 3,
) -> AnswerOut:
    require(may_read_knowledge, actor)
    return AnswerOut.of(search.ask(q, top))
