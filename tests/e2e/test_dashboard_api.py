"""GET /api/v1/stats/dashboard over HTTP: figures, scoping by role and unit, bad input."""

from __future__ import annotations

from tests.e2e.harness import API, Api, act, order_at_village, register


def dashboard(api: Api, username: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = api.as_(username).get(f"{API}/stats/dashboard", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_leader_sees_the_district_with_every_section_and_the_definitions(api: Api) -> None:
    order_at_village(api)
    register(api.as_("district"), channel="12345")

    board = dashboard(api, "leader")

    assert board["scope"]["name"] == "南海区"
    assert board["totals"]["today"] == 2 and board["totals"]["open"] == 2
    assert {u["name"] for u in board["rates"]["units"]} >= {"桂城街道", "大沥镇", "区住建局"}
    gc = next(u for u in board["rates"]["units"] if u["name"] == "桂城街道")
    assert gc["counts"]["response_due"] == 1 and gc["response_rate"] == 1.0 and gc["open"] == 1
    assert len(board["trend"]) == 30 and board["trend"][-1]["new"] == 2
    assert board["windows"]["timezone"] == "Asia/Shanghai"
    for rate in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate"):
        assert board["definitions"][rate].startswith(("响应率", "解决率", "满意率", "按时办结率"))


def test_a_town_dispatcher_sees_the_town_and_its_villages_only(api: Api) -> None:
    order_at_village(api)  # 桂城 / 夏北
    other = register(api.as_("district"))
    act(api.as_("district"), other["id"], "dispatch", target_unit_code="DL")

    town = dashboard(api, "town")
    district = dashboard(api, "district")
    other_town = dashboard(api, "town2")

    assert town["scope"]["name"] == "桂城街道" and town["totals"]["today"] == 1
    assert {u["name"] for u in town["rates"]["units"]} >= {"夏北社区", "平南社区"}
    assert district["totals"]["today"] == 2
    assert other_town["scope"]["name"] == "大沥镇" and other_town["totals"]["today"] == 1


def test_handlers_and_anonymous_callers_get_no_dashboard(api: Api) -> None:
    response = api.as_("xiabei").get(f"{API}/stats/dashboard")
    assert response.status_code == 403
    assert "统计大屏" in response.json()["message"]
    assert api.anonymous().get(f"{API}/stats/dashboard").status_code == 401


def test_a_period_out_of_range_is_refused_in_chinese(api: Api) -> None:
    response = api.as_("leader").get(f"{API}/stats/dashboard", params={"days": 0})
    assert response.status_code == 422
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"])
    assert dashboard(api, "leader", days=7)["windows"]["rate_days"] == 7
