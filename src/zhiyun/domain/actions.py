"""Each action on an order, described once: what it asks for and the command it becomes.

The REST API's bodies (`orders/api/bodies.py`), the console's forms (`orders/pages/actions.py`), the order
page's template and the action table of docs/workflow.md are all derived from
`ACTION_SPECS`; a new action is one entry here (plus its command, rules and handler in `workorder/`).

A face parses what a person or a program sent into an `ActionInput` (its own way: JSON, a
posted form) and calls `command_for`, which checks what every face must check the same way —
the note's length, a required note, the fields the action needs — and builds the typed
command that `workorder.apply` takes. Who may take the action and when is the life cycle's
rule (`workorder.apply`), not a face's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import (
    WHO_MAY,
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
"""The longest note (opinion, reply, reason) an action takes, in characters."""


class ActionField(StrEnum):
    """A value an action asks for besides its note."""

    TARGET = "target_unit_id"  # the unit to dispatch to
    APPROVE = "approve"  # yes or no
    NEW_DUE = "new_due_at"  # the deadline asked for
    SATISFACTION = "satisfaction"  # the citizen's verdict at callback
    CANCEL_REASON = "reason"  # why an order is cancelled
    MASTER = "master"  # the order this one duplicates
    ATTACHMENTS = "attachment_ids"  # files of the order cited by this step

    @property
    def label(self) -> str:
        return FIELD_LABELS[self]


FIELD_LABELS: Mapping[ActionField, str] = {
    ActionField.TARGET: "派往的单位",
    ActionField.APPROVE: "审批或审核结果",
    ActionField.NEW_DUE: "延至的期限",
    ActionField.SATISFACTION: "市民满意度",
    ActionField.CANCEL_REASON: "撤销原因",
    ActionField.MASTER: "主工单",
    ActionField.ATTACHMENTS: "附件",
}


@dataclass(frozen=True)
class ActionInput:
    """What a face parsed from a request, before it becomes a command. Unused fields stay None."""

    note: str = ""
    target_unit_id: int | None = None
    approve: bool | None = None
    new_due_at: datetime | None = None
    satisfaction: Satisfaction | None = None
    reason: CancelReason | None = None
    master_id: int | None = None


V = TypeVar("V")


def _required(value: V | None, field: ActionField) -> V:
    if value is None:
        raise ValidationFailed(f"请选择或填写{field.label}", field=field.value)
    return value


@dataclass(frozen=True)
class ActionSpec:
    """One action: its summary, its note, the fields it asks for and how they become a command."""

    action: Action
    summary: str  # one line: what the action does, as the API docs and the docs table say it
    build: Callable[[ActionInput], Command]
    note_label: str = "意见"
    note_required: bool = False
    fields: tuple[ActionField, ...] = ()
    approve_labels: tuple[str, str] | None = None  # (yes, no) for an APPROVE field
    primary: bool = False  # the next step of the usual path: shown first on the order page

    @property
    def label(self) -> str:
        return self.action.label

    def asks(self, field: ActionField) -> bool:
        return field in self.fields

    @property
    def who(self) -> str:
        """Who may take the action (the life cycle's rule, `workorder.WHO_MAY`), as the docs say it."""
        return WHO_MAY[self.action].who


def _spec(
    action: Action,
    summary: str,
    build: Callable[[ActionInput], Command],
    *,
    note: str = "意见",
    note_required: bool = False,
    fields: tuple[ActionField, ...] = (),
    approve: tuple[str, str] | None = None,
    primary: bool = False,
) -> ActionSpec:
    if approve is not None:
        fields = (*fields, ActionField.APPROVE)
    return ActionSpec(action, summary, build, note, note_required, fields, approve, primary)


_TARGET, _APPROVE = ActionField.TARGET, ActionField.APPROVE

ACTION_SPECS: Mapping[Action, ActionSpec] = {
    spec.action: spec
    for spec in (
        _spec(
            Action.DISPATCH,
            "派单：派往本中心的下级单位或部门。",
            lambda i: Dispatch(note=i.note, target_unit_id=_required(i.target_unit_id, _TARGET)),
            fields=(_TARGET,),
            primary=True,
        ),
        _spec(Action.SIGN, "签收。", lambda i: Sign(note=i.note), primary=True),
        _spec(
            Action.REPLY,
            "办结反馈：填写办理结果，可附现场照片等附件。",
            lambda i: Reply(note=i.note),
            note="办理结果",
            note_required=True,
            fields=(ActionField.ATTACHMENTS,),
            primary=True,
        ),
        _spec(
            Action.REVIEW,
            "审核：通过进入回访，不通过退回返工（须说明意见）。",
            lambda i: Review(note=i.note, approve=_required(i.approve, _APPROVE)),
            approve=("通过", "退回返工"),
            primary=True,
        ),
        _spec(
            Action.CALLBACK,
            "回访：记录市民满意度。",
            lambda i: Callback(note=i.note, satisfaction=_required(i.satisfaction, ActionField.SATISFACTION)),
            note="回访记录",
            fields=(ActionField.SATISFACTION,),
            primary=True,
        ),
        _spec(
            Action.RESOLVE_ON_INTAKE,
            "即时办结：咨询当场答复，直接进入回访。",
            lambda i: ResolveOnIntake(note=i.note),
            note="答复内容",
            note_required=True,
        ),
        _spec(
            Action.REDISPATCH,
            "改派：上级中心把工单改派给另一下级单位。",
            lambda i: Redispatch(note=i.note, target_unit_id=_required(i.target_unit_id, _TARGET)),
            fields=(_TARGET,),
        ),
        _spec(
            Action.RETURN,
            "退单：退回派单的中心，须说明理由；在受理中心待分拨时为上报：交上级中心分拨。",
            lambda i: Return(note=i.note),
            note="退单理由",
            note_required=True,
        ),
        _spec(
            Action.REQUEST_EXTENSION,
            "申请延期：说明理由和延至的期限，由派单中心审批。",
            lambda i: RequestExtension(note=i.note, new_due_at=_required(i.new_due_at, ActionField.NEW_DUE)),
            note="延期理由",
            note_required=True,
            fields=(ActionField.NEW_DUE,),
        ),
        _spec(
            Action.DECIDE_EXTENSION,
            "审批延期：同意或不同意（不同意须说明理由）。",
            lambda i: DecideExtension(note=i.note, approve=_required(i.approve, _APPROVE)),
            approve=("同意", "不同意"),
        ),
        _spec(
            Action.REQUEST_SUSPENSION,
            "申请挂起：暂停计时，由派单中心审批。",
            lambda i: RequestSuspension(note=i.note),
            note="挂起理由",
            note_required=True,
        ),
        _spec(
            Action.DECIDE_SUSPENSION,
            "审批挂起。",
            lambda i: DecideSuspension(note=i.note, approve=_required(i.approve, _APPROVE)),
            approve=("同意", "不同意"),
        ),
        _spec(Action.RESUME, "恢复办理：挂起结束，期限顺延。", lambda i: Resume(note=i.note)),
        _spec(Action.CLOSE, "归档。", lambda i: Close(note=i.note)),
        _spec(
            Action.CANCEL,
            "撤销：无效诉求、骚扰来电或非受理范围，须说明。",
            lambda i: Cancel(note=i.note, reason=_required(i.reason, ActionField.CANCEL_REASON)),
            note="撤销说明",
            note_required=True,
            fields=(ActionField.CANCEL_REASON,),
        ),
        _spec(
            Action.MERGE,
            "合并：作为另一工单（主工单）的重复件，随主工单办结。",
            lambda i: Merge(note=i.note, master_id=_required(i.master_id, ActionField.MASTER)),
            fields=(ActionField.MASTER,),
        ),
        _spec(
            Action.SUPERVISE,
            "督办。",
            lambda i: Supervise(note=i.note),
            note="督办意见",
            note_required=True,
        ),
        _spec(Action.URGE, "催办。", lambda i: Urge(note=i.note), note="催办意见"),
        _spec(
            Action.INSTRUCT,
            "批示：领导对工单的批示内容。",
            lambda i: Instruct(note=i.note),
            note="批示内容",
            note_required=True,
        ),
    )
}
"""Every action a person takes on an existing order (registration has its own use case),
primary ones first, the rest in the order the order page lists them."""


def command_for(action: Action, given: ActionInput) -> Command:
    """The command `given` asks for; ValidationFailed (Chinese, naming the field) when it cannot be."""
    spec = ACTION_SPECS.get(action)
    if spec is None:
        raise ValidationFailed("不支持的操作", field="action")
    check_note(spec, given.note)
    return spec.build(given)


def check_note(spec: ActionSpec, note: str) -> None:
    """The note's own rules: at most NOTE_MAX characters, and not blank when the action needs one."""
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"{spec.note_label}不能超过{NOTE_MAX}字", field="note")
    if spec.note_required and not note.strip():
        raise ValidationFailed(f"请填写{spec.note_label}", field="note")


__all__ = [
    "ACTION_SPECS",
    "FIELD_LABELS",
    "NOTE_MAX",
    "ActionField",
    "ActionInput",
    "ActionSpec",
    "check_note",
    "command_for",
]
