"""The org structure: district → towns/streets → villages/communities, plus departments.

Every unit is a node of one tree. The district's children are its towns/streets and
its departments (部门分中心); a town's children are its villages/communities and its
own offices; a department's children are its sub-units. Any unit with children is a
center that may dispatch down its subtree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from zhiyun.domain.errors import NotFound, ValidationFailed


class UnitKind(StrEnum):
    """What an org unit is."""

    DISTRICT = "district"
    TOWN = "town"
    VILLAGE = "village"
    DEPARTMENT = "department"
    OFFICE = "office"

    @property
    def label(self) -> str:
        return {
            "district": "区",
            "town": "镇街",
            "village": "村居",
            "department": "部门",
            "office": "科室",
        }[self.value]


# Which kinds may hang under which: keeps imported trees sane.
ALLOWED_PARENT_KINDS: dict[UnitKind, frozenset[UnitKind | None]] = {
    UnitKind.DISTRICT: frozenset({None}),
    UnitKind.TOWN: frozenset({UnitKind.DISTRICT}),
    UnitKind.VILLAGE: frozenset({UnitKind.TOWN}),
    UnitKind.DEPARTMENT: frozenset({UnitKind.DISTRICT, UnitKind.DEPARTMENT}),
    UnitKind.OFFICE: frozenset({UnitKind.TOWN, UnitKind.DEPARTMENT, UnitKind.VILLAGE}),
}


@dataclass(frozen=True)
class Unit:
    """One org unit: a center, a department or an office."""

    id: int
    code: str
    name: str
    kind: UnitKind
    parent_id: int | None
    aliases: tuple[str, ...] = ()


@dataclass
class OrgTree:
    """The units and the parent/child relation between them, in memory."""

    units: dict[int, Unit]
    children: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, units: Iterable[Unit]) -> OrgTree:
        by_id = {u.id: u for u in units}
        children: dict[int, list[int]] = {uid: [] for uid in by_id}
        for unit in by_id.values():
            if unit.parent_id is not None and unit.parent_id in children:
                children[unit.parent_id].append(unit.id)
        for kids in children.values():
            kids.sort(key=lambda uid: by_id[uid].code)
        return cls(by_id, children)

    def get(self, unit_id: int) -> Unit:
        try:
            return self.units[unit_id]
        except KeyError:
            raise NotFound("组织单位不存在", unit_id=unit_id) from None

    def by_code(self, code: str) -> Unit:
        for unit in self.units.values():
            if unit.code == code:
                return unit
        raise NotFound(f"组织单位编码 {code} 不存在", code=code)

    def root(self) -> Unit:
        roots = [u for u in self.units.values() if u.parent_id is None]
        if len(roots) != 1:
            raise ValidationFailed("组织架构必须有且只有一个区级根单位", roots=[u.code for u in roots])
        return roots[0]

    def ancestors(self, unit_id: int) -> Iterator[Unit]:
        """The unit's parent, grandparent, … up to the root."""
        seen: set[int] = set()
        parent = self.get(unit_id).parent_id
        while parent is not None and parent not in seen:
            seen.add(parent)
            unit = self.get(parent)
            yield unit
            parent = unit.parent_id

    def subtree_ids(self, unit_id: int) -> set[int]:
        """The unit and everything below it."""
        result = {unit_id}
        stack = [unit_id]
        while stack:
            for child in self.children.get(stack.pop(), []):
                if child not in result:
                    result.add(child)
                    stack.append(child)
        return result

    def is_within(self, unit_id: int, ancestor_id: int) -> bool:
        """True when `unit_id` is `ancestor_id` or lies below it."""
        if unit_id == ancestor_id:
            return True
        return any(a.id == ancestor_id for a in self.ancestors(unit_id))

    def is_center(self, unit_id: int) -> bool:
        """A unit with children can dispatch down to them."""
        return bool(self.children.get(unit_id))

    def dispatch_targets(self, unit_id: int) -> list[Unit]:
        """Units that `unit_id` may dispatch to: everything strictly below it."""
        return [self.units[u] for u in sorted(self.subtree_ids(unit_id) - {unit_id})]

    def center_of(self, unit_id: int) -> Unit:
        """The nearest unit at or above `unit_id` that is a district, town or village center."""
        unit = self.get(unit_id)
        if unit.kind in (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE):
            return unit
        for ancestor in self.ancestors(unit_id):
            if ancestor.kind in (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE):
                return ancestor
        return self.root()

    def path_names(self, unit_id: int) -> str:
        """ "南海区 / 桂城街道 / 夏北社区": the unit's place in the tree."""
        names = [u.name for u in reversed(list(self.ancestors(unit_id)))]
        return " / ".join([*names, self.get(unit_id).name])


def validate_tree(units: Iterable[Unit]) -> list[str]:
    """Problems with a set of units (unknown parent, cycle, wrong nesting); empty when sound."""
    by_id = {u.id: u for u in units}
    problems: list[str] = []
    codes: dict[str, int] = {}
    for unit in by_id.values():
        if unit.code in codes:
            problems.append(f"编码 {unit.code} 重复")
        codes[unit.code] = unit.id
        if not unit.name.strip():
            problems.append(f"{unit.code}: 名称为空")
        parent = by_id.get(unit.parent_id) if unit.parent_id is not None else None
        if unit.parent_id is not None and parent is None:
            problems.append(f"{unit.code}: 上级单位不存在")
            continue
        parent_kind = parent.kind if parent else None
        if parent_kind not in ALLOWED_PARENT_KINDS[unit.kind]:
            problems.append(
                f"{unit.code}: {unit.kind.label}不能挂在{parent_kind.label if parent_kind else '根'}之下"
            )
    for unit in by_id.values():
        seen = {unit.id}
        parent_id = unit.parent_id
        while parent_id is not None and parent_id in by_id:
            if parent_id in seen:
                problems.append(f"{unit.code}: 上下级关系成环")
                break
            seen.add(parent_id)
            parent_id = by_id[parent_id].parent_id
    roots = [u for u in by_id.values() if u.parent_id is None]
    if len(roots) != 1:
        problems.append(f"必须有且只有一个区级根单位（现有 {len(roots)} 个）")
    return problems
