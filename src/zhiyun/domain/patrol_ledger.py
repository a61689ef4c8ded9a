"""Electronic ledgers (电子台账) and patrol figures in words the rules need.

Every answer of every visit is kept per object and item (`patrol_answer`); a **ledger** is
those answers over a period (from a day to a day, both inclusive), scoped to one grid, one
village, one item or one object, laid out the way an inspection reads a paper ledger: per
item a section (an XLSX sheet), in it per object each visit's check — the date, the grid
worker, every question's answer as text, the hazards found with their level, whether they were
fixed (整改情况) and how many photos were taken. This module holds the layout and its rules:

- `LedgerRequest`: what a reader asks (`parse`: exactly one of village, grid, item, object;
  at most `LEDGER_DAYS_MAX` days);
- `question_columns`: an item's question columns over every version answered in the period
  (the newest version's order and wording, then questions only older versions asked);
- `ledger_title`, `period_label`, `sheet_title`: the words on the cover and the tabs;
- `sheet_header`, `sheet_rows`, `hazard_cell`, `fix_cell`: the rows an inspector prints;
- `ledger_totals`: objects, visits, items checked, hazards found, fixed and open.

Whether a hazard was fixed (`HazardFix`) is not the ledger's to decide: it comes from the
hazard's life after the visit (the work order it became and the next visit's re-check). Until
that is known a hazard is *not yet re-checked* (待复查), and counts as open.

The **figures** (`tally`, `hazard_tally`) count a month's visit tasks per group (grid, worker,
village, all) by status (`domain.patrol_plan.task_status`) and give patrol coverage exactly as
`domain.patrol_plan.coverage` defines it: objects visited on time ÷ objects due so far.

Who reads them (`may_read_patrol_ledger`): grid workers (their grids; a grid chief the whole
village), the staff of villages and towns (handlers, dispatchers: their villages), and the
district-wide readers (admins, leaders, inspectors, the system). What each sees is
`domain.grid.visible_grid_ids`.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import astuple, dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import GridCode
from zhiyun.domain.grid_hazards import HazardStatus, is_overdue
from zhiyun.domain.grid_items import GridItem, HazardLevel, Period, normalize_code
from zhiyun.domain.patrol_plan import PatrolTask, TaskStatus, task_status
from zhiyun.domain.principals import Actor, Role

__all__ = [
    "AFTER_ANSWERS",
    "BEFORE_ANSWERS",
    "LEDGER_DAYS_MAX",
    "LEDGER_READERS",
    "HazardFix",
    "HazardTally",
    "Ledger",
    "LedgerAnswer",
    "LedgerCheck",
    "LedgerColumn",
    "LedgerLine",
    "LedgerObject",
    "LedgerRequest",
    "LedgerSection",
    "LedgerTotals",
    "ScopeKind",
    "TaskTally",
    "figures_month",
    "fix_cell",
    "hazard_cell",
    "hazard_fix",
    "hazard_tally",
    "ledger_title",
    "ledger_totals",
    "may_read_patrol_ledger",
    "needs_attention",
    "period_label",
    "question_columns",
    "sheet_header",
    "sheet_rows",
    "sheet_title",
    "tally",
]

LEDGER_DAYS_MAX = 366  # a ledger covers at most a year
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the days a ledger or a month of figures may be about
SCOPE_VALUE_MAX = 64
SHEET_TITLE_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# The columns an inspector's ledger has before and after the questions of the item.
BEFORE_ANSWERS = ("序号", "对象名称", "地址", "网格", "巡查日期", "网格员")
AFTER_ANSWERS = ("隐患", "整改情况", "照片数")

# Who may read ledgers and patrol figures (each sees the grids `visible_grid_ids` gives them).
LEDGER_READERS = frozenset(
    {Role.GRID_WORKER, Role.HANDLER, Role.DISPATCHER, Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.SYSTEM}
)


def may_read_patrol_ledger(actor: Actor) -> bool:
    """Whether `actor` may read patrol ledgers and figures at all (what of them: their grids)."""
    return actor.role in LEDGER_READERS


# --------------------------------------------------------------------------- the request


class ScopeKind(StrEnum):
    """What a ledger is about."""

    VILLAGE = "village"
    GRID = "grid"
    ITEM = "item"
    OBJECT = "object"

    @property
    def label(self) -> str:
        return {"village": "村居", "grid": "网格", "item": "入格事项", "object": "管理对象"}[self.value]


@dataclass(frozen=True)
class LedgerRequest:
    """A ledger asked for: its scope (a village by unit code, a grid by 15-digit code, an item
    by code, an object by id) and its days, `start` to `end` inclusive."""

    kind: ScopeKind
    value: str
    start: date
    end: date

    @classmethod
    def parse(
        cls,
        *,
        village: str | None = None,
        grid: str | None = None,
        item: str | None = None,
        object_id: str | int | None = None,
        start: date | None,
        end: date | None,
    ) -> LedgerRequest:
        """The request from a form, an API query or the command line: exactly one scope."""
        given = [
            (kind, str(value).strip())
            for kind, value in (
                (ScopeKind.VILLAGE, village),
                (ScopeKind.GRID, grid),
                (ScopeKind.ITEM, item),
                (ScopeKind.OBJECT, object_id),
            )
            if value is not None and str(value).strip()
        ]
        if len(given) != 1:
            raise ValidationFailed("请指定村居、网格、事项或对象中的一项（只能一项）", field="scope")
        if start is None or end is None:
            raise ValidationFailed("请指定起止日期", field="from" if start is None else "to")
        kind, value = given[0]
        return cls(kind, value, start, end).validated()

    def validated(self) -> LedgerRequest:
        for day, name in ((self.start, "from"), (self.end, "to")):
            if not FIRST_YEAR <= day.year <= LAST_YEAR:
                raise ValidationFailed(f"日期应在 {FIRST_YEAR}—{LAST_YEAR} 年之间", field=name)
        if self.end < self.start:
            raise ValidationFailed("结束日期不能早于开始日期", field="to")
        if (self.end - self.start).days + 1 > LEDGER_DAYS_MAX:
            raise ValidationFailed(f"台账时间段最长 {LEDGER_DAYS_MAX} 天", field="to")
        value = self.value.strip()
        if not value or len(value) > SCOPE_VALUE_MAX:
            raise ValidationFailed(
                f"{self.kind.label}不能为空，且不超过 {SCOPE_VALUE_MAX} 个字符", field=self.kind.value
            )
        if self.kind is ScopeKind.GRID:
            value = GridCode.parse(value).value
        elif self.kind is ScopeKind.ITEM:
            value = normalize_code(value)
        elif self.kind is ScopeKind.OBJECT and (not value.isdigit() or not 0 < int(value) < 2**31):
            raise ValidationFailed(f"对象编号应为正整数（收到「{value[:20]}」）", field="object")
        return LedgerRequest(self.kind, value, self.start, self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def figures_month(value: str) -> Period:
    """The month of a figures page or request: "2026-12", within the years a ledger may cover."""
    text = (value or "").strip()
    year = text[:4]
    if not (year.isdigit() and FIRST_YEAR <= int(year) <= LAST_YEAR):
        raise ValidationFailed(f"月份格式应为 YYYY-MM，年份在 {FIRST_YEAR}—{LAST_YEAR} 之间", field="month")
    return Period.parse_month(text)


# --------------------------------------------------------------------------- what a ledger holds


class HazardFix(StrEnum):
    """Whether a hazard found at a visit was fixed (整改情况)."""

    UNCHECKED = "unchecked"  # found, not yet re-checked: no re-check or order says otherwise
    OPEN = "open"  # re-checked (or its order still open past its deadline): not fixed
    FIXED = "fixed"  # fixed: re-checked as fixed, or its order closed as solved

    @property
    def label(self) -> str:
        return {"unchecked": "待复查", "open": "未整改", "fixed": "已整改"}[self.value]


def hazard_fix(status: HazardStatus, rectify_by: date | None, today: date) -> HazardFix:
    """Whether a hazard was fixed, from where its record stands (`domain.grid_hazards`): fixed
    (已整改) → FIXED; re-checked and not fixed (复查未整改), or open past its rectification
    deadline → OPEN; open and in time → UNCHECKED (待复查). A superseded hazard (转新工单) stands
    where the hazard that follows it stands (the caller follows the chain)."""
    if status is HazardStatus.FIXED:
        return HazardFix.FIXED
    if status is HazardStatus.UNFIXED or is_overdue(status, rectify_by, today):
        return HazardFix.OPEN
    if status is HazardStatus.SUPERSEDED:  # its follower not found: the hazard was not fixed
        return HazardFix.OPEN
    return HazardFix.UNCHECKED


@dataclass(frozen=True)
class LedgerAnswer:
    """One answer of a check: the question, the answer as a person reads it, the hazard it
    shows (None: none) and, for a hazard, whether it was fixed."""

    question_id: str
    question: str
    text: str
    hazard_level: HazardLevel | None = None
    fix: HazardFix | None = None
    photos: int = 0


@dataclass(frozen=True)
class LedgerCheck:
    """One visit's check of one item at one object."""

    visit_id: int
    day: date
    worker: str
    item_version: int
    answers: tuple[LedgerAnswer, ...]

    @property
    def hazards(self) -> tuple[LedgerAnswer, ...]:
        return tuple(a for a in self.answers if a.hazard_level is not None)

    @property
    def photos(self) -> int:
        return sum(a.photos for a in self.answers)

    def answer(self, question_id: str) -> LedgerAnswer | None:
        return next((a for a in self.answers if a.question_id == question_id), None)


