"""Grid items (入格事项): what a grid worker checks at a managed object, how often, and what
answer means a hazard.

- A **grid item** (`GridItem`) has a code ("XF-001"), a name, the department responsible
  for it (a unit's code or name: free text), the object kinds it applies to (`ObjectKind`),
  optionally only objects of at least some risk level (`min_risk`) or carrying some tags
  (`tags`: "餐饮", "独居老人" — what the object's attributes say), a frequency, the legal
  basis, and a checklist of questions.
- A **frequency** (`Frequency`) is weekly, monthly, quarterly, yearly (calendar cycles: ISO
  weeks from Monday, months, quarters, years) or every N days (counted from the last visit).
  Objects of higher risk may be checked more often (`risk_frequencies`: the override of the
  highest level at or below the object's risk applies; an override never lowers the
  frequency). An item may be due only in some months of the year (`season`, e.g. 3–4 for
  the checks before the rainy season).
- A **question** (`Question`) has an id stable within the item (a ledger compares the
  answers of one question across versions, so an id keeps its answer type for ever), a
  text, an answer type (yes/no, a number with a unit and optional bounds, single or multiple
  choice, text, photo), whether it must be answered, when a photo is required, and the
  answers that mean a hazard with its level (一般隐患 / 重大隐患).

What a planner asks: `due_in(item, kind, risk, period, visits)` — the visits due in a period
(one per cycle, never two), `next_due(...)` after the last visit; what a visit asks:
`validate_answers(item, answers)` and `hazards(item, answers)`. The file form of an item is
`item_from_json` / `item_to_json`. Versions are kept by the service: a visit records the
version it answered (`version_problems` says what a new version may not change).

Standard library only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel

__all__ = [
    "CODE_PATTERN",
    "Answer",
    "AnswerProblem",
    "AnswerType",
    "AnswerValue",
    "Due",
    "Frequency",
    "FrequencyUnit",
    "GridItem",
    "Hazard",
    "HazardLevel",
    "HazardRule",
    "Period",
    "PhotoRule",
    "Question",
    "Season",
    "answer_problems",
    "answer_text",
    "applies",
    "due_in",
    "frequency_for",
    "hazards",
    "item_from_json",
    "item_problems",
    "item_to_json",
    "next_due",
    "normalize_code",
    "rules_label",
    "validate_answers",
    "validate_item",
    "version_problems",
]

# -- limits ------------------------------------------------------------------------------------

CODE_MAX = 32
NAME_MAX = 60
DEPARTMENT_MAX = 60
LEGAL_BASIS_MAX = 1000
TAG_MAX = 20
TAGS_MAX = 10
QUESTIONS_MAX = 50
QUESTION_ID_MAX = 32
QUESTION_TEXT_MAX = 200
HELP_MAX = 300
UNIT_MAX = 10
OPTIONS_MIN, OPTIONS_MAX = 2, 20
OPTION_MAX = 40
TEXT_ANSWER_MAX = 2000
PHOTOS_MAX = 20
DAYS_MAX = 366
PERIOD_DAYS_MAX = 3 * 366 + 1  # what due_in looks over at once (a plan is for a month)

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,9}(?:-[A-Z0-9]{1,10}){0,3}$")
_QUESTION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def normalize_code(value: str) -> str:
    """An item code as stored: stripped, upper case (half-width letters and digits)."""
    return (value or "").strip().upper()


# -- choice sets ---------------------------------------------------------------------------------


class FrequencyUnit(StrEnum):
    """How a frequency counts: calendar cycles, or days since the last visit."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    EVERY_DAYS = "days"

    @property
    def label(self) -> str:
        return {
            "weekly": "每周",
            "monthly": "每月",
            "quarterly": "每季度",
            "yearly": "每年",
            "days": "每N天",
        }[self.value]

    @property
    def approx_days(self) -> float:
        """The cycle's mean length (to compare frequencies; EVERY_DAYS has its own)."""
        return {"weekly": 7.0, "monthly": 30.44, "quarterly": 91.31, "yearly": 365.25, "days": 0.0}[
            self.value
        ]


class AnswerType(StrEnum):
    """What kind of answer a question takes."""

    YES_NO = "yes_no"
    NUMBER = "number"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TEXT = "text"
    PHOTO = "photo"

    @property
    def label(self) -> str:
        return {
            "yes_no": "是/否",
            "number": "数值",
            "single_choice": "单选",
            "multiple_choice": "多选",
            "text": "文字",
            "photo": "拍照",
        }[self.value]

    @classmethod
    def parse(cls, value: str) -> AnswerType:
        text = (value or "").strip()
        aliases = {
            "是否": cls.YES_NO,
            "判断": cls.YES_NO,
            "数字": cls.NUMBER,
            "文本": cls.TEXT,
            "照片": cls.PHOTO,
        }
        for kind in cls:
            if text in (kind.value, kind.label):
                return kind
        if text in aliases:
            return aliases[text]
        names = "、".join(f"{k.label}（{k.value}）" for k in cls)
        raise ValidationFailed(f"答案类型「{text[:20]}」不存在；可用：{names}", field="type")


