"""Responsibility list (权责清单) use cases: admin edits, CSV import/export, history, resolution.

Rules name units and areas by org unit code and categories by taxonomy code; an unknown
code is refused with a Chinese message naming it. Every create, update, delete and import
is written to the change history with the rule before and after.

CSV columns: id (empty for a new rule), category_code, area_code, unit_code, keywords
(separated by | or 、), order_type, urgent (是/否/empty), priority, note, active.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiyun.catalog.changes import Change, changes, record_change
from zhiyun.catalog.tables import ResponsibilityRuleRow
from zhiyun.catalog.taxonomy import load_taxonomy, parse_order_type, split_keywords
from zhiyun.domain.access import Actor, may_administer_catalog, require
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.responsibility import Case, Resolution, Rule, check_rules, describe, resolve
from zhiyun.domain.taxonomy import Taxonomy
from zhiyun.domain.workorder import OrderType
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.csv_text import read_csv
from zhiyun.reference import repo as ref
from zhiyun.store.db import Database

CSV_COLUMNS = (
    "id",
    "category_code",
    "area_code",
    "unit_code",
    "keywords",
    "order_type",
    "urgent",
    "priority",
    "note",
    "active",
)
_TRUE = {"1", "true", "yes", "y", "是", "紧急"}
_FALSE = {"0", "false", "no", "n", "否", "非紧急", "一般"}


@dataclass(frozen=True)
class RuleInput:
    """A rule as admins write it: units, areas and categories by code."""

    unit_code: str
    category_code: str | None = None
    area_code: str | None = None
    keywords: tuple[str, ...] = ()
    order_type: OrderType | None = None
    urgent: bool | None = None
    priority: int = 0
    note: str = ""
    active: bool = True


@dataclass(frozen=True)
class RuleView:
    """A rule as admins read it: with codes, names and a one-line description."""

    rule: Rule
    unit_code: str
    unit_name: str
    area_code: str | None
    area_name: str | None
    category_name: str | None
    description: str


@dataclass(frozen=True)
class Lists:
    """The taxonomy and the active rules as of one revision stamp."""

    key: tuple[tuple[str, int], ...]
    taxonomy: Taxonomy
    rules: tuple[Rule, ...]


def rule_of(row: ResponsibilityRuleRow) -> Rule:
    return Rule(
        id=row.id,
        unit_id=row.unit_id,
        category_code=row.category_code,
        area_unit_id=row.area_unit_id,
        keywords=tuple(row.keywords or ()),
        order_type=OrderType(row.order_type) if row.order_type else None,
        urgent=row.urgent,
        priority=row.priority,
        note=row.note or "",
        active=row.active,
    )


def rule_json(rule: Rule, org: OrgTree) -> dict[str, Any]:
    def code(uid: int | None) -> str | None:
        return org.units[uid].code if uid is not None and uid in org.units else None

    return {
        "id": rule.id,
        "category_code": rule.category_code,
        "area_code": code(rule.area_unit_id),
        "unit_code": code(rule.unit_id),
        "keywords": list(rule.keywords),
        "order_type": rule.order_type.value if rule.order_type else None,
        "urgent": rule.urgent,
        "priority": rule.priority,
        "note": rule.note,
        "active": rule.active,
    }


def load_rules(session: Session, *, active_only: bool = True) -> list[Rule]:
    stmt = select(ResponsibilityRuleRow).order_by(ResponsibilityRuleRow.id)
    if active_only:
        stmt = stmt.where(ResponsibilityRuleRow.active.is_(True))
    return [rule_of(r) for r in session.scalars(stmt)]


class ListCache:
    """The taxonomy and rules, rebuilt only when the reference revision stamp moves."""

    def __init__(self) -> None:
        self._lists: Lists | None = None
        self._lock = threading.Lock()

    def get(self, session: Session, revision: Mapping[str, int] | None = None) -> Lists:
        key = tuple(sorted((ref.revision(session) if revision is None else revision).items()))
        lists = self._lists
        if lists is not None and lists.key == key:
            return lists
        with self._lock:
            lists = Lists(key, load_taxonomy(session), tuple(load_rules(session)))
            self._lists = lists
            return lists

    def clear(self) -> None:
        self._lists = None


def _parse_bool(value: str, where: str, what: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationFailed(f"{where}: {what}「{value}」无效（填 是 或 否）")


def parse_rules_csv(text: str) -> list[tuple[int | None, RuleInput]]:
    """(id or None, rule) for every row of a rules CSV; ValidationFailed naming bad lines."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationFailed("权责清单文件为空")
    fieldnames, rows = read_csv(text)
    header = [h.strip() for h in fieldnames]
    if "unit_code" not in header:
        raise ValidationFailed(f"权责清单文件缺少列：unit_code（需要 {', '.join(CSV_COLUMNS)}）")
    problems: list[str] = []
    result: list[tuple[int | None, RuleInput]] = []
    for line, raw in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if isinstance(v, str | None)}
        where = f"第{line}行"
        try:
            rule_id = int(row["id"]) if row.get("id") else None
            priority = int(row["priority"]) if row.get("priority") else 0
        except ValueError:
            problems.append(f"{where}: 编号或优先级不是整数")
            continue
        try:
            active = _parse_bool(row.get("active", ""), where, "启用")
            result.append(
                (
                    rule_id,
                    RuleInput(
                        unit_code=row.get("unit_code", ""),
                        category_code=row.get("category_code") or None,
                        area_code=row.get("area_code") or None,
                        keywords=split_keywords(row.get("keywords")),
                        order_type=parse_order_type(row.get("order_type"), where),
                        urgent=_parse_bool(row.get("urgent", ""), where, "紧急"),
                        priority=priority,
                        note=row.get("note", ""),
                        active=True if active is None else active,
                    ),
                )
            )
        except ValidationFailed as exc:
            problems.append(exc.message)
    if problems:
        raise ValidationFailed("权责清单文件有误：" + "；".join(problems), problems=problems)
    if not result:
        raise ValidationFailed("权责清单文件没有数据行")
    return result


