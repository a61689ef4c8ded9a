"""Managed objects in the domain (domain/managed_objects.py): kinds, component ids, attribute
schemas, the identity-number guard, source keys, and who sees which objects."""

from __future__ import annotations

import pytest

from tests.unit.world import (
    ADMIN,
    DEPARTMENT,
    DISTRICT,
    INSPECTOR,
    LEADER,
    ORG,
    TOWN_A,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    agent,
    dispatcher,
    grid_worker,
    handler,
)
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import GridPlace, GridPost, ObjectKind, RiskLevel, WorkerKind
from zhiyun.domain.managed_objects import (
    ATTRIBUTE_SCHEMAS,
    AttributeType,
    ObjectScope,
    contains_id_card_number,
    hashed_source_key,
    id_card_header,
    looks_like_id_card,
    may_browse_managed_objects,
    object_scope,
    parse_attributes,
    parse_component_id,
    parse_source_key,
    validate_object,
)

# A made-up resident identity number with a valid birth date and check digit (GB 11643).
ID_NUMBER = "44060519850612002X"


def problems_of(**fields: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as refused:
        validate_object(**fields)  # type: ignore[arg-type]
    problems: list[tuple[str, str]] = refused.value.details["problems"]  # type: ignore[assignment]
    return problems


# --------------------------------------------------------------------------- kinds and fields


def test_every_kind_has_a_chinese_label_and_an_attribute_schema() -> None:
    assert [k.label for k in ObjectKind] == ["楼栋", "出租屋", "三小场所", "企业", "部件设施"]
    assert set(ATTRIBUTE_SCHEMAS) == set(ObjectKind)
    for specs in ATTRIBUTE_SCHEMAS.values():
        assert specs and len({s.name for s in specs}) == len(specs)
        for spec in specs:
            assert spec.describe() and spec.description
            if spec.type is AttributeType.CHOICE:
                assert spec.choices


def test_a_kind_is_read_from_its_code_or_its_chinese_label() -> None:
    assert validate_object("三小场所", "好又多便利店").kind is ObjectKind.SHOP
    assert validate_object("rental_house", "出租屋 A").kind is ObjectKind.RENTAL_HOUSE
    assert problems_of(kind="商场", name="某商场") == [
        (
            "kind",
            "对象类型「商场」不存在；可用：楼栋（building）、出租屋（rental_house）、三小场所（shop）、"
            "企业（enterprise）、部件设施（facility）",
        )
    ]
    assert problems_of(kind="", name="x") == [("kind", "缺少对象类型")]


def test_an_object_is_named_on_one_line_and_its_risk_is_low_unless_said() -> None:
    valid = validate_object("楼栋", "  夏北花园\n3 座 ", " 桂城街道  南海大道 12 号 ")
    assert (valid.name, valid.address, valid.risk) == (
        "夏北花园 3 座",
        "桂城街道 南海大道 12 号",
        RiskLevel.LOW,
    )
    assert validate_object("企业", "某厂", risk="重大").risk is RiskLevel.MAJOR
    assert validate_object("企业", "某厂", risk="高风险").risk is RiskLevel.HIGH
    assert problems_of(kind="企业", name="", risk="极高") == [
        ("name", "缺少名称"),
        ("risk", "风险等级「极高」不存在；可用：低、中、高、重大"),
    ]
    assert problems_of(kind="企业", name="厂" * 201)[0] == ("name", "名称不能超过 200 个字符")


# --------------------------------------------------------------------------- component ids


def test_a_facility_needs_its_16_digit_component_id_and_other_kinds_may_have_one() -> None:
    facility = validate_object("部件设施", "污水井盖", component_id="4406050102000123")
    assert facility.component_id == "4406050102000123"
    assert problems_of(kind="facility", name="井盖") == [("component_id", "部件设施必须有 16 位部件编码")]
    assert validate_object("楼栋", "夏北花园 1 座", component_id="4406050501000001").component_id
    assert validate_object("楼栋", "夏北花园 2 座").component_id is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("440605010200012", "部件编码应为 16 位数字"),
        ("44060501020001234", "部件编码应为 16 位数字"),
        ("44060501020001A3", "部件编码应为 16 位数字"),
        ("4406050902000123", "大类 09 不存在"),
        ("4406050100000123", "小类和流水号不能为 0"),
        ("4406050102000000", "小类和流水号不能为 0"),
    ],
)
def test_a_component_id_is_county_class_subclass_and_serial(value: str, words: str) -> None:
    with pytest.raises(ValidationFailed, match=words):
        parse_component_id(value)