@dataclass(frozen=True)
class LedgerObject:
    id: int
    name: str
    address: str
    kind_label: str
    grid_code: str
    village_name: str


@dataclass(frozen=True)
class LedgerLine:
    """An object's checks of one item in the period, oldest first."""

    object: LedgerObject
    checks: tuple[LedgerCheck, ...]


@dataclass(frozen=True)
class LedgerColumn:
    """A question column of an item's sheet."""

    question_id: str
    text: str


@dataclass(frozen=True)
class LedgerSection:
    """One item's part of a ledger (a sheet): its question columns and its objects' lines."""

    item_code: str
    item_name: str
    department: str
    columns: tuple[LedgerColumn, ...]
    lines: tuple[LedgerLine, ...]

    @property
    def checks(self) -> int:
        return sum(len(line.checks) for line in self.lines)


@dataclass(frozen=True)
class LedgerTotals:
    objects: int = 0  # objects with a check in the period
    visits: int = 0  # visits that checked something there
    items_checked: int = 0  # checks: (visit, item) pairs
    hazards_found: int = 0
    hazards_fixed: int = 0

    @property
    def hazards_open(self) -> int:
        """Found and not (yet known to be) fixed: open, and not yet re-checked."""
        return self.hazards_found - self.hazards_fixed


@dataclass(frozen=True)
class Ledger:
    """A ledger as read: its title, scope, days, who made it when, its sections and totals."""

    title: str
    scope: ScopeKind
    scope_value: str
    scope_name: str
    start: date
    end: date
    generated_at: datetime
    generated_by: str
    sections: tuple[LedgerSection, ...]
    totals: LedgerTotals = field(default_factory=LedgerTotals)

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.end)


