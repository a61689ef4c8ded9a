"""What the rates count (统计口径): which orders a rate leaves out, as a versioned definition.

The three rates (response, resolution, satisfaction) and the on-time rate are counted over the
*valid* orders of a period (`zhiyun.analytics.rates`). What "valid" means is where figures get
gamed — call an awkward complaint "not a government duty" and it leaves every denominator — so
the exclusions are a definition of their own: versioned, changed only by an admin with a note,
every version kept, and every figure on the dashboard and in a report names the version it was
counted by and how many orders that version left out.

Exclusions (`Exclusion`):

- `invalid` (无效件): cancelled orders;
- `repeat` (重复件): orders merged into another (the other one counts);
- `not_duty` (非政府职责): orders of the categories the definition lists (a category code
  covers its whole subtree: `03` leaves out `0301` and `030102`).

And one choice in the satisfaction rate: whether 基本满意 counts as satisfied (the default, as
most 12345 assessments do) or only 满意 does.

Version 1 is the built-in default (invalid and repeat left out, no category, 基本满意 counts);
a site's changes are versions 2, 3, …; the highest is in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zhiyun.domain.errors import ValidationFailed

MAX_NOT_DUTY_CATEGORIES = 200
CATEGORY_CODE_MAX = 32
NOTE_MAX = 500


class Exclusion(StrEnum):
    """A kind of order a rate definition may leave out of every rate."""

    INVALID = "invalid"
    REPEAT = "repeat"
    NOT_DUTY = "not_duty"

    @property
    def label(self) -> str:
        return EXCLUSION_LABELS[self]


EXCLUSION_LABELS: dict[Exclusion, str] = {
    Exclusion.INVALID: "无效件（已撤销）",
    Exclusion.REPEAT: "重复件（已合并）",
    Exclusion.NOT_DUTY: "非政府职责事项",
}


@dataclass(frozen=True)
class RateDefinition:
    """One version of what the rates count (the module's note)."""

    version: int
    exclusions: frozenset[Exclusion] = frozenset({Exclusion.INVALID, Exclusion.REPEAT})
    not_duty_categories: tuple[str, ...] = ()
    basic_counts_satisfied: bool = True
    note: str = ""
    defined_by: str = ""  # who made this version (a user's display name; "" for the built-in one)
    defined_at: str = ""  # when, ISO 8601 ("" for the built-in one)

    @property
    def leaves_out_categories(self) -> tuple[str, ...]:
        """The category codes whose orders are left out (none unless `not_duty` is on)."""
        return self.not_duty_categories if Exclusion.NOT_DUTY in self.exclusions else ()

    def leaves_out(self, *, cancelled: bool, merged: bool, category_code: str | None) -> bool:
        """Whether an order (cancelled? merged? its category) is left out of every rate."""
        if cancelled and Exclusion.INVALID in self.exclusions:
            return True
        if merged and Exclusion.REPEAT in self.exclusions:
            return True
        return category_code is not None and in_categories(category_code, self.leaves_out_categories)

    @property
    def label(self) -> str:
        return f"统计口径第 {self.version} 版"

    def describe(self) -> str:
        """The definition in one Chinese sentence (shown beside every rate)."""
        out = [e.label for e in Exclusion if e in self.exclusions]
        if self.leaves_out_categories:
            out[-1] = f"{out[-1]}（{'、'.join(self.leaves_out_categories)} 类）"
        excluded = "、".join(out) if out else "无"
        basic = "满意与基本满意计为满意" if self.basic_counts_satisfied else "仅「满意」计为满意"
        return f"{self.label}：不计入统计的工单：{excluded}；{basic}。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "exclusions": sorted(e.value for e in self.exclusions),
            "not_duty_categories": list(self.not_duty_categories),
            "basic_counts_satisfied": self.basic_counts_satisfied,
            "note": self.note,
            "defined_by": self.defined_by,
            "defined_at": self.defined_at,
            "description": self.describe(),
        }


DEFAULT = RateDefinition(version=1, note="内置口径")


def in_categories(code: str, prefixes: Iterable[str]) -> bool:
    """Whether a category `code` is one of `prefixes` or below one of them."""
    return any(code.startswith(p) for p in prefixes)


@dataclass(frozen=True)
class DefinitionDraft:
    """What an admin asks for: the next version's content (checked by `check_draft`)."""

    exclusions: frozenset[Exclusion]
    not_duty_categories: tuple[str, ...] = ()
    basic_counts_satisfied: bool = True
    note: str = ""


