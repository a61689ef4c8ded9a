"""Sensing's webhook over HTTP (issue 18, part 3): `POST /api/v1/alarms` with the iot channel's key
takes one alarm or a list (201, a receipt each; the same again 200 and nothing new), refuses bad
payloads with a clear 422 and stores nothing of them, answers 401 before reading the body of a
caller without the key; `POST /api/v1/alarms/heartbeats` moves the devices' last-seen time."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.e2e.harness import API, Api
from tests.sensing_support import JPEG, SensingWorld, add_device, seed_sensing_world
from tests.support import TEST_ADMIN
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow
from zhiyun.sensing.device_tables import DeviceRow

ALARMS = f"{API}/alarms"


@pytest.fixture
def world(api: Api) -> SensingWorld:
    return seed_sensing_world(api.services, api.district)


@pytest.fixture
def vendor(api: Api) -> TestClient:
    client = api.anonymous()
    client.headers["X-Channel-Key"] = api.services.channels.issue_key(TEST_ADMIN, "iot").key
    return client


def body(alarm_id: str, device: str = "CAM-1", scene: str = "CAM-08", **more: Any) -> dict[str, Any]:
    return {
        "alarm_id": alarm_id,
        "device_id": device,
        "scene": scene,
        "at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "score": 0.88,
        "algorithm_version": "garbage-v3.2",
        **more,
    }


def stored(api: Api) -> int:
    with api.services.db.reading() as session:
        return session.scalar(select(func.count()).select_from(AlarmRow)) or 0


def test_an_alarm_with_its_evidence_is_taken_once_and_its_repeat_changes_nothing(
    api: Api, world: SensingWorld, vendor: TestClient
) -> None:
    add_device(world, "CAM-1")
    image = {"filename": "snap.jpg", "content_base64": base64.b64encode(JPEG).decode()}
    first = vendor.post(ALARMS, json=body("HTTP-1", evidence=[image]))
    assert first.status_code == 201, first.text
    (receipt,) = first.json()["receipts"]
    assert receipt["outcome"] == "opened" and receipt["outcome_label"] == "新建事件" and receipt["created"]
    again = vendor.post(ALARMS, json=body("HTTP-1", evidence=[image]))
    assert again.status_code == 200 and again.json()["repeats"] == 1
    assert again.json()["receipts"][0]["event_id"] == receipt["event_id"]
    assert stored(api) == 1


def test_a_list_of_alarms_gets_a_receipt_each_in_order(
    api: Api, world: SensingWorld, vendor: TestClient
) -> None:
    add_device(world, "CAM-1")
    answer = vendor.post(ALARMS, json=[body("L-1"), body("L-2"), body("L-3", score=0.1)])
    assert answer.status_code == 201
    assert [r["outcome"] for r in answer.json()["receipts"]] == ["opened", "folded", "below"]
    with api.services.db.reading() as session:
        assert session.scalar(select(EventRow.count)) == 2


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("not json", "JSON"),
        ([], "为空"),
        ({"alarm_id": "X-1"}, "scene：必填"),
        ({**body("X-1b"), "device_id": None}, "device_id"),
        ({**body("X-2"), "at": "2026-12-07T08:00:00"}, "时区"),
        ({**body("X-3"), "score": 1.5}, "score"),
        ({**body("X-4"), "scene": "垃圾"}, "场景编码"),
        ({**body("X-5"), "colour": "red"}, "colour：不认识的字段"),
        ({**body("X-6"), "lat": 23.0}, "lat 和 lon"),
        ([body(f"X-7-{i}") for i in range(101)], "100"),
        ([body("X-8"), {**body("X-9"), "score": "high"}], "第 2 条"),
        ({**body("X-10"), "evidence": [{"filename": "a.jpg", "content_base64": "@@@"}]}, "Base64"),
        ({**body("X-11"), "evidence": [{"filename": "a.jpg", "url": "javascript:alert(1)"}]}, "url"),
    ],
)
def test_a_bad_payload_is_refused_with_its_reason_and_nothing_is_stored(
    api: Api, world: SensingWorld, vendor: TestClient, payload: Any, says: str
) -> None:
    add_device(world, "CAM-1")
    if isinstance(payload, str):
        answer = vendor.post(ALARMS, content=payload, headers={"Content-Type": "application/json"})
    else:
        answer = vendor.post(ALARMS, json=payload)
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["message"] + answer.text
    assert stored(api) == 0


def test_without_the_channel_key_the_body_is_not_read(api: Api, world: SensingWorld) -> None:
    client = api.anonymous()
    assert client.post(ALARMS, json=body("K-1")).status_code == 401
    client.headers["X-Channel-Key"] = "zyk_not-a-key"
    assert client.post(ALARMS, content=b"{not even json").status_code == 401
    other = api.anonymous()
    other.headers["X-Channel-Key"] = api.services.channels.issue_key(TEST_ADMIN, "grid").key
    assert other.post(ALARMS, json=body("K-2")).status_code == 401  # another channel's key
    assert stored(api) == 0


def test_a_user_token_does_not_open_the_webhook(api: Api, world: SensingWorld) -> None:
    assert api.as_("admin").post(ALARMS, json=body("T-1")).status_code == 401
    assert stored(api) == 0


def test_a_body_past_the_limit_is_refused_before_it_is_read_whole(api: Api, vendor: TestClient) -> None:
    answer = vendor.post(ALARMS, content=b"[" + b" " * (17 * 1024 * 1024) + b"]")
    assert answer.status_code == 413


def test_heartbeats_move_the_devices_last_seen_time(
    api: Api, world: SensingWorld, vendor: TestClient
) -> None:
    device_id = add_device(world, "CAM-1")
    answer = vendor.post(f"{ALARMS}/heartbeats", json={"devices": ["CAM-1", "CAM-NOBODY"]})
    assert answer.status_code == 200 and answer.json() == {"heard": 1}
    with api.services.db.reading() as session:
        device = session.get(DeviceRow, device_id)
        assert device is not None and device.last_seen_at is not None
    assert vendor.post(f"{ALARMS}/heartbeats", json={"devices": []}).status_code == 422
    assert vendor.post(f"{ALARMS}/heartbeats", json={"devices": ["<script>"]}).status_code == 422
    assert api.anonymous().post(f"{ALARMS}/heartbeats", json={"devices": ["CAM-1"]}).status_code == 401