class HazardLevel(StrEnum):
    """How serious a hazard found at a visit is."""

    GENERAL = "general"  # 一般隐患
    MAJOR = "major"  # 重大隐患

    @property
    def label(self) -> str:
        return {"general": "一般隐患", "major": "重大隐患"}[self.value]

    @property
    def rank(self) -> int:
        return 0 if self is HazardLevel.GENERAL else 1

    @classmethod
    def parse(cls, value: str) -> HazardLevel:
        text = (value or "").strip()
        for level in cls:
            if text in (level.value, level.label, level.label[:2]):
                return level
        raise ValidationFailed(f"隐患等级「{text[:20]}」不存在；可用：一般隐患、重大隐患", field="level")


class PhotoRule(StrEnum):
    """When a question's answer needs a photo."""

    NONE = "none"
    ALWAYS = "always"
    ON_HAZARD = "hazard"

    @property
    def label(self) -> str:
        return {"none": "无需拍照", "always": "必须拍照", "hazard": "发现隐患时拍照"}[self.value]

    @classmethod
    def parse(cls, value: str) -> PhotoRule:
        text = (value or "").strip()
        aliases = {"": cls.NONE, "否": cls.NONE, "不需要": cls.NONE, "是": cls.ALWAYS, "必须": cls.ALWAYS}
        aliases |= {"隐患时": cls.ON_HAZARD, "有隐患时": cls.ON_HAZARD}
        for rule in cls:
            if text in (rule.value, rule.label):
                return rule
        if text in aliases:
            return aliases[text]
        raise ValidationFailed(
            f"拍照要求「{text[:20]}」不存在；可用：无需拍照、必须拍照、发现隐患时拍照", field="photo"
        )


# -- frequency, season, period ---------------------------------------------------------------------

_FREQUENCY_ALIASES = {
    "每季": FrequencyUnit.QUARTERLY,
    "每个月": FrequencyUnit.MONTHLY,
    "每星期": FrequencyUnit.WEEKLY,
}
_EVERY_DAYS = re.compile(r"^(?:every\s*(\d+)\s*days?|days:(\d+)|(\d+)\s*d|每\s*(\d+)\s*天)$", re.IGNORECASE)


@dataclass(frozen=True)
class Frequency:
    """How often an item is due: a calendar cycle, or every `days` days since the last visit."""

    unit: FrequencyUnit
    days: int | None = None  # EVERY_DAYS only

    @classmethod
    def every(cls, days: int) -> Frequency:
        return cls(FrequencyUnit.EVERY_DAYS, days)

    @classmethod
    def parse(cls, value: str) -> Frequency:
        """ "monthly", "每月", "every 14 days", "每14天", "14d" …; ValidationFailed otherwise."""
        text = (value or "").strip()
        for unit in FrequencyUnit:
            if unit is not FrequencyUnit.EVERY_DAYS and text.lower() in (unit.value, unit.label):
                return cls(unit)
        if text in _FREQUENCY_ALIASES:
            return cls(_FREQUENCY_ALIASES[text])
        match = _EVERY_DAYS.match(text)
        if match:
            days = int(next(g for g in match.groups() if g))
            if not 1 <= days <= DAYS_MAX:
                raise ValidationFailed(f"间隔天数应在 1–{DAYS_MAX} 之间（收到 {days}）", field="frequency")
            return cls.every(days)
        raise ValidationFailed(
            f"频次「{text[:20]}」无法识别；可用：每周、每月、每季度、每年、每N天（如 每14天）",
            field="frequency",
        )

    @property
    def approx_days(self) -> float:
        return float(self.days or 0) if self.unit is FrequencyUnit.EVERY_DAYS else self.unit.approx_days

    @property
    def label(self) -> str:
        return f"每{self.days}天" if self.unit is FrequencyUnit.EVERY_DAYS else self.unit.label

    def __str__(self) -> str:
        return f"every {self.days} days" if self.unit is FrequencyUnit.EVERY_DAYS else self.unit.value

    def problems(self) -> list[str]:
        if self.unit is FrequencyUnit.EVERY_DAYS:
            if self.days is None or not 1 <= self.days <= DAYS_MAX:
                return [f"间隔天数应在 1–{DAYS_MAX} 之间"]
        elif self.days is not None:
            return [f"频次「{self.unit.label}」不带天数"]
        return []


@dataclass(frozen=True)
class Season:
    """The months of the year an item is due in: `first`..`last` (1–12, first ≤ last)."""

    first: int
    last: int

    @classmethod
    def parse(cls, value: str) -> Season:
        """ "3-4", "3–4月", "3月-4月", "4月" …"""
        text = (value or "").strip().replace("月", "").replace("–", "-").replace("—", "-").replace("至", "-")
        parts = [p.strip() for p in text.split("-")]
        if not 1 <= len(parts) <= 2 or not all(p.isdigit() for p in parts):
            raise ValidationFailed(f"时段「{value[:20]}」无法识别；应如 3-4月", field="season")
        first, last = int(parts[0]), int(parts[-1])
        return cls(first, last)

    def problems(self) -> list[str]:
        if not (1 <= self.first <= 12 and 1 <= self.last <= 12):
            return ["时段的月份应在 1–12 之间"]
        if self.first > self.last:
            return ["时段的起始月份不能晚于结束月份（跨年的时段请分为两个事项）"]
        return []

    @property
    def label(self) -> str:
        return f"{self.first}月" if self.first == self.last else f"{self.first}–{self.last}月"

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"

    def holds(self, day: date) -> bool:
        return self.first <= day.month <= self.last

    def next_open(self, day: date) -> date:
        """The first day on or after `day` inside the season."""
        if self.holds(day):
            return day
        if day.month < self.first:
            return date(day.year, self.first, 1)
        return date(day.year + 1, self.first, 1)

    def run_end(self, day: date) -> date:
        """The first day after the season that holds `day` (exclusive end of its run)."""
        return date(day.year + 1, 1, 1) if self.last == 12 else date(day.year, self.last + 1, 1)


