"""The body of each workflow action (POST /orders/{key}/{action}) and the command it becomes.

Every body takes an optional `version`: when given, the action only applies if the
order is still at that version (409 concurrent_update otherwise), so that two people
working from the same screen never overwrite each other unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model

from zhiyun.domain.actions import ACTION_SPECS, NOTE_MAX, ActionField, ActionInput, ActionSpec, command_for
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import Action, CancelReason, Command, Satisfaction


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
    """Fields every action takes; each action's body adds what its spec asks for."""

    model_config = ConfigDict(extra="forbid")

    action: ClassVar[Action]

    note: str = Field(default="", max_length=NOTE_MAX, description="意见或说明，记入流转记录")
    version: int | None = Field(
        default=None, description="工单的当前版本号（详情中的 version）；不一致时返回 409 concurrent_update"
    )
    attachment_ids: list[int] = Field(
        default_factory=list, description="本步骤引用的附件（须先上传到该工单）"
    )

    def command(self, lookups: Lookups) -> Command:
        """The command this body asks for (domain/actions.py checks the note and the fields)."""
        # the fields an action's body has are its spec's (_fields_of); the others are absent
        asks = ACTION_SPECS[self.action].asks
        new_due = getattr(self, "new_due_at", None)
        master = getattr(self, "master", None)
        given = ActionInput(
            note=self.note,
            target_unit_id=self._target(lookups) if asks(ActionField.TARGET) else None,
            approve=getattr(self, "approve", None),
            new_due_at=to_instant(new_due, end_of_day=True) if new_due is not None else None,
            satisfaction=getattr(self, "satisfaction", None),
            reason=getattr(self, "reason", None),
            master_id=lookups.order_id_for_key(str(master)) if master is not None else None,
        )
        return command_for(self.action, given)

    def _target(self, lookups: Lookups) -> int:
        unit_id: int | None = getattr(self, "target_unit_id", None)
        code: str | None = getattr(self, "target_unit_code", None)
        if unit_id is None and not code:
            raise ValidationFailed(
                "请指定派单目标单位（target_unit_id 或 target_unit_code）", field="target_unit_id"
            )
        by_code = lookups.unit_id_for_code(code) if code else None
        if by_code is not None and unit_id is not None and by_code != unit_id:
            raise ValidationFailed(
                "target_unit_id 与 target_unit_code 指向不同单位", field="target_unit_code"
            )
        target = by_code if by_code is not None else unit_id
        assert target is not None
        return target


def _fields_of(spec: ActionSpec) -> dict[str, Any]:
    """The pydantic fields an action's spec asks for, beyond ActionBody's."""
    fields: dict[str, Any] = {}
    if spec.note_required:
        fields["note"] = (str, Field(max_length=NOTE_MAX, description=f"{spec.note_label}（必填）"))
    if spec.asks(ActionField.TARGET):
        fields["target_unit_id"] = (int | None, Field(default=None, description="目标单位 id"))
        fields["target_unit_code"] = (
            str | None,
            Field(default=None, description="目标单位编码（与 id 二选一）"),
        )
    if spec.asks(ActionField.NEW_DUE):
        fields["new_due_at"] = (
            DayOrInstant,
            Field(description="延至的期限：日期（YYYY-MM-DD，即当天 23:59:59 北京时间）或带时区的时间"),
        )
    if spec.approve_labels is not None:
        yes, no = spec.approve_labels
        fields["approve"] = (bool, Field(description=f"true {yes}，false {no}"))
    if spec.asks(ActionField.SATISFACTION):
        fields["satisfaction"] = (Satisfaction, Field(description=" | ".join(s.value for s in Satisfaction)))
    if spec.asks(ActionField.CANCEL_REASON):
        fields["reason"] = (CancelReason, Field(description=" | ".join(r.value for r in CancelReason)))
    if spec.asks(ActionField.MASTER):
        fields["master"] = (int | str, Field(description="主工单 id 或编号"))
    return fields


def _body_type(spec: ActionSpec) -> type[ActionBody]:
    name = "".join(word.capitalize() for word in spec.action.value.split("_")) + "In"
    body: type[ActionBody] = create_model(
        name, __base__=ActionBody, __doc__=spec.summary, __module__=__name__, **_fields_of(spec)
    )
    body.action = spec.action
    return body


ACTION_BODIES: dict[Action, type[ActionBody]] = {
    action: _body_type(ACTION_SPECS[action]) for action in Action if action in ACTION_SPECS
}
"""Every action a user takes on an existing order (registration has its own route), each
body derived from the action's spec in domain/actions.py."""
