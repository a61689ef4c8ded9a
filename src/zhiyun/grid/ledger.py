"""Electronic ledgers (电子台账) use cases: a ledger over a period in one scope, and its XLSX.

Every answer of every visit is kept (`patrol_answer`); `ledger(actor, request)` reads those of
a period (from a day to a day, inclusive) in one village, one grid, one item or one object and
lays them out per item and object (`domain.patrol_ledger`): each visit's date, worker, answers
as text, the hazards found with their level and whether they were fixed, the photos; with the
totals (objects, visits, items checked, hazards found, fixed, open). `export(actor, request,
target)` writes it as the workbook an inspection expects (`ledger_xlsx`).

Who sees what is the grid rule (`domain.grid.visible_grid_ids`): a grid worker the visits made
in the grids of their posts (a chief: the whole village), a village's staff their village's, a
town's its villages', the district-wide readers everything. A village, grid or item out of view
gives an empty ledger — as the managed objects' list gives an empty page for another village —
and an object out of view is "不存在或您无权查看" (NotFound), as the object itself is.

Whether a hazard was fixed comes from one function, `ledger_repo.hazard_fixes`: the state of the
hazard record (`grid_hazard`) the answer became — 已整改, 未整改 (re-checked not fixed, or past
its rectification deadline), or 待复查.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy.orm import Session

from zhiyun.domain.access import Actor, require
from zhiyun.domain.calendar import LOCAL_TZ, local_date
from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.grid import ObjectKind
from zhiyun.domain.grid_items import GridItem, HazardLevel
from zhiyun.domain.org import UnitKind
from zhiyun.domain.patrol_ledger import (
    HazardFix,
    Ledger,
    LedgerAnswer,
    LedgerCheck,
    LedgerLine,
    LedgerObject,
    LedgerRequest,
    LedgerSection,
    ScopeKind,
    fix_cell,
    hazard_cell,
    ledger_title,
    ledger_totals,
    may_read_patrol_ledger,
    question_columns,
)
from zhiyun.grid import items_repo, patrol_repo
from zhiyun.grid import ledger_repo as repo
from zhiyun.grid.ledger_repo import AnswerLine, HazardRef, LedgerFilter, Sight
from zhiyun.grid.ledger_xlsx import write_ledger
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

LEDGER_MAX_ANSWERS = 250_000  # a ledger larger than this is refused: narrow the scope or the days


@dataclass(frozen=True)
class LedgerChoices:
    """What the console's filters offer the reader: the villages, grids and items in view."""

    villages: list[tuple[str, str]]  # (unit code, name)
    grids: list[tuple[str, str]]  # (15-digit code, name)
    items: list[tuple[str, str]]  # (code, name)


