"""The order page is one read model: one session, one visibility check, then every capability's panel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import NotFound
from zhiyun.domain.workorder import Dispatch
from zhiyun.orders.service import NewOrder
from zhiyun.orders.views import OrderDetail


@contextmanager
def counted(services: Services) -> Iterator[dict[str, int]]:
    """Connections taken from the pools and statements run while the block runs."""
    counts = {"connections": 0, "statements": 0}
    engines = {services.db.engine, services.db.read_engine}

    def checkout(*_: Any) -> None:
        counts["connections"] += 1

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    for engine in engines:
        event.listen(engine, "checkout", checkout)
        event.listen(engine, "before_cursor_execute", statement)
    try:
        yield counts
    finally:
        for engine in engines:
            event.remove(engine, "checkout", checkout)
            event.remove(engine, "before_cursor_execute", statement)


def test_the_order_page_reads_the_order_its_trail_and_every_panel_in_one_session(services: Services) -> None:
    district = build_small_district(services)
    town = district.actors["town"]
    order = services.orders.register(
        town, NewOrder(title="夏北路占道经营", content="夏北路有人占道经营，请处理", category_code=None)
    ).order
    services.orders.act(town, order.summary.number, Dispatch(target_unit_id=district.units["GC-XB"]))
    services.pages.page(town, order.summary.number)  # reference caches warm, as on a running server

    with counted(services) as counts:
        page = services.pages.page(town, order.summary.number)

    assert counts["connections"] == 1
    # 7 statements on SQLite; the console's route used to open 10 sessions and run 14 statements
    assert counts["statements"] <= 9, counts
    assert page.detail.summary.number == order.summary.number
    assert [t.action for t in page.transitions] == ["register", "dispatch"]
    assert set(page.panels) == {
        "candidates",
        "suggestion",
        "category_name",
        "channel_names",
        "grid_hazards",
        "knowledge_answers",
    }
    assert page.panels["candidates"] == []
    assert page.panels["grid_hazards"] is None  # not a grid order: the grid's panel reads nothing
    assert page.panels["channel_names"]["12345"]  # type: ignore[index]


def test_no_panel_runs_for_a_reader_who_may_not_see_the_order(services: Services) -> None:
    district = build_small_district(services)
    order = services.orders.register(
        district.actors["town"], NewOrder(title="夏北路占道经营", content="请处理")
    ).order
    seen: list[int] = []

    class Spy:
        name = "spy"

        def read(self, session: Session, actor: Actor, detail: OrderDetail) -> None:
            seen.append(detail.summary.id)

    services.pages.add(Spy())
    with pytest.raises(NotFound):
        services.pages.page(district.actors["yanbu"], order.summary.number)  # a handler in 大沥

    assert seen == []
    services.pages.page(district.actors["town"], order.summary.number)
    assert seen == [order.summary.id]


def test_a_panel_name_is_taken_once(services: Services) -> None:
    class Again:
        name = "candidates"

        def read(self, session: Session, actor: Actor, detail: OrderDetail) -> None:
            return None

    with pytest.raises(ValueError, match="candidates"):
        services.pages.add(Again())
