"""The citizens' portal's use cases over the database (SQLite and PostgreSQL): a report becomes
one order of the `web` channel through intake with its photos, a look-up needs the phone's
last four digits, a rating is the callback (不满意 reopens), once per reply, and the throttles
hold across processes and end with their window."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.portal_support import CITIZEN, CLIENT, JPEG, PHONE, REPORT, bring_to_callback, portal, report
from tests.support import District, build_small_district, footprint

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.domain import portal as rules
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, TooManyAttempts, ValidationFailed
from zhiyun.domain.workorder import OrderStatus, Reply, Review, Satisfaction, Sign
from zhiyun.portal.service import PORTAL_RATING, UNKNOWN_ORDER, WEB_INTAKE, Photo
from zhiyun.portal.tables import PortalRatingRow, PortalThrottleRow
from zhiyun.store.db import Database
from zhiyun.store.tables import AttachmentRow, IntakeRecordRow, TransitionRow, WorkOrderRow


class FakeClock:
    """A clock the test sets by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL_TZ))  # a Thursday


@pytest.fixture
def timed(database: Database, settings: Settings, clock: FakeClock) -> Services:
    return build_services(database, settings, clock=clock)


@pytest.fixture
def district(timed: Services) -> District:
    return build_small_district(timed)


def _order(services: Services, number: str) -> WorkOrderRow:
    with services.db.reading() as session:
        row = session.scalars(select(WorkOrderRow).where(WorkOrderRow.number == number)).one()
        session.expunge(row)
        return row


def _trail(services: Services, number: str) -> list[TransitionRow]:
    with services.db.reading() as session:
        order_id = session.scalar(select(WorkOrderRow.id).where(WorkOrderRow.number == number))
        rows = list(
            session.scalars(
                select(TransitionRow).where(TransitionRow.order_id == order_id).order_by(TransitionRow.id)
            )
        )
        session.expunge_all()
        return rows


# --------------------------------------------------------------------------- report


def test_a_report_registers_one_order_of_the_web_channel_through_intake_with_its_photos(
    timed: Services, district: District
) -> None:
    number = report(timed)
    row = _order(timed, number)
    assert row.channel == "web" and row.external_id and row.external_id.startswith("P")
    assert row.citizen_phone == PHONE and row.citizen_name == "陈先生"
    assert row.content == REPORT.content and row.title.startswith("夏北路")
    assert (row.latitude, row.longitude) == (23.01, 113.11) and row.status == "pending_dispatch"
    with timed.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(WorkOrderRow)) == 1
        records = [
            (r.channel, sorted(r.payload))
            for r in session.scalars(select(IntakeRecordRow).where(IntakeRecordRow.order_id == row.id))
        ]
        files = [
            (f.content_type, f.transition_id)
            for f in session.scalars(select(AttachmentRow).where(AttachmentRow.order_id == row.id))
        ]
    assert len(records) == 1 and records[0][0] == "web"
    assert "citizen_phone" in records[0][1] and "photos" in records[0][1]
    assert sorted(kind for kind, _ in files) == ["image/jpeg", "image/png"]
    trail = _trail(timed, number)
    assert trail[0].action == "register" and trail[0].actor_name == WEB_INTAKE.name
    attached = [t for t in trail if t.action == "attach"]
    assert len(attached) == 2 and {t.actor_role for t in attached} == {"citizen"}
    assert {transition for _, transition in files} == {t.id for t in attached}