@dataclass(frozen=True)
class Period:
    """Days from `start` (inclusive) to `end` (exclusive): usually a month to plan."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationFailed("时间段的结束日期应晚于开始日期", field="period")
        if (self.end - self.start).days > PERIOD_DAYS_MAX:
            raise ValidationFailed(f"时间段最长 {PERIOD_DAYS_MAX} 天", field="period")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        return cls(start, date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1))

    @classmethod
    def parse_month(cls, value: str) -> Period:
        """ "2026-12" → December 2026."""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", (value or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValidationFailed(f"月份格式应为 YYYY-MM（收到「{(value or '')[:20]}」）", field="month")
        return cls.month(int(match.group(1)), int(match.group(2)))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end


@dataclass(frozen=True, order=True)
class Due:
    """One visit due: planned on a day in [start, end) (inside the period asked about), it
    satisfies its cycle [cycle_start, cycle_end); it is on time up to `deadline` (which may lie
    after the period). `overdue`: it was already due before the period began."""

    start: date
    end: date
    deadline: date
    cycle_start: date
    cycle_end: date
    overdue: bool = False


# -- the checklist ------------------------------------------------------------------------------------

AnswerValue = bool | int | float | str | tuple[str, ...] | None

_YES = ("yes", "是", "true", "有")
_NO = ("no", "否", "false", "无")


@dataclass(frozen=True)
class HazardRule:
    """The answers of one question that mean a hazard of `level`: yes/no and choice questions
    name them (`answers`: "yes"/"no", or options — for a multiple choice, any of them chosen);
    a number is a hazard below `below` or above `above`."""

    level: HazardLevel
    answers: tuple[str, ...] = ()
    below: float | None = None
    above: float | None = None

    @property
    def label(self) -> str:
        """The condition as a person reads it: 否 / <1 / >30 / 已堵塞、损坏."""
        parts: list[str] = []
        if self.answers:
            parts.append("、".join({"yes": "是", "no": "否"}.get(a, a) for a in self.answers))
        if self.below is not None:
            parts.append(f"<{_number_text(self.below)}")
        if self.above is not None:
            parts.append(f">{_number_text(self.above)}")
        return " 或 ".join(parts)

    def matches(self, value: AnswerValue) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return ("yes" if value else "no") in self.answers
        if isinstance(value, int | float):
            return (self.below is not None and value < self.below) or (
                self.above is not None and value > self.above
            )
        if isinstance(value, str):
            return value in self.answers
        return any(v in self.answers for v in value)


@dataclass(frozen=True)
class Question:
    """One question of an item's checklist."""

    id: str
    text: str
    type: AnswerType
    required: bool = True
    photo: PhotoRule = PhotoRule.NONE
    unit: str = ""  # numbers: 具, 人, ㎡ …
    minimum: float | None = None  # numbers: the smallest answer accepted
    maximum: float | None = None
    options: tuple[str, ...] = ()  # choices
    hazards: tuple[HazardRule, ...] = ()
    help: str = ""  # a hint shown under the question

    def hazard_level(self, value: AnswerValue) -> HazardLevel | None:
        """The highest level of the rules `value` (a normalized answer) matches, or None."""
        levels = [r.level for r in self.hazards if r.matches(value)]
        return max(levels, key=lambda level: level.rank) if levels else None


@dataclass(frozen=True)
class GridItem:
    """A grid item (入格事项): one version's definition."""

    code: str
    name: str
    department: str
    object_kinds: tuple[ObjectKind, ...]
    frequency: Frequency
    questions: tuple[Question, ...]
    legal_basis: str = ""
    min_risk: RiskLevel | None = None
    tags: tuple[str, ...] = ()  # the object must carry every one (its attributes say: 餐饮, 独居老人 …)
    risk_frequencies: tuple[tuple[RiskLevel, Frequency], ...] = ()  # more often for riskier objects
    season: Season | None = None

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def object_kinds_label(self) -> str:
        return "、".join(k.label for k in self.object_kinds)

    @property
    def frequency_label(self) -> str:
        """每月；高风险每14天，重大风险每周（3–4月）"""
        text = self.frequency.label
        if self.risk_frequencies:
            last = len(self.risk_frequencies) - 1
            text += "；" + "，".join(
                f"{r.label}风险{'及以上' if i == last and r is not RiskLevel.MAJOR else ''}{f.label}"
                for i, (r, f) in enumerate(self.risk_frequencies)
            )
        if self.season:
            text += f"（{self.season.label}）"
        return text

    @property
    def applies_label(self) -> str:
        """对象类型 with the risk and tag conditions: 三小场所（中风险及以上；餐饮）"""
        conditions = []
        if self.min_risk is not None and self.min_risk is not RiskLevel.LOW:
            conditions.append(f"{self.min_risk.label}风险及以上")
        if self.tags:
            conditions.append("、".join(self.tags))
        return self.object_kinds_label + (f"（{'；'.join(conditions)}）" if conditions else "")


# -- validating an item ---------------------------------------------------------------------------------


def _text_problems(value: str, label: str, maximum: int, *, required: bool = True) -> list[str]:
    if required and not value.strip():
        return [f"请填写{label}"]
    if len(value) > maximum:
        return [f"{label}不能超过 {maximum} 个字"]
    if "\x00" in value or any(ord(c) < 32 and c not in "\n\t" for c in value):
        return [f"{label}含有不允许的字符"]
    return []