# --------------------------------------------------------------------------- the rules


def question_columns(versions: Sequence[GridItem]) -> tuple[LedgerColumn, ...]:
    """An item's question columns over the versions answered (oldest first): the newest
    version's questions in its order and words, then the questions only older versions asked
    (newest first), so that no answer of the period lacks its column."""
    columns: list[LedgerColumn] = []
    seen: set[str] = set()
    for item in reversed(versions):
        for q in item.questions:
            if q.id not in seen:
                seen.add(q.id)
                columns.append(LedgerColumn(q.id, q.text))
    return tuple(columns)


def _whole_months(start: date, end: date) -> bool:
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def period_label(start: date, end: date) -> str:
    """2026年12月; 2026年10月—12月; 2026年12月1日—15日; 2026年12月28日—2027年1月3日."""
    if _whole_months(start, end):
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.year}年{start.month}月"
        if start.year == end.year:
            return f"{start.year}年{start.month}月—{end.month}月"
        return f"{start.year}年{start.month}月—{end.year}年{end.month}月"
    first = f"{start.year}年{start.month}月{start.day}日"
    if start == end:
        return first
    if start.year != end.year:
        return f"{first}—{end.year}年{end.month}月{end.day}日"
    if start.month != end.month:
        return f"{first}—{end.month}月{end.day}日"
    return f"{first}—{end.day}日"