def test_a_component_id_of_another_county_is_refused_when_the_county_is_known() -> None:
    assert parse_component_id("4406050102000123", county="440605").serial == 123
    with pytest.raises(ValidationFailed, match="区县代码 440604 与本区（440605）不符"):
        parse_component_id("4406040102000123", county="440605")


# --------------------------------------------------------------------------- attributes


def test_attributes_are_typed_by_the_schema_of_their_kind() -> None:
    values, problems = parse_attributes(
        ObjectKind.SHOP,
        {"经营类别": "小餐饮", "面积": "35.5㎡", "从业人数": "3人", "住人": "否", "招牌": "老王面馆"},
    )
    assert problems == []
    assert values == {"经营类别": "小餐饮", "面积": 35.5, "从业人数": 3, "住人": False, "招牌": "老王面馆"}
    building, _ = parse_attributes(ObjectKind.BUILDING, {"层数": "18", "结构": "框架", "建成年份": "2008"})
    assert building == {"层数": 18, "结构": "框架", "建成年份": 2008}
    rental, _ = parse_attributes(
        ObjectKind.RENTAL_HOUSE, {"间数": "12间", "出租状态": "部分出租", "面积": "1,200平方米"}
    )
    assert rental == {"间数": 12, "出租状态": "部分出租", "面积": 1200}


def test_blank_attributes_are_left_out() -> None:
    assert parse_attributes(ObjectKind.ENTERPRISE, {"行业": " ", "规模": ""}) == ({}, [])


def test_a_wrong_value_names_its_attribute_and_what_it_should_be() -> None:
    _, problems = parse_attributes(
        ObjectKind.SHOP, {"经营类别": "大超市", "面积": "很大", "从业人数": "2.5", "住人": "也许"}
    )
    assert problems == [
        (
            "attributes",
            "属性「经营类别」「大超市」不在可选值中（小档口、小商店、小餐饮、小作坊、小娱乐、小旅馆、小美容美发、其他）",
        ),
        ("attributes", "属性「面积」「很大」应为数值"),
        ("attributes", "属性「从业人数」「2.5」应为整数"),
        ("attributes", "属性「住人」「也许」应为 是 或 否"),
    ]
    _, out_of_range = parse_attributes(ObjectKind.BUILDING, {"层数": "0", "建成年份": "1850"})
    assert out_of_range == [
        ("attributes", "属性「层数」0 超出范围（1–200层）"),
        ("attributes", "属性「建成年份」1850 超出范围（1900–2100年）"),
    ]


def test_an_attribute_of_another_kind_only_is_refused() -> None:
    _, problems = parse_attributes(ObjectKind.BUILDING, {"经营类别": "小餐饮"})
    assert problems == [("attributes", "属性「经营类别」属于三小场所，不适用于楼栋")]
    # one that two kinds share is fine for either, refused for the others
    assert parse_attributes(ObjectKind.ENTERPRISE, {"从业人数": "40"}) == ({"从业人数": 40}, [])
    assert parse_attributes(ObjectKind.FACILITY, {"从业人数": "40"})[1] == [
        ("attributes", "属性「从业人数」属于三小场所、企业，不适用于部件设施")
    ]


def test_an_object_carries_its_attributes_and_every_problem_at_once() -> None:
    valid = validate_object("企业", "南海某五金厂", attributes={"规模": "小型", "危化品": "是"})
    assert valid.attributes == {"规模": "小型", "危化品": True}
    assert [f for f, _ in problems_of(kind="企业", name="", attributes={"规模": "巨型"}, risk="?")] == [
        "name",
        "risk",
        "attributes",
    ]


# --------------------------------------------------------------------------- identity numbers


def test_a_cell_shaped_like_an_identity_number_is_refused_and_says_why() -> None:
    assert looks_like_id_card(ID_NUMBER) and looks_like_id_card("440605199001011234")
    assert not looks_like_id_card("4406050102000123")  # a component id: 16 digits
    problems = problems_of(kind="出租屋", name="出租屋", attributes={"房东证件": "440605199001011234"})
    assert problems == [
        (
            "attributes",
            "属性「房东证件」疑似身份证号码：网格管理对象不采集个人身份信息，本系统不保存身份证号码",
        )
    ]


def test_an_identity_number_inside_text_is_refused_and_a_long_serial_number_is_not() -> None:
    assert contains_id_card_number(f"房东 陈生 {ID_NUMBER} 电话另告")
    assert problems_of(kind="楼栋", name=f"陈{ID_NUMBER}的房子")[0][0] == "name"
    # 18 digits in running text without a valid birth date and check digit: a serial, kept
    assert not contains_id_card_number("电表号 123456789012345678 在门口")
    assert validate_object("楼栋", "电表 123456789012345678 旁")