def _question_problems(q: Question) -> list[str]:
    where = f"问题 {q.id}" if q.id else "问题"
    problems = [f"{where}：{p}" for p in _text_problems(q.text, "问题内容", QUESTION_TEXT_MAX)]
    problems += [f"{where}：{p}" for p in _text_problems(q.help, "提示", HELP_MAX, required=False)]
    if not _QUESTION_ID.match(q.id):
        problems.append(f"问题编号「{q.id[:40]}」应为 1–{QUESTION_ID_MAX} 位字母、数字、下划线或短横线")
    kind = q.type
    if kind is AnswerType.NUMBER:
        problems += [f"{where}：{p}" for p in _text_problems(q.unit, "单位", UNIT_MAX, required=False)]
        for bound in (q.minimum, q.maximum):
            if bound is not None and not math.isfinite(bound):
                problems.append(f"{where}：取值范围须为有限数")
        if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
            problems.append(f"{where}：最小值不能大于最大值")
    elif q.unit or q.minimum is not None or q.maximum is not None:
        problems.append(f"{where}：只有数值题可以设置单位和取值范围")
    if kind in (AnswerType.SINGLE_CHOICE, AnswerType.MULTIPLE_CHOICE):
        if not OPTIONS_MIN <= len(q.options) <= OPTIONS_MAX:
            problems.append(f"{where}：选择题应有 {OPTIONS_MIN}–{OPTIONS_MAX} 个选项")
        if len(set(q.options)) != len(q.options):
            problems.append(f"{where}：选项不能重复")
        for option in q.options:
            if not option.strip() or len(option) > OPTION_MAX or any(c in option for c in "|；;\n"):
                problems.append(f"{where}：选项「{option[:20]}」应为 1–{OPTION_MAX} 个字，且不含 | 或 ；")
    elif q.options:
        problems.append(f"{where}：只有选择题可以设置选项")
    problems += _hazard_problems(q, where)
    if q.photo is PhotoRule.ON_HAZARD and not q.hazards:
        problems.append(f"{where}：没有隐患答案，不能设置“发现隐患时拍照”")
    if kind is AnswerType.PHOTO and q.photo is PhotoRule.NONE:
        problems.append(f"{where}：拍照题的拍照要求应为“必须拍照”")
    return problems


def _hazard_problems(q: Question, where: str) -> list[str]:
    problems: list[str] = []
    for rule in q.hazards:
        if q.type in (AnswerType.TEXT, AnswerType.PHOTO):
            return [f"{where}：{q.type.label}题不能设置隐患答案"]
        if q.type is AnswerType.NUMBER:
            if rule.answers or (rule.below is None and rule.above is None):
                problems.append(f"{where}：数值题的隐患条件应为 <数值 或 >数值")
            for bound in (rule.below, rule.above):
                if bound is not None and not math.isfinite(bound):
                    problems.append(f"{where}：隐患条件须为有限数")
            continue
        if rule.below is not None or rule.above is not None:
            problems.append(f"{where}：只有数值题的隐患条件可以是 < 或 >")
        if not rule.answers:
            problems.append(f"{where}：隐患条件应列出表示隐患的答案")
        allowed = ("yes", "no") if q.type is AnswerType.YES_NO else q.options
        unknown = [a for a in rule.answers if a not in allowed]
        if unknown:
            problems.append(f"{where}：隐患答案「{'、'.join(unknown)[:40]}」不是该题的可选答案")
    return problems


def item_problems(item: GridItem) -> list[str]:
    """Everything wrong with `item`, in Chinese; [] when it is sound."""
    problems: list[str] = []
    if not CODE_PATTERN.match(item.code) or len(item.code) > CODE_MAX:
        problems.append(
            f"事项编码「{item.code[:40]}」格式不对：应如 XF-001（大写字母开头，字母、数字和短横线）"
        )
    problems += _text_problems(item.name, "事项名称", NAME_MAX)
    problems += _text_problems(item.department, "责任部门", DEPARTMENT_MAX)
    problems += _text_problems(item.legal_basis, "法律依据", LEGAL_BASIS_MAX, required=False)
    if not item.object_kinds:
        problems.append("请选择适用的对象类型")
    if len(set(item.object_kinds)) != len(item.object_kinds):
        problems.append("对象类型不能重复")
    if len(item.tags) > TAGS_MAX or len(set(item.tags)) != len(item.tags):
        problems.append(f"适用标签最多 {TAGS_MAX} 个，且不能重复")
    for tag in item.tags:
        if not tag.strip() or len(tag) > TAG_MAX or any(c in tag for c in "|、,，；;\n"):
            problems.append(f"适用标签「{tag[:20]}」应为 1–{TAG_MAX} 个字，且不含分隔符")
    problems += [f"频次：{p}" for p in item.frequency.problems()]
    if item.season is not None:
        problems += item.season.problems()
    problems += _risk_frequency_problems(item)
    if not item.questions:
        problems.append("检查清单至少要有一个问题")
    if len(item.questions) > QUESTIONS_MAX:
        problems.append(f"检查清单最多 {QUESTIONS_MAX} 个问题")
    ids = [q.id for q in item.questions]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f"问题编号重复：{'、'.join(repeated)}")
    for question in item.questions:
        problems += _question_problems(question)
    return problems


