"""Names of units and places in a citizen's words (issue 4, item 6)."""

from __future__ import annotations

from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.routing.names import NameFinder

ORG = OrgTree.of(
    [
        Unit(1, "NH", "南海区", UnitKind.DISTRICT, None),
        Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1, ("桂城",)),
        Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2, ("夏北",)),
        Unit(4, "JJ", "九江镇", UnitKind.TOWN, 1),
        Unit(5, "JJ-XX", "下西村", UnitKind.VILLAGE, 4),
        Unit(6, "JYJ", "区教育局", UnitKind.DEPARTMENT, 1, ("教育局",)),
        Unit(7, "CGJ", "区城管局", UnitKind.DEPARTMENT, 1, ("城管局",)),
        Unit(8, "CGJ-ZF", "区城管执法大队", UnitKind.DEPARTMENT, 7, ("城管执法大队",)),
    ]
)
FINDER = NameFinder(ORG)


def test_a_village_committee_named_in_the_text_locates_the_order() -> None:
    found = FINDER.find("下西村委会门口的路灯坏了")
    assert found.place.village_unit_id == 5 and found.place.town_unit_id == 4


def test_a_department_named_by_its_alias_is_found() -> None:
    assert FINDER.find("希望教育局管一管学校乱收费").units == (6,)


def test_the_longer_name_wins_over_the_name_inside_it() -> None:
    # 城管执法大队 contains neither 城管局 nor 区城管局, but 区城管执法大队 must not also count as 城管局
    assert FINDER.find("请区城管执法大队来查处占道经营").units == (8,)


def test_text_without_names_finds_nothing() -> None:
    found = FINDER.find("路灯不亮")
    assert not found.place.found and found.units == ()
