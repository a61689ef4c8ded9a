"""The body of each workflow action (POST /orders/{key}/{action}) and the command it becomes.

Every body takes an optional `version`: when given, the action only applies if the
order is still at that version (409 concurrent_update otherwise), so that two people
working from the same screen never overwrite each other unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import (
    Action,
    Callback,
    Cancel,
    CancelReason,
    Close,
    Command,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    Merge,
    Redispatch,
    Reply,
    RequestExtension,
    RequestSuspension,
    ResolveOnIntake,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
    Urge,
)

NOTE_MAX = 5000


@dataclass(frozen=True)
class Lookups:
    """What turning a body into a command may need to look up: unit codes, other orders."""

    unit_id_for_code: Callable[[str], int]
    order_id_for_key: Callable[[str], int]


# Dates and instants a client may give: anything outside is a typo or a probe, and years near
# 1 or 9999 cannot even be moved to another time zone.
MIN_YEAR, MAX_YEAR = 1900, 2199


def to_instant(value: date | datetime, *, end_of_day: bool = False) -> datetime:
    """An aware instant: a date means 00:00 (or 23:59:59 with `end_of_day`) Asia/Shanghai that day;
    a datetime without an offset is Asia/Shanghai time. ValidationFailed outside 1900–2199."""
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValidationFailed(f"日期须在 {MIN_YEAR}–{MAX_YEAR} 年之间", field="date")
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=LOCAL_TZ)
    return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0), tzinfo=LOCAL_TZ)


def _day_or_instant(value: Any) -> date | datetime:
    """'2026-12-01' is a day; '2026-12-01T18:00:00+08:00' an instant (pydantic would read both either way)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ValueError("须为日期（YYYY-MM-DD）或 ISO 8601 时间")


DayOrInstant = Annotated[
    date | datetime,
    PlainValidator(_day_or_instant),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
    ),
]
"""A date (YYYY-MM-DD) or an ISO 8601 instant."""