class LedgerService:
    """Electronic ledgers: read one, export one as XLSX."""

    def __init__(self, db: Database, *, clock: Clock = system_clock) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ reads

    def ledger(self, actor: Actor, request: LedgerRequest) -> Ledger:
        """The ledger `request` asks for, as far as `actor` may see (see the module's note)."""
        require(may_read_patrol_ledger, actor)
        request = request.validated()
        with self.db.reading() as session:
            sight = repo.sight(session, actor)
            flt, name = self._scope(session, sight, request)
            count = repo.count_answers(session, flt, request.start, request.end)
            if count > LEDGER_MAX_ANSWERS:
                raise ValidationFailed(
                    f"台账过大（{count:,} 条检查结果，上限 {LEDGER_MAX_ANSWERS:,}），请缩小范围或时间段",
                    field="scope",
                )
            lines = repo.answers(session, flt, request.start, request.end)
            sections = self._sections(session, sight, lines)
        return Ledger(
            title=ledger_title(name, request.start, request.end),
            scope=request.kind,
            scope_value=request.value,
            scope_name=name,
            start=request.start,
            end=request.end,
            generated_at=self.clock().astimezone(LOCAL_TZ),
            generated_by=actor.name or actor.role.label,
            sections=sections,
            totals=ledger_totals(sections),
        )

    def export(self, actor: Actor, request: LedgerRequest, target: str | Path | BinaryIO) -> Ledger:
        """Write the ledger as an XLSX workbook to `target` (a path or a binary file): a cover
        sheet and a sheet per item (docs/grid-patrols.md, "Ledgers"); returns the ledger."""
        ledger = self.ledger(actor, request)
        write_ledger(ledger, target)
        return ledger

    def choices(self, actor: Actor) -> LedgerChoices:
        """The villages, grids and active items the reader's ledgers may be about."""
        require(may_read_patrol_ledger, actor)
        with self.db.reading() as session:
            sight = repo.sight(session, actor)
            grids = sorted(sight.in_view(), key=lambda g: g.code)
            village_ids = {g.village_unit_id for g in grids}
            villages = sorted(
                (u.code, u.name)
                for u in sight.org.units.values()
                if u.kind is UnitKind.VILLAGE and u.id in village_ids
            )
            items = [(i.code, i.name) for i, _ in items_repo.items_with_current(session, active_only=True)]
        return LedgerChoices(villages, [(g.code, g.name) for g in grids], items)

    # ------------------------------------------------------------------ helpers

    def _scope(self, session: Session, sight: Sight, request: LedgerRequest) -> tuple[LedgerFilter, str]:
        """The stored filter of a request, kept to the grids in view, and the scope's name."""
        visible = sight.visible
        if request.kind is ScopeKind.VILLAGE:
            found = [
                u
                for u in sight.org.units.values()
                if u.kind is UnitKind.VILLAGE and request.value in (u.code, str(u.id), u.name)
            ]
            if len(found) != 1:
                raise NotFound(f"村居「{request.value}」不存在", field="village")
            return LedgerFilter(visible, village_id=found[0].id), found[0].name
        if request.kind is ScopeKind.GRID:
            grid = next((g for g in sight.grids.values() if g.code == request.value), None)
            if grid is None:
                raise NotFound(f"网格 {request.value} 不存在", field="grid")
            return LedgerFilter(visible, grid_id=grid.id), grid.name or grid.code
        if request.kind is ScopeKind.ITEM:
            item = items_repo.find(session, request.value)
            if item is None:
                raise NotFound(f"入格事项 {request.value} 不存在", field="item")
            return LedgerFilter(visible, item_code=item.code), item.name
        facts = repo.objects(session, [int(request.value)]).get(int(request.value))
        if facts is None or not self._object_in_view(sight, facts.grid_id, facts.village_unit_id):
            raise NotFound("网格管理对象不存在或您无权查看", field="object")
        return LedgerFilter(visible, object_id=facts.id), facts.name

    @staticmethod
    def _object_in_view(sight: Sight, grid_id: int | None, village_id: int | None) -> bool:
        if sight.visible is None:
            return True
        if grid_id is not None:
            return grid_id in sight.visible
        return any(g.village_unit_id == village_id for g in sight.in_view())

    def _sections(
        self, session: Session, sight: Sight, lines: Sequence[AnswerLine]
    ) -> tuple[LedgerSection, ...]:
        if not lines:
            return ()
        facts = repo.objects(session, {a.object_id for a in lines})
        workers = repo.user_names(session, {a.worker_id for a in lines})
        checklists = patrol_repo.item_versions(session, {(a.item_code, a.item_version) for a in lines})
        meta = {
            row.code: (row.name, row.department)
            for row, _ in items_repo.items_with_current(session)
            if row.code in {a.item_code for a in lines}
        }
        hazards = [
            HazardRef(
                a.id, a.visit_id, a.submission_id, a.object_id, a.item_code, a.question_id, a.visited_on
            )
            for a in lines
            if a.hazard_level is not None
        ]
        fixes = repo.hazard_fixes(session, hazards, local_date(self.clock()))
        village_names = {u.id: u.name for u in sight.org.units.values()}

        # item → object → visit → answers, in the order read (object, item, day, visit)
        by_item: dict[str, dict[int, dict[int, list[AnswerLine]]]] = defaultdict(lambda: defaultdict(dict))
        for a in lines:
            by_item[a.item_code][a.object_id].setdefault(a.visit_id, []).append(a)

        sections = []
        for code in sorted(by_item):
            versions = sorted(
                {a.item_version for obj in by_item[code].values() for v in obj.values() for a in v}
            )
            items = [checklists[(code, v)] for v in versions if (code, v) in checklists]
            name, department = meta.get(code, (items[-1].name if items else code, ""))
            ledger_lines = []
            for object_id, visits in by_item[code].items():
                f = facts.get(object_id)
                grid = sight.grids.get(f.grid_id) if f is not None and f.grid_id is not None else None
                obj = LedgerObject(
                    id=object_id,
                    name=f.name if f else f"对象 {object_id}",
                    address=f.address if f else "",
                    kind_label=_kind_label(f.kind if f else None),
                    grid_code=grid.code if grid else "",
                    village_name=village_names.get(f.village_unit_id or 0, "") if f else "",
                )
                checks = tuple(
                    _check(answers, checklists.get((code, answers[0].item_version)), workers, fixes)
                    for answers in visits.values()
                )
                ledger_lines.append(LedgerLine(obj, checks))
            ledger_lines.sort(key=lambda line: (line.object.grid_code, line.object.name, line.object.id))
            sections.append(
                LedgerSection(code, name, department, question_columns(items), tuple(ledger_lines))
            )
        return tuple(sections)


