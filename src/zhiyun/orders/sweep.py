"""The deadline sweep: marks orders whose sign-for or reply deadline is near or past.

Each newly overdue order gets an urge notice (催办通知) to the unit that holds it. An alert is
a system event of the order (domain.workorder.DeadlineAlert), recorded through the order use
cases like any change: version + 1, one audit row. Several workers may sweep at once: each
records an alert only on the version of the order it found due, so exactly one worker
records each warning and each notice (the notice table's unique key is a second guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from zhiyun.domain.access import Actor, may_run_sweep, require
from zhiyun.domain.errors import DomainError
from zhiyun.domain.workorder import AlertLevel, DeadlineAlert, DeadlineKind, OrderStatus
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.orders.service import WorkOrderService
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

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = system_clock,
        batch: int = 500,
        orders: WorkOrderService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.batch = batch
        self.orders = orders or WorkOrderService(db, clock=clock)

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
        alert = DeadlineAlert(DeadlineKind(deadline), AlertLevel(level))
        with self.db.transaction() as session:
            loaded = repo.load_order(session, order_id)
            if loaded is None or loaded.row.version != version:
                report.skipped += 1  # changed since it was found due: another sweep, or a person
                return
            snap = self.orders.reference.get(session, loaded.revision)
            try:
                self.orders.record_in(session, SWEEP_ACTOR, loaded.row, alert, now, snap=snap)
            except DomainError:  # another sweep recorded it first, or it is no longer due
                report.skipped += 1
                return
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