def _risk_frequency_problems(item: GridItem) -> list[str]:
    problems: list[str] = []
    levels = [level for level, _ in item.risk_frequencies]
    if len(set(levels)) != len(levels):
        problems.append("同一风险等级只能设置一个频次")
    if levels != sorted(levels, key=lambda level: level.rank):
        problems.append("按风险等级设置的频次应从低到高排列")
    slowest = item.frequency.approx_days
    for level, frequency in item.risk_frequencies:
        problems += [f"{level.label}风险的频次：{p}" for p in frequency.problems()]
        if item.min_risk is not None and level.rank < item.min_risk.rank:
            problems.append(
                f"事项只适用于{item.min_risk.label}风险及以上的对象，不能为{level.label}风险设置频次"
            )
        if frequency.approx_days > slowest:
            problems.append(f"{level.label}风险的频次（{frequency.label}）不能低于风险更低对象的频次")
        slowest = min(slowest, frequency.approx_days)
    return problems


def validate_item(item: GridItem) -> GridItem:
    """`item`, or ValidationFailed listing every problem (details: `problems`)."""
    problems = item_problems(item)
    if problems:
        raise ValidationFailed(f"入格事项 {item.code or ''} 有误：" + "；".join(problems), problems=problems)
    return item


def version_problems(earlier: Sequence[GridItem], new: GridItem) -> list[str]:
    """What a new version may not change against every earlier one: its code, and the answer
    type of a question id (answers of one id are compared across versions in the ledgers)."""
    problems: list[str] = []
    types: dict[str, AnswerType] = {}
    for old in earlier:
        if old.code != new.code:
            problems.append(f"新版本的编码 {new.code} 与原事项 {old.code} 不同")
        for q in old.questions:
            types.setdefault(q.id, q.type)
    for q in new.questions:
        before = types.get(q.id)
        if before is not None and before is not q.type:
            problems.append(
                f"问题 {q.id} 在以前的版本中是{before.label}题，不能改为{q.type.label}题；请给新问题换一个编号"
            )
    return problems


# -- applying and scheduling ---------------------------------------------------------------------------


def applies(
    item: GridItem, kind: ObjectKind, risk: RiskLevel | None = None, tags: Iterable[str] = ()
) -> bool:
    """Whether `item` is checked at an object of `kind` and `risk` carrying `tags`."""
    if kind not in item.object_kinds:
        return False
    level = risk or RiskLevel.LOW
    if item.min_risk is not None and level.rank < item.min_risk.rank:
        return False
    return set(item.tags) <= set(tags)


def frequency_for(item: GridItem, risk: RiskLevel | None) -> Frequency:
    """The frequency for an object of `risk`: the override of the highest level at or below it."""
    level = risk or RiskLevel.LOW
    chosen = item.frequency
    for at, frequency in item.risk_frequencies:
        if at.rank <= level.rank:
            chosen = frequency
    return chosen


def _cycle(unit: FrequencyUnit, day: date) -> tuple[date, date]:
    """The calendar cycle [start, end) holding `day`."""
    if unit is FrequencyUnit.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if unit is FrequencyUnit.MONTHLY:
        return Period.month(day.year, day.month).start, Period.month(day.year, day.month).end
    if unit is FrequencyUnit.QUARTERLY:
        first = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first, 1)
        return start, date(day.year + 1, 1, 1) if first == 10 else date(day.year, first + 3, 1)
    if unit is FrequencyUnit.YEARLY:
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    raise ValueError(f"{unit} has no calendar cycle")


def _open(season: Season | None, day: date) -> date:
    return season.next_open(day) if season else day


def _run_end(season: Season | None, day: date, limit: date) -> date:
    return min(season.run_end(day), limit) if season else limit


def _calendar_due(
    unit: FrequencyUnit, period: Period, visits: Sequence[date], season: Season | None
) -> list[Due]:
    out: list[Due] = []
    cycle_start, cycle_end = _cycle(unit, period.start)
    while cycle_start < period.end:
        if not any(cycle_start <= v < cycle_end for v in visits):
            first = _open(season, cycle_start)  # the cycle's first day in season
            if first < cycle_end:
                run_end = _run_end(season, first, cycle_end)
                start = _open(season, max(cycle_start, period.start))
                if start < min(run_end, period.end):
                    end = min(run_end, period.end)
                    out.append(Due(start, end, run_end - timedelta(days=1), cycle_start, cycle_end))
        cycle_start, cycle_end = _cycle(unit, cycle_end)
    return out


def _interval_due(days: int, period: Period, visits: Sequence[date], season: Season | None) -> list[Due]:
    step = timedelta(days=days)
    before = [v for v in visits if v < period.start]
    inside = iter(sorted(v for v in visits if v in period))
    upcoming = next(inside, None)
    due = period.start if not before else max(max(before) + step, period.start)
    overdue = bool(before) and max(before) + step < period.start
    out: list[Due] = []
    while True:
        due = _open(season, due)
        if due >= period.end:
            return out
        cycle_end = _run_end(season, due, due + step)
        if upcoming is not None and upcoming < cycle_end:
            # visited early or within the cycle: the count starts again from that visit
            due, overdue = upcoming + step, False
            upcoming = next(inside, None)
            continue
        out.append(
            Due(due, min(cycle_end, period.end), cycle_end - timedelta(days=1), due, cycle_end, overdue)
        )
        due, overdue = due + step, False


