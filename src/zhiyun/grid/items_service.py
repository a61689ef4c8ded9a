"""The grid items catalogue (入格事项) use cases: read the items and any of their versions, create
an item, publish a new version, switch an item on or off, import and export the catalogue
(JSON and XLSX), and install the shipped default catalogue.

Reading is open (the catalogue is reference data: planners, the patrol pages and ledgers read
it); every change asks `may_administer_grid_items` first and runs in one transaction. A
checklist changes only by publishing a new version (`publish`, and an import that changes an
item): the version row keeps the whole definition, who published it and when; the versions
before stay readable (`get(code, version=n)`), since a visit records the version it answered.
Publishing a definition equal to the current one makes no version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, may_administer_grid_items, require
from zhiyun.domain.errors import Conflict, NotFound, ValidationFailed
from zhiyun.domain.grid_items import (
    GridItem,
    item_from_json,
    item_to_json,
    normalize_code,
    validate_item,
    version_problems,
)
from zhiyun.grid import items_files, items_repo
from zhiyun.grid.items_files import ParsedFile, Reject
from zhiyun.grid.items_tables import GridItemRow, GridItemVersionRow
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

NOTE_MAX = 200
DEFAULT_CATALOGUE = "default_items.json"


@dataclass(frozen=True)
class VersionInfo:
    """Who published a version of an item, and when."""

    version: int
    published_at: datetime
    published_by: str
    note: str


@dataclass(frozen=True)
class ItemVersion:
    """One version of an item as it reads: the definition, its number, whether it is the
    current one, and the item's switch (`active`: new patrols include it)."""

    item: GridItem
    version: int
    current_version: int
    active: bool
    published: VersionInfo

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def is_current(self) -> bool:
        return self.version == self.current_version


@dataclass(frozen=True)
class Published:
    """What `publish` did: the version now current, and whether a new one was made."""

    current: ItemVersion
    changed: bool


@dataclass
class ImportReport:
    """What an import did (or, with `dry_run`, would do): the codes created, published anew and
    left unchanged, and every refused row or item with its reason. With any reject nothing is
    written."""

    format: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    published: list[tuple[str, int]] = field(default_factory=list)  # (code, the new version)
    unchanged: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return bool(self.rejects)

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.refused and bool(self.created or self.published)

    @property
    def row_unit(self) -> str:
        return "行" if self.format == "xlsx" else "项"

    def summary(self) -> str:
        """One Chinese sentence: what happened."""
        if self.refused:
            return f"文件有 {len(self.rejects)} 处错误，未导入任何内容"
        verb = "将" if self.dry_run else "已"
        return (
            f"{'试导入：' if self.dry_run else ''}{verb}新增 {len(self.created)} 个，"
            f"{verb}发布新版本 {len(self.published)} 个，未变 {len(self.unchanged)} 个"
        )


def _definition(item: GridItem) -> dict[str, Any]:
    return item_to_json(item)


def _same(stored: dict[str, Any], item: GridItem) -> bool:
    """Whether a stored definition and an item are the same (JSON-wise: 1 == 1.0)."""
    same: bool = json.loads(json.dumps(stored)) == json.loads(json.dumps(_definition(item)))
    return same


def _loaded(row: GridItemVersionRow) -> GridItem:
    """A stored version's definition (not checked again: rules may have tightened since)."""
    return item_from_json(row.definition, check=False)


def _view(item: GridItemRow, version: GridItemVersionRow) -> ItemVersion:
    return ItemVersion(
        item=_loaded(version),
        version=version.version,
        current_version=item.current_version,
        active=item.active,
        published=_info(version),
    )


def _info(version: GridItemVersionRow) -> VersionInfo:
    return VersionInfo(version.version, version.published_at, version.published_by, version.note)


def default_catalogue() -> list[GridItem]:
    """The shipped default catalogue (grid/default_items.json)."""
    data = resources.files("zhiyun.grid").joinpath(DEFAULT_CATALOGUE).read_bytes()
    parsed = items_files.read_json(data)
    if parsed.rejects:  # the tests keep the shipped file sound
        raise ValueError(f"{DEFAULT_CATALOGUE}: {parsed.rejects[0].reason}")
    return [entry.item for entry in parsed.items]


