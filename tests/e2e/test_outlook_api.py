"""Early warning (预警) over HTTP: /api/v1/outlook, on SQLite and PostgreSQL. A town's center
lists and handles its own town's warnings; another town's center gets 404 for them (it may not
know they exist) and a handler 403; a dismissal needs a reason (422)."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import API, Api
from tests.outlook_support import seed_history
from tests.support import TEST_SYSTEM
from zhiyun.outlook.service import OutlookService

URL = f"{API}/outlook"


def _warning(api: Api) -> dict[str, Any]:
    seed_history(api.services, api.district)
    api.services.get(OutlookService).detect(TEST_SYSTEM)
    listed = api.as_("town").get(f"{URL}/warnings")
    assert listed.status_code == 200, listed.text
    day = [w for w in listed.json()["warnings"] if w["window"] == "day"]
    assert len(day) == 1
    return dict(day[0])


def test_a_town_center_turns_its_warning_into_a_proactive_order(api: Api) -> None:
    warning = _warning(api)
    assert warning["town"] == "桂城街道" and warning["category"] == "噪音扰民"
    assert warning["actions"] == ["acknowledge", "order", "dismiss"]
    town = api.as_("town")
    seen = town.post(f"{URL}/warnings/{warning['id']}/acknowledge")
    assert seen.status_code == 200, seen.text
    assert seen.json()["status"] == "acknowledged"
    ordered = town.post(f"{URL}/warnings/{warning['id']}/order")
    assert ordered.status_code == 200, ordered.text
    body = ordered.json()
    assert body["status"] == "ordered" and body["order_number"]
    order = town.get(f"{API}/orders/{body['order_number']}")
    assert order.status_code == 200, order.text
    assert [s["action"] for s in body["steps"]] == ["raise", "acknowledge", "order"]
    again = town.post(f"{URL}/warnings/{warning['id']}/order")
    assert again.status_code == 409


def test_another_towns_center_gets_404_for_the_warning_and_lists_none(api: Api) -> None:
    warning = _warning(api)
    other = api.as_("town2")
    assert other.get(f"{URL}/warnings").json()["warnings"] == []
    for path in ("", "/acknowledge", "/order"):
        method = other.get if not path else other.post
        response = method(f"{URL}/warnings/{warning['id']}{path}")
        assert response.status_code == 404, (path, response.text)
    dismissed = other.post(f"{URL}/warnings/{warning['id']}/dismiss", json={"reason": "不是我们的"})
    assert dismissed.status_code == 404
    assert api.as_("district").get(f"{URL}/warnings/{warning['id']}").json()["status"] == "raised"


def test_a_handler_is_refused_and_a_dismissal_needs_a_reason(api: Api) -> None:
    warning = _warning(api)
    assert api.as_("xiabei").get(f"{URL}/warnings").status_code == 403
    leader = api.as_("leader")
    assert leader.post(f"{URL}/warnings/{warning['id']}/dismiss", json={"reason": ""}).status_code == 422
    assert leader.post(f"{URL}/warnings/{warning['id']}/order").status_code == 403
    gone = leader.post(f"{URL}/warnings/{warning['id']}/dismiss", json={"reason": "演唱会散场，临时现象"})
    assert gone.status_code == 200, gone.text
    assert gone.json()["dismiss_reason"] == "演唱会散场，临时现象"


def test_forecasts_and_seasons_are_read_for_the_callers_towns(api: Api) -> None:
    seed_history(api.services, api.district)
    town = api.as_("town").get(f"{URL}/forecasts")
    assert town.status_code == 200, town.text
    rows = town.json()["forecasts"]
    assert {r["town"] for r in rows} == {"桂城街道"}
    assert all(w["low"] >= 0 and w["mean"] >= 0 for r in rows for w in r["weeks"])
    district = api.as_("district").get(f"{URL}/forecasts").json()["forecasts"]
    assert {r["town"] for r in district} == {"桂城街道", "大沥镇"}
    other = api.as_("town").get(f"{URL}/forecasts", params={"town_unit_id": api.unit("DL")})
    assert other.status_code == 404
    assert api.as_("town").get(f"{URL}/seasons").json() == {"seasons": []}  # four months: no season yet