def test_a_header_that_names_an_identity_card_is_recognised() -> None:
    for header in ("身份证号", "房东身份证", "证件号码", "公民身份号码", "ID card", "idcard"):
        assert id_card_header(header), header
    for header in ("编号", "名称", "部件编码", "统一社会信用代码"):
        assert not id_card_header(header), header


def test_a_source_key_that_is_an_identity_number_is_refused() -> None:
    assert parse_source_key("  CZW-0001 ") == "CZW-0001"
    with pytest.raises(ValidationFailed, match="编号疑似身份证号码"):
        parse_source_key(ID_NUMBER)
    with pytest.raises(ValidationFailed, match="不能超过 64 个字符"):
        parse_source_key("x" * 65)


# --------------------------------------------------------------------------- source keys


def test_without_an_id_the_source_key_is_a_hash_of_kind_name_and_address() -> None:
    key = hashed_source_key(ObjectKind.SHOP, "好又多便利店", "南海大道 1 号")
    assert key.startswith("h:") and len(key) == 34
    assert key == hashed_source_key(ObjectKind.SHOP, " 好又多便利店 ", "南海大道  1 号")
    assert key != hashed_source_key(ObjectKind.BUILDING, "好又多便利店", "南海大道 1 号")
    assert key != hashed_source_key(ObjectKind.SHOP, "好又多便利店", "南海大道 2 号")


# --------------------------------------------------------------------------- who sees which objects

GRIDS = [
    GridPlace(11, VILLAGE_A1),
    GridPlace(12, VILLAGE_A1),
    GridPlace(21, VILLAGE_A2),
    GridPlace(31, VILLAGE_B1),
]


def test_a_grid_worker_sees_the_objects_of_their_grids_only() -> None:
    scope = object_scope(
        grid_worker(VILLAGE_A1), GRIDS, ORG, [GridPost(VILLAGE_A1, 12, WorkerKind.FULL_TIME)]
    )
    assert scope == ObjectScope(False, frozenset({12}), frozenset())
    assert scope.holds(12, VILLAGE_A1)
    assert not scope.holds(11, VILLAGE_A1)  # another grid of the same village
    assert not scope.holds(None, VILLAGE_A1)  # in the village, in no grid
    assert object_scope(grid_worker(VILLAGE_A1), GRIDS, ORG).nothing  # no post, nothing


def test_a_grid_chief_sees_every_object_of_the_village_also_outside_its_grids() -> None:
    scope = object_scope(grid_worker(VILLAGE_A2), GRIDS, ORG, [GridPost(VILLAGE_A2, None, WorkerKind.CHIEF)])
    assert scope.holds(21, VILLAGE_A2) and scope.holds(None, VILLAGE_A2)
    assert not scope.holds(11, VILLAGE_A1)


def test_a_village_sees_its_objects_a_town_its_villages_and_a_department_none() -> None:
    for make in (handler, dispatcher, agent):
        village = object_scope(make(VILLAGE_A1), GRIDS, ORG)
        assert village.holds(11, VILLAGE_A1) and village.holds(None, VILLAGE_A1)
        assert not village.holds(21, VILLAGE_A2) and not village.holds(31, VILLAGE_B1)
        town = object_scope(make(TOWN_A), GRIDS, ORG)
        assert town.holds(11, VILLAGE_A1) and town.holds(21, VILLAGE_A2) and not town.holds(31, VILLAGE_B1)
    assert object_scope(dispatcher(DISTRICT), GRIDS, ORG).holds(31, VILLAGE_B1)
    assert object_scope(handler(DEPARTMENT), GRIDS, ORG).nothing
    assert object_scope(Actor.citizen(7), GRIDS, ORG).nothing


def test_the_district_wide_readers_see_every_object_even_outside_every_village() -> None:
    for actor in (ADMIN, LEADER, INSPECTOR, Actor.system()):
        assert object_scope(actor, GRIDS, ORG).holds(None, None), actor


def test_the_menu_offers_the_objects_to_grid_workers_village_and_town_staff_dispatchers_and_admins() -> None:
    shown = {role for role in Role if may_browse_managed_objects(Actor(1, role, VILLAGE_A1))}
    assert shown == {Role.GRID_WORKER, Role.HANDLER, Role.DISPATCHER, Role.ADMIN}
