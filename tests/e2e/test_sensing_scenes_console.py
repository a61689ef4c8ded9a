"""The scene catalogue in the console (系统管理 → 感知场景): an admin lists the scenes, switches one
off, tunes one (a new version with its note, checked as a file is), imports and exports the
catalogue file; a bad edit or file is refused with its reason and changes nothing; others get 403;
a hostile description is shown as text."""

from __future__ import annotations

import json

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from tests.support import TEST_ADMIN
from zhiyun.sensing.scenes import SceneCatalogue

SCRIPT = "<script>alert(1)</script>"


def _catalogue(console: Api) -> SceneCatalogue:
    console.services.taxonomy.ensure_default(TEST_ADMIN)
    catalogue = console.services.get(SceneCatalogue)
    catalogue.ensure_default(TEST_ADMIN)
    return catalogue


def test_an_admin_lists_switches_and_tunes_scenes_each_change_a_new_version(console: Api) -> None:
    catalogue = _catalogue(console)
    admin = page_login(console, "admin")
    page = admin.get("/admin/sensing-scenes")
    assert page.status_code == 200 and 'data-scene="CAM-04"' in page.text and "06:00-09:00" in page.text
    off = post_form(admin, "/admin/sensing-scenes", {"op": "disable", "code": "CAM-04"})
    assert "已停用场景 CAM-04 占道经营" in off.text
    assert not catalogue.get("CAM-04").active

    current = catalogue.get("CAM-08").scene
    tuned = post_form(
        admin,
        "/admin/sensing-scenes",
        {
            "op": "edit",
            "code": "CAM-08",
            "threshold": "0.8",
            "window_minutes": str(current.window_minutes),
            "min_repeats": str(current.min_repeats),
            "min_duration_s": str(current.min_duration_s),
            "group_radius_m": str(current.group_radius_m),
            "allowed_hours": "22:00-06:00",
            "verify": "yes",
            "verify_minutes": "45",
            "note": "夜间误报多",
        },
    )
    assert "场景 CAM-08 垃圾满溢 已发布第 2 版" in tuned.text
    version = catalogue.get("CAM-08")
    assert (version.version, version.scene.threshold, version.scene.verify_minutes) == (2, 0.8, 45)
    assert [h.label for h in version.scene.allowed_hours] == ["22:00-06:00"] and version.note == "夜间误报多"


def test_a_bad_edit_or_file_is_refused_with_its_reason_and_changes_nothing(console: Api) -> None:
    catalogue = _catalogue(console)
    admin = page_login(console, "admin")
    admin.get("/admin/sensing-scenes")
    scene = catalogue.get("CAM-08").scene
    base = {
        "op": "edit",
        "code": "CAM-08",
        "threshold": "1.5",
        "window_minutes": str(scene.window_minutes),
        "min_repeats": "1",
        "min_duration_s": str(scene.min_duration_s),
        "group_radius_m": "50",
        "allowed_hours": "",
        "verify": "yes",
        "verify_minutes": "30",
    }
    refused = post_form(admin, "/admin/sensing-scenes", base)
    assert "置信度阈值应在 0（不含）到 1 之间" in refused.text
    hours = post_form(
        admin, "/admin/sensing-scenes", {**base, "threshold": "0.7", "allowed_hours": "25:00-26:00"}
    )
    assert "时间不存在" in hours.text
    words = post_form(admin, "/admin/sensing-scenes", {**base, "threshold": "高"})
    assert "须为数值" in words.text
    assert catalogue.get("CAM-08").version == 1

    bad_file = post_form(
        admin,
        "/admin/sensing-scenes",
        {"op": "import"},
        files={"file": ("s.json", b"{not json", "application/json")},
    )
    assert "不是合法的 JSON" in bad_file.text
    assert catalogue.get("CAM-08").version == 1


def test_the_catalogue_exports_and_imports_back_and_text_is_shown_as_text(console: Api) -> None:
    catalogue = _catalogue(console)
    admin = page_login(console, "admin")
    exported = admin.get("/admin/sensing-scenes/export.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.content)
    entry = next(s for s in data["scenes"] if s["code"] == "CAM-21")
    entry["description"] = SCRIPT
    admin.get("/admin/sensing-scenes")
    dry = post_form(
        admin,
        "/admin/sensing-scenes",
        {"op": "import", "dry_run": "yes"},
        files={"file": ("s.json", json.dumps(data, ensure_ascii=False).encode(), "application/json")},
    )
    assert "检查通过，未写入" in dry.text and catalogue.get("CAM-21").version == 1
    done = post_form(
        admin,
        "/admin/sensing-scenes",
        {"op": "import"},
        files={"file": ("s.json", json.dumps(data, ensure_ascii=False).encode(), "application/json")},
    )
    assert "导入完成" in done.text and catalogue.get("CAM-21").version == 2
    page = admin.get("/admin/sensing-scenes")
    assert SCRIPT not in page.text and "&lt;script&gt;" in page.text


def test_the_scene_section_is_an_admins_only(console: Api) -> None:
    _catalogue(console)
    for name in ("district", "xiabei"):
        client = page_login(console, name)
        assert client.get("/admin/sensing-scenes").status_code == 403
        assert client.get("/admin/sensing-scenes/export.json").status_code == 403
