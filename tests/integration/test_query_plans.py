"""The indexes serve the queries written against them (PostgreSQL): the partial indexes on
sparse columns, the two halves of intake's candidate query and the channel activity.

Migration 0008 made the warning-time, master and full-text indexes partial (IS NOT NULL).
PostgreSQL uses a partial index only where the query implies its condition, so each test
runs the real use case, captures the statement it sent and asks the planner, with
sequential scans priced out, whether it can use the index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from tests.support import ONLY_POSTGRESQL, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.dedupe import repo as dedupe_repo
from zhiyun.domain.order_query import OrderQuery
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.kernel.geo import neighbour_cells
from zhiyun.kernel.text import search_text
from zhiyun.orders import repo
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import OPEN_STATUS_VALUES

pytestmark = ONLY_POSTGRESQL


@contextmanager
def captured(services: Services, mentioning: str) -> Iterator[list[tuple[str, Any]]]:
    """The statements (with their parameters) sent to the database that mention `mentioning`."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if mentioning in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(services.db.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(services.db.engine, "before_cursor_execute", capture)


def plan_of(services: Services, statement: str, parameters: Any, without: tuple[str, ...] = ()) -> str:
    """The plan of `statement` with sequential scans priced out and the indexes `without` dropped
    (in a transaction rolled back afterwards: a tiny table makes any index look as good)."""
    with services.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            for index in without:
                cur.execute(f"DROP INDEX {index}")
            cur.execute("EXPLAIN " + statement, parameters)
            plan = "\n".join(row[0] for row in cur.fetchall())
        raw.rollback()
    return plan


def uses_index(
    services: Services, mentioning: str, run: Callable[[], object], index: str, without: tuple[str, ...] = ()
) -> str:
    with captured(services, mentioning) as seen:
        run()
    assert seen, f"no statement mentioning {mentioning}"
    plans = [plan_of(services, statement, parameters, without) for statement, parameters in seen]
    assert any(index in plan for plan in plans), "\n\n".join(plans)
    return plans[0]


def _register(services: Services, title: str, actor: Any) -> str:
    new = NewOrder(title=title, content=f"{title}，请尽快处理").validated()
    with services.db.transaction() as session:
        row = services.orders.register_in(
            session, actor, new, datetime.now(UTC), extra={"search_text": search_text(new.title, new.content)}
        )
        return row.number


def test_chinese_search_uses_the_full_text_index_of_segmented_orders(services: Services) -> None:
    district = build_small_district(services)
    town = district.actors["town"]
    _register(services, "夏北路路灯不亮", town)

    uses_index(
        services,
        "to_tsquery",
        lambda: services.worklists.page(town, OrderQuery(text="路灯")),
        "ix_work_order_search_tsv",
    )


def test_listing_orders_in_warning_uses_the_warning_time_indexes(services: Services) -> None:
    leader = build_small_district(services).actors["leader"]  # reads the whole district: no scope

    def listing() -> None:
        services.worklists.page(leader, OrderQuery(deadline_alert="warning"), limit=20)

    plan = uses_index(
        services,
        "warn_at",
        listing,
        "ix_work_order_reply_warn_at",
        without=("ix_work_order_status_current_unit",),
    )
    assert "ix_work_order_sign_warn_at" in plan


def test_looking_up_the_duplicates_of_an_order_uses_the_master_index(services: Services) -> None:
    def lookup() -> None:
        with services.db.reading() as session:
            repo.duplicates_of(session, 1)

    uses_index(services, "master_id", lookup, "ix_work_order_master_id")


def test_candidates_by_place_and_caller_use_the_cell_and_phone_indexes_in_one_statement(
    services: Services,
) -> None:
    """Intake's one round trip for a new order with a place and a caller (a UNION ALL) keeps
    each half on its own index."""
    lat, lon = 23.04, 113.15
    params = {
        "since": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=7),
        "me": -1,
        **dedupe_repo._box(lat, lon, 300.0),
        "cells": neighbour_cells(lat, lon, 300.0),
        "rows": 400,
        "phone": "13800000001",
        "caller_rows": 200,
        "open": list(OPEN_STATUS_VALUES),
    }
    plan = plan_of(services, dedupe_repo._PG_NEARBY_AND_CALLER, params)
    assert "ix_work_order_geo_cell_registered_at" in plan and "ix_work_order_citizen_phone" in plan, plan


def test_channel_activity_reads_each_channels_latest_and_recent_records_by_channel_and_time(
    services: Services,
) -> None:
    plan = uses_index(
        services,
        "intake_record",
        lambda: services.channels.channels(with_activity=True),
        "ix_intake_record_channel_received_at",
        without=("ix_intake_record_channel_external_id",),  # equal to it on an empty table
    )
    assert plan.count("ix_intake_record_channel_received_at") == 2 * len(CHANNEL_SPECS), plan
    assert "Seq Scan on intake_record" not in plan
