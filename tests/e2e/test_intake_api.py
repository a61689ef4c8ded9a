"""Intake end to end: every channel's payload becomes one order; bad payloads store nothing."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tests.e2e.harness import API, Api
from tests.support import TEST_ADMIN
from zhiyun.dedupe import repo as dedupe_repo
from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.repo import item_of_order
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.store.tables import DedupeSignatureRow, IntakeRecordRow, WorkOrderRow

JSON_CHANNELS = [code for code, spec in CHANNEL_SPECS.items() if spec.payload is not None]


def channel_client(api: Api, channel: str) -> TestClient:
    client = api.anonymous()
    client.headers["X-Channel-Key"] = api.services.channels.issue_key(TEST_ADMIN, channel).key
    return client


def example(channel: str, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CHANNEL_SPECS[channel].example)
    payload.update(changes)
    return payload


def post(client: TestClient, channel: str, payload: dict[str, Any]) -> Any:
    return client.post(f"{API}/intake/{channel}", json=payload)


@pytest.mark.parametrize("channel", JSON_CHANNELS)
def test_each_channel_payload_becomes_one_registered_order_with_its_audit_row(api: Api, channel: str) -> None:
    client = channel_client(api, channel)
    response = post(client, channel, example(channel))
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["created"] is True and receipt["order_number"].startswith("NH")
    detail = api.as_("admin").get(f"{API}/orders/{receipt['order_id']}").json()
    assert detail["channel"] == channel
    assert detail["status"] == "pending_dispatch"
    trail = api.as_("admin").get(f"{API}/orders/{receipt['order_id']}/transitions").json()
    assert trail[0]["action"] == "register"
    assert trail[0]["details"]["external_id"] == receipt_external_id(channel)


def receipt_external_id(channel: str) -> str:
    spec = CHANNEL_SPECS[channel]
    assert spec.payload is not None
    return spec.adapt(spec.example).external_id


BROKEN: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("12345", "missing content", {"content": None}, "content"),
    ("12345", "wrong type", {"call_time": "not a time"}, "call_time"),
    ("12345", "1 MB of text", {"content": "路灯" * 500_000}, "content"),
    ("12345", "script tag", {"content": "<script>alert('x')</script>路灯坏了"}, "content"),
    ("12345", "impossible latitude", {"lat": 123.0}, "lat"),
    ("12345", "outside China", {"lat": 48.85, "lon": 2.35, "coord_system": "wgs84"}, "location"),
    ("12345", "invalid phone", {"caller_number": "12"}, "citizen_phone"),
    ("police_110", "unknown field", {"surprise": 1}, "surprise"),
    ("iot", "level out of range", {"level": 9}, "level"),
    ("online_opinion", "not a URL", {"url": "ftp://x"}, "url"),
]


@pytest.mark.parametrize(("channel", "case", "changes", "field"), BROKEN, ids=[b[1] for b in BROKEN])
def test_a_broken_payload_gets_a_clear_422_and_stores_nothing(
    api: Api, channel: str, case: str, changes: dict[str, Any], field: str
) -> None:
    client = channel_client(api, channel)
    payload = example(channel)
    for name, value in changes.items():
        if value is None:
            payload.pop(name)
        else:
            payload[name] = value
    before = api.stored()
    response = post(client, channel, payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed" and body["message"]
    assert field in body["fields"], body
    assert api.stored() == before


def test_a_payload_that_is_not_a_json_object_is_refused(api: Api) -> None:
    client = channel_client(api, "12345")
    before = api.stored()
    assert client.post(f"{API}/intake/12345", json=["a", "list"]).status_code == 422
    assert (
        client.post(
            f"{API}/intake/12345", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert api.stored() == before


def test_a_wrong_missing_or_other_channels_key_is_refused_with_401(api: Api) -> None:
    other = channel_client(api, "iot")
    before = api.stored()
    assert post(api.anonymous(), "12345", example("12345")).status_code == 401
    assert post(other, "12345", example("12345")).status_code == 401  # a key opens only its own channel
    bad = api.anonymous()
    bad.headers["X-Channel-Key"] = "zyk_not-a-key"
    assert post(bad, "12345", example("12345")).status_code == 401
    assert api.stored() == before


def test_a_disabled_channel_accepts_nothing(api: Api) -> None:
    client = channel_client(api, "12345")
    api.services.channels.configure(TEST_ADMIN, "12345", enabled=False)
    assert post(client, "12345", example("12345")).status_code == 401


def test_an_unknown_channel_answers_404(api: Api) -> None:
    client = channel_client(api, "12345")
    assert post(client, "fax", example("12345")).status_code == 404


def test_a_repeat_returns_the_same_order_and_a_changed_repeat_is_recorded_as_an_update(api: Api) -> None:
    client = channel_client(api, "12345")
    first = post(client, "12345", example("12345")).json()
    again = post(client, "12345", example("12345"))
    assert again.status_code == 200
    assert again.json()["order_id"] == first["order_id"] and again.json()["updated"] is False
    changed = post(client, "12345", example("12345", content="路灯还是不亮，已经第二周了，请尽快处理。"))
    assert changed.status_code == 200 and changed.json()["updated"] is True
    trail = api.as_("admin").get(f"{API}/orders/{first['order_id']}/transitions").json()
    assert [t["action"] for t in trail] == ["register", "update"]
    assert "路灯还是不亮" in trail[-1]["details"]["changes"]["content"]
    detail = api.as_("admin").get(f"{API}/orders/{first['order_id']}").json()
    assert detail["content"] == CHANNEL_SPECS["12345"].example["content"]  # never silently changed
    with api.services.db.reading() as session:
        records = session.scalar(select(func.count()).select_from(IntakeRecordRow))
    assert records == 2


def test_ten_concurrent_posts_of_one_external_id_make_one_order(api: Api) -> None:
    client = channel_client(api, "police_110")
    payload = example("police_110", incident_no="J-CONCURRENT-1")
    results: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            response = post(client, "police_110", payload)
            results.append(response.status_code)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results).count(201) == 1 and sorted(results).count(200) == 9
    with api.services.db.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(WorkOrderRow).where(WorkOrderRow.external_id == "J-CONCURRENT-1")
        )
    assert count == 1


def test_phone_numbers_and_full_width_text_are_normalized(api: Api) -> None:
    client = channel_client(api, "12345")
    payload = example("12345", caller_number="+86 138-1234-5678", content="ＡＢＣ小区１２号楼　电梯故障。")
    receipt = post(client, "12345", payload).json()
    detail = api.as_("admin").get(f"{API}/orders/{receipt['order_id']}").json()
    assert detail["citizen_phone"] == "13812345678"
    assert detail["content"] == "ABC小区12号楼 电梯故障。"


def test_gcj02_coordinates_are_stored_as_wgs84(api: Api) -> None:
    client = channel_client(api, "grid")
    payload = example("grid", lat=23.0420, lon=113.1462, coord_system="gcj02")
    receipt = post(client, "grid", payload).json()
    detail = api.as_("admin").get(f"{API}/orders/{receipt['order_id']}").json()
    # GCJ-02 is offset by a few hundred metres around Foshan: the stored point moved back.
    assert abs(detail["latitude"] - 23.0420) > 1e-4 or abs(detail["longitude"] - 113.1462) > 1e-4
    assert abs(detail["latitude"] - 23.0420) < 0.01 and abs(detail["longitude"] - 113.1462) < 0.01


# --------------------------------------------------------------------------- duplicates


def test_the_same_place_and_words_from_two_channels_is_merged_into_the_first(api: Api) -> None:
    hotline = channel_client(api, "12345")
    city = channel_client(api, "city_mgmt_hotline")
    first = post(hotline, "12345", example("12345")).json()
    second = post(
        city, "city_mgmt_hotline", example("12345", call_id="CG-SAME-1", caller_number="13900002222")
    ).json()
    assert second["created"] is True
    assert second["duplicate_of"] == first["order_number"]
    assert second["status"] == "merged"
    master = api.as_("admin").get(f"{API}/orders/{first['order_id']}").json()
    assert [d["number"] for d in master["duplicates"]] == [second["order_number"]]


def test_a_master_that_ended_since_it_was_read_is_flagged_for_a_dispatcher_instead_of_merged(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dispatcher cancels the master between intake's candidate query and its merge: the new
    order is still accepted, flagged with the master as its possible duplicate."""
    hotline = channel_client(api, "12345")
    city = channel_client(api, "city_mgmt_hotline")
    first = post(hotline, "12345", example("12345")).json()
    found_open = dedupe_repo.find_candidates

    def candidates_then_cancelled(session: Any, *args: Any, **kwargs: Any) -> Any:
        found = found_open(session, *args, **kwargs)
        session.execute(
            update(WorkOrderRow).where(WorkOrderRow.id == first["order_id"]).values(status="cancelled")
        )
        return found

    monkeypatch.setattr(dedupe_repo, "find_candidates", candidates_then_cancelled)
    second = post(
        city, "city_mgmt_hotline", example("12345", call_id="CG-RACE-1", caller_number="13900002222")
    )
    assert second.status_code == 201, second.text
    receipt = second.json()
    assert receipt["duplicate_of"] is None
    assert receipt["possible_duplicates"] == [first["order_number"]]
    assert receipt["status"] == "pending_dispatch"
    trail = api.as_("admin").get(f"{API}/orders/{receipt['order_id']}/transitions").json()
    assert [t["action"] for t in trail] == ["register", "flag_duplicate"]


