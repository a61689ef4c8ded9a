"""Finding 15 and the review's informational list: small limits that were missing.

- `q=%` and `q=_` matched every order: LIKE's wildcards were not escaped.
- `GET /responsibility-rules/history?limit=` had no upper bound.
- `PUT /calendar/overrides/0` was read as 1970-01-01 (pydantic reads a number as a Unix
  timestamp), and extreme dates (`0001-01-01`, `9999-12-31T23:59:59-23:59`) could overflow.

Through the HTTP API on SQLite and PostgreSQL, plus the pure checks of zhiyun.api.params.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.console_harness import page_login
from tests.e2e.harness import API, Api, register
from tests.support import ONLY_SQLITE
from zhiyun.api.params import instant_param, parse_day, parse_instant
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed

# title → what it contains of LIKE's special characters (% _ and the escape characters / and \)
TITLES = {
    "路灯不亮": "",
    "电费涨了50%": "%",
    "账号user_name无法登录": "_",
    "网址a/b打不开": "/",
    "路径C:\\temp无法访问": "\\",
}


def assert_validation_error(response: Any, field: str) -> str:
    """A 422 in the API's error shape that names `field`; its message for that field."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_failed" and field in body["fields"], body
    return str(body["fields"][field])


# --------------------------------------------------------------------------- LIKE wildcards


@pytest.fixture
def titled(api: Api) -> dict[str, str]:
    """One order per title of TITLES (registered at the district): title → number."""
    district = api.as_("district")
    return {title: register(district, title=title, content=title)["number"] for title in TITLES}


@pytest.mark.parametrize("q", ["%", "_", "/", "\\", "50%", "user_name", "%%", "_%_"])
def test_the_order_list_search_takes_like_wildcards_literally(
    api: Api, titled: dict[str, str], q: str
) -> None:
    response = api.as_("district").get(f"{API}/orders", params={"q": q, "limit": 500})

    assert response.status_code == 200, response.text
    found = {item["number"] for item in response.json()["items"]}
    # the search is by words (punctuation is no word): it may find nothing for a lone wildcard,
    # but never an order without the character, and never everything
    assert found <= {number for title, number in titled.items() if q in title}


@pytest.mark.parametrize("q", ["%", "_", "\\", "'", "\\\\"])
def test_the_console_search_takes_like_wildcards_literally(console: Api, services: Any, q: str) -> None:
    district = console.as_("district")
    titled = {title: register(district, title=title, content=title)["number"] for title in TITLES}
    client = page_login(console, "district")

    page = client.get("/workbench", params={"queue": "all", "q": q})

    assert page.status_code == 200, page.text
    shown = set(re.findall(r'data-order="([^"]+)"', page.text))
    containing = {number for title, number in titled.items() if q in title}
    # both databases search segmented words, in which punctuation is no word: never an order
    # without the character
    assert shown <= containing


# --------------------------------------------------------------------------- limits


@ONLY_SQLITE
def test_the_responsibility_history_limit_is_bounded(api: Api) -> None:
    admin = api.as_("admin")
    url = f"{API}/responsibility-rules/history"

    assert admin.get(url, params={"limit": 500}).status_code == 200
    assert admin.get(url, params={"limit": 1}).status_code == 200
    for limit in ("501", "0", "-1", "100000000000000000000000", "abc"):
        assert_validation_error(admin.get(url, params={"limit": limit}), "limit")
    assert_validation_error(admin.get(url, params={"rule_id": str(2**63)}), "rule_id")
    assert_validation_error(admin.get(f"{API}/responsibility-rules/{2**63}"), "rule_id")


@ONLY_SQLITE
def test_the_other_counts_and_spans_of_the_api_are_bounded(api: Api) -> None:
    district = api.as_("district")

    for url, params, field in [
        (f"{API}/orders", {"limit": 501}, "limit"),
        (f"{API}/notices", {"limit": 501}, "limit"),
        (f"{API}/stats/dashboard", {"days": 10**6}, "days"),
        (f"{API}/calendar/add-workdays", {"date": "2026-12-01", "n": 10**6}, "n"),
    ]:
        assert_validation_error(district.get(url, params=params), field)


# --------------------------------------------------------------------------- dates


@ONLY_SQLITE
@pytest.mark.parametrize(
    "day",
    [
        "0",
        "1700000000",
        "1.5",
        "2026-1-5",
        "20261005",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31",
        "1999-12-31",
        "2101-01-01",
        "2026-10-05T00:00:00",
    ],
)
def test_a_calendar_override_needs_a_real_day_between_2000_and_2100(api: Api, day: str) -> None:
    admin = api.as_("admin")

    message = assert_validation_error(
        admin.put(f"{API}/calendar/overrides/{day}", json={"kind": "holiday"}), "day"
    )

    assert "日期" in message or "之间" in message or "不存在" in message
    listed = admin.get(f"{API}/calendar/overrides").json()
    assert not [o for o in listed if o["date"] == "1970-01-01"]


