"""Merged patrols over the REST API, as the grid worker's phone uses it: the day's tasks with
their merged checklists, a visit posted as multipart with its photos (201; a retry 200 with the
same receipt and no second visit), problems answered 422 with nothing stored, another grid's
worker answered 404, and only grid workers let in — before the body is read."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import API, Api
from tests.patrol_support import JPEG, clear_answers, seed_patrol_world
from tests.support import TEST_SYSTEM
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.grid_items import Period
from zhiyun.grid.items_service import GridItemService
from zhiyun.grid.patrol_service import PatrolService
from zhiyun.grid.patrol_tables import PatrolVisitRow

PATROL = f"{API}/grid/patrol"


@pytest.fixture
def month_end(api: Api, tmp_path: Path) -> str:
    """The world planned for this month; the month's last day (the day whose list holds every
    task of the month)."""
    world = seed_patrol_world(api.services, tmp_path, district_built=True)
    api.district.actors["gc_grid"] = world.worker
    api.district.actors["pn_grid"] = world.other
    today = datetime.now(LOCAL_TZ).date()
    month = Period.month(today.year, today.month)
    api.services.get(PatrolService).plan(TEST_SYSTEM, month)
    return (month.end - timedelta(days=1)).isoformat()


def visit_body(
    api: Api, task: dict[str, Any], sid: str
) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    items = api.services.get(GridItemService)
    answers = {
        i["code"]: {
            "version": i["version"],
            "answers": clear_answers(items.get(i["code"], i["version"]).item, "cam-1"),
        }
        for i in task["items"]
    }
    visit = {
        "submission_id": sid,
        "task_id": task["id"],
        "visited_at": datetime.now(LOCAL_TZ).isoformat(),
        "lat": 23.0152,
        "lon": 113.1052,
        "accuracy_m": 12,
        "object_seen_at": task["object"]["updated_at"],
        "answers": answers,
    }
    named = json.dumps(visit)
    files = [("photos", ("cam-1.jpg", JPEG, "image/jpeg"))] if "cam-1" in named else []
    return {"visit": named}, files


def test_the_phone_gets_its_merged_visits_and_a_visit_syncs_exactly_once(api: Api, month_end: str) -> None:
    phone = api.as_("gc_grid")
    day = phone.get(f"{PATROL}/today", params={"day": month_end})
    assert day.status_code == 200, day.text
    tasks = day.json()["tasks"]
    eatery = next(t for t in tasks if t["object"]["name"] == "陈记粉面店")
    assert {i["code"] for i in eatery["items"]} >= {"XF-001", "RQ-001"}
    assert all(t["object"]["grid_code"].startswith("440605001001") for t in tasks)
    question = eatery["items"][0]["questions"][0]
    assert {"id", "text", "type", "required", "photo", "options", "hazards"} <= set(question)

    sid = str(uuid.uuid4())
    data, files = visit_body(api, eatery, sid)
    first = phone.post(f"{PATROL}/visits", data=data, files=files or None)
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["created"] is True and receipt["task"]["status"] in ("done_on_time", "done_late")
    assert receipt["unsatisfied"] == [] and receipt["conflict"] is None
    again = phone.post(f"{PATROL}/visits", data=data, files=files or None)
    assert again.status_code == 200 and again.json() == {**receipt, "created": False}
    assert phone.get(f"{PATROL}/visits/{sid}").json()["visit_id"] == receipt["visit_id"]
    with api.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolVisitRow)) == 1


def test_a_wrong_visit_is_refused_with_its_problems_and_another_grids_worker_gets_404(
    api: Api, month_end: str
) -> None:
    phone = api.as_("gc_grid")
    eatery = next(
        t
        for t in phone.get(f"{PATROL}/today", params={"day": month_end}).json()["tasks"]
        if t["object"]["name"] == "陈记粉面店"
    )
    data, files = visit_body(api, eatery, "bad-visit-0001")
    broken = json.loads(data["visit"])
    first_item = next(iter(broken["answers"]))
    for answer in broken["answers"][first_item]["answers"].values():
        answer["value"] = "不知道"
    refused = phone.post(f"{PATROL}/visits", data={"visit": json.dumps(broken)}, files=files or None)
    assert refused.status_code == 422 and "检查结果有误" in refused.json()["message"]
    assert phone.post(f"{PATROL}/visits", data={"visit": "{not json"}).status_code == 422
    assert (
        phone.post(f"{PATROL}/visits", data={"visit": json.dumps({"submission_id": "x"})}).status_code == 422
    )
    theirs = api.as_("pn_grid").post(f"{PATROL}/visits", data=data, files=files or None)
    assert theirs.status_code == 404
    assert api.as_("pn_grid").get(f"{PATROL}/visits/bad-visit-0001").status_code == 404
    with api.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolVisitRow)) == 0


def test_only_grid_workers_patrol_and_the_body_is_not_read_before(api: Api, month_end: str) -> None:
    for who in ("admin", "xiabei", "district"):
        client = api.as_(who)
        assert client.get(f"{PATROL}/today").status_code == 403
        assert (
            client.post(
                f"{PATROL}/visits",
                content=b"--junk",
                headers={"Content-Type": "multipart/form-data; boundary=x"},
            ).status_code
            == 403
        )
    assert api.anonymous().get(f"{PATROL}/today").status_code == 401


def test_a_visit_sent_with_the_session_cookie_must_repeat_the_csrf_token(api: Api, month_end: str) -> None:
    phone = api.login("gc_grid")
    eatery = next(
        t
        for t in phone.get(f"{PATROL}/today", params={"day": month_end}).json()["tasks"]
        if t["object"]["name"] == "陈记粉面店"
    )
    data, files = visit_body(api, eatery, str(uuid.uuid4()))
    forged = phone.post(f"{PATROL}/visits", data=data, files=files or None)
    assert forged.status_code == 403 and "CSRF" in forged.json()["message"]
    phone.cookies.set("zhiyun_csrf", "token-of-this-page")
    wrong = phone.post(
        f"{PATROL}/visits", data=data, files=files or None, headers={"X-CSRF-Token": "another"}
    )
    assert wrong.status_code == 403
    sent = phone.post(
        f"{PATROL}/visits", data=data, files=files or None, headers={"X-CSRF-Token": "token-of-this-page"}
    )
    assert sent.status_code == 201, sent.text
