"""The taxonomy and the responsibility list in the database: imports, versioned edits, bad input."""

from __future__ import annotations

import pytest
from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.responsibility import Case, Outcome
from zhiyun.domain.taxonomy import Category

TAXONOMY_CSV = """code,name,parent_code,keywords,default_type,time_limit_days
CG,城市管理,,,,
CG01,市容环境,CG,垃圾|清运,complaint,2
HB,环境保护,,河涌,,
"""


def test_default_taxonomy_loads_once_and_exports_as_csv(services: Services) -> None:
    district = build_small_district(services)
    admin = district.actors["admin"]
    first = services.taxonomy.ensure_default(admin)
    again = services.taxonomy.ensure_default(admin)
    assert first.created > 50 and again.created == 0
    exported = services.taxonomy.export_csv()
    assert exported.startswith("code,name,parent_code") and "城市管理" in exported
    assert services.taxonomy.taxonomy().path_names("CG0101") == "城市管理 / 市容环境 / 垃圾清运"


def test_taxonomy_import_is_all_or_nothing(services: Services) -> None:
    admin = build_small_district(services).actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    with pytest.raises(ValidationFailed, match="上级分类 XX 不存在"):
        services.taxonomy.import_csv(admin, "code,name,parent_code\nNEW,新,\nB,乙,XX\n")
    assert "NEW" not in services.taxonomy.taxonomy()


def test_only_admins_edit_the_taxonomy(services: Services) -> None:
    district = build_small_district(services)
    with pytest.raises(PermissionDenied):
        services.taxonomy.import_csv(district.actors["district"], TAXONOMY_CSV)


def test_category_edits_are_versioned_with_before_and_after(services: Services) -> None:
    admin = build_small_district(services).actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    services.taxonomy.save(admin, Category("CG01", "市容环卫", "CG", ("垃圾",)), create=False)
    history = services.taxonomy.history("CG01")
    assert [c.action for c in history] == ["update", "import"]
    assert history[0].before is not None and history[0].before["name"] == "市容环境"
    assert history[0].after is not None and history[0].after["name"] == "市容环卫"
    assert history[0].actor_name == "admin"


def test_a_category_used_by_a_rule_cannot_be_deleted(services: Services) -> None:
    admin = build_small_district(services).actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    services.responsibility.import_csv(admin, "category_code,unit_code\nCG01,GC-CG\n")
    with pytest.raises(ValidationFailed, match="权责清单仍在使用分类 CG01"):
        services.taxonomy.delete(admin, "CG01")


def test_rule_edits_are_versioned_who_what_when(services: Services) -> None:
    district = build_small_district(services)
    admin = district.actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    created = services.responsibility.import_csv(
        admin, "category_code,area_code,unit_code,priority\nCG01,GC,GC-CG,5\n"
    )
    assert created == (1, 0, 0, 0)
    rule = services.responsibility.rules()[0]
    assert rule.unit_name == "桂城街道城管办" and rule.area_name == "桂城街道"
    from zhiyun.catalog.responsibility import RuleInput

    services.responsibility.update(
        admin, rule.rule.id, RuleInput("ZJJ", "CG01", "GC", priority=5), note="移交"
    )
    services.responsibility.delete(admin, rule.rule.id)
    history = services.responsibility.history(rule.rule.id)
    assert [c.action for c in history] == ["delete", "update", "import"]
    assert history[1].before is not None and history[1].before["unit_code"] == "GC-CG"
    assert history[1].after is not None and history[1].after["unit_code"] == "ZJJ"
    assert history[1].note == "移交" and all(c.actor_name == "admin" for c in history)
    with pytest.raises(NotFound):
        services.responsibility.get(rule.rule.id)


def test_a_rule_naming_an_unknown_unit_or_category_is_refused_and_nothing_is_imported(
    services: Services,
) -> None:
    admin = build_small_district(services).actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    text = "category_code,unit_code\nCG01,GC-CG\nZZ,NOPE\n"
    with pytest.raises(ValidationFailed) as info:
        services.responsibility.import_csv(admin, text)
    assert "责任单位编码 NOPE 不存在" in info.value.message
    assert "分类编码 ZZ 不存在" in info.value.message
    assert services.responsibility.rules() == []


def test_the_stored_list_resolves_with_area_inheritance_and_fallback(services: Services) -> None:
    district = build_small_district(services)
    admin = district.actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    services.responsibility.import_csv(admin, "category_code,area_code,unit_code\nCG,,ZJJ\nCG01,GC,GC-CG\n")
    u = district.units
    in_gc = services.responsibility.resolve(Case("CG01", u["GC-XB"]))
    assert in_gc.unit_id == u["GC-CG"] and in_gc.outcome is Outcome.RULE
    in_dl = services.responsibility.resolve(Case("CG01", u["DL-YB"]))
    assert in_dl.unit_id == u["ZJJ"]
    nothing = services.responsibility.resolve(Case("HB", u["DL-YB"]))
    assert nothing.outcome is Outcome.NO_RULE and nothing.unit_id == u["DL"]


def test_rules_export_and_reimport_unchanged(services: Services) -> None:
    admin = build_small_district(services).actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY_CSV)
    services.responsibility.import_csv(
        admin, "category_code,unit_code,keywords,urgent\nCG01,GC-CG,垃圾|清运,是\n"
    )
    exported = services.responsibility.export_csv()
    assert services.responsibility.import_csv(admin, exported) == (0, 0, 1, 0)