def parse_draft(data: Mapping[str, Any]) -> DefinitionDraft:
    """A draft from a form or a JSON body: `exclusions` (list of codes), `not_duty_categories`
    (list, or text split on commas, spaces and line breaks), `basic_counts_satisfied`, `note`.
    ValidationFailed names the first problem."""
    raw = data.get("exclusions", [])
    if isinstance(raw, str):
        raw = [raw] if raw else []
    if not isinstance(raw, list | tuple):
        raise ValidationFailed("exclusions 应为列表", field="exclusions")
    exclusions: set[Exclusion] = set()
    for item in raw:
        try:
            exclusions.add(Exclusion(str(item)))
        except ValueError:
            raise ValidationFailed(
                f"未知的排除项：{str(item)[:40]}（可选：{'、'.join(e.value for e in Exclusion)}）",
                field="exclusions",
            ) from None
    codes_raw = data.get("not_duty_categories", [])
    if isinstance(codes_raw, str):
        codes_raw = (
            codes_raw.replace("，", ",").replace("、", ",").replace("\n", ",").replace(" ", ",").split(",")
        )
    if not isinstance(codes_raw, list | tuple):
        raise ValidationFailed("not_duty_categories 应为列表", field="not_duty_categories")
    codes: list[str] = []
    for code in codes_raw:
        text = str(code).strip()
        if not text:
            continue
        if len(text) > CATEGORY_CODE_MAX or not text.isalnum():
            raise ValidationFailed(f"类别编码无效：{text[:40]}", field="not_duty_categories")
        if text not in codes:
            codes.append(text)
    if len(codes) > MAX_NOT_DUTY_CATEGORIES:
        raise ValidationFailed(
            f"非政府职责类别最多 {MAX_NOT_DUTY_CATEGORIES} 个", field="not_duty_categories"
        )
    if Exclusion.NOT_DUTY in exclusions and not codes:
        raise ValidationFailed("排除非政府职责事项时须列出其类别编码", field="not_duty_categories")
    basic = data.get("basic_counts_satisfied", True)
    if isinstance(basic, str):
        basic = basic.strip().lower() in ("1", "true", "on", "yes")
    if not isinstance(basic, bool):
        raise ValidationFailed("basic_counts_satisfied 应为是或否", field="basic_counts_satisfied")
    note = str(data.get("note", "") or "").strip()
    if not note:
        raise ValidationFailed("请写明修改统计口径的理由", field="note")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(f"理由最多 {NOTE_MAX} 字", field="note")
    return DefinitionDraft(frozenset(exclusions), tuple(codes), basic, note)


def next_version(current: RateDefinition, draft: DefinitionDraft, *, by: str, at: str) -> RateDefinition:
    """The version `draft` makes after `current`; ValidationFailed when it changes nothing."""
    made = RateDefinition(
        version=current.version + 1,
        exclusions=draft.exclusions,
        not_duty_categories=draft.not_duty_categories if Exclusion.NOT_DUTY in draft.exclusions else (),
        basic_counts_satisfied=draft.basic_counts_satisfied,
        note=draft.note,
        defined_by=by,
        defined_at=at,
    )
    if (made.exclusions, made.not_duty_categories, made.basic_counts_satisfied) == (
        current.exclusions,
        current.not_duty_categories,
        current.basic_counts_satisfied,
    ):
        raise ValidationFailed("与现行口径相同，未产生新版本")
    return made


def changes(old: RateDefinition, new: RateDefinition) -> list[str]:
    """What `new` changes in `old`, in Chinese, one line each (for the history)."""
    lines: list[str] = []
    for e in Exclusion:
        if (e in old.exclusions) != (e in new.exclusions):
            lines.append(f"{'排除' if e in new.exclusions else '不再排除'}{e.label}")
    added = [c for c in new.leaves_out_categories if c not in old.leaves_out_categories]
    removed = [c for c in old.leaves_out_categories if c not in new.leaves_out_categories]
    if added:
        lines.append(f"非政府职责类别增加 {'、'.join(added)}")
    if removed:
        lines.append(f"非政府职责类别去掉 {'、'.join(removed)}")
    if old.basic_counts_satisfied != new.basic_counts_satisfied:
        lines.append("基本满意计为满意" if new.basic_counts_satisfied else "基本满意不再计为满意")
    return lines


def from_stored(version: int, content: Mapping[str, Any], *, note: str, by: str, at: str) -> RateDefinition:
    """A stored version back (its content: exclusions, categories and the satisfaction choice, as
    `as_dict` writes them; unknown exclusions ignored)."""
    exclusions = frozenset(e for e in Exclusion if e.value in set(content.get("exclusions", [])))
    return RateDefinition(
        version=version,
        exclusions=exclusions,
        not_duty_categories=tuple(str(c) for c in content.get("not_duty_categories", [])),
        basic_counts_satisfied=bool(content.get("basic_counts_satisfied", True)),
        note=note,
        defined_by=by,
        defined_at=at,
    )


__all__ = [
    "DEFAULT",
    "DefinitionDraft",
    "Exclusion",
    "RateDefinition",
    "changes",
    "from_stored",
    "in_categories",
    "next_version",
    "parse_draft",
]
