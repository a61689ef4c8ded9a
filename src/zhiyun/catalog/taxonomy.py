"""Taxonomy use cases: list, import and export as CSV, edit one category; every change versioned.

CSV columns: code, name, parent_code, keywords (separated by | or 、), default_type
(consult/help/complaint/report/suggestion/praise or their Chinese labels), time_limit_days.
An import is checked as a whole (unknown parent, cycle, depth beyond three, duplicate
code): a file with any error changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.catalog.changes import Change, changes, record_change
from zhiyun.catalog.tables import CategoryRow, ResponsibilityRuleRow
from zhiyun.domain.access import Actor, may_administer_catalog, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.taxonomy import Category, Taxonomy
from zhiyun.domain.workorder import OrderType
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.csv_text import read_csv
from zhiyun.store.db import Database

CSV_COLUMNS = ("code", "name", "parent_code", "keywords", "default_type", "time_limit_days")
_KEYWORD_SPLIT = re.compile(r"[|、，,;；\s]+")
_TYPE_BY_LABEL = {t.label: t for t in OrderType}


def split_keywords(value: str | None) -> tuple[str, ...]:
    return tuple(k for k in _KEYWORD_SPLIT.split(value or "") if k)


def parse_order_type(value: str | None, where: str) -> OrderType | None:
    text = (value or "").strip()
    if not text:
        return None
    if text in _TYPE_BY_LABEL:
        return _TYPE_BY_LABEL[text]
    try:
        return OrderType(text)
    except ValueError:
        raise ValidationFailed(
            f"{where}: 工单类型「{text}」无效（可用 {'、'.join(t.value for t in OrderType)}）"
        ) from None


def parse_taxonomy_csv(text: str) -> list[Category]:
    """The categories of a taxonomy CSV; ValidationFailed naming the line of every bad row."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationFailed("分类文件为空")
    fieldnames, rows = read_csv(text)
    header = [h.strip() for h in fieldnames]
    missing = [c for c in ("code", "name") if c not in header]
    if missing:
        raise ValidationFailed(f"分类文件缺少列：{'、'.join(missing)}（需要 {', '.join(CSV_COLUMNS)}）")
    problems: list[str] = []
    categories: list[Category] = []
    for line, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str | None)}
        where = f"第{line}行"
        try:
            limit_text = row.get("time_limit_days", "")
            limit = float(limit_text) if limit_text else None
        except ValueError:
            problems.append(f"{where}: 办理时限「{row.get('time_limit_days')}」不是数字")
            continue
        try:
            default_type = parse_order_type(row.get("default_type"), where)
        except ValidationFailed as exc:
            problems.append(exc.message)
            continue
        categories.append(
            Category(
                code=row.get("code", ""),
                name=row.get("name", ""),
                parent_code=row.get("parent_code") or None,
                keywords=split_keywords(row.get("keywords")),
                default_type=default_type,
                time_limit_days=limit,
            )
        )
    if problems:
        raise ValidationFailed("分类文件有误：" + "；".join(problems), problems=problems)
    if not categories:
        raise ValidationFailed("分类文件没有数据行")
    Taxonomy.of(categories)  # the whole tree must be sound
    return categories