def due_in(
    item: GridItem,
    kind: ObjectKind,
    risk: RiskLevel | None,
    period: Period,
    visits: Iterable[date] = (),
    tags: Iterable[str] = (),
) -> list[Due]:
    """The visits of `item` due at an object (of `kind`, `risk`, carrying `tags`) in `period`,
    given the days it was already visited for this item: [] when the item does not apply.

    Calendar frequencies give at most one visit per cycle (week from Monday, month, quarter,
    year) that overlaps the period and holds no visit yet; every-N-days gives one per N days
    from the last visit (a visit inside the period starts the count again; a visit long ago
    makes the first one due at once, `overdue`). A season keeps every visit inside its
    months. The visits returned never overlap and none holds a day already visited.
    """
    if not applies(item, kind, risk, tags):
        return []
    frequency = frequency_for(item, risk)
    done = sorted(set(visits))
    if frequency.unit is FrequencyUnit.EVERY_DAYS:
        return _interval_due(frequency.days or 1, period, done, item.season)
    return _calendar_due(frequency.unit, period, done, item.season)


def next_due(
    item: GridItem,
    kind: ObjectKind,
    risk: RiskLevel | None,
    last_visit: date | None,
    *,
    today: date,
    tags: Iterable[str] = (),
) -> Due | None:
    """The next visit due after `last_visit` (from `today` when there was none); None when the
    item does not apply. Its `start` lies before `today` when it is late already."""
    start = last_visit + timedelta(days=1) if last_visit is not None else today
    horizon = Period(start, start + timedelta(days=2 * 366 + 1))
    visits = [last_visit] if last_visit is not None else []
    found = due_in(item, kind, risk, horizon, visits, tags)
    return found[0] if found else None


# -- answers -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What a visit answered to one question: the value and the ids of its photos."""

    value: AnswerValue = None
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerProblem:
    question_id: str
    message: str


@dataclass(frozen=True)
class Hazard:
    """A hazard an answer shows: which question, the answer as read, how serious."""

    question_id: str
    question: str
    answer: str
    level: HazardLevel


def _number_text(value: float) -> str:
    return f"{value:g}" if not float(value).is_integer() else str(int(value))


def answer_text(question: Question, value: AnswerValue) -> str:
    """A normalized answer as a person reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _number_text(float(value)) + (question.unit or "")
    if isinstance(value, str):
        return value
    return "、".join(value)


def _normalize(question: Question, value: object) -> tuple[AnswerValue, str | None]:
    """(the value normalized, None) or (None, what is wrong)."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == ():
        return None, None
    kind = question.type
    if kind is AnswerType.YES_NO:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in _YES:
            return True, None
        if text in _NO:
            return False, None
        return None, "应回答“是”或“否”"
    if kind is AnswerType.NUMBER:
        if isinstance(value, bool):
            return None, "应填写数值"
        try:
            number = float(value) if isinstance(value, int | float | str) else math.nan
        except ValueError:
            return None, "应填写数值"
        if not math.isfinite(number):
            return None, "应填写数值"
        if question.minimum is not None and number < question.minimum:
            return None, f"不能小于 {_number_text(question.minimum)}{question.unit}"
        if question.maximum is not None and number > question.maximum:
            return None, f"不能大于 {_number_text(question.maximum)}{question.unit}"
        return (int(number) if number.is_integer() else number), None
    if kind is AnswerType.SINGLE_CHOICE:
        text = str(value).strip()
        return (text, None) if text in question.options else (None, f"「{text[:20]}」不是可选的答案")
    if kind is AnswerType.MULTIPLE_CHOICE:
        chosen = [value] if isinstance(value, str) else value
        if not isinstance(chosen, list | tuple) or not all(isinstance(c, str) for c in chosen):
            return None, "应选择一个或多个选项"
        picked = tuple(c.strip() for c in chosen)
        unknown = [c for c in picked if c not in question.options]
        if unknown:
            return None, f"「{'、'.join(unknown)[:20]}」不是可选的答案"
        if len(set(picked)) != len(picked):
            return None, "同一选项只能选一次"
        return tuple(o for o in question.options if o in picked), None
    if kind is AnswerType.TEXT:
        if not isinstance(value, str):
            return None, "应填写文字"
        text = value.strip()
        if len(text) > TEXT_ANSWER_MAX:
            return None, f"不能超过 {TEXT_ANSWER_MAX} 个字"
        if "\x00" in text:
            return None, "含有不允许的字符"
        return text, None
    return None, None  # a photo question's answer is its photos


def _as_answer(raw: object) -> Answer:
    if isinstance(raw, Answer):
        return raw
    if isinstance(raw, Mapping):
        photos = raw.get("photos") or ()
        return Answer(
            raw.get("value"), tuple(str(p) for p in photos) if isinstance(photos, list | tuple) else ()
        )
    return Answer(raw)  # type: ignore[arg-type]


