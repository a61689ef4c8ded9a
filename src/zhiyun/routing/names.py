"""Names of units and places in a citizen's words: strong signals for routing (issue 4, item 6).

A request that names a village (XX村委会, 夏北社区), a town or a department (区教育局,
城管执法大队) says where it happened or who should act. Places are found with intake's
gazetteer (the towns' and villages' names and aliases, suffixes such as 村委会 dropped);
departments and offices with the same kind of index over their names and aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.geo.locator import Gazetteer, Location

# Suffixes people leave out of a department's name: 区教育局 → 教育局 is an alias already;
# 区城管执法大队 → 城管执法大队.
_DEPARTMENT_PREFIXES = ("区",)
MIN_TERM = 3


@dataclass(frozen=True)
class NamedUnits:
    """What a text names: the place (town/village) and the departments or offices."""

    place: Location
    units: tuple[int, ...]  # departments and offices, longest mention first


class NameFinder:
    """Finds the org tree's names and aliases in free text."""

    def __init__(self, org: OrgTree) -> None:
        self.org = org
        self.gazetteer = Gazetteer(org)
        terms: dict[str, set[int]] = {}
        for unit in org.units.values():
            if unit.kind not in (UnitKind.DEPARTMENT, UnitKind.OFFICE):
                continue
            names = {unit.name, *unit.aliases}
            for name in list(names):
                for prefix in _DEPARTMENT_PREFIXES:
                    if name.startswith(prefix) and len(name) - len(prefix) >= MIN_TERM:
                        names.add(name[len(prefix) :])
            for name in names:
                name = name.strip()
                if len(name) >= MIN_TERM:
                    terms.setdefault(name, set()).add(unit.id)
        # a term shared by several units names none of them
        self._terms = sorted(
            ((t, next(iter(ids))) for t, ids in terms.items() if len(ids) == 1),
            key=lambda item: -len(item[0]),
        )

    def find(self, text: str) -> NamedUnits:
        compact = "".join((text or "").split())
        found: list[int] = []
        covered: list[tuple[int, int]] = []
        for term, unit_id in self._terms:
            start = compact.find(term)
            while start >= 0:
                end = start + len(term)
                if not any(s <= start and end <= e for s, e in covered):
                    covered.append((start, end))
                    if unit_id not in found:
                        found.append(unit_id)
                start = compact.find(term, end)
        return NamedUnits(self.gazetteer.match(compact), tuple(found))


__all__ = ["NameFinder", "NamedUnits"]
