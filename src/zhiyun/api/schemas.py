"""The API's request and response bodies: pydantic models, kept apart from the tables.

Responses carry codes for machines and Chinese labels for people side by side
(`status` and `status_label`); instants are ISO 8601 with the local offset (+08:00).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from zhiyun.domain.access import Role
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.deadlines import LimitUnit
from zhiyun.domain.org import Unit, UnitKind
from zhiyun.domain.workorder import Action, OrderStatus, OrderType, RequestKind, Urgency
from zhiyun.orders.views import (
    AttachmentView,
    NoticeView,
    OrderDetail,
    OrderSummary,
    TransitionView,
)


def _local_iso(value: datetime) -> str:
    if value.tzinfo is None:  # pragma: no cover - the store always gives aware instants
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(LOCAL_TZ).isoformat()


Instant = Annotated[datetime, PlainSerializer(_local_iso, return_type=str, when_used="json")]
"""An aware instant, rendered in Asia/Shanghai time with its offset: 2026-11-26T09:30:00+08:00."""


def status_label(value: str | None) -> str | None:
    return OrderStatus(value).label if value else None


class Schema(BaseModel):
    """Base of every response body."""

    model_config = ConfigDict(from_attributes=True)


class ErrorOut(Schema):
    """Every error: a stable code, a message for people, and details that depend on the code."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(examples=["action_not_allowed"])
    message: str = Field(examples=["工单当前状态为「已归档」，不能派单"])


# --------------------------------------------------------------------------- users and auth


class UserOut(Schema):
    """A user account (never its password)."""

    id: int
    username: str
    display_name: str
    role: Role
    role_label: str
    unit_id: int | None
    unit_name: str | None
    active: bool


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenLoginIn(LoginIn):
    name: str | None = Field(default=None, max_length=100, description="令牌名称，便于日后识别与吊销")
    days: int | None = Field(default=None, ge=1, le=3650, description="有效天数；缺省为会话有效期")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="令牌名称，如对接系统的名字")
    days: int | None = Field(
        default=None,
        ge=1,
        le=3650,
        description="有效天数；缺省 90 天（ZHIYUN_TOKEN_DAYS_DEFAULT），最长 365 天",
    )


class TokenOut(Schema):
    """A bearer token, shown only this once: send it as `Authorization: Bearer <token>`."""

    token: str
    access_token: str = Field(description="同 token（OAuth2 客户端读取此字段）")
    token_type: Literal["bearer"] = "bearer"
    name: str
    expires_at: Instant | None
    user: UserOut


class TokenInfoOut(Schema):
    """An API token as its owner and admins see it (never the token itself or its digest)."""

    id: int
    name: str
    prefix: str = Field(description="令牌的前 10 个字符，便于辨认")
    created_at: Instant
    expires_at: Instant | None
    last_used_at: Instant | None = Field(description="最近使用时间（至多每分钟记录一次）")
    revoked_at: Instant | None


class NewUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    role: Role
    unit_code: str | None = None
    display_name: str | None = None
    phone: str | None = None


# --------------------------------------------------------------------------- org


class UnitRefOut(Schema):
    id: int
    code: str
    name: str


class UnitOut(Schema):
    """An org unit; the tree is given as a flat list in depth-first order with parent ids."""

    id: int
    code: str
    name: str
    kind: UnitKind
    kind_label: str
    parent_id: int | None
    depth: int
    aliases: list[str]

    @classmethod
    def of(cls, unit: Unit, depth: int) -> UnitOut:
        return cls(
            id=unit.id,
            code=unit.code,
            name=unit.name,
            kind=unit.kind,
            kind_label=unit.kind.label,
            parent_id=unit.parent_id,
            depth=depth,
            aliases=list(unit.aliases),
        )