def taxonomy_csv(categories: Iterable[Category]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in categories:
        writer.writerow(
            [
                c.code,
                c.name,
                c.parent_code or "",
                "|".join(c.keywords),
                c.default_type.value if c.default_type else "",
                "" if c.time_limit_days is None else f"{c.time_limit_days:g}",
            ]
        )
    return out.getvalue()


def default_categories() -> list[Category]:
    """The shipped default taxonomy of a Chinese district (catalog/data/taxonomy.csv)."""
    text = resources.files("zhiyun.catalog").joinpath("data/taxonomy.csv").read_text(encoding="utf-8")
    return parse_taxonomy_csv(text)


def category_of(row: CategoryRow) -> Category:
    return Category(
        code=row.code,
        name=row.name,
        parent_code=row.parent_code,
        keywords=tuple(row.keywords or ()),
        default_type=OrderType(row.default_type) if row.default_type else None,
        time_limit_days=row.time_limit_days,
        active=row.active,
    )


def category_json(c: Category) -> dict[str, Any]:
    data = asdict(c)
    data["keywords"] = list(c.keywords)
    data["default_type"] = c.default_type.value if c.default_type else None
    return data


def load_taxonomy(session: Session) -> Taxonomy:
    return Taxonomy.of(category_of(r) for r in session.scalars(select(CategoryRow)))


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    removed: int


class TaxonomyService:
    """The category tree stored in the database, edited by admins."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock

    def taxonomy(self) -> Taxonomy:
        with self.db.reading() as session:
            return load_taxonomy(session)

    def categories(self) -> list[Category]:
        """Every category, each parent before its children."""
        return list(self.taxonomy().walk())

    def get(self, code: str) -> Category:
        return self.taxonomy().get(code)

    def export_csv(self) -> str:
        return taxonomy_csv(self.categories())

    def import_categories(
        self, actor: Actor, categories: Sequence[Category], *, replace: bool = False, note: str = ""
    ) -> ImportReport:
        """Add or update categories by code; `replace` also removes the ones not given."""
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            rows = {r.code: r for r in session.scalars(select(CategoryRow))}
            given = {c.code: c for c in categories}
            merged = dict(given) if replace else {**{k: category_of(r) for k, r in rows.items()}, **given}
            taxonomy = Taxonomy.of(merged.values())  # refuses an unsound result
            if replace:
                self._check_unused(session, set(rows) - set(given))
            created = updated = unchanged = removed = 0
            for cat in given.values():
                row = rows.get(cat.code)
                after = category_json(cat)
                if row is None:
                    session.add(_new_row(cat, taxonomy.level(cat.code), now))
                    record_change(
                        session,
                        subject="category",
                        key=cat.code,
                        action="import",
                        before=None,
                        after=after,
                        actor=actor,
                        at=now,
                        note=note,
                    )
                    created += 1
                    continue
                before = category_json(category_of(row))
                if before == after and row.level == taxonomy.level(cat.code):
                    unchanged += 1
                    continue
                _fill_row(row, cat, taxonomy.level(cat.code), now)
                record_change(
                    session,
                    subject="category",
                    key=cat.code,
                    action="import",
                    before=before,
                    after=after,
                    actor=actor,
                    at=now,
                    note=note,
                )
                updated += 1
            if replace:
                for code in sorted(set(rows) - set(given)):
                    record_change(
                        session,
                        subject="category",
                        key=code,
                        action="delete",
                        before=category_json(category_of(rows[code])),
                        after=None,
                        actor=actor,
                        at=now,
                        note=note,
                    )
                    session.delete(rows[code])
                    removed += 1
            return ImportReport(created, updated, unchanged, removed)

    def import_csv(self, actor: Actor, text: str, *, replace: bool = False) -> ImportReport:
        require(may_administer_catalog, actor)  # before the file is read
        return self.import_categories(actor, parse_taxonomy_csv(text), replace=replace, note="CSV 导入")

    def ensure_default(self, actor: Actor) -> ImportReport:
        """Load the shipped default taxonomy when the database has none yet."""
        require(may_administer_catalog, actor)
        with self.db.reading() as session:
            if session.scalar(select(CategoryRow.code).limit(1)) is not None:
                return ImportReport(0, 0, 0, 0)
        return self.import_categories(actor, default_categories(), note="默认分类")

    def save(self, actor: Actor, category: Category, *, create: bool) -> Category:
        """Create a category (`create`) or update an existing one."""
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(CategoryRow, category.code)
            if create and row is not None:
                raise ValidationFailed(f"分类编码 {category.code} 已存在", field="code")
            if not create and row is None:
                raise NotFound(f"分类编码 {category.code} 不存在", category_code=category.code)
            current = {c.code: category_of(c) for c in session.scalars(select(CategoryRow))}
            current[category.code] = category
            taxonomy = Taxonomy.of(current.values())
            before = category_json(category_of(row)) if row is not None else None
            if row is None:
                session.add(_new_row(category, taxonomy.level(category.code), now))
            else:
                _fill_row(row, category, taxonomy.level(category.code), now)
                # levels below may move when the parent changes
                for code in taxonomy.subtree(category.code)[1:]:
                    child = session.get(CategoryRow, code)
                    if child is not None:
                        child.level = taxonomy.level(code)
            record_change(
                session,
                subject="category",
                key=category.code,
                action="create" if create else "update",
                before=before,
                after=category_json(category),
                actor=actor,
                at=now,
            )
            return category

    def delete(self, actor: Actor, code: str) -> None:
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(CategoryRow, code)
            if row is None:
                raise NotFound(f"分类编码 {code} 不存在", category_code=code)
            if session.scalar(select(CategoryRow.code).where(CategoryRow.parent_code == code).limit(1)):
                raise ValidationFailed(f"分类 {code} 还有下级分类，不能删除")
            self._check_unused(session, {code})
            record_change(
                session,
                subject="category",
                key=code,
                action="delete",
                before=category_json(category_of(row)),
                after=None,
                actor=actor,
                at=now,
            )
            session.delete(row)

    def history(self, code: str | None = None, limit: int = 100) -> list[Change]:
        with self.db.reading() as session:
            return changes(session, subject="category", key=code, limit=limit)

    @staticmethod
    def _check_unused(session: Session, codes: set[str]) -> None:
        if not codes:
            return
        used = sorted(
            code
            for code in session.scalars(
                select(ResponsibilityRuleRow.category_code).where(
                    ResponsibilityRuleRow.category_code.in_(codes)
                )
            )
            if code is not None
        )
        if used:
            raise ValidationFailed(f"权责清单仍在使用分类 {'、'.join(sorted(set(used)))}，请先修改规则")


def _new_row(cat: Category, level: int, now: datetime) -> CategoryRow:
    row = CategoryRow(code=cat.code)
    _fill_row(row, cat, level, now)
    return row


def _fill_row(row: CategoryRow, cat: Category, level: int, now: datetime) -> None:
    row.name = cat.name
    row.parent_code = cat.parent_code
    row.level = level
    row.keywords = list(cat.keywords)
    row.default_type = cat.default_type.value if cat.default_type else None
    row.time_limit_days = cat.time_limit_days
    row.active = cat.active
    row.updated_at = now


__all__ = [
    "CSV_COLUMNS",
    "ImportReport",
    "TaxonomyService",
    "default_categories",
    "load_taxonomy",
    "parse_taxonomy_csv",
    "taxonomy_csv",
]