def ledger_title(scope_name: str, start: date, end: date) -> str:
    """夏北社区 网格巡查电子台账 2026年12月"""
    return f"{scope_name} 网格巡查电子台账 {period_label(start, end)}"


def sheet_title(code: str, name: str, taken: Iterable[str] = ()) -> str:
    """An item's sheet tab: "XF-001 消防安全检查", without the characters Excel refuses,
    at most 31 characters, different from those `taken` (case-insensitively, as Excel)."""
    base = _SHEET_FORBIDDEN.sub("", f"{code} {name}".strip()).strip("'") or code or "事项"
    base = base[:SHEET_TITLE_MAX]
    used = {t.casefold() for t in taken}
    title, n = base, 1
    while title.casefold() in used:
        n += 1
        suffix = f"({n})"
        title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
    return title


def sheet_header(section: LedgerSection) -> list[str]:
    """序号 对象名称 地址 网格 巡查日期 网格员 <each question> 隐患 整改情况 照片数"""
    return [*BEFORE_ANSWERS, *(c.text for c in section.columns), *AFTER_ANSWERS]


def hazard_cell(check: LedgerCheck) -> str:
    """The hazards of a check, one after another: "重大隐患：是否堵塞安全出口（是）"; "无" without."""
    found = check.hazards
    if not found:
        return "无"
    return "；".join(
        f"{a.hazard_level.label}：{a.question}（{a.text}）" for a in found if a.hazard_level is not None
    )


def fix_cell(check: LedgerCheck) -> str:
    """Whether the hazards of a check were fixed: "" without hazards; one label when they agree
    ("已整改"); else each label with its count ("已整改 1，待复查 1")."""
    fixes = [a.fix or HazardFix.UNCHECKED for a in check.hazards]
    if not fixes:
        return ""
    kinds = [f for f in HazardFix if f in fixes]
    if len(kinds) == 1:
        return kinds[0].label
    return "，".join(f"{f.label} {fixes.count(f)}" for f in kinds)


def sheet_rows(section: LedgerSection) -> list[list[object]]:
    """One row per check, numbered from 1, objects in the section's order and each object's
    checks oldest first; a question the check's version did not ask is left empty."""
    rows: list[list[object]] = []
    for line in section.lines:
        o = line.object
        for check in line.checks:
            answers = []
            for column in section.columns:
                found = check.answer(column.question_id)
                answers.append("" if found is None else found.text)
            rows.append(
                [
                    len(rows) + 1,
                    o.name,
                    o.address,
                    o.grid_code,
                    check.day,
                    check.worker,
                    *answers,
                    hazard_cell(check),
                    fix_cell(check),
                    check.photos,
                ]
            )
    return rows


