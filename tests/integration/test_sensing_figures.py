"""Sensing's figures over stored rows (SQLite and PostgreSQL): the funnel, precision per scene,
algorithm version and device with the vendor flag, hot spots, time to order, verification
timeliness, orders per month, silent devices — and each reader's part of them (a town's staff
their town's, another town's event 404)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import insert
from tests.sensing_figures_support import NOW, PN_GRID, SensingWorld, seed_sensing_world
from tests.support import ONLY_SQLITE
from typer.testing import CliRunner

from zhiyun.bootstrap import Services
from zhiyun.cli.main import app
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, VerificationRow
from zhiyun.sensing.figures import EventQuery, SensingFigures

DAY = NOW - timedelta(days=1)


@dataclass
class Month:
    world: SensingWorld
    devices: dict[str, int]
    events: dict[str, int]
    orders: dict[str, tuple[int, str]]


@pytest.fixture
def month(services: Services) -> Month:
    """The module's scenario (see each test): four cameras in three villages, ten events of the
    last days, their checks, two orders; and an order from two months ago."""
    w = seed_sensing_world(services)
    d = {
        "D1": w.device("D1", "夏北路口 1 号"),
        "D2": w.device("D2", "夏北市场"),
        "D3": w.device("D3", "平南路", village="GC-PN", grid=PN_GRID),
        "D4": w.device("D4", "盐步桥", village="DL-YB", grid=None),
        "D5": w.device(
            "D5", "夏北水位计", heartbeat_s=300, last_seen_at=NOW - timedelta(hours=1), kind="sensor"
        ),
        "D6": w.device(
            "D6", "夏北烟感", heartbeat_s=300, last_seen_at=NOW - timedelta(minutes=1), kind="sensor"
        ),
    }
    o = {"o1": w.order(), "o2": w.order(), "old": w.order()}
    e: dict[str, int] = {}
    e["e1"] = w.event(d["D1"], "CAM-04", status="ordered", order=o["o1"], ordered_after=timedelta(minutes=40))
    w.check(e["e1"], "confirmed")
    e["e2"] = w.event(d["D1"], "CAM-04", status="false_alarm", at=DAY + timedelta(hours=1))
    w.check(e["e2"], "false_alarm", at=DAY + timedelta(hours=1))
    e["e3"] = w.event(d["D1"], "CAM-04", status="gone", at=DAY + timedelta(hours=2))
    w.check(e["e3"], "gone", at=DAY + timedelta(hours=2))
    e["e4"] = w.event(d["D2"], "CAM-07", status="false_alarm")
    w.check(e["e4"], "false_alarm")
    e["e5"] = w.event(d["D2"], "CAM-07", status="false_alarm", at=DAY + timedelta(hours=3))
    w.check(
        e["e5"],
        "false_alarm",
        at=DAY + timedelta(hours=3),
        answered_after=timedelta(minutes=45),
        escalated=True,
    )
    e["e6"] = w.event(
        d["D3"], "CAM-04", status="ordered", grid=PN_GRID, village="GC-PN", order=o["o2"],
        ordered_after=timedelta(minutes=100),
    )  # fmt: skip
    w.check(e["e6"], "confirmed", village="GC-PN")
    e["e7"] = w.event(d["D4"], "CAM-07", status="false_alarm", village="DL-YB", grid=None)
    w.check(e["e7"], "false_alarm", village="DL-YB")
    e["e8"] = w.event(d["D1"], "CAM-01", status="lapsed", raised=False)
    e["e9"] = w.event(d["D2"], "CAM-09", status="verifying", at=NOW - timedelta(hours=2))
    w.check(e["e9"], "pending", at=NOW - timedelta(hours=2))
    # D2's event joined e1's group: the one check labels it too, and CAM-04 counts that check once
    e["e10"] = w.event(
        d["D2"], "CAM-04", status="ordered", at=DAY + timedelta(minutes=10), group_id=e["e1"], order=o["o1"],
        ordered_after=timedelta(minutes=30),
    )  # fmt: skip
    e["old"] = w.event(d["D1"], "CAM-01", status="ordered", at=NOW - timedelta(days=60), order=o["old"])
    w.alarms(d["D1"], "CAM-04", "below", 3)
    w.alarms(None, "CAM-04", "no_device", 1)
    return Month(w, d, e, o)


def _figures(m: Month, **kwargs: object) -> SensingFigures:
    return m.world.figures(**kwargs)  # type: ignore[arg-type]


def test_the_funnel_counts_alarms_counted_alarms_events_raised_verified_and_orders(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    stages = {s.key: s.count for s in report.funnel}
    assert stages == {"alarms": 24, "counted": 20, "events": 10, "raised": 9, "verified": 7, "orders": 2}
    assert report.funnel[1].of_previous == pytest.approx(20 / 24)
    outcomes = {o: n for o, _, n in report.outcomes}
    assert outcomes == {"opened": 10, "folded": 10, "below": 3, "no_device": 1}
    assert dict((s, n) for s, _, n in report.event_statuses)["false_alarm"] == 4
    assert report.start == date(2026, 11, 21) and report.end == date(2026, 12, 20)  # the last 30 days


def test_precision_per_scene_counts_each_check_once_and_leaves_gone_apart(month: Month) -> None:
    report = _figures(month, min_labels=3).figures(month.world.actor("leader"))
    scenes = {r.key: r.precision for r in report.scenes}
    cam04, cam07 = scenes["CAM-04"], scenes["CAM-07"]
    assert (cam04.confirmed, cam04.false_alarm, cam04.gone) == (2, 1, 1)
    assert cam04.value == pytest.approx(2 / 3) and cam04.gone_share == 0.25 and not cam04.flagged
    assert (cam07.confirmed, cam07.false_alarm) == (0, 3) and cam07.flagged
    assert scenes["CAM-01"].labels == 0 and scenes["CAM-01"].value is None  # events, no labels
    assert report.scenes[0].key == "CAM-07"  # the worst first
    names = {r.key: r.name for r in report.scenes}
    assert names["CAM-04"] == "占道经营"


def test_precision_per_device_takes_the_label_of_the_group_the_devices_event_joined(month: Month) -> None:
    report = _figures(month, min_labels=3).figures(month.world.actor("leader"))
    devices = {r.key: r.precision for r in report.devices}
    assert (devices["D1"].confirmed, devices["D1"].false_alarm, devices["D1"].gone) == (1, 1, 1)
    assert (devices["D2"].confirmed, devices["D2"].false_alarm) == (1, 2)  # e10 via e1's check
    assert devices["D2"].flagged and not devices["D4"].flagged  # D4: one label, not judged
    assert devices["D2"].interval is not None
    low, high = devices["D2"].interval
    assert low <= 1 / 3 <= high
    flags = {(r.kind, r.key) for r in report.flags}
    assert flags == {("scene", "CAM-07"), ("version", "CAM-07@v1"), ("device", "D2")}


def test_with_the_default_minimum_of_labels_nothing_is_flagged_on_a_handful_of_checks(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    assert report.min_labels == 20 and report.floor == 0.6
    assert report.flags == () and all(not r.precision.judged for r in report.scenes)


def test_hot_spots_are_the_grids_and_devices_with_the_most_false_alarms(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    assert [(h.key, h.false_alarms) for h in report.hot_grids] == [("440605001001001", 3)]
    assert report.hot_grids[0].place == "夏北社区"
    assert [(h.key, h.false_alarms) for h in report.hot_devices] == [("D2", 2), ("D1", 1), ("D4", 1)]


def test_time_to_order_runs_from_an_orders_first_alarm_and_verification_timeliness(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    t = report.time_to_order
    assert t.orders == 2
    assert t.median_minutes == pytest.approx(70.0) and t.p90_minutes == pytest.approx(94.0)
    c = report.timeliness.checks
    assert (c.made, c.answered, c.on_time, c.escalated, c.pending, c.overdue_now) == (8, 7, 6, 1, 1, 1)
    assert report.timeliness.on_time_share == pytest.approx(6 / 7)


def test_hazards_per_month_count_the_orders_of_the_last_twelve_months(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    months = dict(report.months)
    assert len(report.months) == 12 and report.months[-1][0] == "2026-12" and report.months[0][0] == "2026-01"
    assert months["2026-12"] == 2 and months["2026-10"] == 1 and months["2026-11"] == 0


def test_a_device_past_its_heartbeat_interval_is_silent(month: Month) -> None:
    report = _figures(month).figures(month.world.actor("leader"))
    assert [s.code for s in report.silent] == ["D5"] and report.silent_total == 1
    assert report.silent[0].silent_minutes == 60


def test_a_towns_staff_see_only_their_towns_figures(month: Month) -> None:
    figures = _figures(month)
    town = figures.figures(month.world.actor("town"))  # 桂城: 夏北 and 平南
    assert town.scope_name == "桂城街道"
    assert {s.key: s.count for s in town.funnel}["events"] == 9  # not 盐步's e7
    assert "D4" not in {r.key for r in town.devices}
    assert {s.key: s.count for s in town.funnel}["alarms"] == 21  # not 盐步's nor the unknown device's
    other = figures.figures(month.world.actor("town2"))  # 大沥: 盐步 only
    assert {s.key: s.count for s in other.funnel}["events"] == 1
    assert {r.key for r in other.devices} == {"D4"} and other.silent == ()
    village = figures.figures(month.world.actor("xiabei"))
    assert {s.key: s.count for s in village.funnel}["events"] == 8


def test_a_place_narrows_the_figures_and_one_out_of_sight_is_not_found(month: Month) -> None:
    figures = _figures(month)
    pingnan = figures.figures(month.world.actor("leader"), place="GC-PN")
    assert pingnan.scope_name == "平南社区" and {s.key: s.count for s in pingnan.funnel}["events"] == 1
    assert figures.figures(month.world.actor("town"), place="平南社区").scope_name == "平南社区"
    with pytest.raises(NotFound):
        figures.figures(month.world.actor("town"), place="DL")
    with pytest.raises(NotFound):
        figures.figures(month.world.actor("leader"), place="无此镇")


def test_grid_workers_do_not_read_the_figures_and_bad_periods_are_refused(month: Month) -> None:
    figures = _figures(month)
    with pytest.raises(PermissionDenied):
        figures.figures(Actor(1, Role.GRID_WORKER, month.world.district.units["GC-XB"]))
    with pytest.raises(ValidationFailed):
        figures.figures(month.world.actor("leader"), start=date(2026, 12, 10), end=date(2026, 12, 1))
    with pytest.raises(ValidationFailed):
        figures.figures(month.world.actor("leader"), start=date(2024, 1, 1), end=date(2026, 12, 1))
    old = figures.figures(month.world.actor("leader"), start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert {s.key: s.count for s in old.funnel}["events"] == 1


def test_the_event_list_filters_and_pages_within_the_readers_villages(month: Month) -> None:
    figures = _figures(month)
    leader = month.world.actor("leader")
    everything = figures.events(leader, EventQuery.parse(), size=4)
    assert everything.total == 11 and everything.pages == 3 and len(everything.items) == 4
    assert everything.items[0].last_seen >= everything.items[-1].last_seen
    false = figures.events(leader, EventQuery.parse(status="false_alarm"))
    assert {line.id for line in false.items} == {month.events[k] for k in ("e2", "e4", "e5", "e7")}
    d2 = figures.events(leader, EventQuery.parse(device="D2", scene="CAM-07"))
    assert {line.id for line in d2.items} == {month.events["e4"], month.events["e5"]}
    ordered = figures.events(leader, EventQuery.parse(place="GC-PN")).items[0]
    assert ordered.order_number == month.orders["o2"][1] and ordered.place == "平南社区"
    town2 = figures.events(month.world.actor("town2"), EventQuery.parse())
    assert [line.id for line in town2.items] == [month.events["e7"]]
    with pytest.raises(NotFound):  # a device of another town is not named to them
        figures.events(month.world.actor("town2"), EventQuery.parse(device="D1"))
    with pytest.raises(ValidationFailed):
        EventQuery.parse(status="nonsense")


def test_another_towns_event_is_not_found_and_ones_own_shows_its_alarms_check_and_order(month: Month) -> None:
    figures = _figures(month)
    with pytest.raises(NotFound):
        figures.event(month.world.actor("town2"), month.events["e1"])
    with pytest.raises(NotFound):
        figures.event(month.world.actor("pingnan"), month.events["e1"])
    with pytest.raises(NotFound):
        figures.event(month.world.actor("leader"), 999_999)
    detail = figures.event(month.world.actor("xiabei"), month.events["e1"])
    assert detail.alarms_total == 2 and {a.outcome for a in detail.alarms} == {"opened", "folded"}
    assert detail.check is not None and detail.check.status_label == "属实" and detail.check.on_time
    assert detail.line.order_number == month.orders["o1"][1]
    grouped = figures.event(month.world.actor("leader"), month.events["e10"])
    assert grouped.check is not None and grouped.check.status == "confirmed"  # its group's check


def test_a_few_thousand_rows_are_counted_by_aggregates_to_the_same_totals(services: Services) -> None:
    w = seed_sensing_world(services)
    devices = [w.device(f"B{i:03d}") for i in range(20)]
    start = NOW - timedelta(days=10)
    events, checks, alarms = [], [], []
    with services.db.transaction() as session:
        for i in range(400):
            at = start + timedelta(minutes=20 * i)
            events.append(
                {
                    "device_id": devices[i % 20],
                    "scene_code": ("CAM-04", "CAM-07", "CAM-09")[i % 3],
                    "scene_version": 1,
                    "algorithm_version": f"v{i % 2}",
                    "status": "verifying",
                    "count": 5,
                    "first_seen": at,
                    "last_seen": at,
                    "longest_s": 0,
                    "best_score": 0.9,
                    "first_alarm_at": at,
                    "grid_id": w.grids["440605001001001"],
                    "village_unit_id": w.district.units["GC-XB"],
                    "raised_at": at,
                    "created_at": at,
                    "updated_at": at,
                }
            )
        session.execute(insert(EventRow), events)
        ids = sorted(session.scalars(EventRow.__table__.select().with_only_columns(EventRow.id)))
        for n, event_id in enumerate(ids):
            at = start + timedelta(minutes=20 * n)
            for k in range(5):
                alarms.append(
                    {
                        "alarm_id": f"bulk-{n}-{k}",
                        "device_code": "x",
                        "device_id": devices[n % 20],
                        "scene_code": "CAM-04",
                        "source": "camera",
                        "at": at,
                        "received_at": at,
                        "score": 0.9,
                        "algorithm_version": "v1",
                        "via": "mqtt",
                        "outcome": "opened" if k == 0 else "folded",
                        "event_id": event_id,
                        "payload": {},
                    }
                )
            checks.append(
                {
                    "event_id": event_id,
                    "kind": "verify",
                    "village_unit_id": w.district.units["GC-XB"],
                    "status": ("confirmed", "false_alarm", "gone", "confirmed")[n % 4],
                    "created_at": at,
                    "due_at": at + timedelta(minutes=30),
                    "answered_at": at + timedelta(minutes=10),
                    "note": "",
                    "photos": [],
                }
            )
        for k in range(1000):
            alarms.append(
                {
                    "alarm_id": f"below-{k}",
                    "device_code": "x",
                    "device_id": devices[k % 20],
                    "scene_code": "CAM-04",
                    "source": "camera",
                    "at": start,
                    "received_at": start + timedelta(seconds=k),
                    "score": 0.1,
                    "algorithm_version": "v1",
                    "via": "mqtt",
                    "outcome": "below",
                    "event_id": None,
                    "payload": {},
                }
            )
        session.execute(insert(AlarmRow), alarms)
        session.execute(insert(VerificationRow), checks)
    report = w.figures().figures(w.actor("leader"))
    stages = {s.key: s.count for s in report.funnel}
    assert stages == {
        "alarms": 3000,
        "counted": 2000,
        "events": 400,
        "raised": 400,
        "verified": 400,
        "orders": 0,
    }
    assert sum(r.precision.answers for r in report.scenes) == 400
    assert sum(r.precision.answers for r in report.devices) == 400
    assert sum(r.precision.confirmed for r in report.devices) == 200
    assert len(report.devices) == 20 and report.overall.value == pytest.approx(200 / 300)


@ONLY_SQLITE
def test_the_report_command_prints_the_tables_and_the_json_for_scripts(month: Month) -> None:
    db = month.world.services.db.url
    runner = CliRunner()
    period = ["--from", "2026-11-21", "--to", "2026-12-20"]
    printed = runner.invoke(app, ["sensing", "report", *period, "--db", db])
    assert printed.exit_code == 0, printed.output
    assert "告警漏斗" in printed.output and "占道经营" in printed.output and "误报热点" in printed.output
    as_json = runner.invoke(app, ["sensing", "report", *period, "--town", "GC-PN", "--json", "--db", db])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["scope_name"] == "平南社区"
    assert {s["key"]: s["count"] for s in body["funnel"]}["events"] == 1
    assert body["scenes"][0]["key"] == "CAM-04" and body["scenes"][0]["precision"] == 1.0
    unknown = runner.invoke(app, ["sensing", "report", "--town", "无此镇", "--db", db])
    assert unknown.exit_code == 1 and "不存在" in unknown.output
    bad = runner.invoke(app, ["sensing", "report", "--from", "2026-13-01", "--db", db])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