class UnitIn(BaseModel):
    """One unit of an import, by codes (never database ids)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind
    parent_code: str | None = None
    aliases: list[str] = Field(default_factory=list)


class ImportReportOut(Schema):
    created: int
    updated: int
    unchanged: int


# --------------------------------------------------------------------------- orders


class DeadlineOut(Schema):
    due_at: Instant
    state: str = Field(description="on_time | warning | overdue | paused | met")
    state_label: str
    remaining: str
    provisional: bool = Field(description="日历尚未收录该年节假日安排时为 true（期限为估算）")
    kind: str = Field("", description="工单期限（deadline）所依据的期限：签收 或 办理；单项期限为空")


class OrderSummaryOut(Schema):
    """One line of a list of orders."""

    id: int
    number: str
    version: int = Field(description="每次变更加一；动作请求带上它可防止覆盖他人的修改")
    channel: str
    title: str
    order_type: OrderType
    order_type_label: str
    urgency: Urgency
    urgency_label: str
    status: OrderStatus
    status_label: str
    category_code: str | None
    current_unit: UnitRefOut | None
    responsible_unit: UnitRefOut | None
    registered_at: Instant
    sign_deadline: DeadlineOut | None
    reply_deadline: DeadlineOut | None
    deadline: DeadlineOut | None = Field(
        None,
        description="工单的期限状态：运行中的签收和办理期限里最紧迫的一个，与 deadline=warning|overdue 筛选一致",
    )
    supervised: bool
    has_instruction: bool
    master_id: int | None

    @classmethod
    def of(cls, summary: OrderSummary) -> OrderSummaryOut:
        data = dataclasses.asdict(summary)
        data["urgency_label"] = Urgency(summary.urgency).label
        return cls.model_validate(data)


class PendingOut(Schema):
    """An extension or suspension request awaiting the dispatching center."""

    kind: RequestKind
    kind_label: str
    reason: str
    requested_at: Instant
    requested_by_unit_id: int
    new_due_at: Instant | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> PendingOut:
        kind = RequestKind(data["kind"])
        return cls.model_validate(
            {**data, "kind": kind, "kind_label": "延期申请" if kind is RequestKind.EXTENSION else "挂起申请"}
        )


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: Instant
    url: str

    @classmethod
    def of(cls, view: AttachmentView) -> AttachmentOut:
        return cls.model_validate({**dataclasses.asdict(view), "url": f"/api/v1/attachments/{view.id}"})


class OrderDetailOut(OrderSummaryOut):
    """Everything about one order that its reader may see, and what the reader may do with it."""

    external_id: str | None
    citizen_name: str | None
    citizen_phone: str | None
    contact_masked: bool
    content: str
    address: str | None
    latitude: float | None
    longitude: float | None
    confidential: bool
    chain: list[UnitRefOut] = Field(description="派单路径：从受理中心到当前承办单位")
    dispatching_unit: UnitRefOut | None
    registered_unit: UnitRefOut | None
    pending: PendingOut | None
    counters: dict[str, int]
    satisfaction: str | None
    satisfaction_label: str | None
    cancel_reason: str | None
    cancel_reason_label: str | None
    result: str | None
    first_dispatched_at: Instant | None
    signed_at: Instant | None
    replied_at: Instant | None
    closed_at: Instant | None
    allowed_actions: list[Action] = Field(description="当前用户现在可以执行的操作")
    may_attach: bool = Field(description="当前用户现在可以上传附件")
    may_change_category: bool = Field(description="当前用户现在可以修改分类")
    may_decide_duplicate: bool = Field(description="当前用户现在可以处理疑似重复（合并或排除）")
    duplicates: list[OrderSummaryOut]
    master: OrderSummaryOut | None
    attachments: list[AttachmentOut]

    @classmethod
    def of_detail(cls, detail: OrderDetail) -> OrderDetailOut:
        summary = OrderSummaryOut.of(detail.summary).model_dump()
        fields = {f.name: getattr(detail, f.name) for f in dataclasses.fields(detail) if f.name != "summary"}
        fields["pending"] = PendingOut.of(detail.pending) if detail.pending else None
        fields["duplicates"] = [OrderSummaryOut.of(d) for d in detail.duplicates]
        fields["master"] = OrderSummaryOut.of(detail.master) if detail.master else None
        fields["attachments"] = [AttachmentOut.of(a) for a in detail.attachments]
        fields["chain"] = [dataclasses.asdict(u) for u in detail.chain]
        for name in ("dispatching_unit", "registered_unit"):
            unit = fields[name]
            fields[name] = dataclasses.asdict(unit) if unit else None
        return cls.model_validate({**summary, **fields})


class OrderPageOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None = Field(description="下一页游标；最后一页为 null")


class TransitionOut(Schema):
    """One entry of an order's audit trail."""

    id: int
    action: str
    action_label: str
    from_status: str | None
    from_status_label: str | None
    to_status: str
    to_status_label: str
    from_unit: UnitRefOut | None
    to_unit: UnitRefOut | None
    actor_name: str
    actor_role: str
    actor_role_label: str
    actor_unit: UnitRefOut | None = Field(
        None, description="操作人当时所在的单位；系统（智能分拨、渠道接口、定时任务）为空"
    )
    note: str
    details: dict[str, Any]
    created_at: Instant

    @classmethod
    def of(cls, view: TransitionView) -> TransitionOut:
        data = dataclasses.asdict(view)
        data["from_status_label"] = status_label(view.from_status)
        data["to_status_label"] = status_label(view.to_status)
        data["actor_role_label"] = Role(view.actor_role).label
        return cls.model_validate(data)


