"""The capability registry: every package declares what it has, every declaration resolves,
and the faces mount exactly what the capabilities declare."""

from __future__ import annotations

import configparser
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

import zhiyun
from zhiyun import bootstrap
from zhiyun.analytics.panels import PanelFigure, PanelView
from zhiyun.bootstrap import Services, build_services
from zhiyun.capabilities import INSTALLED, installed
from zhiyun.cli.main import app as cli_app
from zhiyun.config import Settings
from zhiyun.domain.access import Actor, Role
from zhiyun.kernel.capability import Capability, resolve
from zhiyun.server import create_server_app
from zhiyun.store.db import Database
from zhiyun.store.schema import metadata
from zhiyun.web.admin import AdminPage
from zhiyun.worker import scheduled_jobs

SRC = Path(zhiyun.__file__).parent
ROOT = SRC.parent.parent


def test_every_package_with_a_declaration_is_installed_and_every_installed_one_declares() -> None:
    declared = sorted(p.parent.name for p in SRC.glob("*/capability.py") if p.parent.name != "kernel")
    assert declared == sorted(INSTALLED)
    assert [c.name for c in installed()] == list(INSTALLED)


def test_every_installed_capability_is_a_container_of_the_capability_shape_contract() -> None:
    contracts = configparser.ConfigParser()
    contracts.read(ROOT / ".importlinter")
    containers = contracts["importlinter:contract:capability-shape"]["containers"].split()
    assert sorted(containers) == sorted(f"zhiyun.{name}" for name in INSTALLED)


def test_every_declared_part_resolves_to_what_its_face_expects() -> None:
    for capability in installed():
        for mount in (*capability.api, *capability.public, *capability.pages):
            assert isinstance(resolve(mount.ref), APIRouter), mount.ref
        for command in capability.commands:
            target = resolve(command.ref)
            assert isinstance(target, typer.Typer) if command.group else callable(target), command.ref
        for job in capability.jobs:
            assert callable(resolve(job.ref)), job.ref
        for section in capability.admin:
            assert isinstance(resolve(section.ref), AdminPage), section.ref
        for ref in (*capability.panels, *capability.dashboard, *capability.services):
            assert callable(resolve(ref)), ref
        folder = capability.template_dir()
        assert folder is None or any(folder.rglob("*.html")), capability.name


def test_a_reference_to_nothing_is_refused_with_its_name() -> None:
    with pytest.raises(LookupError, match=r"zhiyun\.orders\.api\.orders has no 'nothing'"):
        resolve("zhiyun.orders.api.orders:nothing")


