"""The seat for telephony and other front ends: a caller's history, suggestions for a draft,
a call registered with its outcome, a repeat call recorded on an open order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.hotline.service import Call, CallerHistory, Draft, Outcome, SeatService, Suggestions
from zhiyun.orders.service import NewOrder

router = APIRouter(tags=["hotline 受理坐席"], responses={k: ERROR_RESPONSES[k] for k in (401, 403)})


def _seat(services: ServicesDep) -> SeatService:
    return services.get(SeatService)


SeatDep = Annotated[SeatService, Depends(_seat)]


class CallerOrderOut(BaseModel):
    number: str
    title: str
    status: str
    status_label: str
    registered_at: datetime
    unit_name: str | None
    reply: str | None
    satisfaction_label: str | None
    open: bool


class CallerHistoryOut(BaseModel):
    phone: str
    total: int = Field(description="来电人在本人可查看范围内的工单总数")
    hidden_confidential: int = Field(description="未显示的保密工单数（无权查看保密联系人时）")
    orders: list[CallerOrderOut]

    @classmethod
    def of(cls, h: CallerHistory) -> CallerHistoryOut:
        return cls(
            phone=h.phone,
            total=h.total,
            hidden_confidential=h.hidden_confidential,
            orders=[
                CallerOrderOut(**{k: getattr(o, k) for k in CallerOrderOut.model_fields}) for o in h.orders
            ],
        )


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=300)
    content: str = Field(default="", max_length=5000)
    address: str = Field(default="", max_length=500)
    citizen_phone: str = Field(default="", max_length=32)
    order_type: OrderType = OrderType.HELP
    urgency: Urgency = Urgency.NORMAL
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class SuggestionsOut(BaseModel):
    categories: list[dict[str, Any]] = Field(description="前三个分类：分类、置信度、承办单位、依据")
    has_model: bool
    urgent_signals: list[str]
    town: str | None
    village: str | None
    duplicates: list[dict[str, Any]] = Field(description="疑似重复的未办结工单（本人可查看的）")
    answers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="知识库前三条（一键秒回）：知识点、答案、部门、来源、得分、是否达到答复阈值",
    )

    @classmethod
    def of(cls, s: Suggestions) -> SuggestionsOut:
        return cls(
            categories=list(s.categories),
            has_model=s.has_model,
            urgent_signals=list(s.urgent_signals),
            town=s.town,
            village=s.village,
            duplicates=[{k: v for k, v in d.items() if k != "order_id"} for d in s.duplicates],
            answers=list(s.answers),
        )


class CallIn(BaseModel):
    """A call registered with its outcome: 即时办结 (resolve, `reply` required), 派单
    (dispatch, `target_unit_id` required) or 暂存 (hold)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=300)
    content: str = Field(max_length=5000)
    order_type: OrderType = OrderType.HELP
    urgency: Urgency = Urgency.NORMAL
    citizen_name: str | None = Field(default=None, max_length=100)
    citizen_phone: str | None = Field(default=None, max_length=32)
    gender: str | None = Field(default=None, description="male 先生 / female 女士")
    confidential: bool = False
    category_code: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=500)
    latitude: float | None = None
    longitude: float | None = None
    outcome: Outcome = Outcome.HOLD
    reply: str = Field(default="", max_length=5000, description="即时办结的答复，或派单意见")
    target_unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    call_id: str | None = Field(default=None, max_length=64)
    recording_id: str | None = Field(default=None, max_length=64)
    knowledge_item_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="即时办结引用的知识点（一键秒回），记入登记记录"
    )

    def call(self) -> Call:
        order = NewOrder(
            title=self.title,
            content=self.content,
            order_type=self.order_type,
            urgency=self.urgency,
            citizen_name=self.citizen_name,
            citizen_phone=self.citizen_phone,
            category_code=self.category_code,
            address=self.address,
            latitude=self.latitude,
            longitude=self.longitude,
            confidential=self.confidential,
        )
        return Call(
            order=order,
            outcome=self.outcome,
            reply=self.reply,
            target_unit_id=self.target_unit_id,
            call_id=self.call_id,
            recording_id=self.recording_id,
            gender=self.gender,
            knowledge_item_id=self.knowledge_item_id,
        )


class CallOut(BaseModel):
    number: str
    status: str
    status_label: str
    outcome: Outcome
    possible_duplicates: list[str]


class RepeatCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=5000, description="这次来电说了什么")


class RepeatCallOut(BaseModel):
    number: str


@router.get(
    "/hotline/callers/{phone}/orders",
    response_model=CallerHistoryOut,
    summary="来电人的历史工单（本人可查看的，最新在前；未办结的可记为重复来电）",
    responses={422: ERROR_RESPONSES[422]},
)
def caller_history(
    actor: ActorDep, seat: SeatDep, phone: str = Path(max_length=32, description="来电号码")
) -> CallerHistoryOut:
    return CallerHistoryOut.of(seat.caller_history(actor, phone))


@router.post(
    "/hotline/suggestions",
    response_model=SuggestionsOut,
    summary="受理中的智能建议：分类与承办单位（含依据）、地点、疑似重复",
    responses={422: ERROR_RESPONSES[422]},
)
def suggestions(body: DraftIn, actor: ActorDep, seat: SeatDep) -> SuggestionsOut:
    draft = Draft(
        title=body.title,
        content=body.content,
        address=body.address,
        phone=body.citizen_phone,
        order_type=body.order_type,
        urgency=body.urgency,
        latitude=body.latitude,
        longitude=body.longitude,
    )
    return SuggestionsOut.of(seat.suggest(actor, draft))


@router.post(
    "/hotline/calls",
    response_model=CallOut,
    status_code=status.HTTP_201_CREATED,
    summary="登记来电并一次办理：即时办结、派单或暂存",
    responses={409: ERROR_RESPONSES[409], 422: ERROR_RESPONSES[422]},
)
def register_call(body: CallIn, actor: ActorDep, seat: SeatDep) -> CallOut:
    result = seat.register_call(actor, body.call())
    return CallOut(
        number=result.number,
        status=result.status,
        status_label=result.status_label,
        outcome=result.outcome,
        possible_duplicates=result.possible_duplicates,
    )


@router.post(
    "/orders/{key}/repeat-calls",
    response_model=RepeatCallOut,
    status_code=status.HTTP_201_CREATED,
    summary="记录重复来电（催办）：不新建工单",
    responses={404: ERROR_RESPONSES[404], 409: ERROR_RESPONSES[409], 422: ERROR_RESPONSES[422]},
)
def repeat_call(
    body: RepeatCallIn,
    actor: ActorDep,
    seat: SeatDep,
    key: str = Path(max_length=64, description="工单 id 或编号"),
) -> RepeatCallOut:
    return RepeatCallOut(number=seat.repeat_call(actor, key, body.note))