def _checked(item: GridItem, answers: Mapping[str, object]) -> tuple[dict[str, Answer], list[AnswerProblem]]:
    clean: dict[str, Answer] = {}
    problems: list[AnswerProblem] = []
    for qid in answers:
        if item.question(qid) is None:
            problems.append(AnswerProblem(qid, f"事项 {item.code} 没有问题 {qid[:40]}"))
    for q in item.questions:
        raw = answers.get(q.id)
        given = _as_answer(raw) if raw is not None else Answer()
        value, wrong = _normalize(q, given.value)
        if wrong:
            problems.append(AnswerProblem(q.id, f"{q.text}：{wrong}"))
            continue
        photos = tuple(p for p in given.photos if p)
        if len(photos) > PHOTOS_MAX:
            problems.append(AnswerProblem(q.id, f"{q.text}：照片最多 {PHOTOS_MAX} 张"))
            continue
        answered = value is not None or (q.type is AnswerType.PHOTO and bool(photos))
        if not answered:
            if q.required:
                what = "请拍照" if q.type is AnswerType.PHOTO else "必须回答"
                problems.append(AnswerProblem(q.id, f"{q.text}：{what}"))
            continue
        needs_photo = q.photo is PhotoRule.ALWAYS or (
            q.photo is PhotoRule.ON_HAZARD and q.hazard_level(value) is not None
        )
        if needs_photo and not photos:
            why = "发现隐患，须拍照" if q.photo is PhotoRule.ON_HAZARD else "须拍照"
            problems.append(AnswerProblem(q.id, f"{q.text}：{why}"))
            continue
        clean[q.id] = Answer(value, photos)
    return clean, problems


def answer_problems(item: GridItem, answers: Mapping[str, object]) -> list[AnswerProblem]:
    """What is wrong with a visit's answers to `item` (this version's checklist): unknown
    questions, answers of the wrong type or out of range, required answers and photos missing."""
    return _checked(item, answers)[1]


def validate_answers(item: GridItem, answers: Mapping[str, object]) -> dict[str, Answer]:
    """The answers normalized (是 → True, "3" → 3, choices in the checklist's order), keyed by
    question id, unanswered optional questions left out; ValidationFailed listing every problem.

    An answer is an `Answer`, a mapping {"value": …, "photos": [...]}, or the bare value."""
    clean, problems = _checked(item, answers)
    if problems:
        raise ValidationFailed(
            "检查结果有误：" + "；".join(p.message for p in problems),
            problems=[{"question": p.question_id, "message": p.message} for p in problems],
        )
    return clean


def hazards(item: GridItem, answers: Mapping[str, object]) -> list[Hazard]:
    """The hazards the answers show, in the checklist's order, each at the highest level its
    rules give. Answers that do not read as their question's type are passed over (validate
    them first)."""
    found: list[Hazard] = []
    for q in item.questions:
        raw = answers.get(q.id)
        if raw is None or not q.hazards:
            continue
        value, wrong = _normalize(q, _as_answer(raw).value)
        if wrong or value is None:
            continue
        level = q.hazard_level(value)
        if level is not None:
            found.append(Hazard(q.id, q.text, answer_text(q, value), level))
    return found


# -- the file form (JSON) --------------------------------------------------------------------------------


def _rule_json(rule: HazardRule) -> dict[str, Any]:
    data: dict[str, Any] = {"level": rule.level.value}
    if rule.answers:
        data["answers"] = list(rule.answers)
    if rule.below is not None:
        data["below"] = rule.below
    if rule.above is not None:
        data["above"] = rule.above
    return data


def _question_json(q: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"id": q.id, "text": q.text, "type": q.type.value, "required": q.required}
    if q.photo is not PhotoRule.NONE:
        data["photo"] = q.photo.value
    if q.unit:
        data["unit"] = q.unit
    if q.minimum is not None:
        data["min"] = q.minimum
    if q.maximum is not None:
        data["max"] = q.maximum
    if q.options:
        data["options"] = list(q.options)
    if q.hazards:
        data["hazards"] = [_rule_json(r) for r in q.hazards]
    if q.help:
        data["help"] = q.help
    return data


def item_to_json(item: GridItem) -> dict[str, Any]:
    """The item as its file form (and its stored definition) gives it: plain JSON values,
    every key in a fixed order, optional keys left out when empty."""
    data: dict[str, Any] = {
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "object_kinds": [k.value for k in item.object_kinds],
    }
    if item.min_risk is not None:
        data["min_risk"] = item.min_risk.value
    if item.tags:
        data["tags"] = list(item.tags)
    data["frequency"] = str(item.frequency)
    if item.risk_frequencies:
        data["risk_frequencies"] = {level.value: str(f) for level, f in item.risk_frequencies}
    if item.season is not None:
        data["season"] = str(item.season)
    if item.legal_basis:
        data["legal_basis"] = item.legal_basis
    data["questions"] = [_question_json(q) for q in item.questions]
    return data


