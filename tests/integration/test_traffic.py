"""Live demo traffic: every generated payload fits its channel and goes through the real intake
endpoint; one matter from several channels is merged or flagged; repeats are idempotent; a
typhoon burst hits every town; the seasons show; the simulator never dies of a bad post.

The intake runs behind Starlette's TestClient over SQLite with the demo district and its
synthetic boundaries (the same path `zhiyun demo` takes over HTTP)."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.hot_issue_support import demo_hot_issues
from tests.support import TEST_ADMIN

from zhiyun.api.app import create_app
from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.demo.boundaries import boundary, ensure_boundaries
from zhiyun.demo.district import TOWNS, ensure_district
from zhiyun.demo.simulator import ChannelPoster, TrafficSimulator
from zhiyun.demo.traffic.catalog import EVENTS, TRAFFIC_CHANNELS
from zhiyun.demo.traffic.generator import TYPHOON_FOCUS_SHARE, TrafficGenerator
from zhiyun.demo.traffic.open311_reports import OPEN311_CHANNEL, OPEN311_TOPICS
from zhiyun.demo.traffic.payloads import Request
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.kernel.geo import gcj02_to_wgs84, haversine_m
from zhiyun.kernel.normalize import SHANGHAI
from zhiyun.open311.form import draft_from_form
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import ChannelKeyRow, IntakeRecordRow, OrgUnitRow, WorkOrderRow

NOW = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)  # 10:30 in Nanhai, in the medical-insurance season


def _months_ago(months: int) -> datetime:
    return NOW - timedelta(days=30 * months)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo district, its users and its boundaries (no orders)."""
    path = tmp_path_factory.mktemp("traffic") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    services = build_services(db, Settings(attachment_dir=path.parent / "att"))
    ensure_district(services)
    ensure_boundaries(services, services.geo)
    services.close()
    return path


@dataclass
class Demo:
    services: Services
    client: TestClient
    poster: ChannelPoster

    def simulator(self, **kw: Any) -> TrafficSimulator:
        kw.setdefault("seed", 7)
        kw.setdefault("clock", lambda: NOW)
        return TrafficSimulator(self.services, poster=self.poster, **kw)

    def orders(self) -> int:
        with self.services.db.reading() as session:
            return int(session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0)

    def codes(self) -> dict[int, str]:
        with self.services.db.reading() as session:
            return dict(session.execute(select(OrgUnitRow.id, OrgUnitRow.code)).all())

    def rows(self) -> list[Any]:
        """The orders that came through the channels: plain rows, readable after the session."""
        with self.services.db.reading() as session:
            return list(
                session.execute(
                    select(
                        WorkOrderRow.external_id,
                        WorkOrderRow.title,
                        WorkOrderRow.content,
                        WorkOrderRow.urgency,
                        WorkOrderRow.latitude,
                        WorkOrderRow.town_unit_id,
                        WorkOrderRow.village_unit_id,
                        WorkOrderRow.channel,
                    ).where(WorkOrderRow.channel.in_(TRAFFIC_CHANNELS))
                ).all()
            )


@pytest.fixture
def demo(template_db: Path, tmp_path: Path) -> Iterator[Demo]:
    path = tmp_path / "demo.db"
    shutil.copy(template_db, path)
    services = build_services(Database(f"sqlite:///{path}"), Settings(attachment_dir=tmp_path / "att"))
    client = TestClient(create_app(services))
    try:
        yield Demo(services, client, ChannelPoster(client))
    finally:
        client.close()
        services.close()