class ResponsibilityService:
    """The responsibility list stored in the database."""

    def __init__(self, db: Database, *, clock: Clock = system_clock, cache: ListCache | None = None) -> None:
        self.db = db
        self.clock = clock
        self.cache = cache or ListCache()

    # -- reading ------------------------------------------------------------------

    def lists(self) -> Lists:
        with self.db.reading() as session:
            return self.cache.get(session)

    def rules(self, *, include_inactive: bool = True) -> list[RuleView]:
        with self.db.reading() as session:
            org = ref.load_org(session)
            taxonomy = load_taxonomy(session)
            return [
                self._view(r, org, taxonomy) for r in load_rules(session, active_only=not include_inactive)
            ]

    def get(self, rule_id: int) -> RuleView:
        with self.db.reading() as session:
            found = self.get_in(session, rule_id)
            if found is None:
                raise NotFound(f"规则 {rule_id} 不存在", rule_id=rule_id)
            return found

    def get_in(self, session: Session, rule_id: int, org: OrgTree | None = None) -> RuleView | None:
        """A rule read in the caller's session; None when it no longer exists."""
        row = session.get(ResponsibilityRuleRow, rule_id)
        if row is None:
            return None
        return self._view(rule_of(row), org or ref.load_org(session), self.cache.get(session).taxonomy)

    def history(self, rule_id: int | None = None, limit: int = 100) -> list[Change]:
        with self.db.reading() as session:
            return changes(
                session, subject="rule", key=None if rule_id is None else str(rule_id), limit=limit
            )

    def resolve(self, case: Case) -> Resolution:
        with self.db.reading() as session:
            lists = self.cache.get(session)
            return resolve(lists.rules, case, ref.load_org(session), lists.taxonomy)

    def export_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        with self.db.reading() as session:
            org = ref.load_org(session)
            for rule in load_rules(session, active_only=False):
                data = rule_json(rule, org)
                writer.writerow(
                    [
                        rule.id,
                        data["category_code"] or "",
                        data["area_code"] or "",
                        data["unit_code"] or "",
                        "|".join(rule.keywords),
                        data["order_type"] or "",
                        "" if rule.urgent is None else ("是" if rule.urgent else "否"),
                        rule.priority,
                        rule.note,
                        "是" if rule.active else "否",
                    ]
                )
        return out.getvalue()

    # -- writing ------------------------------------------------------------------

    def create(self, actor: Actor, data: RuleInput, *, note: str = "") -> RuleView:
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            org, taxonomy = ref.load_org(session), load_taxonomy(session)
            rule = self._to_rule(0, data, org, taxonomy, "")
            row = ResponsibilityRuleRow(created_at=now)
            _fill(row, rule, now)
            session.add(row)
            session.flush()
            saved = rule_of(row)
            record_change(
                session,
                subject="rule",
                key=str(row.id),
                action="create",
                before=None,
                after=rule_json(saved, org),
                actor=actor,
                at=now,
                note=note,
            )
            return self._view(saved, org, taxonomy)

    def update(self, actor: Actor, rule_id: int, data: RuleInput, *, note: str = "") -> RuleView:
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(ResponsibilityRuleRow, rule_id)
            if row is None:
                raise NotFound(f"规则 {rule_id} 不存在", rule_id=rule_id)
            org, taxonomy = ref.load_org(session), load_taxonomy(session)
            rule = self._to_rule(rule_id, data, org, taxonomy, "")
            before = rule_json(rule_of(row), org)
            _fill(row, rule, now)
            after = rule_json(rule, org)
            if before != after:
                record_change(
                    session,
                    subject="rule",
                    key=str(rule_id),
                    action="update",
                    before=before,
                    after=after,
                    actor=actor,
                    at=now,
                    note=note,
                )
            return self._view(rule, org, taxonomy)

    def delete(self, actor: Actor, rule_id: int, *, note: str = "") -> None:
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(ResponsibilityRuleRow, rule_id)
            if row is None:
                raise NotFound(f"规则 {rule_id} 不存在", rule_id=rule_id)
            org = ref.load_org(session)
            record_change(
                session,
                subject="rule",
                key=str(rule_id),
                action="delete",
                before=rule_json(rule_of(row), org),
                after=None,
                actor=actor,
                at=now,
                note=note,
            )
            session.delete(row)

    def import_rules(
        self, actor: Actor, items: Sequence[tuple[int | None, RuleInput]], *, replace: bool = False
    ) -> tuple[int, int, int, int]:
        """Add rules (no id) or update them (id); `replace` removes rules not in the file.

        (created, updated, unchanged, removed). Any bad row: nothing changes.
        """
        require(may_administer_catalog, actor)
        now = self.clock()
        with self.db.transaction() as session:
            org, taxonomy = ref.load_org(session), load_taxonomy(session)
            rows = {r.id: r for r in session.scalars(select(ResponsibilityRuleRow))}
            problems: list[str] = []
            rules: list[tuple[int | None, Rule]] = []
            for i, (rule_id, data) in enumerate(items, start=1):
                label = f"第{i}条" if rule_id is None else f"规则#{rule_id}"
                try:
                    if rule_id is not None and rule_id not in rows:
                        raise ValidationFailed(f"{label}: 规则编号 {rule_id} 不存在（新规则请留空编号）")
                    rules.append((rule_id, self._to_rule(rule_id or 0, data, org, taxonomy, label)))
                except ValidationFailed as exc:
                    problems.append(exc.message)
            if problems:
                raise ValidationFailed("权责清单有误：" + "；".join(problems), problems=problems)
            created = updated = unchanged = removed = 0
            kept: set[int] = set()
            for rule_id, rule in rules:
                if rule_id is None:
                    row = ResponsibilityRuleRow(created_at=now)
                    _fill(row, rule, now)
                    session.add(row)
                    session.flush()
                    kept.add(row.id)
                    record_change(
                        session,
                        subject="rule",
                        key=str(row.id),
                        action="import",
                        before=None,
                        after=rule_json(rule_of(row), org),
                        actor=actor,
                        at=now,
                    )
                    created += 1
                    continue
                kept.add(rule_id)
                row = rows[rule_id]
                before = rule_json(rule_of(row), org)
                after = rule_json(rule, org)
                if before == after:
                    unchanged += 1
                    continue
                _fill(row, rule, now)
                record_change(
                    session,
                    subject="rule",
                    key=str(rule_id),
                    action="import",
                    before=before,
                    after=after,
                    actor=actor,
                    at=now,
                )
                updated += 1
            if replace:
                for rule_id in sorted(set(rows) - kept):
                    record_change(
                        session,
                        subject="rule",
                        key=str(rule_id),
                        action="delete",
                        before=rule_json(rule_of(rows[rule_id]), org),
                        after=None,
                        actor=actor,
                        at=now,
                        note="导入时删除",
                    )
                    session.delete(rows[rule_id])
                    removed += 1
            return created, updated, unchanged, removed

    def import_csv(self, actor: Actor, text: str, *, replace: bool = False) -> tuple[int, int, int, int]:
        require(may_administer_catalog, actor)  # before the file is read
        return self.import_rules(actor, parse_rules_csv(text), replace=replace)

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _to_rule(rule_id: int, data: RuleInput, org: OrgTree, taxonomy: Taxonomy, label: str) -> Rule:
        prefix = f"{label}: " if label else ""
        problems: list[str] = []
        unit_id = area_id = None
        by_code = {u.code: u.id for u in org.units.values()}
        if not data.unit_code:
            problems.append("缺少责任单位编码")
        elif data.unit_code not in by_code:
            problems.append(f"责任单位编码 {data.unit_code} 不存在")
        else:
            unit_id = by_code[data.unit_code]
        if data.area_code:
            if data.area_code not in by_code:
                problems.append(f"区域单位编码 {data.area_code} 不存在")
            else:
                area_id = by_code[data.area_code]
        if data.category_code and data.category_code not in taxonomy:
            problems.append(f"分类编码 {data.category_code} 不存在")
        if problems:
            raise ValidationFailed(prefix + "；".join(problems), problems=problems)
        assert unit_id is not None
        rule = Rule(
            id=rule_id,
            unit_id=unit_id,
            category_code=data.category_code or None,
            area_unit_id=area_id,
            keywords=tuple(k.strip() for k in data.keywords),
            order_type=data.order_type,
            urgent=data.urgent,
            priority=data.priority,
            note=(data.note or "").strip(),
            active=data.active,
        )
        found = check_rules([rule], org, taxonomy)
        if found:
            cleaned = [p.split(": ", 1)[-1] for p in found]
            raise ValidationFailed(prefix + "；".join(cleaned), problems=cleaned)
        return rule

    @staticmethod
    def _view(rule: Rule, org: OrgTree, taxonomy: Taxonomy) -> RuleView:
        unit = org.units.get(rule.unit_id)
        area = org.units.get(rule.area_unit_id) if rule.area_unit_id is not None else None
        category = taxonomy.categories.get(rule.category_code) if rule.category_code else None
        return RuleView(
            rule=rule,
            unit_code=unit.code if unit else str(rule.unit_id),
            unit_name=unit.name if unit else "（已停用单位）",
            area_code=area.code if area else None,
            area_name=area.name if area else None,
            category_name=taxonomy.path_names(category.code) if category else None,
            description=describe(rule, org, taxonomy),
        )


def _fill(row: ResponsibilityRuleRow, rule: Rule, now: datetime) -> None:
    row.unit_id = rule.unit_id
    row.category_code = rule.category_code
    row.area_unit_id = rule.area_unit_id
    row.keywords = list(rule.keywords)
    row.order_type = rule.order_type.value if rule.order_type else None
    row.urgent = rule.urgent
    row.priority = rule.priority
    row.note = rule.note
    row.active = rule.active
    row.updated_at = now


__all__ = [
    "CSV_COLUMNS",
    "ListCache",
    "Lists",
    "ResponsibilityService",
    "RuleInput",
    "RuleView",
    "load_rules",
    "parse_rules_csv",
    "rule_json",
]
