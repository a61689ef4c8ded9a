"""The grid words of the domain (domain/grid.py): codes, component ids, numbering, posts, and who
sees which grids."""

from __future__ import annotations

import pytest

from tests.unit.world import (
    ADMIN,
    DEPARTMENT,
    DISTRICT,
    DISTRICT_ADMIN,
    INSPECTOR,
    LEADER,
    ORG,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    agent,
    dispatcher,
    grid_worker,
    handler,
)
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import (
    ComponentId,
    GridCode,
    GridPlace,
    GridPost,
    ObjectKind,
    RiskLevel,
    WorkerKind,
    may_see_grid,
    number_west_to_east,
    villages_in_view,
    visible_grid_ids,
)

# --------------------------------------------------------------------------- codes


def test_a_grid_code_is_county_town_village_and_sequence() -> None:
    code = GridCode.parse(" 440605001002017 ")
    assert code.value == str(code) == "440605001002017"
    assert (code.county, code.town, code.village, code.sequence) == ("440605", "001", "002", 17)
    assert code.village_prefix == "440605001002"


def test_a_grid_code_is_made_from_its_villages_prefix_and_number() -> None:
    assert GridCode.of("440605001002", 7).value == "440605001002007"
    assert GridCode.of("440605001002", 999).sequence == 999


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("44060500100201", "网格编码应为 15 位数字"),
        ("4406050010020171", "网格编码应为 15 位数字"),
        ("44060500100201A", "网格编码应为 15 位数字"),
        ("", "网格编码应为 15 位数字"),
        ("440605001002000", "顺序码不能为 000"),
    ],
)
def test_a_bad_grid_code_is_refused_in_chinese(text: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        GridCode.parse(text)
    assert words in refused.value.message
    assert refused.value.details["field"] == "code"


@pytest.mark.parametrize(
    ("prefix", "sequence"), [("44060500100", 1), ("440605001002", 0), ("440605001002", 1000)]
)
def test_a_grid_code_needs_a_12_digit_prefix_and_a_number_from_1_to_999(prefix: str, sequence: int) -> None:
    with pytest.raises(ValidationFailed):
        GridCode.of(prefix, sequence)


def test_codes_order_as_their_digits() -> None:
    codes = [GridCode.parse(c) for c in ("440605001002010", "440605001001999", "440605001002002")]
    assert [c.value for c in sorted(codes)] == ["440605001001999", "440605001002002", "440605001002010"]


def test_a_component_id_is_county_class_subclass_and_serial() -> None:
    component = ComponentId.parse("4406050102000123")
    assert (component.county, component.component_class, component.subclass, component.serial) == (
        "440605",
        "01",
        "02",
        123,
    )
    with pytest.raises(ValidationFailed, match="部件编码应为 16 位数字"):
        ComponentId.parse("440605010200012")


def test_object_kinds_risk_levels_and_worker_posts_parse_their_chinese_labels() -> None:
    assert ObjectKind.parse("三小场所") is ObjectKind.SHOP
    assert RiskLevel.parse("重大") is RiskLevel.MAJOR and RiskLevel.parse("高风险") is RiskLevel.HIGH
    assert RiskLevel.LOW.rank < RiskLevel.MAJOR.rank
    assert (
        WorkerKind.parse("网格长") is WorkerKind.CHIEF
        and WorkerKind.parse("part_time") is WorkerKind.PART_TIME
    )
    assert WorkerKind.CHIEF.covers_village and not WorkerKind.FULL_TIME.covers_village
    with pytest.raises(ValidationFailed, match="网格员类型「组长」不存在"):
        WorkerKind.parse("组长")
    with pytest.raises(ValidationFailed, match="对象类型"):
        ObjectKind.parse("人口")


# --------------------------------------------------------------------------- numbering


def test_grids_are_numbered_north_to_south_in_rows_and_west_to_east_within_a_row() -> None:
    # a 3 × 2 lattice given in scrambled order: (lon, lat) centres, rows 0.01° apart
    centres = [
        (113.02, 23.00),  # south row, east
        (113.00, 23.01),  # north row, west
        (113.01, 23.00),  # south row, middle
        (113.02, 23.01),  # north row, east
        (113.00, 23.00),  # south row, west
        (113.01, 23.01),  # north row, middle
    ]
    assert number_west_to_east(centres, 0.01) == [6, 1, 5, 3, 4, 2]


def test_a_centre_within_half_a_row_of_the_rows_first_belongs_to_that_row() -> None:
    # the second cell's centre is a little south of the first (a clipped cell): same row
    centres = [(113.00, 23.010), (113.01, 23.0065), (113.00, 23.000)]
    assert number_west_to_east(centres, 0.01) == [1, 2, 3]


def test_numbering_needs_a_positive_row_height() -> None:
    with pytest.raises(ValueError):
        number_west_to_east([(113.0, 23.0)], 0)
    assert number_west_to_east([], 0.01) == []


# --------------------------------------------------------------------------- who sees which grids

# two grids in each of 夏北 (A1) and 平洲 (A2), one in 沙头 (B1)
GRIDS = [
    GridPlace(11, VILLAGE_A1),
    GridPlace(12, VILLAGE_A1),
    GridPlace(21, VILLAGE_A2),
    GridPlace(22, VILLAGE_A2),
    GridPlace(31, VILLAGE_B1),
]
ALL = frozenset(g.id for g in GRIDS)


def test_a_grid_worker_sees_only_the_grids_of_their_posts() -> None:
    worker = grid_worker(VILLAGE_A1)
    posts = [GridPost(VILLAGE_A1, 12, WorkerKind.FULL_TIME)]
    assert visible_grid_ids(worker, GRIDS, ORG, posts) == {12}
    assert not may_see_grid(worker, GRIDS[0], ORG, posts)
    assert may_see_grid(worker, GRIDS[1], ORG, posts)
    # a part-time worker posted to grids of two villages
    two = [GridPost(VILLAGE_A1, 11, WorkerKind.PART_TIME), GridPost(VILLAGE_B1, 31, WorkerKind.PART_TIME)]
    assert visible_grid_ids(worker, GRIDS, ORG, two) == {11, 31}


def test_a_grid_chief_sees_every_grid_of_the_village_and_no_other() -> None:
    chief = grid_worker(VILLAGE_A2)
    assert visible_grid_ids(chief, GRIDS, ORG, [GridPost(VILLAGE_A2, None, WorkerKind.CHIEF)]) == {21, 22}


def test_a_grid_worker_without_a_post_sees_no_grid_even_of_their_own_village() -> None:
    assert visible_grid_ids(grid_worker(VILLAGE_A1), GRIDS, ORG) == frozenset()


def test_a_village_sees_its_grids_and_a_town_those_of_its_villages() -> None:
    for make in (handler, dispatcher, agent):
        assert visible_grid_ids(make(VILLAGE_A1), GRIDS, ORG) == {11, 12}
        assert visible_grid_ids(make(TOWN_A), GRIDS, ORG) == {11, 12, 21, 22}
        assert visible_grid_ids(make(TOWN_B), GRIDS, ORG) == {31}
    assert visible_grid_ids(dispatcher(DISTRICT), GRIDS, ORG) == ALL
    assert visible_grid_ids(handler(DEPARTMENT), GRIDS, ORG) == frozenset()


def test_posts_count_only_for_grid_workers() -> None:
    someone_elses = [GridPost(VILLAGE_B1, 31, WorkerKind.FULL_TIME)]
    assert visible_grid_ids(handler(VILLAGE_A1), GRIDS, ORG, someone_elses) == {11, 12}


def test_the_district_wide_readers_see_every_grid_and_a_citizen_none() -> None:
    for reader in (ADMIN, DISTRICT_ADMIN, LEADER, INSPECTOR, Actor.system("接口")):
        assert visible_grid_ids(reader, GRIDS, ORG) == ALL
    assert visible_grid_ids(Actor.citizen(7), GRIDS, ORG) == frozenset()
    assert visible_grid_ids(Actor(9, dispatcher(TOWN_A).role, None), GRIDS, ORG) == frozenset()
    assert visible_grid_ids(Actor(9, dispatcher(TOWN_A).role, 999), GRIDS, ORG) == frozenset()


def test_the_villages_in_view_follow_the_same_rule() -> None:
    villages = {u.id for u in ORG.units.values() if u.kind.value == "village"}
    assert villages_in_view(LEADER, ORG) == villages
    assert villages_in_view(handler(TOWN_A), ORG) == {VILLAGE_A1, VILLAGE_A2}
    assert villages_in_view(handler(VILLAGE_B1), ORG) == {VILLAGE_B1}
    worker = grid_worker(VILLAGE_A1)
    assert villages_in_view(worker, ORG, [GridPost(VILLAGE_A2, 21, WorkerKind.PART_TIME)]) == {VILLAGE_A2}
    assert villages_in_view(worker, ORG) == frozenset()
    assert villages_in_view(Actor.citizen(1), ORG) == frozenset()
