"""The org tree (OrgTree, validate_tree) and who may see what (roles, visibility, masking)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.world import (
    ADMIN,
    DEPARTMENT,
    DISTRICT,
    INSPECTOR,
    LEADER,
    OFFICE_A,
    ORG,
    TOWN_A,
    TOWN_B,
    UNIT_IDS,
    UNITS,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    VILLAGE_B2,
    dispatcher,
    grid_worker,
    handler,
)
from zhiyun.domain.access import (
    Actor,
    Role,
    can_see_contact,
    can_view,
    mask_name,
    mask_phone,
)
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree, Unit, UnitKind, validate_tree

# --------------------------------------------------------------------------- OrgTree


def test_subtree_is_the_unit_and_everything_below_it() -> None:
    assert ORG.subtree_ids(DISTRICT) == set(UNIT_IDS)
    assert ORG.subtree_ids(TOWN_A) == {TOWN_A, VILLAGE_A1, VILLAGE_A2, OFFICE_A}
    assert ORG.subtree_ids(TOWN_B) == {TOWN_B, VILLAGE_B1, VILLAGE_B2}
    assert ORG.subtree_ids(VILLAGE_A1) == {VILLAGE_A1}
    assert ORG.subtree_ids(DEPARTMENT) == {DEPARTMENT}


def test_ancestors_run_from_the_parent_up_to_the_root() -> None:
    assert [u.id for u in ORG.ancestors(VILLAGE_A1)] == [TOWN_A, DISTRICT]
    assert [u.id for u in ORG.ancestors(OFFICE_A)] == [TOWN_A, DISTRICT]
    assert [u.id for u in ORG.ancestors(DEPARTMENT)] == [DISTRICT]
    assert list(ORG.ancestors(DISTRICT)) == []


def test_is_within_means_at_or_below() -> None:
    assert ORG.is_within(VILLAGE_A1, TOWN_A)
    assert ORG.is_within(VILLAGE_A1, DISTRICT)
    assert ORG.is_within(VILLAGE_A1, VILLAGE_A1)
    assert not ORG.is_within(VILLAGE_A1, TOWN_B)
    assert not ORG.is_within(VILLAGE_A1, VILLAGE_A2)
    assert not ORG.is_within(TOWN_A, VILLAGE_A1)


def test_dispatch_targets_are_everything_strictly_below() -> None:
    assert [u.id for u in ORG.dispatch_targets(TOWN_A)] == [VILLAGE_A1, VILLAGE_A2, OFFICE_A]
    assert {u.id for u in ORG.dispatch_targets(DISTRICT)} == set(UNIT_IDS) - {DISTRICT}
    assert ORG.dispatch_targets(VILLAGE_A1) == []


def test_a_unit_with_children_is_a_center() -> None:
    assert ORG.is_center(DISTRICT) and ORG.is_center(TOWN_A)
    assert not ORG.is_center(VILLAGE_A1)
    assert not ORG.is_center(DEPARTMENT)


def test_center_of_is_the_nearest_district_town_or_village_center() -> None:
    team = Unit(20, "440605900001", "执法一中队", UnitKind.OFFICE, DEPARTMENT)
    sub_department = Unit(21, "440605901", "区城管局执法大队", UnitKind.DEPARTMENT, DEPARTMENT)
    org = OrgTree.of([*UNITS, team, sub_department])
    assert org.center_of(VILLAGE_A1).id == VILLAGE_A1
    assert org.center_of(TOWN_A).id == TOWN_A
    assert org.center_of(OFFICE_A).id == TOWN_A
    assert org.center_of(DEPARTMENT).id == DISTRICT
    assert org.center_of(team.id).id == DISTRICT
    assert org.center_of(sub_department.id).id == DISTRICT


def test_children_are_ordered_by_code() -> None:
    assert ORG.children[DISTRICT] == [TOWN_A, TOWN_B, DEPARTMENT]
    assert ORG.children[TOWN_A] == [VILLAGE_A1, VILLAGE_A2, OFFICE_A]


def test_lookups_by_id_and_code() -> None:
    assert ORG.get(TOWN_A).name == "桂城街道"
    assert ORG.by_code("440605002001").id == VILLAGE_B1
    assert ORG.root().id == DISTRICT
    assert ORG.path_names(VILLAGE_A1) == "南海区 / 桂城街道 / 夏北社区"
    with pytest.raises(NotFound):
        ORG.get(99)
    with pytest.raises(NotFound):
        ORG.by_code("nope")


def test_a_tree_with_two_roots_has_no_root() -> None:
    org = OrgTree.of([*UNITS, Unit(30, "440606", "顺德区", UnitKind.DISTRICT, None)])
    with pytest.raises(ValidationFailed) as err:
        org.root()
    assert err.value.details["roots"] == ["440605", "440606"]


def test_ancestors_stop_on_a_cycle() -> None:
    org = OrgTree.of(
        [
            Unit(1, "A", "甲", UnitKind.DEPARTMENT, 2),
            Unit(2, "B", "乙", UnitKind.DEPARTMENT, 1),
        ]
    )
    assert [u.id for u in org.ancestors(1)] == [2, 1]
    assert not org.is_within(1, 3)


# --------------------------------------------------------------------------- validate_tree


def test_a_sound_tree_has_no_problems() -> None:
    assert validate_tree(UNITS) == []


def test_validate_tree_finds_a_cycle() -> None:
    units = [
        *UNITS,
        Unit(40, "D1", "部门甲", UnitKind.DEPARTMENT, 41),
        Unit(41, "D2", "部门乙", UnitKind.DEPARTMENT, 40),
    ]
    problems = validate_tree(units)
    assert "D1: 上下级关系成环" in problems
    assert "D2: 上下级关系成环" in problems


def test_validate_tree_finds_an_unknown_parent() -> None:
    problems = validate_tree([*UNITS, Unit(40, "V9", "孤村", UnitKind.VILLAGE, 77)])
    assert problems == ["V9: 上级单位不存在"]


@pytest.mark.parametrize(
    ("unit", "problem"),
    [
        (Unit(40, "V9", "错村", UnitKind.VILLAGE, DISTRICT), "V9: 村居不能挂在区之下"),
        (Unit(40, "T9", "错镇", UnitKind.TOWN, TOWN_A), "T9: 镇街不能挂在镇街之下"),
        (Unit(40, "D9", "错局", UnitKind.DEPARTMENT, TOWN_A), "D9: 部门不能挂在镇街之下"),
        (Unit(40, "X9", "错区", UnitKind.DISTRICT, TOWN_A), "X9: 区不能挂在镇街之下"),
        (Unit(40, "O9", "错办", UnitKind.OFFICE, DISTRICT), "O9: 科室不能挂在区之下"),
    ],
)
def test_validate_tree_finds_wrong_nesting(unit: Unit, problem: str) -> None:
    assert validate_tree([*UNITS, unit]) == [problem]


@pytest.mark.parametrize(
    "unit",
    [
        Unit(40, "V9", "村居办公室", UnitKind.OFFICE, VILLAGE_A1),
        Unit(40, "D9", "二级部门", UnitKind.DEPARTMENT, DEPARTMENT),
        Unit(40, "O9", "部门科室", UnitKind.OFFICE, DEPARTMENT),
    ],
)
def test_validate_tree_accepts_allowed_nesting(unit: Unit) -> None:
    assert validate_tree([*UNITS, unit]) == []


def test_validate_tree_finds_two_roots() -> None:
    problems = validate_tree([*UNITS, Unit(30, "440606", "顺德区", UnitKind.DISTRICT, None)])
    assert problems == ["必须有且只有一个区级根单位（现有 2 个）"]


def test_validate_tree_finds_a_town_as_root() -> None:
    problems = validate_tree([Unit(1, "T", "某镇", UnitKind.TOWN, None)])
    assert problems == ["T: 镇街不能挂在根之下"]


def test_validate_tree_finds_no_root() -> None:
    assert validate_tree([]) == ["必须有且只有一个区级根单位（现有 0 个）"]


def test_validate_tree_finds_duplicate_codes_and_empty_names() -> None:
    problems = validate_tree(
        [
            *UNITS,
            Unit(40, "440605001001", "夏北社区（重复）", UnitKind.VILLAGE, TOWN_A),
            Unit(41, "V8", "  ", UnitKind.VILLAGE, TOWN_B),
        ]
    )
    assert problems == ["编码 440605001001 重复", "V8: 名称为空"]


# --------------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("020-12345678", "020-****5678"),  # landline: area code kept
        ("0757-86281234", "0757-****1234"),  # four-digit area code, dash kept
        ("86281234", "****1234"),  # a local number: too short to keep a head
        ("8628123", "****8123"),
        ("1234", "****"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


@given(st.text(alphabet="0123456789", min_size=1, max_size=16))
def test_mask_phone_never_shows_more_than_a_head_and_the_last_four_digits(number: str) -> None:
    masked = mask_phone(number)
    assert masked is not None
    shown = sum(ch.isdigit() for ch in masked)
    if len(number) <= 4:
        assert shown == 0
        return
    assert masked.endswith(number[-4:])
    assert "****" in masked
    hidden = len(number) - shown
    assert hidden >= min(4, len(number) - 4)


def test_mask_name_keeps_the_family_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "李*"
    assert mask_name("") == ""
    assert mask_name(None) is None


@pytest.mark.parametrize(
    ("role", "plain", "confidential"),
    [
        (Role.ADMIN, True, True),
        (Role.DISPATCHER, True, True),
        (Role.INSPECTOR, True, True),
        (Role.HANDLER, True, False),
        (Role.LEADER, False, False),
        (Role.GRID_WORKER, False, False),
    ],
)
def test_can_see_contact_by_role_and_confidentiality(role: Role, plain: bool, confidential: bool) -> None:
    actor = Actor(1, role, TOWN_A)
    assert can_see_contact(actor, confidential=False) is plain
    assert can_see_contact(actor, confidential=True) is confidential


# --------------------------------------------------------------------------- visibility

# an order that went district → town A → village A1
INVOLVED = (DISTRICT, TOWN_A, VILLAGE_A1)


@pytest.mark.parametrize("actor", [ADMIN, LEADER, INSPECTOR, Actor(9, Role.LEADER, None)], ids=str)
def test_district_wide_readers_see_every_order(actor: Actor) -> None:
    assert can_view(actor, INVOLVED, ORG)
    assert can_view(actor, (VILLAGE_B2,), ORG)


def test_dispatchers_see_orders_that_touched_their_subtree() -> None:
    assert can_view(dispatcher(DISTRICT), (VILLAGE_B2,), ORG)
    assert can_view(dispatcher(TOWN_A), INVOLVED, ORG)
    assert can_view(dispatcher(TOWN_A), (VILLAGE_A2,), ORG)
    assert not can_view(dispatcher(TOWN_B), INVOLVED, ORG)
    assert not can_view(dispatcher(VILLAGE_A2), INVOLVED, ORG)


def test_handlers_and_grid_workers_see_orders_of_their_own_unit_only() -> None:
    assert can_view(handler(VILLAGE_A1), INVOLVED, ORG)
    assert can_view(grid_worker(VILLAGE_A1), INVOLVED, ORG)
    assert not can_view(handler(VILLAGE_A2), INVOLVED, ORG)
    assert not can_view(grid_worker(VILLAGE_B1), INVOLVED, ORG)
    # a town handler does not see what its villages hold unless it was on the route
    assert not can_view(handler(TOWN_A), (DISTRICT, VILLAGE_A1), ORG)


def test_a_user_without_a_unit_sees_nothing_unless_district_wide() -> None:
    assert not can_view(Actor(9, Role.DISPATCHER, None), INVOLVED, ORG)
    assert not can_view(Actor(9, Role.HANDLER, None), INVOLVED, ORG)


def test_the_system_principal_has_its_own_role_no_user_and_no_unit() -> None:
    system = Actor.system()
    assert system.is_system and system.role is Role.SYSTEM and system.unit_id is None
    assert system.user_id is None and not system.is_staff
    assert not ADMIN.is_system
    assert Role.GRID_WORKER.label == "网格员"
