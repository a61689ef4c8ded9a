"""The responsibility list (权责清单): which unit handles which matter where, as data.

A rule says: orders of this category (or any; a category matches itself and everything
below it) located in this area (or anywhere; an area matches itself and every unit below
it), optionally only when the text contains one of some keywords, the order is of a given
type or is urgent, go to this unit, with a priority. Resolving an order picks the matching
rule of the highest rank — priority first, then the deeper category, then the deeper area,
then the number of conditions. Two or more matching rules of the top rank that name
different units conflict: no automatic decision. With no rule (or a conflict) the order
belongs to the center of its area (首接负责): its town center when the order is located,
else the registering center. Every resolution says in Chinese which rule fired or why none
did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.taxonomy import Taxonomy
from zhiyun.domain.workorder import OrderType

MAX_KEYWORDS = 50


@dataclass(frozen=True)
class Rule:
    """One line of the responsibility list."""

    id: int
    unit_id: int
    category_code: str | None = None  # None: any category
    area_unit_id: int | None = None  # None: anywhere
    keywords: tuple[str, ...] = ()  # any of them in the order's text
    order_type: OrderType | None = None
    urgent: bool | None = None
    priority: int = 0
    note: str = ""
    active: bool = True

    @property
    def condition_count(self) -> int:
        return int(bool(self.keywords)) + int(self.order_type is not None) + int(self.urgent is not None)


@dataclass(frozen=True)
class Case:
    """What the responsibility list reads of an order."""

    category_code: str | None
    area_unit_id: int | None  # the village, else the town the order is located in
    text: str = ""
    order_type: OrderType | None = None
    urgent: bool = False


class Outcome(StrEnum):
    """How a resolution ended."""

    RULE = "rule"
    CONFLICT = "conflict"
    NO_RULE = "no_rule"

    @property
    def label(self) -> str:
        return {"rule": "按权责清单", "conflict": "规则冲突", "no_rule": "无匹配规则"}[self.value]


@dataclass(frozen=True)
class Resolution:
    """The unit responsible for a case and why."""

    outcome: Outcome
    unit_id: int | None  # the rule's unit; the area's center (首接负责) otherwise, None when unknown
    rule: Rule | None
    matched: tuple[Rule, ...]  # every matching rule, best rank first
    reason: str
    conflicting: tuple[Rule, ...] = ()  # CONFLICT: the rules of the top rank that disagree

    @property
    def decided(self) -> bool:
        """Exactly one unit follows from the rules: the order may be dispatched automatically."""
        return self.outcome is Outcome.RULE


def rule_problems(rule: Rule, org: OrgTree, taxonomy: Taxonomy) -> list[str]:
    """What is wrong with a rule given the org tree and the taxonomy (Chinese); empty when sound."""
    problems: list[str] = []
    if rule.unit_id not in org.units:
        problems.append(f"责任单位 {rule.unit_id} 不存在")
    if rule.area_unit_id is not None and rule.area_unit_id not in org.units:
        problems.append(f"区域单位 {rule.area_unit_id} 不存在")
    if rule.category_code is not None and rule.category_code not in taxonomy:
        problems.append(f"分类编码 {rule.category_code} 不存在")
    if len(rule.keywords) > MAX_KEYWORDS:
        problems.append(f"关键词不能超过{MAX_KEYWORDS}个")
    if any(not k.strip() for k in rule.keywords):
        problems.append("关键词不能为空")
    if not -1000 <= rule.priority <= 1000:
        problems.append("优先级须在 -1000 到 1000 之间")
    return problems


def _area_depth(org: OrgTree, unit_id: int | None) -> int:
    if unit_id is None or unit_id not in org.units:
        return 0
    return 1 + sum(1 for _ in org.ancestors(unit_id))


def matches(rule: Rule, case: Case, org: OrgTree, taxonomy: Taxonomy) -> bool:
    """Whether `rule` applies to `case`."""
    if not rule.active:
        return False
    if rule.category_code is not None:
        if case.category_code is None or case.category_code not in taxonomy:
            return False
        if not taxonomy.is_within(case.category_code, rule.category_code):
            return False
    if rule.area_unit_id is not None:
        if case.area_unit_id is None or case.area_unit_id not in org.units:
            return False
        if not org.is_within(case.area_unit_id, rule.area_unit_id):
            return False
    if rule.keywords and not any(k in case.text for k in rule.keywords):
        return False
    if rule.order_type is not None and rule.order_type is not case.order_type:
        return False
    return rule.urgent is None or rule.urgent == case.urgent


def rank(rule: Rule, org: OrgTree, taxonomy: Taxonomy) -> tuple[int, int, int, int]:
    """Priority, then the deeper category, then the deeper area, then more conditions."""
    code = rule.category_code
    cat_depth = taxonomy.level(code) if code is not None and code in taxonomy else 0
    return (rule.priority, cat_depth, _area_depth(org, rule.area_unit_id), rule.condition_count)


def area_center(org: OrgTree, area_unit_id: int | None) -> int | None:
    """The center an order located at `area_unit_id` belongs to by default: its town (镇街)."""
    if area_unit_id is None or area_unit_id not in org.units:
        return None
    unit = org.get(area_unit_id)
    if unit.kind is UnitKind.TOWN:
        return unit.id
    for ancestor in org.ancestors(area_unit_id):
        if ancestor.kind is UnitKind.TOWN:
            return ancestor.id
    return org.center_of(area_unit_id).id


def describe(rule: Rule, org: OrgTree, taxonomy: Taxonomy) -> str:
    """ "规则#12（分类 城市管理 / 市容环境，区域 桂城街道，关键词 垃圾，优先级 10）→ 桂城街道城管办" """
    parts = [
        f"分类 {taxonomy.path_names(rule.category_code)}"
        if rule.category_code in taxonomy and rule.category_code is not None
        else "任意分类",
        f"区域 {org.get(rule.area_unit_id).name}"
        if rule.area_unit_id is not None and rule.area_unit_id in org.units
        else "全区",
    ]
    if rule.keywords:
        parts.append("关键词 " + "、".join(rule.keywords))
    if rule.order_type is not None:
        parts.append(f"类型 {rule.order_type.label}")
    if rule.urgent is not None:
        parts.append("紧急件" if rule.urgent else "非紧急件")
    parts.append(f"优先级 {rule.priority}")
    unit = org.get(rule.unit_id).name if rule.unit_id in org.units else str(rule.unit_id)
    return f"规则#{rule.id}（{'，'.join(parts)}）→ {unit}"


def resolve(rules: Iterable[Rule], case: Case, org: OrgTree, taxonomy: Taxonomy) -> Resolution:
    """The responsible unit for `case` under `rules`, with the reason."""
    matched = [r for r in rules if matches(r, case, org, taxonomy)]
    ranked = sorted(matched, key=lambda r: (rank(r, org, taxonomy), -r.id), reverse=True)
    fallback = area_center(org, case.area_unit_id)
    fallback_text = (
        f"按首接负责交{org.get(fallback).name}研判" if fallback is not None else "由受理中心人工研判"
    )
    if not ranked:
        what = "分类未定" if case.category_code is None else f"分类 {case.category_code}"
        return Resolution(
            Outcome.NO_RULE,
            fallback,
            None,
            (),
            f"权责清单中没有适用于该工单（{what}）的规则，{fallback_text}",
        )
    best = ranked[0]
    top = [r for r in ranked if rank(r, org, taxonomy) == rank(best, org, taxonomy)]
    units = sorted({r.unit_id for r in top})
    if len(units) > 1:
        return Resolution(
            Outcome.CONFLICT,
            fallback,
            None,
            tuple(ranked),
            f"{_conflict_text(top)}，{fallback_text}",
            conflicting=tuple(top),
        )
    return Resolution(Outcome.RULE, best.unit_id, best, tuple(ranked), f"命中{describe(best, org, taxonomy)}")


def _conflict_text(top: Sequence[Rule]) -> str:
    return f"{'、'.join(f'规则#{r.id}' for r in top)} 同级冲突（指向不同单位）"


def settle_by_named_units(res: Resolution, named_units: Sequence[int]) -> Resolution:
    """A conflict that the citizen's text settles: of the rules that conflict at the top rank,
    exactly one unit is named in the text (区教育局, 夏北社区 …). Anything else stays as it was."""
    if res.outcome is not Outcome.CONFLICT or not named_units:
        return res
    top = [r for r in res.matched if r.priority == res.matched[0].priority]
    hits = [r for r in top if r.unit_id in named_units]
    if len({r.unit_id for r in hits}) != 1:
        return res
    rule = hits[0]
    return Resolution(
        Outcome.RULE,
        rule.unit_id,
        rule,
        res.matched,
        f"{_conflict_text(res.conflicting)}；诉求中点名责任单位，采用规则#{rule.id}",
    )


def check_rules(rules: Sequence[Rule], org: OrgTree, taxonomy: Taxonomy) -> list[str]:
    """Every problem of a list of rules, prefixed with the rule's position or id."""
    problems: list[str] = []
    for i, rule in enumerate(rules, start=1):
        label = f"规则#{rule.id}" if rule.id > 0 else f"第{i}条"
        problems.extend(f"{label}: {p}" for p in rule_problems(rule, org, taxonomy))
    return problems


__all__ = [
    "Case",
    "Outcome",
    "Resolution",
    "Rule",
    "area_center",
    "check_rules",
    "describe",
    "matches",
    "rank",
    "resolve",
    "rule_problems",
    "settle_by_named_units",
]
