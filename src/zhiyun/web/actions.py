"""Each workflow action's form on the order page: its fields, and the command a posted form becomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

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
class ActionForm:
    """How the order page asks for one action: which fields, what the note is called."""

    action: Action
    note_label: str = "意见"
    note_required: bool = False
    target: bool = False  # a unit to dispatch to
    approve_labels: tuple[str, str] | None = None  # (yes, no)
    new_due: bool = False
    satisfaction: bool = False
    cancel_reason: bool = False
    master: bool = False
    attachments: bool = False
    primary: bool = False

    @property
    def label(self) -> str:
        return self.action.label


FORMS: dict[Action, ActionForm] = {
    Action.DISPATCH: ActionForm(Action.DISPATCH, target=True, primary=True),
    Action.SIGN: ActionForm(Action.SIGN, primary=True),
    Action.REPLY: ActionForm(
        Action.REPLY, note_label="办理结果", note_required=True, attachments=True, primary=True
    ),
    Action.REVIEW: ActionForm(Action.REVIEW, approve_labels=("通过", "退回返工"), primary=True),
    Action.CALLBACK: ActionForm(Action.CALLBACK, note_label="回访记录", satisfaction=True, primary=True),
    Action.RESOLVE_ON_INTAKE: ActionForm(Action.RESOLVE_ON_INTAKE, note_label="答复内容", note_required=True),
    Action.REDISPATCH: ActionForm(Action.REDISPATCH, target=True),
    Action.RETURN: ActionForm(Action.RETURN, note_label="退单理由", note_required=True),
    Action.REQUEST_EXTENSION: ActionForm(
        Action.REQUEST_EXTENSION, note_label="延期理由", note_required=True, new_due=True
    ),
    Action.DECIDE_EXTENSION: ActionForm(Action.DECIDE_EXTENSION, approve_labels=("同意", "不同意")),
    Action.REQUEST_SUSPENSION: ActionForm(
        Action.REQUEST_SUSPENSION, note_label="挂起理由", note_required=True
    ),
    Action.DECIDE_SUSPENSION: ActionForm(Action.DECIDE_SUSPENSION, approve_labels=("同意", "不同意")),
    Action.RESUME: ActionForm(Action.RESUME),
    Action.CLOSE: ActionForm(Action.CLOSE),
    Action.CANCEL: ActionForm(Action.CANCEL, note_label="撤销说明", note_required=True, cancel_reason=True),
    Action.MERGE: ActionForm(Action.MERGE, master=True),
    Action.SUPERVISE: ActionForm(Action.SUPERVISE, note_label="督办意见", note_required=True),
    Action.URGE: ActionForm(Action.URGE, note_label="催办意见"),
    Action.INSTRUCT: ActionForm(Action.INSTRUCT, note_label="批示内容", note_required=True),
}
SATISFACTIONS = [(s.value, s.label) for s in Satisfaction]
CANCEL_REASONS = [(r.value, r.label) for r in CancelReason]


def forms_for(allowed: list[str]) -> list[ActionForm]:
    """The forms of the actions the user may take now, primary ones first."""
    out = [FORMS[Action(a)] for a in allowed if a != Action.REGISTER.value and Action(a) in FORMS]
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
    """The command a posted action form asks for; ValidationFailed (Chinese) when a field is wrong."""
    spec = FORMS.get(action)
    if spec is None:
        raise ValidationFailed("不支持的操作", field="action")
    note = _text(form, "note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"{spec.note_label}不能超过{NOTE_MAX}字", field="note")
    if spec.note_required and not note:
        raise ValidationFailed(f"请填写{spec.note_label}", field="note")
    builders: dict[Action, Callable[[], Command]] = {
        Action.RESOLVE_ON_INTAKE: lambda: ResolveOnIntake(note=note),
        Action.DISPATCH: lambda: Dispatch(note=note, target_unit_id=_target(form)),
        Action.REDISPATCH: lambda: Redispatch(note=note, target_unit_id=_target(form)),
        Action.SIGN: lambda: Sign(note=note),
        Action.RETURN: lambda: Return(note=note),
        Action.REQUEST_EXTENSION: lambda: RequestExtension(note=note, new_due_at=_new_due(form)),
        Action.DECIDE_EXTENSION: lambda: DecideExtension(note=note, approve=_approve(form)),
        Action.REQUEST_SUSPENSION: lambda: RequestSuspension(note=note),
        Action.DECIDE_SUSPENSION: lambda: DecideSuspension(note=note, approve=_approve(form)),
        Action.RESUME: lambda: Resume(note=note),
        Action.REPLY: lambda: Reply(note=note),
        Action.REVIEW: lambda: Review(note=note, approve=_approve(form)),
        Action.CALLBACK: lambda: Callback(note=note, satisfaction=_satisfaction(form)),
        Action.CLOSE: lambda: Close(note=note),
        Action.CANCEL: lambda: Cancel(note=note, reason=_cancel_reason(form)),
        Action.MERGE: lambda: Merge(note=note, master_id=_master(form, order_id_for_key)),
        Action.SUPERVISE: lambda: Supervise(note=note),
        Action.URGE: lambda: Urge(note=note),
        Action.INSTRUCT: lambda: Instruct(note=note),
    }
    return builders[action]()


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