def ledger_filename(ledger: Ledger) -> tuple[str, str]:
    """The workbook's file name, and an ASCII one for old clients:
    ("电子台账-夏北社区-2026年12月.xlsx", "ledger-village-GC-XB-20261201-20261231.xlsx")."""
    name = f"电子台账-{ledger.scope_name}-{ledger.period_label}.xlsx"
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in ledger.scope_value)
    plain = f"ledger-{ledger.scope.value}-{safe}-{ledger.start:%Y%m%d}-{ledger.end:%Y%m%d}.xlsx"
    return "".join(c for c in name if c not in '\\/:*?"<>|'), plain


def ledger_json(ledger: Ledger) -> dict[str, Any]:
    """A ledger as the REST API answers it."""
    t = ledger.totals
    return {
        "title": ledger.title,
        "scope": {
            "kind": ledger.scope.value,
            "label": ledger.scope.label,
            "value": ledger.scope_value,
            "name": ledger.scope_name,
        },
        "from": ledger.start.isoformat(),
        "to": ledger.end.isoformat(),
        "period": ledger.period_label,
        "generated_at": ledger.generated_at.isoformat(),
        "generated_by": ledger.generated_by,
        "totals": {
            "objects": t.objects,
            "visits": t.visits,
            "items_checked": t.items_checked,
            "hazards_found": t.hazards_found,
            "hazards_fixed": t.hazards_fixed,
            "hazards_open": t.hazards_open,
        },
        "items": [
            {
                "code": s.item_code,
                "name": s.item_name,
                "department": s.department,
                "questions": [{"id": c.question_id, "text": c.text} for c in s.columns],
                "objects": [
                    {
                        "id": line.object.id,
                        "name": line.object.name,
                        "address": line.object.address,
                        "kind": line.object.kind_label,
                        "grid_code": line.object.grid_code,
                        "village_name": line.object.village_name,
                        "checks": [
                            {
                                "visit_id": c.visit_id,
                                "date": c.day.isoformat(),
                                "worker": c.worker,
                                "item_version": c.item_version,
                                "answers": [
                                    {
                                        "question_id": a.question_id,
                                        "question": a.question,
                                        "text": a.text,
                                        "hazard_level": a.hazard_level.value if a.hazard_level else None,
                                        "hazard_label": a.hazard_level.label if a.hazard_level else None,
                                        "fix": a.fix.value if a.fix else None,
                                        "fix_label": a.fix.label if a.fix else None,
                                        "photos": a.photos,
                                    }
                                    for a in c.answers
                                ],
                                "hazards": hazard_cell(c),
                                "fix": fix_cell(c),
                                "photos": c.photos,
                            }
                            for c in line.checks
                        ],
                    }
                    for line in s.lines
                ],
            }
            for s in ledger.sections
        ],
    }


def _kind_label(kind: str | None) -> str:
    try:
        return ObjectKind(kind).label if kind else ""
    except ValueError:
        return kind or ""


def _check(
    answers: Sequence[AnswerLine],
    item: GridItem | None,
    workers: dict[int, str],
    fixes: dict[int, HazardFix],
) -> LedgerCheck:
    first = answers[0]
    result = []
    for a in answers:
        question = item.question(a.question_id) if item is not None else None
        level = HazardLevel(a.hazard_level) if a.hazard_level else None
        result.append(
            LedgerAnswer(
                question_id=a.question_id,
                question=question.text if question is not None else a.question_id,
                text=a.text or (f"照片 {a.photos} 张" if a.photos else ""),  # a photo question has no text
                hazard_level=level,
                fix=fixes.get(a.id, HazardFix.UNCHECKED) if level is not None else None,
                photos=a.photos,
            )
        )
    return LedgerCheck(
        visit_id=first.visit_id,
        day=first.visited_on,
        worker=workers.get(first.worker_id, f"用户 {first.worker_id}"),
        item_version=first.item_version,
        answers=tuple(result),
    )


def build(services: Services) -> LedgerService:
    """The capability's service over the process's services (`Capability.services`)."""
    return LedgerService(services.db, clock=services.clock)


__all__ = ["LEDGER_MAX_ANSWERS", "LedgerChoices", "LedgerService", "build", "ledger_filename", "ledger_json"]