class ActionBody(BaseModel):
    """Fields every action takes."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=NOTE_MAX, description="意见或说明，记入流转记录")
    version: int | None = Field(
        default=None, description="工单的当前版本号（详情中的 version）；不一致时返回 409 concurrent_update"
    )
    attachment_ids: list[int] = Field(
        default_factory=list, description="本步骤引用的附件（须先上传到该工单）"
    )

    def command(self, lookups: Lookups) -> Command:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


class ResolveOnIntakeIn(ActionBody):
    """即时办结：咨询当场答复，直接进入回访。"""

    note: str = Field(max_length=NOTE_MAX, description="答复内容（必填）")

    def command(self, lookups: Lookups) -> Command:
        return ResolveOnIntake(note=self.note)


class _TargetBody(ActionBody):
    target_unit_id: int | None = Field(default=None, description="目标单位 id")
    target_unit_code: str | None = Field(default=None, description="目标单位编码（与 id 二选一）")

    def target(self, lookups: Lookups) -> int:
        if self.target_unit_id is None and not self.target_unit_code:
            raise ValidationFailed(
                "请指定派单目标单位（target_unit_id 或 target_unit_code）", field="target_unit_id"
            )
        by_code = lookups.unit_id_for_code(self.target_unit_code) if self.target_unit_code else None
        if by_code is not None and self.target_unit_id is not None and by_code != self.target_unit_id:
            raise ValidationFailed(
                "target_unit_id 与 target_unit_code 指向不同单位", field="target_unit_code"
            )
        target = by_code if by_code is not None else self.target_unit_id
        assert target is not None
        return target


class DispatchIn(_TargetBody):
    """派单：派往本中心的下级单位或部门。"""

    def command(self, lookups: Lookups) -> Command:
        return Dispatch(note=self.note, target_unit_id=self.target(lookups))


class RedispatchIn(_TargetBody):
    """改派：上级中心把工单改派给另一下级单位。"""

    def command(self, lookups: Lookups) -> Command:
        return Redispatch(note=self.note, target_unit_id=self.target(lookups))


class SignIn(ActionBody):
    """签收。"""

    def command(self, lookups: Lookups) -> Command:
        return Sign(note=self.note)


class ReturnIn(ActionBody):
    """退单：退回派单的中心，须说明理由。"""

    note: str = Field(max_length=NOTE_MAX, description="退单理由（必填）")

    def command(self, lookups: Lookups) -> Command:
        return Return(note=self.note)


class RequestExtensionIn(ActionBody):
    """申请延期：说明理由和延至的期限，由派单中心审批。"""

    note: str = Field(max_length=NOTE_MAX, description="延期理由（必填）")
    new_due_at: DayOrInstant = Field(
        description="延至的期限：日期（YYYY-MM-DD，即当天 23:59:59 北京时间）或带时区的时间"
    )

    def command(self, lookups: Lookups) -> Command:
        return RequestExtension(note=self.note, new_due_at=to_instant(self.new_due_at, end_of_day=True))


class DecideExtensionIn(ActionBody):
    """审批延期：同意或不同意（不同意须说明理由）。"""

    approve: bool = Field(description="true 同意，false 不同意")

    def command(self, lookups: Lookups) -> Command:
        return DecideExtension(note=self.note, approve=self.approve)


class RequestSuspensionIn(ActionBody):
    """申请挂起：暂停计时，由派单中心审批。"""

    note: str = Field(max_length=NOTE_MAX, description="挂起理由（必填）")

    def command(self, lookups: Lookups) -> Command:
        return RequestSuspension(note=self.note)


class DecideSuspensionIn(ActionBody):
    """审批挂起。"""

    approve: bool = Field(description="true 同意，false 不同意")

    def command(self, lookups: Lookups) -> Command:
        return DecideSuspension(note=self.note, approve=self.approve)


class ResumeIn(ActionBody):
    """恢复办理：挂起结束，期限顺延。"""

    def command(self, lookups: Lookups) -> Command:
        return Resume(note=self.note)


class ReplyIn(ActionBody):
    """办结反馈：填写办理结果，可附现场照片等附件。"""

    note: str = Field(max_length=NOTE_MAX, description="办理结果（必填）")

    def command(self, lookups: Lookups) -> Command:
        return Reply(note=self.note)


class ReviewIn(ActionBody):
    """审核：通过进入回访，不通过退回返工（须说明意见）。"""

    approve: bool = Field(description="true 通过，false 退回返工")

    def command(self, lookups: Lookups) -> Command:
        return Review(note=self.note, approve=self.approve)


class CallbackIn(ActionBody):
    """回访：记录市民满意度。"""

    satisfaction: Satisfaction = Field(
        description="satisfied | basically_satisfied | unsatisfied | unreachable"
    )

    def command(self, lookups: Lookups) -> Command:
        return Callback(note=self.note, satisfaction=self.satisfaction)


class CloseIn(ActionBody):
    """归档。"""

    def command(self, lookups: Lookups) -> Command:
        return Close(note=self.note)


class CancelIn(ActionBody):
    """撤销：无效诉求、骚扰来电或非受理范围，须说明。"""

    reason: CancelReason = Field(description="invalid | harassment | out_of_scope")
    note: str = Field(max_length=NOTE_MAX, description="撤销说明（必填）")

    def command(self, lookups: Lookups) -> Command:
        return Cancel(note=self.note, reason=self.reason)


class MergeIn(ActionBody):
    """合并：作为另一工单（主工单）的重复件，随主工单办结。"""

    master: int | str = Field(description="主工单 id 或编号")

    def command(self, lookups: Lookups) -> Command:
        return Merge(note=self.note, master_id=lookups.order_id_for_key(str(self.master)))


class SuperviseIn(ActionBody):
    """督办。"""

    note: str = Field(max_length=NOTE_MAX, description="督办意见（必填）")

    def command(self, lookups: Lookups) -> Command:
        return Supervise(note=self.note)


class UrgeIn(ActionBody):
    """催办。"""

    def command(self, lookups: Lookups) -> Command:
        return Urge(note=self.note)


class InstructIn(ActionBody):
    """批示：领导对工单的批示内容。"""

    note: str = Field(max_length=NOTE_MAX, description="批示内容（必填）")

    def command(self, lookups: Lookups) -> Command:
        return Instruct(note=self.note)


ACTION_BODIES: dict[Action, type[ActionBody]] = {
    Action.RESOLVE_ON_INTAKE: ResolveOnIntakeIn,
    Action.DISPATCH: DispatchIn,
    Action.REDISPATCH: RedispatchIn,
    Action.SIGN: SignIn,
    Action.RETURN: ReturnIn,
    Action.REQUEST_EXTENSION: RequestExtensionIn,
    Action.DECIDE_EXTENSION: DecideExtensionIn,
    Action.REQUEST_SUSPENSION: RequestSuspensionIn,
    Action.DECIDE_SUSPENSION: DecideSuspensionIn,
    Action.RESUME: ResumeIn,
    Action.REPLY: ReplyIn,
    Action.REVIEW: ReviewIn,
    Action.CALLBACK: CallbackIn,
    Action.CLOSE: CloseIn,
    Action.CANCEL: CancelIn,
    Action.MERGE: MergeIn,
    Action.SUPERVISE: SuperviseIn,
    Action.URGE: UrgeIn,
    Action.INSTRUCT: InstructIn,
}
"""Every action a user takes on an existing order (registration has its own route)."""
