"""The rate definition (统计口径) over HTTP: an admin makes a version, every reader sees it named
on the dashboard, nobody else may change it, and bad input changes nothing."""

from __future__ import annotations

from tests.e2e.harness import API, Api, act, order_at_village, register

URL = f"{API}/stats/rate-definitions"
STRICTER = {
    "exclusions": ["invalid", "repeat", "not_duty"],
    "not_duty_categories": ["ZX"],
    "basic_counts_satisfied": False,
    "note": "依据考核办法第 3 条",
}


def test_an_admin_makes_a_version_and_the_dashboard_names_it_with_what_it_left_out(api: Api) -> None:
    order_at_village(api)
    cancelled = register(api.as_("district"))
    act(api.as_("district"), cancelled["id"], "cancel", note="无效来电", reason="invalid")

    made = api.as_("admin").post(URL, json=STRICTER)

    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2 and "非政府职责事项（ZX 类）" in made.json()["description"]
    board = api.as_("leader").get(f"{API}/stats/dashboard").json()
    assert board["rate_definition"]["version"] == 2 and board["rate_definition"]["note"] == STRICTER["note"]
    assert board["rates"]["overall"]["counts"]["excluded"] == 1  # the cancelled order
    assert board["definitions"]["rate_definition"].startswith("统计口径第 2 版")
    history = api.as_("town").get(URL).json()
    assert [v["version"] for v in history] == [2, 1]
    assert history[0]["changes"] == ["排除非政府职责事项", "非政府职责类别增加 ZX", "基本满意不再计为满意"]


def test_only_an_admin_changes_the_definition_and_handlers_do_not_read_it(api: Api) -> None:
    for who in ("leader", "district", "town"):
        refused = api.as_(who).post(URL, json=STRICTER)
        assert refused.status_code == 403, who
    assert api.as_("xiabei").get(URL).status_code == 403
    assert api.anonymous().post(URL, json=STRICTER).status_code == 401
    assert [v["version"] for v in api.as_("leader").get(URL).json()] == [1]


def test_a_bad_or_empty_change_is_refused_with_its_reason_and_keeps_the_version(api: Api) -> None:
    no_note = api.as_("admin").post(URL, json={**STRICTER, "note": " "})
    unknown = api.as_("admin").post(URL, json={**STRICTER, "exclusions": ["everything"]})
    wildcard = api.as_("admin").post(URL, json={**STRICTER, "not_duty_categories": ["Z%"]})
    same = api.as_("admin").post(URL, json={"exclusions": ["invalid", "repeat"], "note": "再存一次"})
    extra = api.as_("admin").post(URL, json={**STRICTER, "version": 9})
    assert [r.status_code for r in (no_note, unknown, wildcard, same, extra)] == [422] * 5
    assert "理由" in no_note.json()["message"] and "未知的排除项" in unknown.json()["message"]
    assert "相同" in same.json()["message"]
    assert [v["version"] for v in api.as_("admin").get(URL).json()] == [1]