def test_the_same_words_far_apart_are_not_duplicates(api: Api) -> None:
    hotline = channel_client(api, "12345")
    post(hotline, "12345", example("12345"))
    far = post(
        hotline,
        "12345",
        example("12345", call_id="FAR-1", caller_number="13900003333", lat=23.1412, lon=113.0450),
    ).json()
    assert far["duplicate_of"] is None and far["possible_duplicates"] == []
    assert far["status"] == "pending_dispatch"


def test_near_in_place_but_a_different_matter_is_not_a_duplicate(api: Api) -> None:
    hotline = channel_client(api, "12345")
    post(hotline, "12345", example("12345"))
    other = post(
        hotline,
        "12345",
        example(
            "12345",
            call_id="NEAR-1",
            caller_number="13900004444",
            content="夏北路3号旁边的餐馆油烟直排，楼上住户家里全是油烟味，希望环保部门查处。",
        ),
    ).json()
    assert other["duplicate_of"] is None and other["possible_duplicates"] == []


def reworded(call_id: str, phone: str) -> dict[str, Any]:
    content = "夏北社区夏北路3号附近的路灯坏了一周，晚上走路不安全，请尽快修理。"
    return example("12345", call_id=call_id, caller_number=phone, content=content)


def test_a_possible_duplicate_is_flagged_and_the_dispatcher_merges_or_dismisses_in_one_action(
    api: Api,
) -> None:
    hotline = channel_client(api, "12345")
    first = post(hotline, "12345", example("12345")).json()
    services = api.services
    # A strict merge threshold turns the next, reworded report of the same matter into a flag.
    services.intake.policy = type(services.intake.policy)(radius_m=300, window_days=7, high=0.95, low=0.3)
    flagged = post(hotline, "12345", reworded("FLAG-1", "13900005555")).json()
    assert flagged["possible_duplicates"] == [first["order_number"]]
    district = api.as_("district")
    candidates = district.get(f"{API}/orders/{flagged['order_id']}/duplicate-candidates").json()
    assert candidates[0]["number"] == first["order_number"] and candidates[0]["decision"] == "open"
    merged = district.post(
        f"{API}/orders/{flagged['order_id']}/duplicate-decision",
        json={"decision": "merge", "master": first["order_number"]},
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"

    dismissed_one = post(hotline, "12345", reworded("FLAG-2", "13900006666")).json()
    assert dismissed_one["possible_duplicates"], dismissed_one
    dismissed = district.post(
        f"{API}/orders/{dismissed_one['order_id']}/duplicate-decision", json={"decision": "dismiss"}
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "pending_dispatch"
    again = district.post(
        f"{API}/orders/{dismissed_one['order_id']}/duplicate-decision", json={"decision": "dismiss"}
    )
    assert again.status_code == 422  # nothing left to decide
    trail = district.get(f"{API}/orders/{dismissed_one['order_id']}/transitions").json()
    assert [t["action"] for t in trail] == ["register", "flag_duplicate", "dismiss_duplicate"]


def test_every_order_registered_at_intake_keeps_its_text_weights_for_later_duplicate_checks(api: Api) -> None:
    hotline = channel_client(api, "12345")
    first = post(hotline, "12345", example("12345")).json()
    with api.services.db.reading() as session:
        signature = session.get(DedupeSignatureRow, first["order_id"])
        row = session.get(WorkOrderRow, first["order_id"])
        assert signature is not None and row is not None
        stored = DedupeItem.from_signature(row.id, signature.features)
        assert stored is not None
        assert stored.features == item_of_order(row).features
