"""The scene catalogue stored, on SQLite and PostgreSQL: the defaults installed once, a file
imported all or nothing with its categories checked, a changed scene published as a new version
(the earlier one kept), switched off, exported and read back — and only admins change it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support import ONLY_SQLITE, TEST_ADMIN, build_small_district
from typer.testing import CliRunner

from zhiyun.bootstrap import Services
from zhiyun.cli.main import app
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.sensing.scenes import SceneCatalogue, default_scenes


@pytest.fixture
def catalogue(services: Services) -> SceneCatalogue:
    build_small_district(services)
    services.taxonomy.import_csv(TEST_ADMIN, default_taxonomy())
    return services.get(SceneCatalogue)


def default_taxonomy() -> str:
    from importlib import resources

    return resources.files("zhiyun.catalog").joinpath("data/taxonomy.csv").read_text(encoding="utf-8")


def test_the_defaults_install_once_and_an_export_reads_back_unchanged(catalogue: SceneCatalogue) -> None:
    first = catalogue.ensure_default(TEST_ADMIN)
    assert len(first.created) == len(default_scenes()) and not first.updated
    again = catalogue.ensure_default(TEST_ADMIN)
    assert again.created == [] and len(again.unchanged) == len(default_scenes())
    text = catalogue.export_json()
    report = catalogue.import_file(TEST_ADMIN, text)
    assert report.created == report.updated == [] and len(report.unchanged) == len(default_scenes())


def test_a_changed_scene_gets_a_new_version_and_the_earlier_one_is_kept(catalogue: SceneCatalogue) -> None:
    catalogue.ensure_default(TEST_ADMIN)
    data = json.loads(catalogue.export_json())
    market = next(d for d in data["scenes"] if d["code"] == "CAM-04")
    market["allowed_hours"] = ["06:00-09:30"]
    dry = catalogue.import_file(TEST_ADMIN, json.dumps(data, ensure_ascii=False), dry_run=True)
    assert dry.updated == ["CAM-04"] and catalogue.get("CAM-04").version == 1
    done = catalogue.import_file(TEST_ADMIN, json.dumps(data, ensure_ascii=False), note="早市延长")
    assert done.updated == ["CAM-04"]
    now = catalogue.get("CAM-04")
    assert (
        now.version == 2
        and now.note == "早市延长"
        and [h.label for h in now.scene.allowed_hours] == ["06:00-09:30"]
    )
    assert [h.label for h in catalogue.get("CAM-04", 1).scene.allowed_hours] == ["06:00-09:00"]


def test_a_file_with_a_wrong_scene_or_an_unknown_category_writes_nothing(catalogue: SceneCatalogue) -> None:
    catalogue.ensure_default(TEST_ADMIN)
    before = catalogue.export_json()
    data = json.loads(before)
    data["scenes"][0]["threshold"] = 2
    data["scenes"][1]["category_code"] = "NOPE"
    with pytest.raises(ValidationFailed) as refused:
        catalogue.import_file(TEST_ADMIN, json.dumps(data, ensure_ascii=False))
    assert "阈值" in refused.value.message
    data["scenes"][0]["threshold"] = 0.5
    with pytest.raises(ValidationFailed, match="NOPE"):
        catalogue.import_file(TEST_ADMIN, json.dumps(data, ensure_ascii=False))
    with pytest.raises(ValidationFailed, match="JSON"):
        catalogue.import_file(TEST_ADMIN, "{not json")
    assert catalogue.export_json() == before


def test_only_an_admin_changes_the_catalogue_and_a_scene_switched_off_is_listed_as_such(
    catalogue: SceneCatalogue,
) -> None:
    dispatcher = Actor(user_id=1, role=Role.DISPATCHER, unit_id=None)
    with pytest.raises(PermissionDenied):
        catalogue.ensure_default(dispatcher)
    catalogue.ensure_default(TEST_ADMIN)
    with pytest.raises(PermissionDenied):
        catalogue.set_active(dispatcher, "CAM-04", False)
    catalogue.set_active(TEST_ADMIN, "CAM-04", False)
    active = {v.scene.code for v in catalogue.scenes(active_only=True)}
    assert "CAM-04" not in active and len(active) == len(default_scenes()) - 1


@ONLY_SQLITE
def test_the_commands_list_import_and_export_the_catalogue(catalogue: SceneCatalogue, tmp_path: Path) -> None:
    db = catalogue.db.url
    runner = CliRunner()
    installed = runner.invoke(app, ["sensing", "scenes-defaults", "--db", db])
    assert installed.exit_code == 0, installed.output
    listed = runner.invoke(app, ["sensing", "scenes", "--db", db])
    assert listed.exit_code == 0 and "占道经营" in listed.output and "06:00-09:00" in listed.output
    out = tmp_path / "scenes.json"
    assert runner.invoke(app, ["sensing", "scenes-export", "--out", str(out), "--db", db]).exit_code == 0
    broken = tmp_path / "broken.json"
    broken.write_text(out.read_text(encoding="utf-8").replace('"CAM-04"', '"cam 4"'), encoding="utf-8")
    refused = runner.invoke(app, ["sensing", "scenes-import", str(broken), "--db", db])
    assert refused.exit_code == 1 and "场景编码" in refused.output
    off = runner.invoke(app, ["sensing", "scene-switch", "CAM-04", "off", "--db", db])
    assert off.exit_code == 0 and "已停用" in off.output
