"""A visit submitted from a grid worker's phone: its form, and what it did to its task.

A phone may be offline for hours; what it queued is sent later, possibly twice. The rules:

- **Its own id.** Every submission carries an id the phone made (`submission_id`, 8–64 letters,
  digits, `-` or `_`: a UUID). The server keeps the first and answers a retry with the same
  receipt, so a retry never makes two visits.
- **Its time is the phone's**, when the answers were given, not when they arrived: no more
  than `FUTURE_TOLERANCE` ahead of the server's clock (a phone's clock drifts) and no more than
  `MAX_OFFLINE_DAYS` old.
- **What it is about.** A task, an object without a task (an extra visit), or a free report of
  something seen (随手报): at least one of them. Answers need an object or a task; a re-check
  (复查) names a hazard found before.
- **Photos are the phone's** until they arrive: answers, reports and re-checks name them by the
  phone's ids; every id named must come with the submission, and every photo sent must be named.
- **Conflicts are kept, not lost** (`VisitConflict`): the task was done meanwhile by someone
  else, or the object changed since the phone fetched it, or it was removed. The visit is
  stored all the same, with the conflict, and the phone shows it.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from zhiyun.domain.errors import ValidationFailed

__all__ = [
    "FUTURE_TOLERANCE",
    "MAX_OFFLINE_DAYS",
    "NOTE_MAX",
    "PHOTOS_PER_VISIT",
    "REPORT_MAX",
    "ConflictKind",
    "FreeReport",
    "ItemAnswers",
    "Recheck",
    "VisitConflict",
    "VisitSubmission",
    "check_submission",
    "is_client_id",
]

FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_OFFLINE_DAYS = 31
NOTE_MAX = 500
REPORT_MAX = 2000
PHOTOS_PER_VISIT = 40
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def is_client_id(value: str) -> bool:
    """A photo id the phone made: 1–64 letters, digits, `-` or `_`."""
    return bool(_CLIENT_ID.match(value))


@dataclass(frozen=True)
class ItemAnswers:
    """The answers to one item's checklist at the version the phone showed, keyed by question
    id; each a mapping {"value": …, "photos": [photo ids]}."""

    code: str
    version: int
    answers: Mapping[str, object]

    def photo_ids(self) -> list[str]:
        ids: list[str] = []
        for answer in self.answers.values():
            if isinstance(answer, Mapping):
                photos = answer.get("photos") or []
                if isinstance(photos, list | tuple):
                    ids += [str(p) for p in photos]
        return ids


@dataclass(frozen=True)
class FreeReport:
    """Something the worker saw and reports (随手报): what, where, photos."""

    description: str
    address: str = ""
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recheck:
    """A re-check (复查) of a hazard found before: fixed or not, a note, photos."""

    hazard_id: int
    fixed: bool
    note: str = ""
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitSubmission:
    """One visit as the phone sends it (see the module's note)."""

    submission_id: str
    visited_at: datetime
    task_id: int | None = None
    object_id: int | None = None
    lat: float | None = None  # WGS-84
    lon: float | None = None
    accuracy_m: float | None = None
    object_seen_at: datetime | None = None
    answers: tuple[ItemAnswers, ...] = ()
    report: FreeReport | None = None
    rechecks: tuple[Recheck, ...] = ()
    note: str = ""

    def photo_ids(self) -> list[str]:
        ids = [p for a in self.answers for p in a.photo_ids()]
        if self.report is not None:
            ids += list(self.report.photos)
        ids += [p for r in self.rechecks for p in r.photos]
        return ids


class ConflictKind(StrEnum):
    TASK_DONE = "task_done"
    OBJECT_CHANGED = "object_changed"
    OBJECT_REMOVED = "object_removed"


@dataclass(frozen=True)
class VisitConflict:
    """What changed between the phone's copy and the server, kept with the visit."""

    kind: ConflictKind
    message: str
    details: Mapping[str, object] = field(default_factory=dict)


def check_submission(sub: VisitSubmission, photo_ids: Iterable[str], now: datetime) -> VisitSubmission:
    """The submission if its form is right (see the module's note), else ValidationFailed naming
    every problem. `photo_ids` are the ids of the photos that came with it."""
    problems: list[str] = []
    if not _SUBMISSION_ID.match(sub.submission_id or ""):
        problems.append("提交编号应为 8–64 位字母、数字、- 或 _")
    if sub.visited_at.tzinfo is None:
        problems.append("巡查时间须带时区")
    else:
        if sub.visited_at > now + FUTURE_TOLERANCE:
            problems.append("巡查时间晚于服务器时间，请校准手机时间")
        if sub.visited_at < now - timedelta(days=MAX_OFFLINE_DAYS):
            problems.append(f"巡查时间早于 {MAX_OFFLINE_DAYS} 天前，不能再同步")
    if sub.task_id is None and sub.object_id is None and sub.report is None and not sub.rechecks:
        problems.append("须指明巡查任务、对象，或填写随手报")
    if sub.answers and sub.task_id is None and sub.object_id is None:
        problems.append("检查结果须对应巡查任务或对象")
    codes = [a.code for a in sub.answers]
    if len(set(codes)) != len(codes):
        problems.append("同一事项的检查结果只能提交一次")
    if (sub.lat is None) != (sub.lon is None):
        problems.append("位置须同时有纬度和经度")
    if sub.accuracy_m is not None and not 0 <= sub.accuracy_m <= 100_000:
        problems.append("定位精度不合理")
    if len(sub.note) > NOTE_MAX:
        problems.append(f"备注不能超过 {NOTE_MAX} 个字")
    if sub.report is not None:
        if not sub.report.description.strip():
            problems.append("随手报须描述所见问题")
        if len(sub.report.description) > REPORT_MAX:
            problems.append(f"随手报描述不能超过 {REPORT_MAX} 个字")
    hazard_ids = [r.hazard_id for r in sub.rechecks]
    if len(set(hazard_ids)) != len(hazard_ids):
        problems.append("同一隐患只能复查一次")
    problems += _photo_problems(sub.photo_ids(), list(photo_ids))
    if problems:
        raise ValidationFailed("巡查记录有误：" + "；".join(problems), problems=problems)
    return sub


def _photo_problems(named: Sequence[str], sent: Sequence[str]) -> list[str]:
    problems: list[str] = []
    if len(sent) > PHOTOS_PER_VISIT:
        problems.append(f"一次巡查最多 {PHOTOS_PER_VISIT} 张照片")
    if len(set(sent)) != len(sent):
        problems.append("照片编号重复")
    bad = [p for p in [*named, *sent] if not is_client_id(p)]
    if bad:
        problems.append("照片编号应为 1–64 位字母、数字、- 或 _")
    missing = sorted(set(named) - set(sent))
    if missing:
        problems.append(f"缺少照片 {'、'.join(missing[:5])}")
    unnamed = sorted(set(sent) - set(named))
    if unnamed:
        problems.append(f"照片 {'、'.join(unnamed[:5])} 没有对应的检查项")
    return problems
