"""Each workflow action's form on the order page: its fields, and the command a posted form becomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from zhiyun.domain.actions import (
    ACTION_SPECS,
    NOTE_MAX,
    ActionField,
    ActionInput,
    ActionSpec,
    check_note,
    command_for,
)
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import Action, CancelReason, Command, Satisfaction


@dataclass(frozen=True)
class ActionForm:
    """How the order page asks for one action: its spec (domain/actions.py) seen as form fields.
    `named`: (label, note label) where the action reads otherwise here (a return from the
    registering center is 上报)."""

    spec: ActionSpec
    named: tuple[str, str] | None = None

    @property
    def action(self) -> Action:
        return self.spec.action

    @property
    def label(self) -> str:
        return self.named[0] if self.named else self.spec.label

    @property
    def note_label(self) -> str:
        return self.named[1] if self.named else self.spec.note_label

    @property
    def note_required(self) -> bool:
        return self.spec.note_required

    @property
    def note_max(self) -> int:
        return NOTE_MAX

    @property
    def primary(self) -> bool:
        return self.spec.primary

    @property
    def approve_labels(self) -> tuple[str, str] | None:
        return self.spec.approve_labels

    @property
    def target(self) -> bool:
        return self.spec.asks(ActionField.TARGET)

    @property
    def new_due(self) -> bool:
        return self.spec.asks(ActionField.NEW_DUE)

    @property
    def satisfaction(self) -> bool:
        return self.spec.asks(ActionField.SATISFACTION)

    @property
    def cancel_reason(self) -> bool:
        return self.spec.asks(ActionField.CANCEL_REASON)

    @property
    def master(self) -> bool:
        return self.spec.asks(ActionField.MASTER)

    @property
    def attachments(self) -> bool:
        return self.spec.asks(ActionField.ATTACHMENTS)


FORMS: dict[Action, ActionForm] = {action: ActionForm(spec) for action, spec in ACTION_SPECS.items()}
SATISFACTIONS = [(s.value, s.label) for s in Satisfaction]
CANCEL_REASONS = [(r.value, r.label) for r in CancelReason]


HAND_UP = ActionForm(ACTION_SPECS[Action.RETURN], ("上报", "上报理由"))


def forms_for(allowed: list[str], *, at_registering_center: bool = False) -> list[ActionForm]:
    """The forms of the actions the user may take now, primary ones first. At its registering
    center an order's return hands it up to the center above: the form says 上报."""
    out = [FORMS[Action(a)] for a in allowed if a != Action.REGISTER.value and Action(a) in FORMS]
    if at_registering_center:
        out = [HAND_UP if f.action is Action.RETURN else f for f in out]
    return sorted(out, key=lambda f: (not f.primary, list(FORMS).index(f.action)))


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _approve(form: Mapping[str, Any]) -> bool:
    value = _text(form, "approve")
    if value not in ("yes", "no"):
        raise ValidationFailed("请选择审批或审核结果", field="approve")
    return value == "yes"


def _target(form: Mapping[str, Any]) -> int:
    value = _text(form, "target_unit_id")
    if not value.isdigit():
        raise ValidationFailed("请选择派往的单位", field="target_unit_id")
    return int(value)


def _new_due(form: Mapping[str, Any]) -> datetime:
    value = _text(form, "new_due_at")
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed("请填写延至的日期（YYYY-MM-DD）", field="new_due_at") from exc
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_TZ)


def command_of(action: Action, form: Mapping[str, Any], order_id_for_key: Callable[[str], int]) -> Command:
    """The command a posted action form asks for; ValidationFailed (Chinese) when a field is wrong.

    Only the fields the action's spec asks for are read (a stray field is ignored, as a
    browser may send one); the spec's own checks (`command_for`) then apply."""
    spec = ACTION_SPECS.get(action)
    if spec is None:
        raise ValidationFailed("不支持的操作", field="action")
    note = _text(form, "note")
    check_note(spec, note)  # before the other fields: say first what is wrong with the note
    asks = spec.asks
    given = ActionInput(
        note=note,
        target_unit_id=_target(form) if asks(ActionField.TARGET) else None,
        approve=_approve(form) if asks(ActionField.APPROVE) else None,
        new_due_at=_new_due(form) if asks(ActionField.NEW_DUE) else None,
        satisfaction=_satisfaction(form) if asks(ActionField.SATISFACTION) else None,
        reason=_cancel_reason(form) if asks(ActionField.CANCEL_REASON) else None,
        master_id=_master(form, order_id_for_key) if asks(ActionField.MASTER) else None,
    )
    return command_for(action, given)


def _satisfaction(form: Mapping[str, Any]) -> Satisfaction:
    try:
        return Satisfaction(_text(form, "satisfaction"))
    except ValueError as exc:
        raise ValidationFailed("请选择市民满意度", field="satisfaction") from exc


def _cancel_reason(form: Mapping[str, Any]) -> CancelReason:
    try:
        return CancelReason(_text(form, "reason"))
    except ValueError as exc:
        raise ValidationFailed("请选择撤销原因", field="reason") from exc


def _master(form: Mapping[str, Any], order_id_for_key: Callable[[str], int]) -> int:
    key = _text(form, "master")
    if not key:
        raise ValidationFailed("请填写主工单编号", field="master")
    return order_id_for_key(key)


def attachment_ids(form: Any) -> list[int]:
    """The attachments ticked on a reply form (a multi-valued field)."""
    values = form.getlist("attachment_ids") if hasattr(form, "getlist") else []
    return [int(v) for v in values if isinstance(v, str) and v.isdigit()]