def test_a_report_about_an_open_matter_at_the_same_place_is_merged_and_the_receipt_says_so(
    timed: Services, district: District
) -> None:
    first = portal(timed).report(CITIZEN, REPORT, client=CLIENT)
    assert first.merged_into is None
    again = portal(timed).report(
        CITIZEN, replace(REPORT, citizen_phone="13987654321", citizen_name="李女士", photos=()), client=CLIENT
    )
    assert again.merged_into == first.number and again.number != first.number
    merged = _order(timed, again.number)
    assert merged.status == "merged"
    # its citizen follows it with their own digits and is told where it went
    progress = portal(timed).track(CITIZEN, again.number, "4321", client=CLIENT)
    assert progress.status is OrderStatus.MERGED and progress.merged_into == first.number
    assert progress.merged_status == rules.public_status(OrderStatus.PENDING_DISPATCH)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"photos": (Photo("a.png", b"MZ\x90\x00" + b"\x00" * 200),)}, "photos"),  # a program named .png
        ({"photos": (Photo("a.jpg", b"<html><script>alert(1)</script>"),)}, "photos"),
        ({"photos": tuple(Photo(f"{i}.jpg", JPEG) for i in range(rules.MAX_PHOTOS + 1))}, "photos"),
        ({"photos": (Photo("big.jpg", JPEG + b"\x00" * rules.MAX_PHOTO_BYTES),)}, "photos"),
        (
            {"photos": tuple(Photo(f"{i}.jpg", JPEG + b"\x00" * (4 * 1024 * 1024)) for i in range(4))},
            "photos",
        ),
        ({"address": None, "latitude": None, "longitude": None}, "location"),
        ({"citizen_phone": "12345"}, "citizen_phone"),
        ({"citizen_phone": ""}, "citizen_phone"),
        ({"content": "灯"}, "content"),
        ({"category_code": "NOPE"}, "category_code"),
    ],
)
def test_a_report_that_breaks_a_rule_is_refused_and_registers_nothing(
    timed: Services, district: District, changes: dict[str, object], field: str
) -> None:
    before = footprint(timed)
    with pytest.raises(ValidationFailed) as refused:
        portal(timed).report(CITIZEN, replace(REPORT, **changes), client=CLIENT)  # type: ignore[arg-type]
    assert field in (refused.value.details.get("fields") or {}) or refused.value.details.get("field") == field
    assert footprint(timed) == before


def test_a_filled_honeypot_field_is_refused_and_registers_nothing(
    timed: Services, district: District
) -> None:
    before = footprint(timed)
    with pytest.raises(ValidationFailed):
        portal(timed).report(CITIZEN, replace(REPORT, honeypot="http://spam.example"), client=CLIENT)
    assert footprint(timed) == before


def test_only_a_citizen_uses_the_portal(timed: Services, district: District) -> None:
    before = footprint(timed)
    for who in (district.actors["district"], district.actors["admin"], Actor.system("x")):
        with pytest.raises(PermissionDenied):
            portal(timed).report(who, REPORT, client=CLIENT)
        with pytest.raises(PermissionDenied):
            portal(timed).track(who, "NH202611260001", "5678", client=CLIENT)
    assert footprint(timed) == before


# --------------------------------------------------------------------------- track


def test_track_shows_the_public_steps_and_the_reply_masked_with_the_right_digits(
    timed: Services, district: District
) -> None:
    number = report(timed)
    bring_to_callback(timed, district, number)
    progress = portal(timed).track(CITIZEN, number, "5678", client=CLIENT)
    assert progress.status is OrderStatus.AWAITING_CALLBACK and progress.may_rate
    assert [s.label for s in progress.steps] == [
        "已受理",
        "已转交承办单位",
        "承办单位已接收，正在办理",
        rules.REPLY_SHOWN,
    ]
    assert progress.steps[1].unit == "夏北社区"
    assert progress.reply == "已更换灯泡，路灯恢复照明。联系人 139****1111"  # a phone in the reply masked
    assert progress.citizen_phone == "138****5678" and progress.citizen_name == "陈**"
    assert "请处理" not in str(progress)  # the center's note stays inside


def test_a_wrong_pair_is_answered_as_a_missing_order(timed: Services, district: District) -> None:
    number = report(timed)
    other = report(timed, citizen_phone="13700009999", content="平南路口井盖缺失，很危险", address="平南路口")
    answers = []
    for key, digits in (
        (number, "1234"),
        (number, ""),
        (other, "5678"),
        ("NH209901010001", "5678"),
        ("x" * 500, "5678"),
    ):
        with pytest.raises(NotFound) as missing:
            portal(timed).track(CITIZEN, key, digits, client=CLIENT)
        answers.append(missing.value.message)
    assert set(answers) == {UNKNOWN_ORDER}
    assert portal(timed).track(CITIZEN, other, "9999", client=CLIENT).number == other


