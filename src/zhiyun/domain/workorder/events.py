"""The system events: changes to an order that no life-cycle command makes (`record_event` takes them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from zhiyun.domain.workorder.choices import SystemEvent
from zhiyun.domain.workorder.state import AlertLevel


@dataclass(frozen=True)
class Event:
    """Base of the system events: changes to an order that no life-cycle command makes."""

    @property
    def kind(self) -> SystemEvent:  # pragma: no cover - every event names its kind
        raise NotImplementedError


@dataclass(frozen=True)
class ChannelUpdate(Event):
    """A channel sent a message about an order it already has (诉求更新): recorded, never dropped.

    `changes`: the fields whose new text differs (title, content, address), as sent;
    `first_message`: the channel's first message for an order registered another way
    (by hand, by an import) rather than a repeat with changed content.
    """

    changes: Mapping[str, Any] = field(default_factory=dict)
    first_message: bool = False

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.UPDATE


@dataclass(frozen=True)
class Attach(Event):
    """A file (photo, recording, document) added to the order."""

    filename: str
    sha256: str
    size: int
    content_type: str

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.ATTACH


@dataclass(frozen=True)
class FlagDuplicate(Event):
    """Duplicate detection found candidates between its thresholds: a dispatcher decides.

    `candidates`: one description per candidate, best first (number, score, …; a number is
    None where the candidate has none to show).
    """

    candidates: tuple[Mapping[str, Any], ...] = ()

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.FLAG_DUPLICATE


@dataclass(frozen=True)
class DismissDuplicate(Event):
    """A dispatcher found the flagged order not to be a duplicate (排除重复)."""

    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.DISMISS_DUPLICATE


@dataclass(frozen=True)
class RepeatCall(Event):
    """The citizen called again about this open order (重复来电): recorded on it, as an urge,
    instead of registering a new order. `note`: what the agent wrote down from the call."""

    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.REPEAT_CALL


@dataclass(frozen=True)
class Recategorize(Event):
    """The order's category corrected (修改分类); `path` is the new category's names, for the note."""

    category_code: str
    path: str = ""
    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.RECATEGORIZE


@dataclass(frozen=True)
class SetRectification(Event):
    """The rectification deadline (整改期限) of a grid order's hazards set or moved by its
    village or a center above it (the hazards themselves are the grid capability's records)."""

    rectify_by: date
    previous: date | None = None
    note: str = ""

    @property
    def kind(self) -> SystemEvent:
        return SystemEvent.SET_RECTIFICATION


class DeadlineKind(StrEnum):
    """The two deadlines of an order: to sign for it (签收) and to reply (办理)."""

    SIGN = "sign"
    REPLY = "reply"

    @property
    def label(self) -> str:
        return {"sign": "签收", "reply": "办理"}[self.value]


@dataclass(frozen=True)
class DeadlineAlert(Event):
    """The deadline sweep announces that a deadline is near (warning) or past (overdue)."""

    deadline: DeadlineKind
    level: AlertLevel

    @property
    def kind(self) -> SystemEvent:
        return (
            SystemEvent.DEADLINE_OVERDUE if self.level is AlertLevel.OVERDUE else SystemEvent.DEADLINE_WARNING
        )