class ActionOut(Schema):
    action: Action
    label: str
    path: str = Field(description="执行该操作的 POST 地址")


class NewOrderIn(BaseModel):
    """What registering (受理) an order takes; a repeat of (channel, external_id) returns the first."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(description="标题", examples=["夏北路路灯不亮"])
    content: str = Field(description="诉求内容")
    order_type: OrderType = OrderType.HELP
    urgency: Urgency = Urgency.NORMAL
    channel: str = Field(default="manual", min_length=1, max_length=32, examples=["12345"])
    external_id: str | None = Field(default=None, description="来源渠道的编号；与 channel 一起唯一")
    citizen_name: str | None = None
    citizen_phone: str | None = None
    category_code: str | None = None
    address: str | None = None
    latitude: float | None = Field(default=None, description="WGS-84 纬度")
    longitude: float | None = Field(default=None, description="WGS-84 经度")
    confidential: bool = False
    center_unit_id: int | None = Field(default=None, description="受理中心；缺省为本人所在中心")
    note: str = ""


# --------------------------------------------------------------------------- notices, stats


class NoticeOut(Schema):
    id: int
    order_id: int | None
    kind: str
    kind_label: str
    deadline: str
    due_at: Instant
    unit: UnitRefOut | None
    message: str
    created_at: Instant
    link: str | None = None

    @classmethod
    def of(cls, view: NoticeView) -> NoticeOut:
        data = dataclasses.asdict(view)
        labels = {"urge": "催办", "warning": "预警", "outlook": "预警", "hot_issue": "热点预警"}
        data["kind_label"] = labels.get(view.kind, view.kind)
        return cls.model_validate(data)


class UnitReturnsOut(Schema):
    unit: UnitRefOut
    returns: int


# --------------------------------------------------------------------------- calendar and time limits


class OverrideOut(Schema):
    date: date
    kind: Literal["workday", "holiday"]
    kind_label: str
    note: str
    updated_by: str | None


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["workday", "holiday", "default"] = Field(
        description="workday 上班、holiday 休息、default 取消调整（恢复法定安排）"
    )
    note: str = ""


class OverrideResultOut(Schema):
    date: date
    kind: Literal["workday", "holiday", "default"]
    override: OverrideOut | None


class CalendarYearsOut(Schema):
    package: list[int] = Field(description="holidays 软件包已收录的年份")
    confirmed: list[int] = Field(description="管理员确认过的年份")


class AddWorkdaysOut(Schema):
    start: date
    n: int
    date: date


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=3650)
    unit: LimitUnit


class LimitOut(Schema):
    amount: int
    unit: LimitUnit
    label: str


class TimeLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sign: LimitIn = Field(description="签收时限")
    reply: LimitIn = Field(description="办理（回复）时限")


class TimeLimitOut(Schema):
    order_type: OrderType
    order_type_label: str
    urgency: Urgency
    urgency_label: str
    sign: LimitOut
    reply: LimitOut


class HealthOut(Schema):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unreachable"]
