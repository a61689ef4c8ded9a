"""The dashboard's rate definitions, windows and attribution on small hand-built data (no I/O)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from zhiyun.analytics import rates
from zhiyun.analytics.dashboard import assemble, scope_for
from zhiyun.analytics.periods import Windows
from zhiyun.analytics.rates import OrderFacts
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import PermissionDenied
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.workorder import OrderStatus as S
from zhiyun.domain.workorder import Satisfaction

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
H = timedelta(hours=1)


def org() -> OrgTree:
    return OrgTree.of(
        [
            Unit(1, "NH", "南海区", UnitKind.DISTRICT, None),
            Unit(2, "GC", "桂城街道", UnitKind.TOWN, 1),
            Unit(3, "GC-XB", "夏北社区", UnitKind.VILLAGE, 2),
            Unit(4, "GC-CG", "城管办", UnitKind.OFFICE, 2),
            Unit(5, "ZJJ", "区住建局", UnitKind.DEPARTMENT, 1),
            Unit(6, "ZJJ-ZF", "执法大队", UnitKind.DEPARTMENT, 5),
            Unit(7, "DL", "大沥镇", UnitKind.TOWN, 1),
        ]
    )


def test_signed_by_the_deadline_is_a_timely_response() -> None:
    o = OrderFacts(S.IN_PROGRESS, sign_due_at=NOW - H, signed_at=NOW - 2 * H)
    assert rates.response_counted(o, NOW) and rates.responded_on_time(o, NOW)


def test_unsigned_past_the_deadline_is_a_missed_response_and_overdue() -> None:
    o = OrderFacts(S.DISPATCHED, sign_due_at=NOW - H)
    assert rates.response_counted(o, NOW) and not rates.responded_on_time(o, NOW)
    assert rates.is_overdue(o, NOW)


def test_unsigned_before_the_deadline_is_not_counted_yet() -> None:
    o = OrderFacts(S.DISPATCHED, sign_due_at=NOW + H)
    assert not rates.response_counted(o, NOW) and not rates.is_overdue(o, NOW)


def test_signed_late_is_counted_but_not_on_time() -> None:
    o = OrderFacts(S.IN_PROGRESS, sign_due_at=NOW - 3 * H, signed_at=NOW - H)
    assert rates.response_counted(o, NOW) and not rates.responded_on_time(o, NOW)


def test_cancelled_and_merged_orders_count_in_no_rate() -> None:
    for status in (S.CANCELLED, S.MERGED):
        o = OrderFacts(status, sign_due_at=NOW - H, signed_at=NOW - 2 * H, replied_at=NOW - H)
        assert not rates.is_valid(o)
        assert not rates.response_counted(o, NOW) and not rates.reply_counted(o, NOW)


def test_a_reply_after_the_deadline_is_due_but_late() -> None:
    o = OrderFacts(S.AWAITING_CALLBACK, reply_due_at=NOW - 5 * H, replied_at=NOW - H)
    assert rates.reply_counted(o, NOW) and not rates.replied_on_time(o, NOW)
    assert rates.resolved(o, NOW)


def test_resolved_on_intake_is_on_time_without_a_deadline() -> None:
    o = OrderFacts(S.CLOSED, replied_at=NOW - H, satisfaction=Satisfaction.SATISFIED)
    assert rates.replied_on_time(o, NOW) and rates.resolved(o, NOW) and rates.satisfied(o)


def test_a_suspended_order_past_its_deadline_is_paused_not_due() -> None:
    o = OrderFacts(S.SUSPENDED, reply_due_at=NOW - H, signed_at=NOW - 9 * H, sign_due_at=NOW - 8 * H)
    assert not rates.reply_counted(o, NOW) and not rates.is_overdue(o, NOW)


def test_a_reply_awaiting_review_is_due_but_not_yet_resolved() -> None:
    o = OrderFacts(S.REPLIED, reply_due_at=NOW + H, replied_at=NOW - H)
    assert rates.reply_counted(o, NOW) and rates.replied_on_time(o, NOW) and not rates.resolved(o, NOW)


def test_closed_unsatisfied_is_rated_and_not_resolved() -> None:
    o = OrderFacts(S.CLOSED, replied_at=NOW - H, satisfaction=Satisfaction.UNSATISFIED)
    assert rates.satisfaction_counted(o) and not rates.satisfied(o) and not rates.resolved(o, NOW)


def test_unreachable_citizens_are_not_rated_but_the_order_is_resolved() -> None:
    o = OrderFacts(S.CLOSED, replied_at=NOW - H, satisfaction=Satisfaction.UNREACHABLE)
    assert not rates.satisfaction_counted(o) and rates.resolved(o, NOW)


def test_counts_add_up_to_the_four_rates() -> None:
    orders = [
        OrderFacts(S.CLOSED, NOW - 9 * H, NOW - 10 * H, NOW - 2 * H, NOW - 3 * H, Satisfaction.SATISFIED),
        OrderFacts(S.CLOSED, NOW - 9 * H, NOW - 8 * H, NOW - 4 * H, NOW - 3 * H, Satisfaction.UNSATISFIED),
        OrderFacts(S.DISPATCHED, NOW - H, None, NOW + 9 * H),
        OrderFacts(S.IN_PROGRESS, NOW - 9 * H, NOW - 10 * H, NOW - H),
        OrderFacts(S.CANCELLED),
    ]
    c = rates.count_rates(orders, NOW)
    assert c.valid == 4
    assert (c.response_on_time, c.response_due) == (2, 4) and c.response_rate == 0.5
    assert (c.replied_on_time, c.resolved, c.reply_due) == (1, 1, 3)
    assert c.on_time_rate == pytest.approx(1 / 3) and c.resolution_rate == pytest.approx(1 / 3)
    assert (c.satisfied, c.rated) == (1, 2) and c.satisfaction_rate == 0.5
    assert rates.count_rates([], NOW).response_rate is None


def test_orders_are_attributed_to_the_child_of_the_scope_on_their_route() -> None:
    tree = org()
    assert rates.attribute(tree, 1, (1, 2, 3)) == 2  # district → town → village
    assert rates.attribute(tree, 1, (2, 3, 3)) == 2  # registered at the town
    assert rates.attribute(tree, 1, (1, 6, 6)) == 5  # to a department's sub-unit
    assert rates.attribute(tree, 1, (1, None, 1)) == 1  # waiting at the district: 本级
    assert rates.attribute(tree, 2, (1, 2, 3)) == 3  # the town's view: by village
    assert rates.attribute(tree, 2, (1, 2, 2)) == 2
    assert rates.attribute(tree, 2, (1, 7, 7)) is None  # another town's order


def test_windows_follow_shanghai_dates_and_weeks() -> None:
    late = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    w = Windows.at(late)
    assert w.today == date(2026, 11, 23)
    assert w.week_start == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    assert w.last_week_start == w.week_start - timedelta(days=7)
    assert w.last_week_end == late - timedelta(days=7)
    assert len(w.trend_days) == 30 and w.trend_days[-1] == date(2026, 11, 23)
    assert w.rate_start == datetime(2026, 10, 24, 16, 0, tzinfo=UTC)


def test_growth_is_relative_to_last_week_and_undefined_from_nothing() -> None:
    assert rates.growth(6, 2) == 2.0 and rates.growth(3, 0) is None


def test_who_sees_which_dashboard() -> None:
    tree = org()
    assert scope_for(Actor(1, Role.LEADER, None), tree).unit_ids is None
    assert scope_for(Actor(1, Role.INSPECTOR, 2), tree).unit_ids is None
    town = scope_for(Actor(1, Role.DISPATCHER, 2), tree)
    assert town.unit_id == 2 and town.unit_ids == frozenset({2, 3, 4})
    with pytest.raises(PermissionDenied):
        scope_for(Actor(1, Role.HANDLER, 3), tree)
    with pytest.raises(PermissionDenied):
        scope_for(Actor(1, Role.GRID_WORKER, 3), tree)


def test_assembly_rolls_routes_up_to_units_and_ranks_them() -> None:
    tree = org()
    w = Windows.at(NOW)
    zero = (0,) * 9
    rows = {
        "volume_by_channel": [("12345", 1, 3), ("grid", 0, 2)],
        "volume_by_category": [(None, 1, 1), ("A", 0, 4)],
        "volume_by_type": [("help", 1, 5)],
        "volume_by_unit": [(1, 2, 3, 1, 2), (2, 3, 3, 0, 1), (1, 5, 5, 0, 2)],
        "rates_by_unit": [
            (1, 2, 3, 2, 2, 1, 2, 2, 2, 1, 1, 1),
            (2, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 0),
            (1, 5, 6, 1, 1, 0, 1, 1, 1, 1, 1, 2),
            (1, None, 1, *zero),
        ],
        "backlog_by_unit": [(1, 7, 7, "dispatched", 2, 1), (1, None, 1, "pending_dispatch", 1, 0)],
        "trend_new": [("2026-11-26", 3), (date(2026, 11, 25), 2)],
        "trend_closed": [("2026-11-26", 1)],
        "rising_categories": [("A", 4, 1), ("B", 1, 2), (None, 1, 0)],
    }
    board = assemble(rows, scope_for(Actor(1, Role.LEADER, None), tree), w, tree, {"12345": "12345热线"})

    assert board.totals == {"today": 1, "week": 5, "open": 3, "overdue": 1}
    assert board.volume["by_channel"][0].name == "12345热线"
    assert {c.name: c.week for c in board.volume["by_unit"]} == {"桂城街道": 3, "区住建局": 2}
    units = {u.name: u for u in board.units}
    assert units["桂城街道"].counts.response_due == 3 and units["桂城街道"].counts.response_on_time == 2
    assert units["桂城街道"].counts.excluded == 1 and board.overall.excluded == 3
    assert units["大沥镇"].open == 2 and units["大沥镇"].overdue == 1
    assert units["南海区（本级）"].open == 1
    assert [u.name for u in board.ranking("response_rate", "town")] == ["桂城街道", "大沥镇"]
    assert [u.name for u in board.ranking("satisfaction_rate")][:2] == ["区住建局", "桂城街道"]
    assert board.trend[-1] == {"day": "2026-11-26", "new": 3, "closed": 1}
    assert board.trend[-2]["new"] == 2
    assert [r["name"] for r in board.rising] == ["A", "未分类"]
