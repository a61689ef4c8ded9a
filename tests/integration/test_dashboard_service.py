"""The dashboard service on SQLite and PostgreSQL, over orders driven through the real workflow.

A clock the test sets lets each step happen at a chosen instant of one week (Monday
2026-11-23 to Thursday 2026-11-26 10:00, Asia/Shanghai) and the week before. The figures
are checked against hand-counted expectations, and against the per-order definitions of
`zhiyun.analytics.rates` applied to the stored rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.support import District, build_small_district

from zhiyun.analytics import rates, rollup
from zhiyun.analytics.dashboard import Dashboard, DashboardService
from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.analytics.periods import Windows
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.domain.errors import PermissionDenied
from zhiyun.domain.rate_definitions import DEFAULT, RateDefinition
from zhiyun.domain.workorder import (
    Callback,
    Cancel,
    CancelReason,
    Command,
    Dispatch,
    OrderStatus,
    Reply,
    ResolveOnIntake,
    Review,
    Satisfaction,
    Sign,
)
from zhiyun.orders.service import NewOrder
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)  # a Thursday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Story:
    """Drives orders through the workflow service at chosen instants."""

    def __init__(self, services: Services, district: District, clock: FakeClock) -> None:
        self.s, self.d, self.clock = services, district, clock

    def register(self, when: datetime, who: str, category: str | None = "CG-01") -> int:
        self.clock.now = when
        new = NewOrder(title="路灯不亮", content="小区门口路灯坏了", category_code=category, channel="12345")
        return self.s.orders.register(self.d.actors[who], new).order.summary.id

    def act(self, when: datetime, who: str, order_id: int, command: Command) -> None:
        self.clock.now = when
        self.s.orders.act(self.d.actors[who], order_id, command)

    def unit(self, code: str) -> int:
        return self.d.units[code]


@pytest.fixture
def world(database: Database, settings: Settings) -> tuple[Services, District, dict[str, int]]:
    clock = FakeClock(at(23, 8))
    services = build_services(database, settings, clock=clock)
    district = build_small_district(services)
    st = Story(services, district, clock)
    ids: dict[str, int] = {}
    # A: district → 桂城 → 夏北, everything on time, called back satisfied
    a = ids["A"] = st.register(at(23, 9), "district")
    st.act(at(23, 9, 10), "district", a, Dispatch(target_unit_id=st.unit("GC")))
    st.act(at(23, 9, 20), "town", a, Sign())
    st.act(at(23, 9, 30), "town", a, Dispatch(target_unit_id=st.unit("GC-XB")))
    st.act(at(23, 9, 40), "xiabei", a, Sign())
    st.act(at(24, 15), "xiabei", a, Reply(note="已修复"))
    st.act(at(24, 16), "town", a, Review(approve=True))
    st.act(at(25, 10), "district", a, Callback(satisfaction=Satisfaction.SATISFIED))
    # B: district → 大沥, never signed: overdue for sign-for
    b = ids["B"] = st.register(at(23, 9, 5), "district")
    st.act(at(23, 9, 6), "district", b, Dispatch(target_unit_id=st.unit("DL")))
    # C: district → 住建局, signed two days late, still in progress
    c = ids["C"] = st.register(at(24, 9), "district")
    st.act(at(24, 9, 1), "district", c, Dispatch(target_unit_id=st.unit("ZJJ")))
    st.act(at(26, 9), "zjj", c, Sign())
    # D: today, cancelled
    d = ids["D"] = st.register(at(26, 8), "district", category=None)
    st.act(at(26, 8, 5), "district", d, Cancel(note="重复来电", reason=CancelReason.INVALID))
    # E: today, resolved on intake at the district, called back satisfied
    e = ids["E"] = st.register(at(26, 8, 30), "district", category="ZX-01")
    st.act(at(26, 8, 31), "district", e, ResolveOnIntake(note="已电话答复"))
    st.act(at(26, 9, 30), "district", e, Callback(satisfaction=Satisfaction.SATISFIED))
    # F: registered at 桂城, → 平南, unsatisfied twice: reopened once, then closed unsatisfied
    f = ids["F"] = st.register(at(23, 10), "town")
    st.act(at(23, 10, 1), "town", f, Dispatch(target_unit_id=st.unit("GC-PN")))
    for day in (23, 24):
        st.act(at(day, 11), "pingnan", f, Sign())
        st.act(at(day, 14), "pingnan", f, Reply(note="已处理"))
        st.act(at(day, 15), "town", f, Review(approve=True))
        st.act(at(day, 16), "town", f, Callback(satisfaction=Satisfaction.UNSATISFIED))
    # G: last Tuesday (inside last week's same span); H: last Friday (outside it)
    ids["G"] = st.register(at(17, 9), "district")
    ids["H"] = st.register(at(20, 9), "district")
    clock.now = NOW
    return services, district, ids


def test_leader_sees_district_volume_by_channel_category_type_and_unit(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    board = services.dashboard.dashboard(district.actors["leader"])

    assert board.totals["week"] == 6 and board.totals["today"] == 2
    assert [(c.key, c.today, c.week) for c in board.volume["by_channel"]] == [("12345", 2, 6)]
    by_category = {c.name: (c.today, c.week) for c in board.volume["by_category"]}
    assert by_category == {"CG-01": (0, 4), "ZX-01": (1, 1), "未分类": (1, 1)}
    by_unit = {c.name: c.week for c in board.volume["by_unit"]}
    assert by_unit == {"桂城街道": 2, "大沥镇": 1, "区住建局": 1, "南海区（本级）": 2}


def test_rates_by_unit_follow_the_definitions(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    board = services.dashboard.dashboard(district.actors["leader"])
    units = {u.name: u for u in board.units}

    gc = units["桂城街道"].counts
    assert (gc.response_on_time, gc.response_due) == (2, 2)
    assert (gc.replied_on_time, gc.resolved, gc.reply_due) == (2, 1, 2)
    assert (gc.satisfied, gc.rated) == (1, 2)
    assert gc.resolution_rate == 0.5 and gc.satisfaction_rate == 0.5 and gc.on_time_rate == 1.0
    dl = units["大沥镇"]
    assert dl.counts.response_rate == 0.0 and dl.counts.on_time_rate is None
    assert (dl.open, dl.overdue) == (1, 1)
    zjj = units["区住建局"]
    assert zjj.counts.response_rate == 0.0 and (zjj.open, zjj.overdue) == (1, 0)
    own = units["南海区（本级）"].counts
    # E, and G and H of last week still waiting for dispatch at the district center
    assert own.valid == 3 and own.response_due == 0 and own.resolution_rate == 1.0
    # the cancelled order counts in the volume only
    assert board.overall.valid == 7
    ranked = [u.name for u in board.ranking("response_rate", "town")]
    assert ranked == ["桂城街道", "大沥镇"]


def test_backlog_trend_and_rising_categories(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    board = services.dashboard.dashboard(district.actors["inspector"])

    # B and C this week, G and H of last week still wait for dispatch
    assert board.totals["open"] == 4
    assert board.totals["overdue"] == 1
    statuses = {s["status"]: s["count"] for s in board.backlog_by_status}
    assert statuses["pending_dispatch"] == 2 and statuses["dispatched"] == 1 and statuses["in_progress"] == 1
    trend = {t["day"]: (t["new"], t["closed"]) for t in board.trend}
    assert len(board.trend) == 30 and board.trend[-1]["day"] == "2026-11-26"
    assert trend["2026-11-23"] == (3, 0)
    assert trend["2026-11-24"] == (1, 1)  # F closed on its second unsatisfied callback
    assert trend["2026-11-25"] == (0, 1)
    assert trend["2026-11-26"] == (2, 1)
    assert trend["2026-11-17"] == (1, 0) and trend["2026-11-20"] == (1, 0)
    # CG-01: 4 this week against 1 in last week's same span (Friday's H is outside it)
    rising = {r["category"]: (r["this_week"], r["last_week"], r["growth"]) for r in board.rising}
    assert rising["CG-01"] == (4, 1, 3.0)
    assert rising["ZX-01"] == (1, 0, None)
    assert board.rising[0]["category"] == "CG-01"


def test_town_dispatcher_sees_only_the_town_ranked_by_village(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    board = services.dashboard.dashboard(district.actors["town"])

    assert board.scope.name == "桂城街道"
    assert board.totals["week"] == 2
    names = {u.name for u in board.units}
    assert {"夏北社区", "平南社区", "桂城街道城管办"} <= names
    units = {u.name: u.counts for u in board.units}
    assert units["夏北社区"].satisfied == 1 and units["平南社区"].rated == 1
    assert board.totals["open"] == 0


def test_handlers_have_no_dashboard(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    with pytest.raises(PermissionDenied):
        services.dashboard.dashboard(district.actors["xiabei"])


def test_sql_counts_agree_with_the_per_order_definitions(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    board = services.dashboard.dashboard(district.actors["leader"], rate_days=30)
    expected = per_order_counts(services, board)
    got = {u.unit_id: u.counts for u in board.units if u.counts.valid or u.unit_id in expected}
    assert got == expected


def test_sql_counts_agree_with_the_per_order_definitions_under_a_stricter_definition(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    definitions = services.get(RateDefinitionService)
    made = definitions.define(
        district.actors["admin"],
        {
            "exclusions": ["repeat", "not_duty"],  # cancelled orders count again; CG-… is not a duty
            "not_duty_categories": "ZX",
            "basic_counts_satisfied": False,
            "note": "测试：咨询类不计入",
        },
    )
    assert made.version == 2
    for service in (services.dashboard, DashboardService(services.db, clock=lambda: NOW, use_rollup=False)):
        board = service.dashboard(district.actors["leader"], rate_days=30)
        assert board.definition == made and board.as_dict()["rate_definition"]["version"] == 2
        expected = per_order_counts(services, board, made)
        got = {u.unit_id: u.counts for u in board.units if u.counts.valid or u.unit_id in expected}
        assert got == expected
        assert board.overall.excluded == 1  # E, a consultation (ZX-01); D (cancelled) counts now


def test_a_new_rate_definition_makes_the_rollup_count_again(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    rolled = DashboardService(services.db, clock=lambda: NOW)
    before = rolled.dashboard(district.actors["leader"], rate_days=30)
    with services.db.reading() as session:
        state = rollup.state(session)
    assert state is not None and state.definition_version == 1
    services.get(RateDefinitionService).define(
        district.actors["admin"],
        {"exclusions": ["invalid", "repeat"], "basic_counts_satisfied": False, "note": "只计满意"},
    )
    after = rolled.dashboard(district.actors["leader"], rate_days=30)
    live = DashboardService(services.db, clock=lambda: NOW, use_rollup=False).dashboard(
        district.actors["leader"], rate_days=30
    )
    assert after.as_dict() == live.as_dict() and after.definition.version == 2
    assert before.overall.rated == after.overall.rated
    with services.db.reading() as session:
        state = rollup.state(session)
    assert state is not None and state.definition_version == 2


def per_order_counts(
    services: Services, board: Dashboard, definition: RateDefinition = DEFAULT
) -> dict[int, rates.RateCounts]:
    windows = Windows.at(NOW, 30)
    groups: dict[int, list[rates.OrderFacts]] = {}
    with services.db.reading() as session:
        org = ReferenceCache().get(session).org
        rows = session.scalars(select(WorkOrderRow).where(WorkOrderRow.registered_at >= windows.rate_start))
        for row in rows:
            route = (row.registered_unit_id, row.responsible_unit_id, row.current_unit_id)
            unit = rates.attribute(org, board.scope.unit_id, route)
            assert unit is not None
            groups.setdefault(unit, []).append(
                rates.OrderFacts(
                    status=OrderStatus(row.status),
                    sign_due_at=row.sign_due_at,
                    signed_at=row.signed_at,
                    reply_due_at=row.reply_due_at,
                    replied_at=row.replied_at,
                    satisfaction=Satisfaction(row.satisfaction) if row.satisfaction else None,
                    category_code=row.category_code,
                )
            )
    assert sum(len(v) for v in groups.values()) == 8
    return {unit: rates.count_rates(facts, NOW, definition) for unit, facts in groups.items()}


def test_a_week_later_the_trend_moves_on(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    services.dashboard.clock = FakeClock(NOW + timedelta(days=7))  # type: ignore[assignment]
    board = services.dashboard.dashboard(district.actors["leader"])
    assert board.totals["week"] == 0
    assert board.trend[-1]["day"] == "2026-12-03"
    assert sum(t["new"] for t in board.trend) == 8


def test_the_day_rollup_gives_the_same_dashboard_as_counting_live(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, _ = world
    live = DashboardService(services.db, clock=lambda: NOW, use_rollup=False)
    rolled = DashboardService(services.db, clock=lambda: NOW)
    for days in (1, 7, 30, 92):
        for who in ("leader", "town", "zjj"):
            from_live = live.dashboard(district.actors[who], rate_days=days).as_dict()
            assert rolled.dashboard(district.actors[who], rate_days=days).as_dict() == from_live
    with services.db.reading() as session:
        state = rollup.state(session)
    assert state is not None and state.last_day.isoformat() == "2026-11-25"


def test_a_stale_rollup_is_rebuilt_when_older_than_its_maximum_age(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, ids = world
    clock = FakeClock(NOW)
    patient = DashboardService(
        services.db, clock=clock, rollup_max_age=timedelta(minutes=5), background_refresh=False
    )
    before = patient.dashboard(district.actors["leader"]).units
    # C (registered on Tuesday, in 区住建局) is replied two minutes later
    services.orders.clock = FakeClock(NOW + timedelta(minutes=2))  # type: ignore[assignment]
    services.orders.act(district.actors["zjj"], ids["C"], Reply(note="已处理"))
    clock.now = NOW + timedelta(minutes=3)
    stale = {u.name: u.counts.reply_due for u in patient.dashboard(district.actors["leader"]).units}
    clock.now = NOW + timedelta(minutes=6)
    fresh = {u.name: u.counts.reply_due for u in patient.dashboard(district.actors["leader"]).units}
    assert {u.name: u.counts.reply_due for u in before} == stale
    assert fresh["区住建局"] == stale["区住建局"] + 1


def test_a_stale_rollup_answers_at_once_and_is_rebuilt_in_the_background(world: tuple) -> None:  # type: ignore[type-arg]
    services, district, ids = world
    clock = FakeClock(NOW)
    board = DashboardService(services.db, clock=clock, rollup_max_age=timedelta(minutes=5))
    board.dashboard(district.actors["leader"])
    services.orders.clock = FakeClock(NOW + timedelta(minutes=2))  # type: ignore[assignment]
    services.orders.act(district.actors["zjj"], ids["C"], Reply(note="已处理"))
    clock.now = NOW + timedelta(minutes=6)

    board.dashboard(district.actors["leader"])  # answered from the stale rollup
    board.wait_for_refresh(timeout=30)

    with services.db.reading() as session:
        state = rollup.state(session)
    assert state is not None and state.refreshed_at == NOW + timedelta(minutes=6)
    live = DashboardService(services.db, clock=clock, use_rollup=False)
    assert (
        board.dashboard(district.actors["leader"]).as_dict()["rates"]
        == live.dashboard(district.actors["leader"]).as_dict()["rates"]
    )
