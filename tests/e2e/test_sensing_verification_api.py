"""Verification (核实) over the REST API, as the grid worker's phone and the dispatchers use it: the
worker's tasks, an answer posted as multipart with a photo (201; a retry 200, one order), the
CSRF token of a cookie session, another grid's worker answered 404 and other roles 403 before the
body is read, the body limit; the evidence image served inline with nosniff to those who may see
the event and 404 to the others; the dispatcher's list of late tasks and reassignment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import API, Api
from tests.sensing_support import (
    JPEG,
    PNG,
    SensingWorld,
    add_device,
    add_event,
    evidence_ids,
    seed_sensing_world,
)
from tests.support import TEST_SYSTEM
from zhiyun.sensing.alarm_tables import VerificationRow
from zhiyun.store.tables import AttachmentRow, WorkOrderRow

SENSING = f"{API}/sensing"


@pytest.fixture
def world(api: Api) -> SensingWorld:
    world = seed_sensing_world(api.services, api.district)
    actors = api.district.actors
    actors["gc_grid"], actors["gc_grid2"], actors["pn_grid"] = world.worker, world.neighbour, world.other
    actors["xb_dispatch"] = world.village
    return world


def raised(world: SensingWorld, device: str = "CAM-XB-0001", **device_fields: str) -> tuple[int, int]:
    event = world.raise_event(add_event(world, add_device(world, device, **device_fields)))
    with world.services.db.reading() as session:
        task = session.scalar(select(VerificationRow.id).where(VerificationRow.event_id == event.id))
    assert task is not None
    return event.id, task


def orders(api: Api) -> int:
    with api.services.db.reading() as session:
        return session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0


def test_the_phone_lists_its_task_and_a_confirmation_with_a_photo_syncs_exactly_once(
    api: Api, world: SensingWorld
) -> None:
    event_id, task_id = raised(world, name="<script>alert(1)</script>摄像机")
    phone = api.as_("gc_grid")
    listed = phone.get(f"{SENSING}/verifications/mine")
    assert listed.status_code == 200, listed.text
    [task] = listed.json()["tasks"]
    assert (task["id"], task["event"]["id"], task["scene"]["name"], task["kind_label"]) == (
        task_id,
        event_id,
        "垃圾满溢",
        "核实",
    )
    assert task["device"]["name"] == "<script>alert(1)</script>摄像机"  # data, escaped where shown
    assert task["evidence"][0]["url"] == f"/api/v1/sensing/evidence/{task['evidence'][0]['id']}"
    body = {"answer": "confirmed", "note": "桶边堆满垃圾", "submission_id": "phone-sub-0001"}
    photo = [("photos", ("现场.png", PNG, "image/png"))]
    first = phone.post(f"{SENSING}/verifications/{task_id}/answer", data=body, files=photo)
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["created"] is True and result["task"]["status"] == "confirmed"
    assert result["order"]["created"] is True
    again = phone.post(f"{SENSING}/verifications/{task_id}/answer", data=body, files=photo)
    assert again.status_code == 200 and again.json()["created"] is False
    assert orders(api) == 1
    with api.services.db.reading() as session:
        names = sorted(
            session.scalars(
                select(AttachmentRow.filename).where(AttachmentRow.order_id == result["order"]["id"])
            )
        )
    assert names == ["bin.jpg", "现场.png"]
    assert phone.get(f"{SENSING}/verifications/mine").json()["tasks"] == []


def test_an_answer_sent_with_the_session_cookie_must_repeat_the_csrf_token(
    api: Api, world: SensingWorld
) -> None:
    _, task_id = raised(world)
    phone = api.login("gc_grid")
    body = {"answer": "gone", "submission_id": "cookie-sub-0001"}
    forged = phone.post(f"{SENSING}/verifications/{task_id}/answer", data=body)
    assert forged.status_code == 403 and "CSRF" in forged.json()["message"]
    phone.cookies.set("zhiyun_csrf", "token-of-this-page")
    sent = phone.post(
        f"{SENSING}/verifications/{task_id}/answer", data=body, headers={"X-CSRF-Token": "token-of-this-page"}
    )
    assert sent.status_code == 201, sent.text


def test_another_grids_worker_gets_404_and_other_roles_403_before_the_body_is_read(
    api: Api, world: SensingWorld
) -> None:
    _, task_id = raised(world)
    body = {"answer": "false_alarm", "submission_id": "other-sub-0001"}
    for who in ("pn_grid", "gc_grid2"):  # 平南's worker; 夏北's grid 002, not the task's grid
        client = api.as_(who)
        assert client.post(f"{SENSING}/verifications/{task_id}/answer", data=body).status_code == 404
        assert client.get(f"{SENSING}/verifications/mine").json()["tasks"] == []
    assert api.as_("town2").post(f"{SENSING}/verifications/{task_id}/answer", data=body).status_code == 404
    for who in ("xiabei", "leader", "inspector"):
        client = api.as_(who)
        assert client.get(f"{SENSING}/verifications/mine").status_code == 403
        junk = client.post(
            f"{SENSING}/verifications/{task_id}/answer",
            content=b"--junk",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert junk.status_code == 403
    assert api.anonymous().get(f"{SENSING}/verifications/mine").status_code == 401
    bad = api.as_("gc_grid").post(
        f"{SENSING}/verifications/{task_id}/answer", data={"answer": "maybe", "submission_id": "bad-sub-0001"}
    )
    assert bad.status_code == 422 and "confirmed" in bad.json()["message"]
    exe = api.as_("gc_grid").post(
        f"{SENSING}/verifications/{task_id}/answer",
        data={"answer": "confirmed", "submission_id": "bad-sub-0002"},
        files=[("photos", ("x.jpg", b"<html><script>alert(1)</script>", "image/jpeg"))],
    )
    assert exe.status_code == 422
    big = api.as_("gc_grid").post(
        f"{SENSING}/verifications/{task_id}/answer",
        data={"answer": "confirmed", "submission_id": "big-sub-0001"},
        files=[("photos", ("big.jpg", JPEG + b"\x00" * (17 * 1024 * 1024), "image/jpeg"))],
    )
    assert big.status_code == 413
    assert orders(api) == 0
    assert api.as_("gc_grid").get(f"{SENSING}/verifications/mine").json()["tasks"][0]["status"] == "pending"


def test_the_evidence_image_is_served_inline_to_those_who_may_see_the_event_and_404_to_the_others(
    api: Api, world: SensingWorld
) -> None:
    event_id, _ = raised(world)
    [evidence] = evidence_ids(world, event_id)
    url = f"{SENSING}/evidence/{evidence}"
    for who in ("gc_grid", "xiabei", "town", "district", "leader"):  # its grid, village, town, district
        shown = api.as_(who).get(url)
        assert shown.status_code == 200, who
        assert shown.content == JPEG and shown.headers["content-type"] == "image/jpeg"
        assert shown.headers["content-disposition"].startswith("inline")
        assert shown.headers["x-content-type-options"] == "nosniff"
    for who in ("pn_grid", "gc_grid2", "yanbu", "town2", "zjj"):
        assert api.as_(who).get(url).status_code == 404, who
    assert api.as_("gc_grid").get(f"{SENSING}/evidence/99999").status_code == 404
    assert api.anonymous().get(url).status_code == 401


def test_a_late_task_is_on_the_village_dispatchers_list_who_reassigns_it(
    api: Api, world: SensingWorld
) -> None:
    _, task_id = raised(world)
    dispatcher = api.as_("xb_dispatch")
    assert dispatcher.get(f"{SENSING}/verifications").json() == {"tasks": []}
    assert [
        t["id"] for t in dispatcher.get(f"{SENSING}/verifications", params={"all": "true"}).json()["tasks"]
    ] == [task_id]
    assert world.verification(datetime.now(UTC) + timedelta(minutes=31)).escalate_due(TEST_SYSTEM) == 1
    [late] = dispatcher.get(f"{SENSING}/verifications").json()["tasks"]
    assert (late["id"], late["escalated_to"]["name"]) == (task_id, "夏北社区") and late["escalated_at"]
    assert api.as_("town2").get(f"{SENSING}/verifications").json() == {"tasks": []}
    assert api.as_("gc_grid").get(f"{SENSING}/verifications").status_code == 403
    url = f"{SENSING}/verifications/{task_id}/reassign"
    assert api.as_("town2").post(url, json={"worker_id": world.neighbour.user_id}).status_code == 404
    assert dispatcher.post(url, json={"worker_id": world.other.user_id}).status_code == 422
    moved = dispatcher.post(url, json={"worker_id": world.neighbour.user_id})
    assert moved.status_code == 200, moved.text
    assert moved.json()["worker"]["id"] == world.neighbour.user_id and moved.json()["overdue"] is False
    assert [t["id"] for t in api.as_("gc_grid2").get(f"{SENSING}/verifications/mine").json()["tasks"]] == [
        task_id
    ]


def test_evidence_that_is_not_an_image_is_never_served_as_markup(api: Api, world: SensingWorld) -> None:
    hostile = b"<html><script>alert(1)</script></html>"
    event = world.raise_event(add_event(world, add_device(world), images=(("<script>.jpg", hostile),)))
    [evidence] = evidence_ids(world, event.id)
    shown = api.as_("gc_grid").get(f"{SENSING}/evidence/{evidence}")
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "application/octet-stream"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in shown.headers["content-disposition"]