# --------------------------------------------------------------------------- rate


def test_a_satisfied_rating_is_recorded_as_the_callback_and_closes_the_order(
    timed: Services, district: District
) -> None:
    number = report(timed)
    bring_to_callback(timed, district, number)
    rated = portal(timed).rate(
        CITIZEN, number, "5678", Satisfaction.SATISFIED, "修得很快<script>", client=CLIENT
    )
    assert rated.status is OrderStatus.CLOSED and not rated.reopened
    row = _order(timed, number)
    assert row.status == "closed" and row.satisfaction == "satisfied"
    callback = _trail(timed, number)[-1]
    assert callback.action == "callback" and callback.actor_name == PORTAL_RATING.name
    assert callback.details["satisfaction"] == "satisfied" and "修得很快<script>" in callback.note
    with timed.db.reading() as session:
        kept = session.execute(
            select(PortalRatingRow.satisfaction, PortalRatingRow.words, PortalRatingRow.round)
        ).one()
    assert tuple(kept) == ("satisfied", "修得很快<script>", 0)


def test_an_unsatisfied_rating_reopens_the_order_down_its_chain(timed: Services, district: District) -> None:
    number = report(timed)
    bring_to_callback(timed, district, number)
    rated = portal(timed).rate(CITIZEN, number, "5678", Satisfaction.UNSATISFIED, "灯还是不亮", client=CLIENT)
    assert rated.reopened and rated.status is OrderStatus.DISPATCHED
    row = _order(timed, number)
    assert (
        row.status == "dispatched"
        and row.current_unit_id == district.units["GC-XB"]
        and row.reopen_count == 1
    )
    assert _trail(timed, number)[-1].details.get("reopened") is True
    progress = portal(timed).track(CITIZEN, number, "5678", client=CLIENT)
    assert progress.steps[-1].label == "市民不满意，已重新办理" and not progress.may_rate
    assert [r.label for r in progress.ratings] == ["不满意"]
    # the new reply may be rated once more
    bring_to_callback_again(timed, district, number)
    assert portal(timed).track(CITIZEN, number, "5678", client=CLIENT).may_rate
    again = portal(timed).rate(CITIZEN, number, "5678", Satisfaction.BASICALLY_SATISFIED, client=CLIENT)
    assert again.status is OrderStatus.CLOSED


def bring_to_callback_again(services: Services, district: District, number: str) -> None:
    handler, center = district.actors["xiabei"], district.actors["district"]
    services.orders.act(handler, number, Sign())
    services.orders.act(handler, number, Reply(note="已重新更换线路"))
    services.orders.act(center, number, Review(approve=True))


def test_a_reply_is_rated_once_and_only_when_its_callback_is_due(timed: Services, district: District) -> None:
    number = report(timed)
    with pytest.raises(PermissionDenied):  # not replied yet
        portal(timed).rate(CITIZEN, number, "5678", Satisfaction.SATISFIED, client=CLIENT)
    bring_to_callback(timed, district, number)
    with pytest.raises(NotFound):  # the wrong digits
        portal(timed).rate(CITIZEN, number, "1111", Satisfaction.UNSATISFIED, client=CLIENT)
    assert _order(timed, number).status == "awaiting_callback"
    portal(timed).rate(CITIZEN, number, "5678", Satisfaction.SATISFIED, client=CLIENT)
    before = footprint(timed)
    with pytest.raises(Conflict):
        portal(timed).rate(CITIZEN, number, "5678", Satisfaction.UNSATISFIED, client=CLIENT)
    after = footprint(timed)
    assert {k: v for k, v in after.items() if k != "portal_throttle"} == {
        k: v for k, v in before.items() if k != "portal_throttle"
    }
    assert portal(timed).track(CITIZEN, number, "5678", client=CLIENT).rated_this_reply
    with pytest.raises(ValidationFailed):
        portal(timed).rate(CITIZEN, number, "5678", Satisfaction.UNREACHABLE, client=CLIENT)


