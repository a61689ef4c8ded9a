"""The category tree: validation of an imported taxonomy and look-ups in a sound one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiyun.catalog.taxonomy import default_categories, parse_taxonomy_csv, taxonomy_csv
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.taxonomy import Category, Taxonomy, validate_categories
from zhiyun.domain.workorder import OrderType

TREE = [
    Category("CG", "城市管理"),
    Category("CG01", "市容环境", "CG", ("市容",)),
    Category("CG0101", "垃圾清运", "CG01", ("垃圾", "清运"), OrderType.COMPLAINT, 2),
    Category("HB", "环境保护", time_limit_days=10),
    Category("HB01", "水污染", "HB", ("河涌",)),
]


def test_levels_ancestors_and_paths_follow_the_parents() -> None:
    tax = Taxonomy.of(TREE)
    assert tax.level("CG") == 1 and tax.level("CG01") == 2 and tax.level("CG0101") == 3
    assert tax.top("CG0101").code == "CG"
    assert tax.path_names("CG0101") == "城市管理 / 市容环境 / 垃圾清运"
    assert tax.is_within("CG0101", "CG") and not tax.is_within("CG", "CG0101")
    assert tax.subtree("CG") == ["CG", "CG01", "CG0101"]
    assert [c.code for c in tax.walk()] == ["CG", "CG01", "CG0101", "HB", "HB01"]


def test_time_limit_and_default_type_are_inherited_from_the_nearest_ancestor() -> None:
    tax = Taxonomy.of(TREE)
    assert tax.time_limit_days("HB01") == 10
    assert tax.time_limit_days("CG0101") == 2
    assert tax.time_limit_days("CG01") is None
    assert tax.default_type("CG0101") is OrderType.COMPLAINT


def test_unknown_parent_is_refused_with_the_code_named() -> None:
    with pytest.raises(ValidationFailed, match="XX01: 上级分类 XX 不存在"):
        Taxonomy.of([*TREE, Category("XX01", "未知", "XX")])


def test_a_cycle_is_refused() -> None:
    problems = validate_categories([Category("A", "甲", "B"), Category("B", "乙", "A")])
    assert any("成环" in p for p in problems)


def test_a_fourth_level_is_refused() -> None:
    problems = validate_categories([*TREE, Category("CG010101", "第四级", "CG0101")])
    assert problems == ["CG010101: 分类层级超过3级"]


def test_duplicate_codes_and_empty_names_are_refused() -> None:
    problems = validate_categories([Category("A", "甲"), Category("A", "乙"), Category("B", " ")])
    assert "A: 编码重复" in problems and "B: 名称为空" in problems


def test_keyword_hits_count_keywords_and_names_in_the_text() -> None:
    tax = Taxonomy.of(TREE)
    assert tax.keyword_hits("小区门口垃圾没人清运，河涌发臭") == {"CG0101": 2, "HB01": 1}


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=7))
def test_a_random_parent_list_is_valid_exactly_when_it_is_a_forest_at_most_three_deep(
    parents: list[int],
) -> None:
    # category i has parent parents[i] (itself or out of range: a root)
    cats = [
        Category(f"C{i}", f"分类{i}", f"C{p}" if p != i and p < len(parents) else None)
        for i, p in enumerate(parents)
    ]

    def depth(i: int) -> int | None:
        seen, d = {i}, 1
        while cats[i].parent_code is not None:
            i = int(cats[i].parent_code[1:])
            if i in seen:
                return None
            seen.add(i)
            d += 1
        return d

    depths = [depth(i) for i in range(len(cats))]
    expected_ok = all(d is not None and d <= 3 for d in depths)
    assert (validate_categories(cats) == []) == expected_ok


def test_the_shipped_default_taxonomy_is_sound_and_covers_the_main_areas() -> None:
    tax = Taxonomy.of(default_categories())
    roots = {c.name for c in tax.roots()}
    for name in ("城乡建设", "环境保护", "交通运输", "城市管理", "农村农业", "民政", "政务服务", "公共安全"):
        assert name in roots
    urban = next(c for c in tax.roots() if c.name == "城市管理")
    assert {tax.get(c).name for c in tax.children[urban.code]} >= {
        "市容环境",
        "宣传广告",
        "施工管理",
        "街面秩序",
    }


def test_csv_round_trip_keeps_every_field() -> None:
    assert parse_taxonomy_csv(taxonomy_csv(TREE)) == TREE


def test_csv_with_an_unknown_parent_names_the_problem() -> None:
    text = "code,name,parent_code\nA,甲,\nB,乙,Z\n"
    with pytest.raises(ValidationFailed, match="B: 上级分类 Z 不存在"):
        parse_taxonomy_csv(text)


def test_csv_with_a_cycle_is_refused() -> None:
    text = "code,name,parent_code\nA,甲,B\nB,乙,A\n"
    with pytest.raises(ValidationFailed, match="成环"):
        parse_taxonomy_csv(text)


def test_csv_with_a_bad_type_or_limit_names_the_line() -> None:
    text = "code,name,parent_code,default_type,time_limit_days\nA,甲,,闲聊,\nB,乙,,,三天\n"
    with pytest.raises(ValidationFailed) as info:
        parse_taxonomy_csv(text)
    assert "第2行" in info.value.message and "第3行" in info.value.message


@pytest.mark.parametrize("text", ["", "name\n甲\n", "code,name\n"])
def test_empty_or_headless_csv_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_taxonomy_csv(text)