def test_the_schema_holds_every_declared_table_module_in_a_fresh_process() -> None:
    # a fresh interpreter: nothing but store.schema has imported the capabilities' table modules
    listed = subprocess.run(
        [sys.executable, "-c", "from zhiyun.store.schema import metadata; print(sorted(metadata().tables))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for table in ("category", "responsibility_rule", "dashboard_day", "classifier_model", "work_order"):
        assert f"'{table}'" in listed
    assert {"category", "dashboard_day", "classifier_model"} <= set(metadata().tables)


def test_the_command_line_mounts_every_declared_command() -> None:
    names = {group.name for group in cli_app.registered_groups} | {
        command.name for command in cli_app.registered_commands
    }
    declared = {command.name for capability in installed() for command in capability.commands}
    assert declared <= names


def test_the_worker_schedules_every_declared_job() -> None:
    assert {job.id for job in scheduled_jobs()} == {
        "deadline-sweep",
        "search-text-backfill",
        "dedupe-signature-prune",
        "dashboard-rollup",
        "analytics-reports",
        "hot-issues",
        "patrol-plan",
        "patrol-figures",
        "device-heartbeats",
        "sensing-raise-due",
        "verification-escalate",
        "outlook-detect",
        "portal-throttles",
    }


def test_the_server_mounts_every_declared_router_and_menu_entry(
    sqlite_database: Database, settings: Settings
) -> None:
    app = create_server_app(build_services(sqlite_database, settings))
    for capability in installed():
        for mount in (*capability.api, *capability.public, *capability.pages):
            router: APIRouter = resolve(mount.ref)
            for route in router.routes:
                assert isinstance(route, APIRoute)
                prefix = "/api/v1" if mount in capability.api else ""
                params = {name: "1" for name in route.param_convertors}
                assert app.url_path_for(route.name, **params).startswith(prefix), (capability.name, route)
    assert [item.path for item in app.state.console_menu] == [
        "/orders/new",
        "/workbench",
        "/map",
        "/dashboard",
        "/reports",
        "/outlook",
        "/hotspots",
        "/assistant",
        "/grid/objects",
        "/grid/patrol",
        "/grid/ledger",
        "/grid/patrol-figures",
        "/sensing/events",
        "/sensing/figures",
        "/replies",
        "/knowledge",
        "/admin",
    ]
    assert list(app.state.admin_sections) == [
        "users",
        "units",
        "channels",
        "time-limits",
        "calendar",
        "taxonomy",
        "responsibility",
        "dispatch-policy",
        "quick-replies",
        "grid-items",
        "sensing-scenes",
        "sensing-devices",
        "rate-definitions",
    ]


class ProbeService:
    """What a capability that comes later adds: built after the core, from the services."""

    def __init__(self, services: Services) -> None:
        self.orders = services.orders


class ProbePanel:
    name = "probe"

    def __init__(self, services: Services) -> None:
        self.services = services

    def read(self, session: object, actor: object, detail: object) -> str:
        return "probe"


def test_a_new_capability_adds_its_service_and_its_panel_with_one_declaration(
    sqlite_database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Capability(
        name="probe",
        summary="A capability that comes later.",
        services=(f"{__name__}:ProbeService",),
        panels=(f"{__name__}:ProbePanel",),
    )
    with_probe: Callable[[], tuple[Capability, ...]] = lambda: (*installed(), probe)  # noqa: E731
    monkeypatch.setattr(bootstrap, "installed", with_probe)
    services = build_services(sqlite_database, settings)
    assert services.get(ProbeService).orders is services.orders
    assert services.get(type(services.orders)) is services.orders
    assert [panel.name for panel in services.pages.panels][-1] == "probe"
    with pytest.raises(LookupError, match="no TestClient is installed"):
        services.get(TestClient)


class ProbeDashboardPanel:
    name = "probe-dashboard"

    def __init__(self, services: Services) -> None:
        self.services = services

    def read(self, actor: Actor) -> PanelView | None:
        return (
            None if actor.role is Role.INSPECTOR else PanelView(self.name, "探针", (PanelFigure("数", "1"),))
        )


class BrokenDashboardPanel:
    name = "broken-dashboard"

    def __init__(self, services: Services) -> None:
        self.services = services

    def read(self, actor: Actor) -> PanelView | None:
        raise RuntimeError("a panel's fault")


def test_a_capability_adds_a_dashboard_panel_with_one_declaration_and_a_failing_panel_is_left_out(
    sqlite_database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    probe = Capability(
        name="probe",
        summary="A capability that comes later.",
        dashboard=(f"{__name__}:BrokenDashboardPanel", f"{__name__}:ProbeDashboardPanel"),
    )
    with_probe: Callable[[], tuple[Capability, ...]] = lambda: (*installed(), probe)  # noqa: E731
    monkeypatch.setattr(bootstrap, "installed", with_probe)
    services = build_services(sqlite_database, settings)
    names = [panel.name for panel in services.dashboard.panels.panels]
    assert names[-2:] == ["broken-dashboard", "probe-dashboard"] and "grid-patrols" in names
    leader = Actor(user_id=None, role=Role.LEADER, unit_id=None)
    shown = [view.name for view in services.dashboard.panels.views(leader)]
    assert "probe-dashboard" in shown and "broken-dashboard" not in shown
    inspector = Actor(user_id=None, role=Role.INSPECTOR, unit_id=None)
    assert "probe-dashboard" not in [view.name for view in services.dashboard.panels.views(inspector)]