def ledger_totals(sections: Iterable[LedgerSection]) -> LedgerTotals:
    objects: set[int] = set()
    visits: set[int] = set()
    checks = found = fixed = 0
    for section in sections:
        for line in section.lines:
            objects.add(line.object.id)
            for check in line.checks:
                visits.add(check.visit_id)
                checks += 1
                for answer in check.hazards:
                    found += 1
                    fixed += answer.fix is HazardFix.FIXED
    return LedgerTotals(len(objects), len(visits), checks, found, fixed)


# --------------------------------------------------------------------------- the figures

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class TaskTally:
    """A group's visit tasks by status, and its patrol coverage: objects visited on time ÷
    objects due so far (`domain.patrol_plan.coverage`). Tallies of groups with no object in
    common (grids) add up (`+`): a village's is the sum of its grids'."""

    tasks: int = 0
    pending: int = 0
    done_on_time: int = 0
    done_late: int = 0
    missed: int = 0
    objects_due: int = 0  # objects with a settled task (done, or missed)
    objects_on_time: int = 0  # of those, the objects all of whose settled tasks were on time

    @property
    def coverage(self) -> float | None:
        return self.objects_on_time / self.objects_due if self.objects_due else None

    def __add__(self, other: TaskTally) -> TaskTally:
        a, b = astuple(self), astuple(other)
        return TaskTally(*(a[i] + b[i] for i in range(7)))


class _Counting:
    __slots__ = ("counts", "due", "late")

    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0, 0]  # tasks, pending, on time, late, missed
        self.due: set[int] = set()
        self.late: set[int] = set()

    def add(self, object_id: int, status: TaskStatus) -> None:
        c = self.counts
        c[0] += 1
        if status is TaskStatus.PENDING:
            c[1] += 1
            return
        if status is TaskStatus.DONE_ON_TIME:
            c[2] += 1
        else:
            c[3 if status is TaskStatus.DONE_LATE else 4] += 1
            self.late.add(object_id)
        self.due.add(object_id)

    def result(self) -> TaskTally:
        tasks, pending, on_time, late, missed = self.counts
        due = len(self.due)
        return TaskTally(tasks, pending, on_time, late, missed, due, due - len(self.late))


def tally(
    tasks: Iterable[PatrolTask], today: date, *keys: Callable[[PatrolTask], Hashable | None]
) -> list[dict[Any, TaskTally]]:
    """Each task's status at `today` counted into the group every key function gives it (None:
    in no group of that key): one dict of tallies per key, in one pass. This is the figures'
    definition; the database counts the same in SQL (`grid.ledger_repo.task_counts`), and the
    tests hold the two equal."""
    counting: list[dict[Any, _Counting]] = [{} for _ in keys]
    for task in tasks:
        status = task_status(task, today)
        for key, groups in zip(keys, counting, strict=True):
            k = key(task)
            if k is None:
                continue
            entry = groups.get(k)
            if entry is None:
                entry = groups[k] = _Counting()
            entry.add(task.object_id, status)
    return [{k: c.result() for k, c in groups.items()} for groups in counting]


@dataclass
class HazardTally:
    """Hazards found in a group's visits, and those of them fixed."""

    found: int = 0
    fixed: int = 0

    @property
    def open(self) -> int:
        return self.found - self.fixed


def hazard_tally(hazards: Iterable[tuple[K, HazardFix]]) -> dict[K, HazardTally]:
    """Hazards (each with its group and whether fixed) counted per group."""
    result: dict[K, HazardTally] = {}
    for key, fix in hazards:
        entry = result.get(key)
        if entry is None:
            entry = result[key] = HazardTally()
        entry.found += 1
        entry.fixed += fix is HazardFix.FIXED
    return result


def needs_attention(task: PatrolTask, today: date) -> bool:
    """A task the grid chief and the village center are shown: missed (漏巡), done late
    (逾期完成), or still pending though it was due before the month began (上月遗留)."""
    status = task_status(task, today)
    return status in (TaskStatus.MISSED, TaskStatus.DONE_LATE) or (
        status is TaskStatus.PENDING and task.overdue
    )