def _generated(seed: int = 1) -> list[Request]:
    """Every kind of request the generator makes, for several seasons."""
    gen = TrafficGenerator(random.Random(seed))
    requests: list[Request] = []
    for at in (NOW, _months_ago(4), _months_ago(7)):  # November, July, April
        for channel in TRAFFIC_CHANNELS:
            requests += [gen.single(at, channel=channel) for _ in range(15)]
    for kind in EVENTS:
        requests += gen.event(NOW, kind=kind)
    requests += gen.typhoon(NOW, 30)
    requests += [
        gen.repeat(r, changed=True) for r in requests[:: len(requests) // 20] if r.channel != OPEN311_CHANNEL
    ]
    return requests


# --------------------------------------------------------------------------- the payloads


def test_every_generated_payload_of_every_channel_fits_its_channel_model() -> None:
    requests = _generated()
    assert {r.channel for r in requests} == {*TRAFFIC_CHANNELS, OPEN311_CHANNEL}  # the app reports events
    assert set(TRAFFIC_CHANNELS) == {c for c, s in CHANNEL_SPECS.items() if s.payload is not None}
    for request in requests:
        if request.channel == OPEN311_CHANNEL:
            assert draft_from_form(request.payload).title  # a GeoReport v2 form, not a JSON payload
            continue
        spec = CHANNEL_SPECS[request.channel]
        assert spec.payload is not None
        spec.payload.model_validate(request.payload)  # raises on any mismatch
        draft = spec.adapt(request.payload)
        assert draft.external_id == request.external_id
        assert draft.title and draft.content
    originals = [r for r in requests if r.kind not in ("repeat", "update")]
    ids = Counter((r.channel, r.external_id) for r in originals)
    assert max(ids.values()) == 1, "an external id was generated twice"


def test_payloads_look_like_what_each_system_sends() -> None:
    gen = TrafficGenerator(random.Random(3))
    call = gen.single(NOW, channel="12345").payload
    assert call["call_id"].startswith("C20261126") and call["agent_id"].startswith("A")
    assert call["recording_id"].startswith("REC-20261126-") and call["call_time"].endswith("+08:00")
    police = gen.single(NOW, channel="police_110").payload
    assert police["incident_no"].startswith("J44060520261126") and police["police_station"].endswith("派出所")
    opinion = gen.single(NOW, channel="online_opinion").payload
    assert opinion["url"].startswith("https://") and opinion["source_site"] and opinion["author"]
    assert opinion["repost_count"] >= 0
    alarm = gen.single(NOW, channel="iot").payload
    assert alarm["device_id"] and 1 <= alarm["level"] <= 3 and alarm["scene"]
    for _ in range(20):
        grid = gen.single(NOW, channel="grid")
        payload = grid.payload
        assert payload["coord_system"] == "gcj02" and payload["photos"]
        assert all(p.startswith("https://") for p in payload["photos"])
        lat, lon = gcj02_to_wgs84(payload["lat"], payload["lon"])
        from shapely.geometry import Point

        assert grid.village is not None and boundary(grid.village).buffer(1e-5).contains(Point(lon, lat))


def _share(requests: list[Request], topic: str) -> float:
    return sum(r.topic == topic for r in requests) / len(requests)


def test_the_topics_follow_the_seasons_of_the_seed_article() -> None:
    def sample(at: datetime) -> list[Request]:
        gen = TrafficGenerator(random.Random(11))
        return [
            gen.single(at, channel=random.Random(i).choice(("12345", "district_hotline"))) for i in range(600)
        ]

    april = sample(datetime(2026, 4, 15, 2, tzinfo=UTC))
    july = sample(datetime(2026, 7, 10, 2, tzinfo=UTC))
    november = sample(datetime(2026, 11, 12, 2, tzinfo=UTC))
    february = sample(datetime(2026, 2, 25, 2, tzinfo=UTC))
    # school enrollment around April, graduates' registration around July, medical insurance in November
    assert _share(april, "school_enrollment") > 3 * _share(february, "school_enrollment")
    assert _share(april, "school_enrollment") > 0.15
    assert _share(july, "graduate_registration") > 5 * max(_share(february, "graduate_registration"), 0.005)
    assert _share(november, "medical_insurance") > 3 * _share(february, "medical_insurance")
    words = " ".join(r.payload.get("content") or r.payload.get("body", "") for r in july)
    assert "毕业生" in words and "档案" in words


def test_a_simulated_date_moves_the_payload_times_and_the_season(demo: Demo) -> None:
    simulator = demo.simulator(season_date=date(2026, 4, 10))
    assert simulator.now().astimezone(SHANGHAI).date() == date(2026, 4, 10)
    assert any("入学报名季" in line for line in simulator.describe())
    request = simulator.generator.single(simulator.now(), channel="12345")
    assert request.payload["call_time"].startswith("2026-04-10T10:30")


# --------------------------------------------------------------------------- through the intake


def test_every_generated_payload_is_accepted_by_the_intake_and_located_in_its_village(demo: Demo) -> None:
    simulator = demo.simulator()
    gen = simulator.generator
    requests = [gen.single(NOW, channel=c) for c in TRAFFIC_CHANNELS for _ in range(4)]
    outcomes = [simulator.post(r) for r in requests]
    assert simulator.counts["rejected"] == 0 and simulator.counts["post_errors"] == 0, outcomes
    assert simulator.counts["posted"] == len(requests)
    assert set(simulator.by_channel) == set(TRAFFIC_CHANNELS)
    codes = demo.codes()
    rows = {r.external_id: r for r in demo.rows()}
    assert len(rows) + simulator.counts["merged"] >= len(requests) - simulator.counts["repeated"]
    located = 0
    for request in requests:
        row = rows.get(request.external_id)
        if row is None or row.latitude is None:
            continue
        located += 1
        assert codes.get(row.town_unit_id) == request.town, request.payload
        assert codes.get(row.village_unit_id) == request.village, request.payload
    assert located >= len(requests) // 2
    for channel in ("grid", "iot", "remote_sensing"):
        assert any(r.channel == channel for r in rows.values())


def test_every_open311_app_report_is_a_valid_georeport_form_of_a_listed_service() -> None:
    gen = TrafficGenerator(random.Random(5))
    reports = [gen.open311(NOW) for _ in range(300)]
    assert {r.channel for r in reports} == {OPEN311_CHANNEL}
    assert {r.payload["service_code"] for r in reports} == {code for code, _ in OPEN311_TOPICS.values()}
    for report in reports:
        draft = draft_from_form(report.payload)  # raises on anything the spec or the service refuses
        assert draft.category_code == report.payload["service_code"]
        assert draft.latitude is not None and draft.coord_system == "wgs84"
        assert draft.citizen_name and draft.citizen_phone
        assert report.external_id.startswith("SSP")
    assert len({r.external_id for r in reports}) == len(reports)
    with pytest.raises(ValueError, match="no client-side id"):
        gen.repeat(reports[0])


def test_open311_app_reports_go_through_the_georeport_endpoint_and_are_located(demo: Demo) -> None:
    simulator = demo.simulator(seed=11)
    reports = [simulator.generator.open311(NOW) for _ in range(12)]
    outcomes = [simulator.post(r) for r in reports]
    assert simulator.counts["rejected"] == 0 and simulator.counts["post_errors"] == 0, outcomes
    assert simulator.by_channel[OPEN311_CHANNEL] == len(reports)
    assert all(o.startswith(("created", "merged", "flagged")) for o in outcomes), outcomes
    codes = demo.codes()
    for report, outcome in zip(reports, outcomes, strict=True):
        number = outcome.split()[2]
        # read back as any GeoReport v2 client would
        answer = demo.client.get(f"/open311/v2/requests/{number}.json")
        assert answer.status_code == 200, answer.text
        (item,) = answer.json()
        assert item["service_code"] == report.payload["service_code"]
        assert item["status"] in ("open", "closed")
        with demo.services.db.reading() as session:
            row = session.execute(
                select(WorkOrderRow.channel, WorkOrderRow.town_unit_id, WorkOrderRow.village_unit_id).where(
                    WorkOrderRow.number == number
                )
            ).one()
        assert row.channel == OPEN311_CHANNEL
        assert codes.get(row.town_unit_id) == report.town
        assert codes.get(row.village_unit_id) == report.village


def test_a_share_of_the_simulators_arrivals_comes_from_the_open311_app(demo: Demo) -> None:
    simulator = demo.simulator(
        seed=3, open311_share=0.5, event_share=0, repeat_share=0, typhoon_every_minutes=0
    )
    assert simulator.channels[-1] == OPEN311_CHANNEL
    assert any("Open311 GeoReport v2" in line for line in simulator.describe())
    for _ in range(30):
        simulator.arrive()
    assert 5 <= simulator.by_channel[OPEN311_CHANNEL] <= 25, simulator.by_channel
    assert simulator.counts["rejected"] == 0 and simulator.counts["post_errors"] == 0
    quiet = demo.simulator(open311_share=0)
    assert OPEN311_CHANNEL not in quiet.channels
    with pytest.raises(ValueError):
        demo.simulator(event_share=0.5, repeat_share=0.3, open311_share=0.3)


def test_the_same_event_from_several_channels_is_merged_or_flagged(demo: Demo) -> None:
    simulator = demo.simulator(seed=21)
    for kind in EVENTS:
        reports = simulator.generator.event(NOW, kind=kind)
        assert len({r.channel for r in reports}) >= 3, kind
        first = reports[0].payload
        origin = _wgs84(first)
        for later in reports[1:]:
            point = _wgs84(later.payload)
            if origin and point:
                assert 30 <= haversine_m(*origin, *point) <= 170, (kind, later.channel)
        outcomes = [simulator.post(r) for r in reports]
        assert outcomes[0].startswith(("created", "merged", "flagged")), outcomes
        assert any(o.startswith(("merged", "flagged")) for o in outcomes[1:]), (kind, outcomes)
    assert simulator.counts["merged"] >= len(EVENTS)
    assert simulator.counts["flagged"] >= 1
    with demo.services.db.reading() as session:
        masters = session.scalars(select(WorkOrderRow.master_id).where(WorkOrderRow.status == "merged")).all()
        flagged = session.scalar(select(func.count()).where(WorkOrderRow.possible_duplicate.is_(True)))
    assert masters and all(m is not None for m in masters)
    assert (flagged or 0) >= 1
    # a dispatcher's decision on a flagged one, as the simulator takes it
    before = len(simulator.flagged)
    outcome = simulator.decide_flagged()
    assert outcome.startswith(("merge", "dismiss")), outcome
    assert len(simulator.flagged) == before - 1


def test_an_app_report_of_an_event_other_channels_reported_is_merged_or_flagged(demo: Demo) -> None:
    simulator = demo.simulator(seed=5)
    outcomes: list[str] = []
    for kind in ("manhole", "garbage_overflow", "street_vendors"):
        reports: list[Request] = []
        while not any(r.channel == OPEN311_CHANNEL for r in reports):
            reports = simulator.generator.event(NOW, kind=kind)
        assert reports[-1].channel == OPEN311_CHANNEL  # the optional reporter comes last
        for report in reports:
            outcome = simulator.post(report)
        outcomes.append(outcome)
    assert all(o.startswith(("merged open311", "flagged open311")) for o in outcomes), outcomes
    assert simulator.counts["rejected"] == 0


def _wgs84(payload: Mapping[str, Any]) -> tuple[float, float] | None:
    if payload.get("lat") is None:
        return None
    lat, lon = float(payload["lat"]), float(payload.get("lon") or payload["long"])  # Open311: long
    if payload.get("coord_system") == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    return lat, lon


def test_a_repeat_returns_the_same_order_and_a_changed_repeat_is_an_update(demo: Demo) -> None:
    simulator = demo.simulator()
    original = simulator.generator.single(NOW, channel="police_110")
    first = simulator.post(original)
    assert first.startswith("created"), first
    orders = demo.orders()
    again = simulator.post(simulator.generator.repeat(original))
    changed = simulator.post(simulator.generator.repeat(original, changed=True))
    assert again.startswith("repeated") and changed.startswith("updated")
    assert first.split()[-1] == again.split()[-1] == changed.split()[-1]  # the same order number
    assert demo.orders() == orders
    assert (simulator.counts["repeated"], simulator.counts["updated"]) == (1, 1)
    with demo.services.db.reading() as session:
        records = session.scalar(
            select(func.count()).where(IntakeRecordRow.external_id == original.external_id)
        )
    assert records == 2  # the first payload and the changed one


def test_every_channel_repeats_idempotently_and_updates_with_changed_content(demo: Demo) -> None:
    simulator = demo.simulator(seed=13)
    gen = simulator.generator
    for channel in TRAFFIC_CHANNELS:
        original = gen.single(NOW, channel=channel)
        first = simulator.post(original).split()
        assert first[0] in ("created", "merged", "flagged"), first
        assert simulator.post(gen.repeat(original)).split()[0] == "repeated", channel
        assert simulator.post(gen.repeat(original, changed=True)).split()[0] == "updated", channel
    assert simulator.counts["created"] == len(TRAFFIC_CHANNELS) == demo.orders()


def test_a_typhoon_burst_makes_many_urgent_orders_across_every_town(demo: Demo) -> None:
    simulator = demo.simulator(typhoon_size=28)
    burst = simulator.generator.typhoon(NOW, 28)
    assert {r.town for r in burst} == {t.code for t in TOWNS}
    assert all(r.kind == "typhoon" for r in burst)
    times = [datetime.fromisoformat(_time_of(r.payload)) for r in burst]
    assert max(times) - min(times) <= timedelta(minutes=10)
    for request in burst:
        simulator.post(request)
    assert simulator.counts["created"] == len(burst)
    codes = demo.codes()
    rows = demo.rows()
    assert len(rows) == len(burst)
    assert {codes[r.town_unit_id] for r in rows if r.town_unit_id} == {t.code for t in TOWNS}
    # every report but the grid workers' (their payload has no urgency) runs on the urgent limits
    assert all(r.urgency == "urgent" for r in rows if r.channel != "grid")
    topics = " ".join(r.title + r.content for r in rows)
    assert "树" in topics and ("水浸" in topics or "积水" in topics) and "停电" in topics


def test_a_typhoon_burst_s_worst_hit_road_is_one_hot_issue(demo: Demo) -> None:
    simulator = demo.simulator(typhoon_size=28)
    burst = simulator.generator.typhoon(NOW, 28)
    (village, topic), hardest = Counter((r.village, r.topic) for r in burst).most_common(1)[0]
    assert hardest >= round(28 * TYPHOON_FOCUS_SHARE)
    assert len({r.town for r in burst}) == len(TOWNS)  # and every town is still hit
    for request in burst:
        simulator.post(request)
    issues, _ = demo_hot_issues(demo.services)
    codes = {code: unit for unit, code in demo.codes().items()}
    with demo.services.db.reading() as session:
        villages = dict(session.execute(select(WorkOrderRow.id, WorkOrderRow.village_unit_id)).all())
    found = [i for i in issues if {villages[int(k)] for k in i.members} == {codes[village]}]
    assert len(found) == 1, [(i.title, len(i.members)) for i in issues]
    assert len(found[0].members) >= 0.8 * hardest
    assert found[0].rank == 1
    assert topic in ("fallen_tree", "flooding")


def _time_of(payload: Mapping[str, Any]) -> str:
    for name in ("call_time", "found_at", "alarm_time", "transferred_at"):
        if name in payload:
            return str(payload[name])
    raise AssertionError(payload)


# --------------------------------------------------------------------------- the simulator


def test_the_simulator_bursts_a_typhoon_on_schedule_and_posts_it_on_every_step(demo: Demo) -> None:
    # 1 arrival a minute, a typhoon every 4 minutes: the first burst comes with the first arrival
    simulator = demo.simulator(rate_per_minute=1, typhoon_every_minutes=4, typhoon_size=6, moves_per_order=0)
    outcomes = [simulator.step() for _ in range(6)]
    assert simulator.counts["typhoons"] == 1
    assert simulator.counts["typhoon_reports"] + simulator.counts["merged"] >= 5, outcomes


def test_the_simulator_survives_failed_refused_and_revoked_posts(demo: Demo) -> None:
    calls: list[str] = []

    def flaky(channel: str, payload: Mapping[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        calls.append(channel)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused")
        if len(calls) == 2:
            return 503, {"error": "unavailable", "message": "数据库无响应"}
        return demo.poster(channel, payload, key)

    simulator = TrafficSimulator(demo.services, poster=flaky, seed=5, clock=lambda: NOW)
    gen = simulator.generator
    assert simulator.post(gen.single(NOW, channel="12345")).startswith("error")
    assert simulator.post(gen.single(NOW, channel="12345")).startswith("rejected")
    assert simulator.post(gen.single(NOW, channel="12345")).startswith("created")
    # an admin revokes the simulator's key: it gets a new one and goes on
    demo.services.channels.revoke_keys(TEST_ADMIN, "12345")
    assert simulator.post(gen.single(NOW, channel="12345")).startswith(("created", "merged", "flagged"))
    # the same for the Open311 app, whose endpoint refuses a revoked api_key with 403
    assert simulator.post(gen.open311(NOW)).startswith(("created", "merged", "flagged"))
    demo.services.channels.revoke_keys(TEST_ADMIN, OPEN311_CHANNEL)
    assert simulator.post(gen.open311(NOW)).startswith(("created", "merged", "flagged"))
    assert (simulator.counts["post_errors"], simulator.counts["rejected"]) == (1, 1)


def test_the_simulator_revokes_its_keys_when_it_stops(demo: Demo) -> None:
    simulator = demo.simulator()
    for channel in ("12345", "iot"):
        simulator.post(simulator.generator.single(NOW, channel=channel))
    simulator.stop()
    with demo.services.db.reading() as session:
        live = session.scalar(select(func.count()).where(ChannelKeyRow.revoked_at.is_(None)))
        revoked = session.scalar(select(func.count()).where(ChannelKeyRow.revoked_at.is_not(None)))
    assert (live, revoked) == (0, 2)


def test_the_simulator_waits_for_the_server_and_needs_a_way_to_post(demo: Demo) -> None:
    import threading

    assert demo.poster.wait_healthy(threading.Event(), timeout=5)
    with pytest.raises(ValueError):
        TrafficSimulator(demo.services)
    unreachable = ChannelPoster.http("http://127.0.0.1:9", timeout=0.2)
    assert not unreachable.wait_healthy(threading.Event(), timeout=0.5)
    unreachable.close()