def test_a_calendar_override_on_a_real_day_still_works(api: Api) -> None:
    admin = api.as_("admin")

    changed = admin.put(f"{API}/calendar/overrides/2026-10-10", json={"kind": "workday", "note": "调休"})
    lowest = admin.put(f"{API}/calendar/overrides/2000-01-01", json={"kind": "default"})
    highest = admin.put(f"{API}/calendar/overrides/2100-12-31", json={"kind": "default"})

    assert changed.status_code == 200 and changed.json()["date"] == "2026-10-10", changed.text
    assert lowest.status_code == 200 and highest.status_code == 200


@ONLY_SQLITE
def test_a_non_admin_is_refused_before_the_day_is_even_read(api: Api) -> None:
    response = api.as_("district").put(f"{API}/calendar/overrides/0", json={"kind": "holiday"})
    assert response.status_code == 403


@ONLY_SQLITE
@pytest.mark.parametrize(
    "value", ["0", "1700000000", "0001-01-01", "9999-12-31", "9999-12-31T23:59:59-23:59"]
)
def test_the_returns_by_unit_since_and_add_workdays_date_must_be_real_days(api: Api, value: str) -> None:
    leader = api.as_("leader")

    assert_validation_error(leader.get(f"{API}/stats/returns-by-unit", params={"since": value}), "since")
    assert_validation_error(
        leader.get(f"{API}/calendar/add-workdays", params={"date": value, "n": 1}), "date"
    )
    assert leader.get(f"{API}/stats/returns-by-unit", params={"since": "2026-01-01"}).status_code == 200


@ONLY_SQLITE
@pytest.mark.parametrize("year", ["0", "1999", "2101", "100000000000000000000000"])
def test_confirming_a_calendar_year_needs_a_year_between_2000_and_2100(api: Api, year: str) -> None:
    assert_validation_error(api.as_("admin").post(f"{API}/calendar/years/{year}/confirm"), "year")


@ONLY_SQLITE
@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_extreme_open311_dates_answer_400_in_the_specs_shape_not_500(api: Api, value: str) -> None:
    client: TestClient = api.anonymous()

    response = client.get("/open311/v2/requests.json", params={"start_date": value})

    assert response.status_code == 400, response.text
    assert response.json()[0]["code"] == 400


# --------------------------------------------------------------------------- zhiyun.api.params


def test_parse_day_takes_only_yyyy_mm_dd_in_range() -> None:
    assert parse_day("2026-12-01") == date(2026, 12, 1)
    assert parse_day(" 2026-12-01 ") == date(2026, 12, 1)
    assert parse_day(date(2000, 1, 1)) == date(2000, 1, 1)
    for bad in (
        "0",
        0,
        1700000000,
        "2026-12-1",
        "2026/12/01",
        "2026-12-01T00:00",
        datetime(2026, 12, 1),
        None,
    ):
        with pytest.raises(ValueError):
            parse_day(bad)
    with pytest.raises(ValueError, match="2000-01-01 至 2100-12-31"):
        parse_day("1999-12-31")
    with pytest.raises(ValueError, match="2026-01-01 至 2026-12-31"):
        parse_day("2027-01-01", earliest=date(2026, 1, 1), latest=date(2026, 12, 31))


def test_parse_instant_reads_days_and_iso_times_as_aware_instants_in_range() -> None:
    assert parse_instant("2026-12-01") == datetime(2026, 12, 1, tzinfo=LOCAL_TZ)
    assert parse_instant("2026-12-01", end_of_day=True) == datetime(2026, 12, 2, tzinfo=LOCAL_TZ)
    assert parse_instant("2026-12-01T08:00:00") == datetime(2026, 12, 1, 8, tzinfo=LOCAL_TZ)
    assert parse_instant("2026-12-01 08:00") == datetime(2026, 12, 1, 8, tzinfo=LOCAL_TZ)
    assert parse_instant("2026-12-01T00:00:00Z") == datetime(2026, 12, 1, tzinfo=UTC)
    minus_five = parse_instant("2026-12-01T08:00:00.5-05:00")
    assert minus_five.utcoffset() == timedelta(hours=-5) and minus_five.microsecond == 500000
    for bad in (
        "0",
        "1700000000",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01",
        "2026-12-01T08:00:00+19:00",
        "2026-12-01T25:00:00",
        "tomorrow",
        0,
    ):
        with pytest.raises(ValueError):
            parse_instant(bad)
    aware = datetime(2026, 12, 1, tzinfo=timezone(timedelta(hours=8)))
    assert parse_instant(aware) is aware


def test_instant_param_names_the_field_and_lets_an_absent_value_pass() -> None:
    assert instant_param(None, "registered_from") is None
    assert instant_param("  ", "registered_from") is None
    with pytest.raises(ValidationFailed) as raised:
        instant_param("9999-12-31T23:59:59-23:59", "registered_from")
    assert raised.value.details["field"] == "registered_from"
    assert raised.value.message.startswith("registered_from 须在 2000-01-01 至 2100-12-31 之间")
