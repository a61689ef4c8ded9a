"""The 即将超时 and 已超时 queues hold exactly the orders whose one deadline state
(`domain.workorder.order_deadline`) says so, at every instant around every deadline, and each
order of a queue is listed with that state (the badge the list shows); SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.deadlines import DeadlineState
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Dispatch, OrderType, Sign, Urgency, order_deadline
from zhiyun.orders import repo
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import WorkOrderRow

QUEUES = {"overdue": DeadlineState.OVERDUE, "warning": DeadlineState.WARNING}


def test_the_deadline_queues_agree_with_the_orders_deadline_state_at_every_instant(
    services: Services,
) -> None:
    district = build_small_district(services)
    town, xiabei, admin = (district.actors[n] for n in ("town", "xiabei", "admin"))
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    real = services.orders.clock
    # (hours after `started` it is registered, urgency, dispatched, signed)
    plan = [
        (0, Urgency.URGENT, True, False),  # sign overdue long ago, reply overdue too
        (8, Urgency.URGENT, True, False),  # sign overdue, reply in warning later
        (26, Urgency.URGENT, True, False),  # sign overdue, reply on time
        (29.5, Urgency.URGENT, True, False),  # sign in warning or on time
        (20, Urgency.URGENT, True, True),  # signed: the reply deadline alone
        (25, Urgency.URGENT, False, False),  # waiting for dispatch: the reply deadline
        (1, Urgency.NORMAL, True, False),  # working-day limits
    ]
    try:
        for hours, urgency, dispatched, signed in plan:
            at = started + timedelta(hours=hours)
            services.orders.clock = lambda at=at: at  # type: ignore[misc]
            new = NewOrder(
                title="路灯不亮", content="路灯不亮，请尽快处理", order_type=OrderType.HELP, urgency=urgency
            )
            number = services.orders.register(town, new).order.summary.number
            if dispatched:
                services.orders.act(town, number, Dispatch(target_unit_id=district.units["GC-XB"]))
            if signed:
                services.orders.act(xiabei, number, Sign())
    finally:
        services.orders.clock = real

    with services.db.reading() as session:
        states = {row.number: repo.state_of(row) for row in session.scalars(select(WorkOrderRow))}
    edges: set[datetime] = {datetime.now(UTC)}
    for state in states.values():
        for deadline in (state.sign_deadline, state.reply_deadline):
            if deadline is not None:
                for edge in (deadline.due_at, deadline.warn_at):
                    edges.update({edge - timedelta(microseconds=1), edge, edge + timedelta(microseconds=1)})

    real_lists = services.worklists.clock
    try:
        for now in sorted(edges):
            services.worklists.clock = lambda now=now: now  # type: ignore[misc]
            for queue, wanted in QUEUES.items():
                page = services.worklists.page(admin, OrderQuery(queue=queue), limit=100)
                listed = {o.number: o for o in page.items}
                expected = set()
                for number, state in states.items():
                    found = order_deadline(state, now)
                    if found is not None and found.state is wanted:
                        expected.add(number)
                assert set(listed) == expected, (queue, now)
                for summary in listed.values():  # the list shows the queue's state on the order
                    assert summary.deadline is not None and summary.deadline.state == wanted.value
    finally:
        services.worklists.clock = real_lists