class GridItemService:
    """The grid items catalogue over one database."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock

    # -- reading --------------------------------------------------------------------------------

    def items(self, *, active_only: bool = False) -> list[ItemVersion]:
        """Every item (or the active ones) at its current version, by code."""
        with self.db.reading() as session:
            return [_view(i, v) for i, v in items_repo.items_with_current(session, active_only=active_only)]

    def get(self, code: str, version: int | None = None) -> ItemVersion:
        """An item at its current version, or at `version` (any published one); NotFound otherwise."""
        with self.db.reading() as session:
            item = self._item(session, code)
            number = item.current_version if version is None else version
            row = items_repo.version(session, item.id, number)
            if row is None:
                raise NotFound(f"入格事项 {item.code} 没有第 {number} 版", code=item.code, version=number)
            return _view(item, row)

    def versions(self, code: str) -> list[VersionInfo]:
        """Every version of an item, newest first: who published it, when, why."""
        with self.db.reading() as session:
            item = self._item(session, code)
            return [_info(v) for v in reversed(items_repo.versions(session, item.id))]

    def export_json(self) -> str:
        """Every item at its current version, as the JSON file form (importable again)."""
        return items_files.write_json(v.item for v in self.items())

    def export_xlsx(self) -> bytes:
        """Every item at its current version, as a workbook: one row per question."""
        return items_files.write_xlsx(v.item for v in self.items())

    # -- changing -------------------------------------------------------------------------------

    def create(self, actor: Actor, item: GridItem, *, note: str = "") -> ItemVersion:
        """A new item, at version 1; Conflict when its code is taken."""
        require(may_administer_grid_items, actor)
        validate_item(item)
        note = _note(note)
        with self.db.transaction() as session:
            if items_repo.find(session, item.code) is not None:
                raise Conflict(f"入格事项编码 {item.code} 已存在", code=item.code)
            row, version = self._insert(session, actor, item, note)
            session.flush()
            return _view(row, version)

    def publish(self, actor: Actor, item: GridItem, *, note: str = "") -> Published:
        """Publish `item` as the next version of the item of its code, if its definition differs
        from the current one (else nothing is written). New visits answer the new version;
        what was answered before keeps its own."""
        require(may_administer_grid_items, actor)
        validate_item(item)
        note = _note(note)
        with self.db.transaction() as session:
            row = self._item(session, item.code, for_update=True)
            current = items_repo.version(session, row.id, row.current_version)
            assert current is not None  # current_version always names a stored version
            if _same(current.definition, item):
                return Published(_view(row, current), changed=False)
            self._check_successor(session, row, item)
            version = self._append(session, actor, row, item, note)
            return Published(_view(row, version), changed=True)

    def set_active(self, actor: Actor, code: str, active: bool) -> ItemVersion:
        """Switch an item on (new patrols include it) or off (they no longer do; what was
        recorded stays). Its versions do not change."""
        require(may_administer_grid_items, actor)
        with self.db.transaction() as session:
            row = self._item(session, code, for_update=True)
            if row.active != active:
                row.active = active
                row.updated_at, row.updated_by = self.clock(), actor.name
            current = items_repo.version(session, row.id, row.current_version)
            assert current is not None
            return _view(row, current)

    def import_file(
        self, actor: Actor, filename: str, data: bytes, *, fmt: str | None = None, dry_run: bool = False
    ) -> ImportReport:
        """Import a catalogue file (JSON or XLSX; `fmt`, else the name's extension): a new code
        is created, a changed item gets a new version, an equal one is left as it is; items not
        in the file are not touched. With any refused row nothing is written, and the report
        names every row with its reason. `dry_run` checks and reports without writing."""
        require(may_administer_grid_items, actor)
        parsed = items_files.read_file(filename, data, fmt)
        return self._import(actor, parsed, dry_run=dry_run, note="导入")

    def ensure_default(self, actor: Actor) -> ImportReport:
        """Install the shipped default catalogue's items whose codes are absent; items already
        there (changed or not) are left alone. Running it again changes nothing."""
        require(may_administer_grid_items, actor)
        report = ImportReport(format="json", dry_run=False)
        try:
            with self.db.transaction() as session:
                present = items_repo.codes(session)
                for item in default_catalogue():
                    if item.code in present:
                        report.unchanged.append(item.code)
                    else:
                        self._insert(session, actor, item, "默认入格事项")
                        report.created.append(item.code)
        except IntegrityError:  # another process installed them at the same moment
            raise Conflict("默认入格事项正在被同时安装，请重试") from None
        return report

    # -- helpers --------------------------------------------------------------------------------

    def _import(self, actor: Actor, parsed: ParsedFile, *, dry_run: bool, note: str) -> ImportReport:
        report = ImportReport(format=parsed.format, dry_run=dry_run, rejects=list(parsed.rejects))
        with self.db.transaction() as session:
            plan: list[tuple[GridItem, GridItemRow | None]] = []
            for entry in parsed.items:
                row = items_repo.find(session, entry.item.code, for_update=not dry_run)
                if row is None:
                    report.created.append(entry.item.code)
                    plan.append((entry.item, None))
                    continue
                current = items_repo.version(session, row.id, row.current_version)
                assert current is not None
                if _same(current.definition, entry.item):
                    report.unchanged.append(entry.item.code)
                    continue
                earlier = [_loaded(v) for v in items_repo.versions(session, row.id)]
                problems = version_problems(earlier, entry.item)
                for problem in problems:
                    report.rejects.append(Reject(entry.row, "", problem, entry.item.code))
                report.published.append((entry.item.code, row.current_version + 1))
                plan.append((entry.item, row))
            report.rejects.sort(key=lambda r: r.row)
            if report.refused or dry_run:
                return report  # nothing was written: the transaction has nothing to commit
            for item, existing in plan:
                if existing is None:
                    self._insert(session, actor, item, note)
                else:
                    self._append(session, actor, existing, item, note)
            try:
                session.flush()
            except IntegrityError:
                raise Conflict("入格事项正在被其他人同时导入，请稍后重试") from None
        return report

    @staticmethod
    def _item(session: Session, code: str, *, for_update: bool = False) -> GridItemRow:
        key = normalize_code(code)
        row = items_repo.find(session, key, for_update=for_update)
        if row is None:
            raise NotFound(f"入格事项 {key[:40]} 不存在", code=key[:40])
        return row

    def _check_successor(self, session: Session, row: GridItemRow, item: GridItem) -> None:
        earlier = [_loaded(v) for v in items_repo.versions(session, row.id)]
        problems = version_problems(earlier, item)
        if problems:
            raise ValidationFailed("；".join(problems), problems=problems)

    def _insert(
        self, session: Session, actor: Actor, item: GridItem, note: str
    ) -> tuple[GridItemRow, GridItemVersionRow]:
        now = self.clock()
        row = GridItemRow(
            code=item.code,
            name=item.name,
            department=item.department,
            active=True,
            current_version=1,
            created_at=now,
            updated_at=now,
            updated_by=actor.name,
        )
        session.add(row)
        session.flush()
        version = self._version_row(row, 1, item, actor, note, now)
        session.add(version)
        return row, version

    def _append(
        self, session: Session, actor: Actor, row: GridItemRow, item: GridItem, note: str
    ) -> GridItemVersionRow:
        now = self.clock()
        number = row.current_version + 1
        version = self._version_row(row, number, item, actor, note, now)
        session.add(version)
        row.current_version = number
        row.name, row.department = item.name, item.department
        row.updated_at, row.updated_by = now, actor.name
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"入格事项 {item.code} 刚被其他人发布了新版本，请刷新后重试") from None
        return version

    @staticmethod
    def _version_row(
        row: GridItemRow, number: int, item: GridItem, actor: Actor, note: str, now: datetime
    ) -> GridItemVersionRow:
        return GridItemVersionRow(
            item_id=row.id,
            version=number,
            definition=_definition(item),
            published_at=now,
            published_by=actor.name,
            published_by_id=actor.user_id,
            note=note,
        )


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise ValidationFailed(f"发布说明不能超过 {NOTE_MAX} 个字", field="note")
    return text


def build(services: Services) -> GridItemService:
    """The capability's service factory (Capability.services)."""
    return GridItemService(services.db, clock=services.clock)


__all__ = [
    "GridItemService",
    "ImportReport",
    "ItemVersion",
    "Published",
    "VersionInfo",
    "build",
    "default_catalogue",
]
