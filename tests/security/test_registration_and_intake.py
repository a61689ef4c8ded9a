"""Findings 1, 3, 11 and 12 of the security probe: registration by external id, channel ids,
the key before the body, and concurrent repeats.

1. An idempotent repeat of `POST /orders` answered anyone with the order's full detail.
3. A hand registration could take a channel's external id, and the channel's real message
   was then dropped.
11. Intake validated the body before the key.
12. Concurrent exact repeats were recorded as updates when a changed variant won the race.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import API, Api, register
from tests.support import ONLY_SQLITE, TEST_ADMIN
from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import IntakeRecordRow, TransitionRow, WorkOrderRow

HOTLINE = dict(CHANNEL_SPECS["12345"].example)


def _key(api: Api, channel: str = "12345") -> str:
    return api.services.channels.issue_key(TEST_ADMIN, channel).key


def _intake_records(api: Api, order_id: int) -> int:
    with api.services.db.reading() as session:
        return (
            session.scalar(
                select(func.count()).select_from(IntakeRecordRow).where(IntakeRecordRow.order_id == order_id)
            )
            or 0
        )


# -- finding 1 ------------------------------------------------------------------------------


def test_a_repeat_registration_answers_409_without_the_order_to_a_dispatcher_who_may_not_read_it(
    api: Api,
) -> None:
    body = {"title": "噪音扰民", "content": "请回电 13812345678", "external_id": "M-0001"}
    first = api.as_("town").post(f"{API}/orders", json=body)
    assert first.status_code == 201
    other_town = api.as_("town2").post(f"{API}/orders", json=body)
    assert other_town.status_code == 409
    assert other_town.json()["error"] == "conflict"
    assert "13812345678" not in other_town.text and first.json()["number"] not in other_town.text


def test_a_handler_who_may_not_register_learns_nothing_from_an_external_id(api: Api) -> None:
    register(api.as_("district"), external_id="M-0002")
    probe = api.as_("yanbu").post(
        f"{API}/orders", json={"title": "x", "content": "y", "external_id": "M-0002"}
    )
    assert probe.status_code == 403
    unknown = api.as_("yanbu").post(
        f"{API}/orders", json={"title": "x", "content": "y", "external_id": "M-9"}
    )
    assert unknown.status_code == 403  # the same answer whether or not the id exists


def test_a_repeat_registration_still_returns_the_order_to_whoever_may_read_it(api: Api) -> None:
    first = register(api.as_("district"), external_id="M-0003")
    again = api.as_("district").post(
        f"{API}/orders",
        json={"title": "路灯不亮", "content": "夏北路 3 号路灯不亮，晚上很黑", "external_id": "M-0003"},
    )
    assert again.status_code == 200 and again.json()["id"] == first["id"]


# -- finding 3 ------------------------------------------------------------------------------


@ONLY_SQLITE
@pytest.mark.parametrize("channel", ["<b>evil</b>", '<img src=x onerror="alert(1)">', "no-such-channel"])
def test_a_hand_registration_names_a_known_channel(api: Api, channel: str) -> None:
    response = api.as_("district").post(
        f"{API}/orders", json={"title": "x", "content": "y", "channel": channel}
    )
    assert response.status_code == 422
    assert "channel" in response.json()["fields"]
    assert api.stored()[0] == 0


def test_a_hand_registration_cannot_take_a_pushing_channels_external_id(api: Api) -> None:
    response = api.as_("district").post(
        f"{API}/orders",
        json={"title": "伪造", "content": "x", "channel": "12345", "external_id": "RS-POISON-1"},
    )
    assert response.status_code == 422
    assert "external_id" in response.json()["fields"]
    # an agent may still say the matter came by 12345, without the channel's id
    ok = api.as_("district").post(f"{API}/orders", json={"title": "来电", "content": "x", "channel": "12345"})
    assert ok.status_code == 201


def test_the_real_channel_message_is_then_registered_urgent_and_whole(api: Api) -> None:
    api.as_("district").post(
        f"{API}/orders",
        json={"title": "伪造", "content": "x", "channel": "12345", "external_id": "RS-POISON-1"},
    )
    real = {**HOTLINE, "call_id": "RS-POISON-1", "content": "燃气泄漏，请紧急处理。", "urgent": True}
    response = api.anonymous().post(f"{API}/intake/12345", json=real, headers={"X-Channel-Key": _key(api)})
    assert response.status_code == 201, response.text
    order = api.as_("district").get(f"{API}/orders/{response.json()['order_number']}").json()
    assert order["content"] == "燃气泄漏，请紧急处理。" and order["urgency"] == "urgent"


def test_a_channel_message_for_an_order_that_came_another_way_is_recorded_not_dropped(api: Api) -> None:
    # an order that holds the channel's id without any intake record: as a bulk import leaves it
    imported = api.services.orders.register(
        Actor.system("历史数据导入"),
        NewOrder(title="旧工单", content="历史诉求", channel="12345", external_id="C-HIST-1"),
    ).order
    payload = {**HOTLINE, "call_id": "C-HIST-1", "content": "燃气泄漏，请紧急处理。"}
    response = api.anonymous().post(f"{API}/intake/12345", json=payload, headers={"X-Channel-Key": _key(api)})
    assert response.status_code == 200
    assert response.json()["updated"] is True
    assert response.json()["order_number"] == imported.summary.number
    assert _intake_records(api, imported.summary.id) == 1
    actions = [
        t["action"] for t in api.as_("district").get(f"{API}/orders/{imported.summary.id}/transitions").json()
    ]
    assert actions.count("update") == 1


# -- finding 11 -----------------------------------------------------------------------------

NESTED = b'{"a":' * 5000 + b"1" + b"}" * 5000


UNREAD_BODIES = (b'{"call_id": 5}', NESTED, b"[" * 100_000 + b"]" * 100_000, b"not json")
HOSTILE_MESSAGES = (
    NESTED,
    b"[" * 100_000 + b"]" * 100_000,
    b'{"call_id": "N-1", "content": "a\\u0000b"}',
    b'{"alarm_id": "A", "value": NaN}',
    b'{"alarm_id": "A", "value": Infinity}',
    b'{"alarm_id": "A", "value": 1e400}',
)


@ONLY_SQLITE
@pytest.mark.parametrize("lane", [True, False], ids=["lane", "route"])
def test_intake_answers_401_before_it_reads_the_body(api: Api, lane: bool) -> None:
    api.app.intake_lane = lane  # type: ignore[attr-defined]
    client, wrong = api.anonymous(), []
    for key in (None, "zyk_wrong"):
        headers = {"content-type": "application/json"} | ({"X-Channel-Key": key} if key else {})
        for body in UNREAD_BODIES:
            response = client.post(f"{API}/intake/12345", content=body, headers=headers)
            answer = response.json()
            if response.status_code != 401 or answer["error"] != "invalid_channel_key" or "fields" in answer:
                wrong.append(f"key {key} body {body[:20]!r}: {response.status_code} {response.text[:100]}")
    assert not wrong, "\n".join(wrong)


@ONLY_SQLITE
@pytest.mark.parametrize("lane", [True, False], ids=["lane", "route"])
def test_hostile_but_well_formed_channel_messages_are_422_and_store_nothing(api: Api, lane: bool) -> None:
    api.app.intake_lane = lane  # type: ignore[attr-defined]
    client, keys, wrong = api.anonymous(), {c: _key(api, c) for c in ("iot", "12345")}, []
    for body in HOSTILE_MESSAGES:
        channel = "iot" if b"alarm_id" in body else "12345"
        response = client.post(
            f"{API}/intake/{channel}",
            content=body,
            headers={"content-type": "application/json", "X-Channel-Key": keys[channel]},
        )
        if response.status_code != 422 or response.json()["error"] != "validation_failed":
            wrong.append(f"{body[:40]!r}: {response.status_code} {response.text[:100]}")
    assert not wrong, "\n".join(wrong)
    assert api.stored() == (0, 0, 0)


def test_a_nul_in_a_valid_iot_alarm_text_is_refused_with_the_field(api: Api) -> None:
    alarm = {**CHANNEL_SPECS["iot"].example, "address": "桂城\u0000南海大道"}
    response = api.anonymous().post(
        f"{API}/intake/iot", json=alarm, headers={"X-Channel-Key": _key(api, "iot")}
    )
    assert response.status_code == 422
    assert api.stored()[0] == 0


# -- finding 12 -----------------------------------------------------------------------------


def _race(services: Services, key: str, payloads: list[dict[str, Any]]) -> list[Any]:
    barrier = threading.Barrier(len(payloads))
    results: list[Any] = [None] * len(payloads)

    def post(i: int) -> None:
        barrier.wait()
        try:
            results[i] = services.intake.receive("12345", payloads[i], key=key)
        except BaseException as exc:  # collected and asserted below
            results[i] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(payloads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_exact_repeats_are_never_recorded_as_updates(api: Api) -> None:
    original = {**HOTLINE, "call_id": "RACE-1"}
    variants = [{**original, "content": f"{original['content']}（补充 {i}）"} for i in range(10)]
    payloads = [original] * 10 + variants
    results = _race(api.services, _key(api), payloads[::-1])  # changed variants first in line
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert sum(r.created for r in results) == 1
    with api.services.db.reading() as session:
        order_id = session.scalar(select(WorkOrderRow.id).where(WorkOrderRow.external_id == "RACE-1"))
        updates = session.scalar(
            select(func.count())
            .select_from(TransitionRow)
            .where(TransitionRow.order_id == order_id, TransitionRow.action == "update")
        )
    assert _intake_records(api, order_id) == 11  # one per distinct payload
    assert updates == 10  # every distinct payload after the first, once


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"])
def test_an_extreme_call_time_is_a_422(api: Api, when: str) -> None:
    call = {**HOTLINE, "call_id": "T-1", "call_time": when}
    response = api.anonymous().post(f"{API}/intake/12345", json=call, headers={"X-Channel-Key": _key(api)})
    assert response.status_code == 422, response.text
    assert api.stored()[0] == 0


@ONLY_SQLITE
@pytest.mark.parametrize(
    "text",
    [
        '"><img src=x onerror=alert(document.domain)> 路灯不亮',
        "<svg/onload=alert(1)> 路灯不亮",
        "<img src=x onerror='x'>",
    ],
)
def test_channel_texts_with_unquoted_event_handlers_are_refused_too(api: Api, text: str) -> None:
    """The second wall (the first is escaping on output, tests/browser/test_xss.py)."""
    call = {**HOTLINE, "call_id": "X-1", "content": text}
    response = api.anonymous().post(f"{API}/intake/12345", json=call, headers={"X-Channel-Key": _key(api)})
    assert response.status_code == 422
    assert api.stored()[0] == 0


def test_ordinary_angle_brackets_in_a_channel_text_are_kept(api: Api) -> None:
    call = {**HOTLINE, "call_id": "X-2", "content": "水温<10度，噪音>70分贝，<b>请尽快处理</b>"}
    response = api.anonymous().post(f"{API}/intake/12345", json=call, headers={"X-Channel-Key": _key(api)})
    assert response.status_code == 201
    order = api.as_("district").get(f"{API}/orders/{response.json()['order_number']}").json()
    assert order["content"] == "水温<10度，噪音>70分贝，<b>请尽快处理</b>"
