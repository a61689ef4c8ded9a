"""What a capability package declares about itself: the one place it registers its parts.

Every capability package (`zhiyun/<name>/`) has a `capability.py` holding one `CAPABILITY`:
its tables, its REST routers, its console pages and menu entries, its admin sections, its
command groups, its scheduled jobs, the panels it adds to the order page and the leader
dashboard and, for a
capability that comes later, the services it adds. The faces read the list of installed
capabilities (`zhiyun.capabilities`) and mount what each declares; none of them names a
capability itself. Adding a capability is therefore one new package plus one line in
`zhiyun/capabilities.py` (docs/architecture.md).

Faces are named by reference (`"zhiyun.catalog.api:router"`) and imported only when a face
is built, so that `capability.py` stays a declaration: the worker does not import the
console, the schema does not import FastAPI.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any


def resolve(ref: str) -> Any:
    """The object a reference names: `"package.module:attribute"` (or a module alone)."""
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise LookupError(f"{module_name} has no {attribute!r} (capability reference {ref!r})") from None


@dataclass(frozen=True)
class Mount:
    """A router of a face. `order` sorts mounts across capabilities (lower first, then the
    registry's order): Starlette matches routes in order, so a catch-all goes last."""

    ref: str
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    """A console menu entry, shown to those whom `shows` lets open the page (None: everyone)."""

    path: str
    label: str
    shows: Callable[[Any], bool] | None = None
    order: int = 100


@dataclass(frozen=True)
class AdminSection:
    """A section of the console's 系统管理 area: `/admin/<key>`, template `admin/<key>.html`.

    `ref` names an object with `context(services, actor) -> dict` for the page, `post(services,
    actor, form) -> str | tuple[str, dict]` (the message shown after a change) and optionally
    `export(services, actor) -> (filename, csv text)`. `shows` is the policy of whoever may
    manage it (the use cases ask it again)."""

    key: str
    label: str
    shows: Callable[[Any], bool]
    ref: str
    order: int = 100


@dataclass(frozen=True)
class Command:
    """A `zhiyun <name>` command group (a Typer app) or single command (a function)."""

    name: str
    ref: str
    group: bool = True


@dataclass(frozen=True)
class Job:
    """A scheduled job of the worker: `ref` names `run(services)`, called every `every` (None:
    at the worker's sweep interval, `--interval`), never twice at once, missed runs folded
    into one; `at_once` runs it when the worker starts."""

    id: str
    name: str
    ref: str
    every: timedelta | None
    at_once: bool = False


@dataclass(frozen=True)
class Capability:
    """One capability's declaration. Every field but `name` and `summary` is optional: a
    capability declares only the parts it has."""

    name: str  # the package: zhiyun.<name>
    summary: str  # one sentence; docs/architecture.md's package map is generated from it
    tables: tuple[str, ...] = ()  # modules whose tables join the schema (store.schema)
    api: tuple[Mount, ...] = ()  # REST routers under /api/v1
    public: tuple[Mount, ...] = ()  # routers outside /api/v1 with their own errors (Open311)
    pages: tuple[Mount, ...] = ()  # console routers
    nav: tuple[NavItem, ...] = ()  # console menu entries
    admin: tuple[AdminSection, ...] = ()  # sections of the admin area
    commands: tuple[Command, ...] = ()  # `zhiyun <name>` commands
    jobs: tuple[Job, ...] = ()  # the worker's scheduled jobs
    panels: tuple[str, ...] = ()  # factories `(services) -> panel` for the order page
    dashboard: tuple[str, ...] = ()  # factories `(services) -> panel` for the leader dashboard
    reports: tuple[str, ...] = ()  # factories `(services) -> section` for the reports (统计报表)
    services: tuple[str, ...] = ()  # factories `(services) -> service` (Services.get finds them)
    templates: bool = False  # has zhiyun/<name>/templates/ (console templates)

    @property
    def package(self) -> str:
        return f"zhiyun.{self.name}"

    def template_dir(self) -> Path | None:
        if not self.templates:
            return None
        module = importlib.import_module(self.package)
        return Path(module.__file__ or "").parent / "templates"