class _Reader:
    """Reads a JSON object's fields, collecting what is wrong instead of stopping at the first."""

    def __init__(self, problems: list[str], where: str) -> None:
        self.problems = problems
        self.where = where

    def fail(self, message: str) -> None:
        self.problems.append(f"{self.where}{message}")

    def text(self, data: Mapping[str, Any], key: str, label: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"缺少{label}（{key}）")
            return ""
        if not isinstance(value, str):
            self.fail(f"{label}（{key}）应为文字")
            return ""
        return value.strip()

    def number(self, data: Mapping[str, Any], key: str, label: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(f"{label}（{key}）应为数值")
            return None
        return float(value)

    def texts(self, data: Mapping[str, Any], key: str, label: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{label}（{key}）应为文字列表")
            return ()
        return tuple(v.strip() for v in value)

    def parsed(self, parse: Any, value: str) -> Any:
        try:
            return parse(value)
        except ValidationFailed as exc:
            self.fail(exc.message)
            return None


def _question_from_json(data: object, index: int, problems: list[str]) -> Question | None:
    if not isinstance(data, Mapping):
        problems.append(f"第 {index} 个问题应为对象")
        return None
    qid = data.get("id")
    read = _Reader(problems, f"问题 {qid if isinstance(qid, str) else index}：")
    kind = read.parsed(AnswerType.parse, read.text(data, "type", "答案类型", required=True))
    photo = read.parsed(PhotoRule.parse, read.text(data, "photo", "拍照要求")) or PhotoRule.NONE
    required = data.get("required", True)
    if not isinstance(required, bool):
        read.fail("是否必答（required）应为 true 或 false")
        required = True
    rules: list[HazardRule] = []
    raw_rules = data.get("hazards") or []
    if not isinstance(raw_rules, list):
        read.fail("隐患条件（hazards）应为列表")
        raw_rules = []
    for raw in raw_rules:
        if not isinstance(raw, Mapping):
            read.fail("每个隐患条件应为对象")
            continue
        level = read.parsed(HazardLevel.parse, read.text(raw, "level", "隐患等级") or "general")
        answers = read.texts(raw, "answers", "隐患答案")
        answers = tuple({"是": "yes", "否": "no"}.get(a, a) for a in answers)
        rules.append(
            HazardRule(
                level or HazardLevel.GENERAL,
                answers,
                read.number(raw, "below", "低于"),
                read.number(raw, "above", "高于"),
            )
        )
    question = Question(
        id=read.text(data, "id", "问题编号", required=True),
        text=read.text(data, "text", "问题内容", required=True),
        type=kind or AnswerType.TEXT,
        required=required,
        photo=photo,
        unit=read.text(data, "unit", "单位"),
        minimum=read.number(data, "min", "最小值"),
        maximum=read.number(data, "max", "最大值"),
        options=read.texts(data, "options", "选项"),
        hazards=tuple(rules),
        help=read.text(data, "help", "提示"),
    )
    return question if kind is not None else None


def item_from_json(data: object, *, where: str = "", check: bool = True) -> GridItem:
    """An item from its file form, checked (`validate_item`; without `check` only its form is:
    a stored version is read as it was published); ValidationFailed listing every problem,
    each prefixed with `where` (e.g. "第 3 项：")."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ValidationFailed(f"{where}入格事项应为 JSON 对象", problems=[f"{where}入格事项应为 JSON 对象"])
    read = _Reader(problems, "")
    kinds_raw = read.texts(data, "object_kinds", "对象类型")
    kinds = tuple(k for k in (read.parsed(ObjectKind.parse, k) for k in kinds_raw) if k is not None)
    min_risk_text = read.text(data, "min_risk", "最低风险等级")
    min_risk = read.parsed(RiskLevel.parse, min_risk_text) if min_risk_text else None
    frequency = read.parsed(Frequency.parse, read.text(data, "frequency", "频次", required=True))
    overrides: list[tuple[RiskLevel, Frequency]] = []
    raw_overrides = data.get("risk_frequencies") or {}
    if not isinstance(raw_overrides, Mapping):
        read.fail('按风险设置的频次（risk_frequencies）应为对象，如 {"high": "weekly"}')
        raw_overrides = {}
    for level_text, frequency_text in raw_overrides.items():
        level = read.parsed(RiskLevel.parse, str(level_text))
        override = (
            read.parsed(Frequency.parse, str(frequency_text)) if isinstance(frequency_text, str) else None
        )
        if not isinstance(frequency_text, str):
            read.fail(f"风险等级 {level_text} 的频次应为文字")
        if level is not None and override is not None:
            overrides.append((level, override))
    season_text = read.text(data, "season", "时段")
    season = read.parsed(Season.parse, season_text) if season_text else None
    raw_questions = data.get("questions")
    questions: list[Question] = []
    if not isinstance(raw_questions, list):
        read.fail("缺少检查清单（questions）")
    else:
        for index, raw in enumerate(raw_questions, start=1):
            question = _question_from_json(raw, index, problems)
            if question is not None:
                questions.append(question)
    unknown = sorted(set(data) - _ITEM_KEYS)
    if unknown:
        read.fail(f"不认识的字段：{'、'.join(str(k)[:20] for k in unknown)}")
    item = GridItem(
        code=normalize_code(read.text(data, "code", "事项编码", required=True)),
        name=read.text(data, "name", "事项名称", required=True),
        department=read.text(data, "department", "责任部门", required=True),
        object_kinds=kinds,
        frequency=frequency or Frequency(FrequencyUnit.MONTHLY),
        questions=tuple(questions),
        legal_basis=read.text(data, "legal_basis", "法律依据"),
        min_risk=min_risk,
        tags=read.texts(data, "tags", "适用标签"),
        risk_frequencies=tuple(sorted(overrides, key=lambda pair: pair[0].rank)),
        season=season,
    )
    if not problems and check:
        problems = item_problems(item)
    if problems:
        problems = [f"{where}{p}" for p in dict.fromkeys(problems)]
        raise ValidationFailed(f"{where}入格事项 {item.code} 有误：" + "；".join(problems), problems=problems)
    return item


_ITEM_KEYS = frozenset(
    {
        "code",
        "name",
        "department",
        "object_kinds",
        "min_risk",
        "tags",
        "frequency",
        "risk_frequencies",
        "season",
        "legal_basis",
        "questions",
    }
)


def rules_label(question: Question) -> str:
    """Every hazard rule of a question: 否（一般隐患）；<1（重大隐患）"""
    return "；".join(f"{r.label}（{r.level.label}）" for r in question.hazards)
