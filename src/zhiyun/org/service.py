"""Org-structure use cases: import and export units (CSV or JSON), list and edit them.

Changing the tree is for who may administer it (`domain.access.may_administer_org`).

Files use unit codes, never database ids: `code,name,kind,parent_code,aliases` where
aliases are separated by "|" in CSV and a list in JSON. Importing upserts by code, so
running the same file twice changes nothing; a file with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from zhiyun.domain.access import Actor, may_administer_org, require
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import Unit, UnitKind, validate_tree
from zhiyun.kernel.csv_text import read_csv
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database
from zhiyun.store.tables import OrgUnitRow

FIELDS = ("code", "name", "kind", "parent_code", "aliases")


@dataclass(frozen=True)
class UnitRecord:
    """One unit as files carry it."""

    code: str
    name: str
    kind: str
    parent_code: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def _clean(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def parse_units(text: str, fmt: str) -> list[UnitRecord]:
    """Read unit records from CSV or JSON text; ValidationFailed names the bad rows."""
    records: list[UnitRecord] = []
    problems: list[str] = []
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"JSON 格式错误：第 {exc.lineno} 行 {exc.msg}") from exc
        if isinstance(data, dict):
            data = data.get("units", [])
        if not isinstance(data, list):
            raise ValidationFailed("JSON 须为单位列表，或含 units 列表的对象")
        rows: Iterable[dict[str, Any]] = data
    elif fmt == "csv":
        fieldnames, csv_rows = read_csv(text)
        missing = {"code", "name", "kind"} - set(fieldnames)
        if missing:
            raise ValidationFailed(f"CSV 缺少列：{', '.join(sorted(missing))}")
        rows = csv_rows
    else:
        raise ValidationFailed(f"不支持的格式 {fmt}（csv 或 json）")
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            problems.append(f"第 {number} 条：不是对象")
            continue
        code, name, kind = _clean(raw.get("code")), _clean(raw.get("name")), _clean(raw.get("kind"))
        aliases_raw = raw.get("aliases") or []
        aliases = (
            tuple(a.strip() for a in aliases_raw.split("|") if a.strip())
            if isinstance(aliases_raw, str)
            else tuple(_clean(a) for a in aliases_raw if _clean(a))
        )
        if not code or not name:
            problems.append(f"第 {number} 条：编码和名称不能为空")
            continue
        if kind not in {k.value for k in UnitKind}:
            problems.append(
                f"第 {number} 条（{code}）：未知类型 {kind!r}，可选 {', '.join(k.value for k in UnitKind)}"
            )
            continue
        records.append(UnitRecord(code, name, kind, _clean(raw.get("parent_code")) or None, aliases))
    if problems:
        raise ValidationFailed("；".join(problems), problems=problems)
    return records


def format_of(path: Path, explicit: str | None = None) -> str:
    fmt = (explicit or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ValidationFailed(f"无法从文件名判断格式：{path.name}（请用 .csv/.json 或 --format）")
    return fmt


class OrgService:
    """List, import and export the org structure."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def records(self) -> list[UnitRecord]:
        with self.db.reading() as session:
            rows = list(
                session.scalars(
                    select(OrgUnitRow).where(OrgUnitRow.active.is_(True)).order_by(OrgUnitRow.code)
                )
            )
            codes = {r.id: r.code for r in rows}
            return [
                UnitRecord(
                    r.code,
                    r.name,
                    r.kind,
                    codes.get(r.parent_id) if r.parent_id else None,
                    tuple(r.aliases or ()),
                )
                for r in rows
            ]

    def export_text(self, fmt: str) -> str:
        records = self.records()
        if fmt == "json":
            return json.dumps(
                {"units": [{**r.__dict__, "aliases": list(r.aliases)} for r in records]},
                ensure_ascii=False,
                indent=2,
            )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FIELDS)
        for r in records:
            writer.writerow([r.code, r.name, r.kind, r.parent_code or "", "|".join(r.aliases)])
        return out.getvalue()

    def import_records(self, actor: Actor, records: list[UnitRecord]) -> ImportReport:
        """Upsert units by code; the resulting tree must be sound or nothing is written.

        Only who may administer the org tree (domain.access.may_administer_org)."""
        require(may_administer_org, actor)
        report = ImportReport()
        seen: set[str] = set()
        for r in records:
            if r.code in seen:
                report.problems.append(f"编码 {r.code} 在文件中重复")
            seen.add(r.code)
        if report.problems:
            raise ValidationFailed("；".join(report.problems), problems=report.problems)
        with self.db.transaction() as session:
            existing = {row.code: row for row in session.scalars(select(OrgUnitRow))}
            unchanged: set[str] = set()
            for r in records:
                row = existing.get(r.code)
                if row is None:
                    row = OrgUnitRow(
                        code=r.code, name=r.name, kind=r.kind, aliases=list(r.aliases), active=True
                    )
                    session.add(row)
                    existing[r.code] = row
                    report.created += 1
                elif (row.name, row.kind, list(row.aliases or []), row.active) != (
                    r.name,
                    r.kind,
                    list(r.aliases),
                    True,
                ):
                    row.name, row.kind, row.aliases, row.active = r.name, r.kind, list(r.aliases), True
                    report.updated += 1
                else:
                    unchanged.add(r.code)
            session.flush()
            unknown = [r.code for r in records if r.parent_code and r.parent_code not in existing]
            if unknown:
                raise ValidationFailed(f"上级单位编码不存在：{', '.join(unknown)}", codes=unknown)
            for r in records:
                row = existing[r.code]
                parent_id = existing[r.parent_code].id if r.parent_code else None
                if row.parent_id != parent_id:
                    row.parent_id = parent_id
                    if r.code in unchanged:
                        unchanged.discard(r.code)
                        report.updated += 1
            report.unchanged = len(unchanged)
            session.flush()
            units = [
                Unit(row.id, row.code, row.name, UnitKind(row.kind), row.parent_id, tuple(row.aliases or ()))
                for row in existing.values()
                if row.active
            ]
            problems = validate_tree(units)
            if problems:
                raise ValidationFailed("组织架构有误：" + "；".join(problems), problems=problems)
            ref.bump_revision(session, "org")
        return report

    def import_file(self, actor: Actor, path: Path, fmt: str | None = None) -> ImportReport:
        require(may_administer_org, actor)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ValidationFailed(f"文件不存在：{path}") from exc
        except UnicodeDecodeError as exc:
            raise ValidationFailed(f"文件不是 UTF-8 编码：{path}") from exc
        return self.import_records(actor, parse_units(text, format_of(path, fmt)))
