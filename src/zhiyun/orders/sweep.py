"""The deadline sweep: marks orders whose sign-for or reply deadline is near or past.

Each newly overdue order gets an urge notice (催办通知) to the unit that holds it. Several
workers may sweep at once: an order's alert is claimed with a version-checked UPDATE, so
exactly one worker records each warning and each notice (the notice table's unique key
is a second guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhiyun.domain.access import Actor, may_run_sweep, require
from zhiyun.domain.workorder import OrderStatus, TransitionRecord
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.store.db import Database
from zhiyun.store.tables import NoticeRow, WorkOrderRow

SWEEP_ACTOR = Actor.system("时限监控")

_SIGN_STATUSES = (OrderStatus.DISPATCHED.value,)
_REPLY_STATUSES = (
    OrderStatus.PENDING_DISPATCH.value,
    OrderStatus.DISPATCHED.value,
    OrderStatus.IN_PROGRESS.value,
)


@dataclass
class SweepReport:
    """What one sweep did."""

    warnings: int = 0
    overdue: int = 0
    notices: int = 0
    skipped: int = 0


def _due_clause(prefix: str, statuses: tuple[str, ...], now: datetime):  # type: ignore[no-untyped-def]
    warn_at = getattr(WorkOrderRow, f"{prefix}_warn_at")
    due_at = getattr(WorkOrderRow, f"{prefix}_due_at")
    alert = getattr(WorkOrderRow, f"{prefix}_alert")
    return and_(
        WorkOrderRow.status.in_(statuses),
        or_(and_(alert == "", warn_at <= now), and_(alert != "overdue", due_at <= now)),
    )


class DeadlineSweep:
    """Finds orders entering warning or overdue and announces each once."""

    def __init__(self, db: Database, *, clock: Clock = system_clock, batch: int = 500) -> None:
        self.db = db
        self.clock = clock
        self.batch = batch

    def run(self, actor: Actor, now: datetime | None = None) -> SweepReport:
        require(may_run_sweep, actor)  # the worker (the system) or an admin; records name SWEEP_ACTOR
        now = now or self.clock()
        report = SweepReport()
        for prefix, statuses in (("sign", _SIGN_STATUSES), ("reply", _REPLY_STATUSES)):
            last_id = 0
            while True:
                with self.db.reading() as session:
                    candidates = session.execute(
                        select(
                            WorkOrderRow.id,
                            WorkOrderRow.version,
                            WorkOrderRow.number,
                            WorkOrderRow.status,
                            WorkOrderRow.current_unit_id,
                            getattr(WorkOrderRow, f"{prefix}_due_at"),
                        )
                        .where(_due_clause(prefix, statuses, now), WorkOrderRow.id > last_id)
                        .order_by(WorkOrderRow.id)
                        .limit(self.batch)
                    ).all()
                if not candidates:
                    break
                for order_id, version, number, status, unit_id, due_at in candidates:
                    last_id = order_id
                    level = "overdue" if due_at <= now else "warning"
                    self._announce(
                        prefix, level, order_id, version, number, status, unit_id, due_at, now, report
                    )
        return report

    def _announce(
        self,
        deadline: str,
        level: str,
        order_id: int,
        version: int,
        number: str,
        status: str,
        unit_id: int,
        due_at: datetime,
        now: datetime,
        report: SweepReport,
    ) -> None:
        what = "签收" if deadline == "sign" else "办理"
        with self.db.transaction() as session:
            if not repo.claim_alert(session, order_id, version, f"{deadline}_alert", level):
                report.skipped += 1
                return
            record = TransitionRecord(
                action=f"deadline_{level}",
                from_status=OrderStatus(status),
                to_status=OrderStatus(status),
                from_unit_id=unit_id,
                to_unit_id=unit_id,
                note=f"{what}期限{'已过' if level == 'overdue' else '将至'}",
                details={"deadline": deadline, "due_at": due_at.isoformat()},
            )
            session.add(repo.transition_row(order_id, record, SWEEP_ACTOR, now))
            if level == "warning":
                report.warnings += 1
                return
            report.overdue += 1
            insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
            result = session.execute(
                insert(NoticeRow)
                .values(
                    order_id=order_id,
                    kind="urge",
                    deadline=deadline,
                    due_at=due_at,
                    unit_id=unit_id,
                    message=f"催办：工单 {number} 已超过{what}期限，请尽快{what}。",
                    created_at=now,
                )
                .on_conflict_do_nothing()
                # psycopg reports -1 once the cursor is closed unless the row count is kept
                .execution_options(preserve_rowcount=True)
            )
            report.notices += int(getattr(result, "rowcount", 0) or 0)