# --------------------------------------------------------------------------- throttles


def test_reports_from_one_phone_trip_the_throttle_and_it_resets_after_its_window(
    timed: Services, district: District, clock: FakeClock
) -> None:
    limit = rules.REPORT_PER_PHONE.limit
    for i in range(limit):
        report(
            timed,
            address=f"夏北路{i + 10}号",
            content=f"第{i}处路灯不亮，晚上很黑",
            photos=(),
            client=f"198.51.100.{i}",
        )
    before = footprint(timed)
    with pytest.raises(TooManyAttempts) as refused:
        report(
            timed, address="夏北路99号", content="又一处路灯不亮，请处理", photos=(), client="198.51.100.99"
        )
    assert refused.value.retry_after > 0 and footprint(timed) == before  # a refused report counts nothing
    clock.advance(days=1, seconds=1)
    assert report(
        timed, address="夏北路99号", content="又一处路灯不亮，请处理", photos=(), client="198.51.100.99"
    )


def test_reports_about_one_place_and_from_one_address_are_throttled(
    timed: Services, district: District
) -> None:
    for i in range(rules.REPORT_PER_PLACE.limit):
        report(
            timed,
            citizen_phone=f"1390000{i:04d}",
            content=f"第{i}位市民：路面塌陷",
            photos=(),
            client=f"198.51.100.{i}",
        )
    with pytest.raises(TooManyAttempts):
        report(
            timed, citizen_phone="13900009999", content="路面塌陷很危险", photos=(), client="198.51.100.200"
        )
    for i in range(rules.REPORT_PER_ADDRESS.limit):  # from one client address
        report(
            timed, citizen_phone=f"1370000{i:04d}", address=f"平南路{i}号", content="垃圾没人清运", photos=()
        )
    with pytest.raises(TooManyAttempts):
        report(timed, citizen_phone="13700009999", address="平南路99号", content="垃圾没人清运", photos=())


def test_look_ups_of_one_order_are_throttled_right_or_wrong_and_reset_after_an_hour(
    timed: Services, district: District, clock: FakeClock
) -> None:
    number = report(timed)
    for i in range(rules.TRACK_PER_ORDER.limit):
        with pytest.raises(NotFound):
            portal(timed).track(CITIZEN, number, f"{i:04d}", client=f"192.0.2.{i}")
    with pytest.raises(TooManyAttempts):  # even the right digits, from another address
        portal(timed).track(CITIZEN, number, "5678", client="192.0.2.200")
    clock.advance(hours=1, seconds=1)
    assert portal(timed).track(CITIZEN, number, "5678", client="192.0.2.200").number == number


def test_throttles_hold_across_processes_sharing_the_database(
    timed: Services, district: District, settings: Settings, clock: FakeClock
) -> None:
    other = build_services(timed.db, settings, clock=clock)  # another web process
    limit = rules.TRACK_PER_ADDRESS.limit
    for i in range(limit):
        with pytest.raises(NotFound):
            portal(timed if i % 2 else other).track(CITIZEN, f"NH20261126{i:04d}", "0000", client=CLIENT)
    with pytest.raises(TooManyAttempts):
        portal(timed).track(CITIZEN, "NH202611269999", "0000", client=CLIENT)
    with timed.db.reading() as session:
        keys = list(session.scalars(select(PortalThrottleRow.key)))
    assert not any(PHONE in k or CLIENT in k for k in keys)


def test_the_worker_forgets_windows_long_over(timed: Services, district: District, clock: FakeClock) -> None:
    report(timed)
    with pytest.raises(PermissionDenied):
        portal(timed).prune(district.actors["district"])
    assert portal(timed).prune(Actor.system("定时任务")) == 0
    clock.advance(days=3)
    assert portal(timed).prune(Actor.system("定时任务")) == 3  # phone, place, client
