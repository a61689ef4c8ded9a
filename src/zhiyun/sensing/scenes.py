"""The scene catalogue (场景目录) use cases: list, read, import and export, publish versions,
switch scenes on or off, install the shipped defaults.

A file is `{"scenes": [scene, …]}` in the form of `domain.sensing_scenes.scene_to_json`. An
import checks every scene (its rules, and that its category exists in the taxonomy) and writes
nothing when one is wrong, naming every problem; a scene new to the catalogue is created at
version 1, a changed one gets a new version (the events judged by the earlier one keep it), an
unchanged one is left as it is. Administrators only (`may_administer_scenes`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.catalog.tables import CategoryRow
from zhiyun.domain.access import Actor, may_administer_scenes, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.sensing_scenes import Scene, scene_from_json, scene_to_json
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.sensing.tables import SceneRow, SceneVersionRow
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

DEFAULT_SCENES = "default_scenes.json"
FILE_MAX_SCENES = 1000
NOTE_MAX = 200


@dataclass(frozen=True)
class SceneVersion:
    """A scene at one version, with whether it is the current one and who published it."""

    scene: Scene
    version: int
    current_version: int
    active: bool
    published_at: datetime
    published_by: str
    note: str

    @property
    def is_current(self) -> bool:
        return self.version == self.current_version


@dataclass
class SceneImport:
    """What an import did (or, with `dry_run`, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # a new version published
    unchanged: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def summary(self) -> str:
        verb = "将" if self.dry_run else ""
        return (
            f"{verb}新增 {len(self.created)} 个场景，{verb}发布新版本 {len(self.updated)} 个，"
            f"未变 {len(self.unchanged)} 个"
        )


def default_scenes() -> list[Scene]:
    """The shipped default catalogue (sensing/default_scenes.json)."""
    data = json.loads(resources.files("zhiyun.sensing").joinpath(DEFAULT_SCENES).read_text(encoding="utf-8"))
    return [scene_from_json(d) for d in data["scenes"]]


def read_file(text: str) -> list[Scene]:
    """The scenes of a catalogue file; ValidationFailed naming every problem."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"场景文件不是合法的 JSON：第 {exc.lineno} 行 {exc.msg}", field="file"
        ) from None
    entries = data.get("scenes") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValidationFailed('场景文件应为 {"scenes": [...]}', field="file")
    if len(entries) > FILE_MAX_SCENES:
        raise ValidationFailed(f"一个文件最多 {FILE_MAX_SCENES} 个场景", field="file")
    scenes: list[Scene] = []
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        try:
            scenes.append(scene_from_json(entry))
        except ValidationFailed as exc:
            problems.append(f"第 {number} 个：{exc.message}")
    codes = [s.code for s in scenes]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        problems.append(f"场景编码重复：{'、'.join(twice)}")
    if problems:
        raise ValidationFailed(
            f"场景文件有 {len(problems)} 处问题：" + "；".join(problems[:20]), problems=problems
        )
    return scenes


def _view(row: SceneRow, version: SceneVersionRow) -> SceneVersion:
    return SceneVersion(
        scene=scene_from_json(version.definition, check=False),
        version=version.version,
        current_version=row.current_version,
        active=row.active,
        published_at=version.published_at,
        published_by=version.published_by,
        note=version.note,
    )


class SceneCatalogue:
    """The scene catalogue over one database."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ reads

    def scenes(self, *, active_only: bool = False) -> list[SceneVersion]:
        """Every scene at its current version, by code."""
        with self.db.reading() as session:
            query = (
                select(SceneRow, SceneVersionRow)
                .join(
                    SceneVersionRow,
                    (SceneVersionRow.scene_id == SceneRow.id)
                    & (SceneVersionRow.version == SceneRow.current_version),
                )
                .order_by(SceneRow.code)
            )
            if active_only:
                query = query.where(SceneRow.active.is_(True))
            return [_view(row, version) for row, version in session.execute(query)]

    @staticmethod
    def current_in(session: Session) -> dict[str, SceneVersion]:
        """Every scene at its current version by code, switched off or not, inside the caller's
        transaction (the alarm pipeline's snapshot)."""
        query = select(SceneRow, SceneVersionRow).join(
            SceneVersionRow,
            (SceneVersionRow.scene_id == SceneRow.id) & (SceneVersionRow.version == SceneRow.current_version),
        )
        return {row.code: _view(row, version) for row, version in session.execute(query)}

    def get(self, code: str, version: int | None = None) -> SceneVersion:
        """One scene at `version` (default: its current one); NotFound otherwise."""
        with self.db.reading() as session:
            row = session.scalar(select(SceneRow).where(SceneRow.code == code.strip().upper()))
            if row is None:
                raise NotFound(f"场景 {code[:20]} 不存在")
            found = session.get(SceneVersionRow, (row.id, version or row.current_version))
            if found is None:
                raise NotFound(f"场景 {row.code} 没有第 {version} 版")
            return _view(row, found)

    def export_json(self) -> str:
        """The catalogue's current versions as a file `import_file` reads back."""
        data = {"scenes": [scene_to_json(v.scene) for v in self.scenes()]}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    # ------------------------------------------------------------------ changes

    def import_file(self, actor: Actor, text: str, *, dry_run: bool = False, note: str = "") -> SceneImport:
        """Import a catalogue file (see the module's note)."""
        require(may_administer_scenes, actor)
        return self._import(actor, read_file(text), dry_run=dry_run, note=note)

    def ensure_default(self, actor: Actor) -> SceneImport:
        """Install the shipped default catalogue's scenes that are missing (a scene already in the
        catalogue, changed or not, is left as it is)."""
        require(may_administer_scenes, actor)
        with self.db.reading() as session:
            have = set(session.scalars(select(SceneRow.code)))
        missing = [s for s in default_scenes() if s.code not in have]
        report = (
            self._import(actor, missing, dry_run=False, note="默认场景目录") if missing else SceneImport()
        )
        report.unchanged += sorted(have)
        return report

    def set_active(self, actor: Actor, code: str, active: bool) -> SceneVersion:
        """Switch a scene on or off: alarms of a scene switched off are not taken."""
        require(may_administer_scenes, actor)
        with self.db.transaction() as session:
            row = session.scalar(
                select(SceneRow).where(SceneRow.code == code.strip().upper()).with_for_update()
            )
            if row is None:
                raise NotFound(f"场景 {code[:20]} 不存在")
            row.active = active
            row.updated_at = self.clock()
            row.updated_by = _who(actor)
            version = session.get(SceneVersionRow, (row.id, row.current_version))
            assert version is not None
            return _view(row, version)

    def _import(self, actor: Actor, scenes: Sequence[Scene], *, dry_run: bool, note: str) -> SceneImport:
        if len(note) > NOTE_MAX:
            raise ValidationFailed(f"说明不能超过 {NOTE_MAX} 个字", field="note")
        report = SceneImport(dry_run=dry_run)
        now = self.clock()
        with self.db.transaction() as session:
            categories = set(session.scalars(select(CategoryRow.code)))
            unknown = sorted({s.category_code for s in scenes} - categories)
            if unknown:
                raise ValidationFailed(
                    f"分类编码不存在：{'、'.join(unknown[:10])}（先导入分类：zhiyun taxonomy import）",
                    field="category_code",
                    codes=unknown,
                )
            rows = {r.code: r for r in session.scalars(select(SceneRow).with_for_update())}
            for scene in scenes:
                row = rows.get(scene.code)
                if row is None:
                    report.created.append(scene.code)
                    if not dry_run:
                        self._create(session, actor, scene, now, note)
                    continue
                current = session.get(SceneVersionRow, (row.id, row.current_version))
                if current is not None and _same(current.definition, scene):
                    report.unchanged.append(scene.code)
                    continue
                report.updated.append(scene.code)
                if not dry_run:
                    self._publish(session, actor, row, scene, now, note)
            if dry_run:
                session.rollback()
        return report

    def _create(self, session: Session, actor: Actor, scene: Scene, now: datetime, note: str) -> None:
        row = SceneRow(
            code=scene.code,
            name=scene.name,
            source=scene.source.value,
            category_code=scene.category_code,
            active=True,
            current_version=1,
            created_at=now,
            updated_at=now,
            updated_by=_who(actor),
        )
        session.add(row)
        session.flush()
        session.add(
            SceneVersionRow(
                scene_id=row.id,
                version=1,
                definition=scene_to_json(scene),
                published_at=now,
                published_by=_who(actor),
                note=note,
            )
        )

    def _publish(
        self, session: Session, actor: Actor, row: SceneRow, scene: Scene, now: datetime, note: str
    ) -> None:
        row.current_version += 1
        row.name, row.source, row.category_code = scene.name, scene.source.value, scene.category_code
        row.updated_at, row.updated_by = now, _who(actor)
        session.add(
            SceneVersionRow(
                scene_id=row.id,
                version=row.current_version,
                definition=scene_to_json(scene),
                published_at=now,
                published_by=_who(actor),
                note=note,
            )
        )


def _same(stored: dict[str, Any], scene: Scene) -> bool:
    same: bool = json.loads(json.dumps(stored)) == json.loads(json.dumps(scene_to_json(scene)))
    return same


def _who(actor: Actor) -> str:
    return (actor.name or actor.role.label)[:100]


def build(services: Services) -> SceneCatalogue:
    """The capability's service over the process's services (`Capability.services`)."""
    return SceneCatalogue(services.db, clock=services.clock)


__all__ = ["SceneCatalogue", "SceneImport", "SceneVersion", "build", "default_scenes", "read_file"]
