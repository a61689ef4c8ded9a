"""Hot issues (热点问题) over HTTP and in the console: the ranking and one issue's orders for their
readers, the actions for dispatchers only (a hostile note shown as text), another town's issue
not there."""

from __future__ import annotations

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401 (the fixture)
from tests.e2e.harness import API, Api, register
from zhiyun.domain.principals import SCHEDULED_JOBS
from zhiyun.hotspots.tracker import HotIssueTracker

PLANT = [
    (
        "丽园小区旁搅拌站夜间施工噪音扰民",
        "丽园小区东侧的混凝土搅拌站每天夜里还在作业，噪音很大。",
        "13800000001",
    ),
    ("投诉丽园小区附近搅拌站噪音", "丽园小区旁边搅拌站半夜运转，罐车噪音扰民。", "13800000002"),
    ("丽园小区搅拌站深夜噪音问题", "我住丽园小区，隔壁搅拌站晚上一直施工，噪音严重。", "13800000003"),
]


def seed(api: Api) -> int:
    town = api.as_("town")
    for title, content, phone in PLANT:
        register(town, title=title, content=content, citizen_phone=phone, channel="12345")
    api.services.get(HotIssueTracker).refresh(SCHEDULED_JOBS)
    (issue,) = api.as_("leader").get(f"{API}/hotspots").json()
    return int(issue["id"])


def test_readers_get_the_ranking_and_the_orders_and_others_do_not(console: Api) -> None:
    issue_id = seed(console)
    ranking = console.as_("town").get(f"{API}/hotspots").json()
    assert ranking[0]["rank"] == 1 and ranking[0]["size"] == 3 and "丽园" in ranking[0]["title"]
    detail = console.as_("leader").get(f"{API}/hotspots/{issue_id}").json()
    assert len(detail["orders"]) == 3 and detail["hidden_orders"] == 0
    assert console.as_("town2").get(f"{API}/hotspots").json() == []
    assert console.as_("town2").get(f"{API}/hotspots/{issue_id}").status_code == 404
    assert console.as_("xiabei").get(f"{API}/hotspots").status_code == 403
    assert console.as_("leader").get(f"{API}/hotspots/99999").status_code == 404
    assert console.anonymous().get(f"{API}/hotspots").status_code == 401


def test_a_dispatcher_makes_a_proactive_order_once_and_a_leader_may_not(console: Api) -> None:
    issue_id = seed(console)
    assert (
        console.as_("leader").post(f"{API}/hotspots/{issue_id}/proactive-order", json={}).status_code == 403
    )
    assert console.as_("town2").post(f"{API}/hotspots/{issue_id}/proactive-order", json={}).status_code == 404
    too_long = console.as_("town").post(
        f"{API}/hotspots/{issue_id}/proactive-order", json={"note": "长" * 501}
    )
    assert too_long.status_code == 422
    made = console.as_("town").post(f"{API}/hotspots/{issue_id}/proactive-order", json={"note": "组织夜查"})
    assert made.status_code == 201, made.text
    assert made.json()["issue"]["status"] == "ordered" and made.json()["order_number"]
    again = console.as_("town").post(f"{API}/hotspots/{issue_id}/merge", json={})
    assert again.status_code == 409 and "已经处置" in again.json()["message"]


def test_the_console_shows_the_ranking_and_an_issue_with_its_actions(console: Api) -> None:
    issue_id = seed(console)
    client = page_login(console, "town")
    page = client.get("/hotspots")
    assert page.status_code == 200 and f'data-issue="{issue_id}"' in page.text
    detail = client.get(f"/hotspots/{issue_id}")
    assert "合并为一件督办工单" in detail.text
    hostile = '<img src=x onerror="alert(1)">组织夜查'
    done = post_form(client, f"/hotspots/{issue_id}", {"op": "proactive", "note": hostile})
    assert done.status_code == 200 and "已生成未诉先办工单" in done.text
    assert hostile not in done.text and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;组织夜查" in done.text
    assert "合并为一件督办工单" not in done.text  # done once
    leader = page_login(console, "leader")
    assert "合并为一件督办工单" not in leader.get(f"/hotspots/{issue_id}").text
    assert page_login(console, "xiabei").get("/hotspots").status_code == 403
    assert page_login(console, "town2").get(f"/hotspots/{issue_id}").status_code == 404
