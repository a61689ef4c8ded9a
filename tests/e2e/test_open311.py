"""Open311 GeoReport v2 at /open311/v2, checked against the spec (wiki.open311.org/GeoReport_v2).

Each response is parsed the way clients parse it: XML with the standard library's
ElementTree (the element names and nesting of the spec's examples), JSON as the Spark
convention maps that XML. A GeoReport v2 client lists the services, posts a request as
application/x-www-form-urlencoded with attribute[code]=value, and reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.e2e.harness import Api
from tests.support import TEST_ADMIN
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.workorder import Cancel, CancelReason, Dispatch, Merge
from zhiyun.open311 import public as public_requests
from zhiyun.open311.catalog import SERVICES
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import WorkOrderRow

V2 = "/open311/v2"
W3C_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def client(api: Api) -> TestClient:
    """A client without credentials (Open311 reads are public)."""
    return api.anonymous()


@pytest.fixture
def api_key(api: Api) -> str:
    return api.services.channels.issue_key(TEST_ADMIN, "open311").key


def xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml"), response.headers["content-type"]
    assert "charset=utf-8" in response.headers["content-type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def jsn(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def spec_errors(response: httpx.Response, status: int) -> list[str]:
    """The descriptions of a spec-format error response (JSON or XML), after checking its shape."""
    assert response.status_code == status, response.text
    if response.headers["content-type"].startswith("text/xml"):
        root = xml(response)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert errors and all([c.tag for c in e] == ["code", "description"] for e in errors)
        return [e.findtext("description") or "" for e in errors]
    body = jsn(response)
    assert isinstance(body, list) and body
    assert all(set(e) == {"code", "description"} and isinstance(e["code"], int) for e in body)
    return [e["description"] for e in body]


def orders_stored(api: Api) -> int:
    with api.services.db.reading() as session:
        return session.scalar(select(func.count()).select_from(WorkOrderRow)) or 0


def register(api: Api, **fields: Any) -> str:
    """An order registered by the district dispatcher (any channel); its number."""
    new = NewOrder(**{"title": "夏北路积水", "content": "夏北路下雨后积水严重，车辆无法通行。", **fields})
    return api.services.orders.register(api.district.actors["district"], new).order.summary.number


@pytest.fixture
def at(api: Api) -> Iterator[Any]:
    """Register orders as if at another time: `with at(datetime): register(...)`."""
    original = api.services.orders.clock

    class _At:
        def __init__(self, when: datetime) -> None:
            self.when = when

        def __enter__(self) -> None:
            api.services.orders.clock = lambda: self.when

        def __exit__(self, *exc: object) -> None:
            api.services.orders.clock = original

    yield _At
    api.services.orders.clock = original


STREET_LIGHT_FORM = {
    "jurisdiction_id": "nanhai.gov.cn",
    "service_code": "street_light",
    "lat": "23.0412",
    "long": "113.1450",
    "address_string": "桂城街道夏北路3号",
    "email": "chen@example.com",
    "device_id": "ios-7f3a",
    "account_id": "fms-123456",
    "first_name": "小明",
    "last_name": "陈",
    "phone": "13812345678",
    "description": "夏北路3号附近路灯连续一周不亮，晚上行人很不安全。",
    "media_url": "https://img.example.com/light.jpg",
    "attribute[fault]": "not_lit",
    "attribute[pole_number]": "GC-XB-0123",
}


def post(client: TestClient, fmt: str, form: Any, **kwargs: Any) -> httpx.Response:
    return client.post(f"{V2}/requests.{fmt}", data=form, **kwargs)


# --------------------------------------------------------------------------- discovery and services


def test_discovery_names_the_georeport_v2_endpoint_and_its_formats(client: TestClient) -> None:
    root = xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert "zhiyun channel key open311" in (root.findtext("key_service") or "")

    body = jsn(client.get(f"{V2}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["endpoints"][0]["url"].endswith("/open311/v2")


def test_service_list_has_the_spec_elements_in_xml_and_json(client: TestClient) -> None:
    root = xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == len(SERVICES) >= 12
    for node in services:
        assert [c.tag for c in node] == [
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group",
        ]
        assert node.findtext("metadata") in ("true", "false")
        assert node.findtext("type") in ("realtime", "batch", "blackbox")
    light = next(s for s in services if s.findtext("service_code") == "street_light")
    assert light.findtext("service_name") == "路灯故障"
    assert light.findtext("metadata") == "true"
    assert "路灯" in (light.findtext("keywords") or "").split(",")

    body = jsn(client.get(f"{V2}/services.json"))
    assert isinstance(body, list) and len(body) == len(SERVICES)
    manhole = next(s for s in body if s["service_code"] == "manhole_cover")
    assert manhole["metadata"] is False and manhole["type"] == "realtime"
    assert {s["type"] for s in body} == {"realtime", "batch"}


def test_service_definition_lists_attributes_with_values(client: TestClient) -> None:
    root = xml(client.get(f"{V2}/services/street_vending.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "street_vending"
    attributes = root.findall("attributes/attribute")
    assert [a.findtext("code") for a in attributes] == ["kind", "time_of_day", "safety_note"]
    kind = attributes[0]
    assert [c.tag for c in kind] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert (kind.findtext("datatype"), kind.findtext("required"), kind.findtext("order")) == (
        "singlevaluelist",
        "true",
        "1",
    )
    assert next((v.findtext("key"), v.findtext("name")) for v in kind.findall("values/value")) == (
        "mobile_vendor",
        "流动摊贩",
    )
    assert attributes[1].findtext("datatype") == "multivaluelist"
    assert attributes[2].findtext("variable") == "false"  # a note shown to the user, not a field
    assert [a.findtext("order") for a in attributes] == ["1", "2", "3"]

    body = jsn(client.get(f"{V2}/services/street_light.json"))
    assert body["service_code"] == "street_light"
    fault, pole = body["attributes"]
    assert fault["required"] is True and fault["variable"] is True
    assert {v["key"] for v in fault["values"]} >= {"not_lit", "flickering"}
    assert pole["datatype"] == "string" and pole["required"] is False and "values" not in pole


def test_unknown_service_definition_is_404_in_the_spec_format(client: TestClient) -> None:
    assert "nope" in spec_errors(client.get(f"{V2}/services/nope.xml"), 404)[0]
    assert "nope" in spec_errors(client.get(f"{V2}/services/nope.json"), 404)[0]


def test_jurisdiction_id_is_optional_and_another_one_is_not_found(client: TestClient) -> None:
    assert client.get(f"{V2}/services.json", params={"jurisdiction_id": "nanhai.gov.cn"}).status_code == 200
    assert client.get(f"{V2}/services.json", params={"jurisdiction_id": ""}).status_code == 200
    errors = spec_errors(client.get(f"{V2}/services.xml", params={"jurisdiction_id": "sfgov.org"}), 404)
    assert "jurisdiction_id" in errors[0]
    spec_errors(client.get(f"{V2}/requests.json", params={"jurisdiction_id": "sfgov.org"}), 404)


# --------------------------------------------------------------------------- a client's flow


def test_a_georeport_client_lists_services_posts_a_request_and_reads_it_back(
    api: Api, client: TestClient, api_key: str
) -> None:
    services = jsn(client.get(f"{V2}/services.json"))
    light = next(s for s in services if s["service_name"] == "路灯故障")
    definition = jsn(client.get(f"{V2}/services/{light['service_code']}.json"))
    required = [a["code"] for a in definition["attributes"] if a["required"]]
    assert required == ["fault"]

    # as the spec's example request: form-encoded, api_key in the body
    response = post(client, "xml", {**STREET_LIGHT_FORM, "api_key": api_key})
    assert response.status_code == 200, response.text
    created = xml(response)
    assert created.tag == "service_requests"
    item = created.find("request")
    assert item is not None
    assert [c.tag for c in item] == ["service_request_id", "service_notice", "account_id"]
    number = item.findtext("service_request_id") or ""
    assert re.fullmatch(r"NH\d{12}", number)
    assert item.findtext("account_id") == "fms-123456"

    one = xml(client.get(f"{V2}/requests/{number}.xml"))
    assert one.tag == "service_requests"
    request = one.find("request")
    assert request is not None
    assert [c.tag for c in request] == REQUEST_FIELDS
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == "street_light"
    assert request.findtext("service_name") == "路灯故障"
    assert float(request.findtext("lat") or 0) == pytest.approx(23.0412, abs=1e-6)
    assert float(request.findtext("long") or 0) == pytest.approx(113.1450, abs=1e-6)
    assert W3C_LOCAL.match(request.findtext("requested_datetime") or "")
    assert W3C_LOCAL.match(request.findtext("updated_datetime") or "")
    assert "路灯连续一周不亮" in (request.findtext("description") or "")
    assert "不亮" in (request.findtext("description") or "")  # the attribute, rendered

    listed = jsn(client.get(f"{V2}/requests.json"))
    mine = next(r for r in listed if r["service_request_id"] == number)
    assert list(mine) == REQUEST_FIELDS
    assert mine["status"] == "open" and isinstance(mine["lat"], float)
    assert jsn(client.get(f"{V2}/requests/{number}.json")) == [mine]

    with api.services.db.reading() as session:
        row = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert row is not None
        assert (row.channel, row.category_code) == ("open311", "street_light")
        assert row.citizen_name == "陈小明" and row.citizen_phone == "13812345678"


def test_post_accepts_multivaluelist_answers_and_a_json_body(client: TestClient, api_key: str) -> None:
    form = [
        ("api_key", api_key),
        ("service_code", "garbage"),
        ("address_string", "大沥镇盐步社区广佛路 18 号"),
        ("description", "路边建筑垃圾和大件家具堆了一个星期没人清运。"),
        ("attribute[waste_type][]", "construction"),
        ("attribute[waste_type][]", "bulky"),
        ("attribute[fixmystreet_id]", "1001"),  # clients send attributes of their own: kept
    ]
    response = client.post(
        f"{V2}/requests.json",
        content=httpx.QueryParams(form).__str__(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    body = jsn(response)
    assert response.status_code == 200 and set(body[0]) == {
        "service_request_id",
        "service_notice",
        "account_id",
    }
    read = jsn(client.get(f"{V2}/requests/{body[0]['service_request_id']}.json"))[0]
    assert "建筑垃圾、大件垃圾" in read["description"]
    assert read["address"] == "大沥镇盐步社区广佛路 18 号" and read["lat"] is None

    response = client.post(
        f"{V2}/requests.json",
        json={
            "api_key": api_key,
            "service_code": "street_vending",
            "lat": 23.0420,
            "long": 113.1462,
            "attribute": {"kind": "mobile_vendor", "time_of_day": ["evening", "late_night"]},
        },
    )
    assert response.status_code == 200, response.text
    read = jsn(client.get(f"{V2}/requests/{response.json()[0]['service_request_id']}.json"))[0]
    assert read["service_code"] == "street_vending" and "流动摊贩" in read["description"]


def test_a_batch_service_answers_a_token_that_resolves_to_the_request(
    client: TestClient, api_key: str
) -> None:
    form = {
        "api_key": api_key,
        "service_code": "suggestion",
        "address_string": "丹灶镇仙岗村",
        "description": "建议在仙岗村增设一个公交站点，方便老人出行。",
    }
    created = xml(post(client, "xml", form)).find("request")
    assert created is not None
    assert [c.tag for c in created] == ["token", "service_notice", "account_id"]
    token = created.findtext("token") or ""
    resolved = xml(client.get(f"{V2}/tokens/{token}.xml")).find("request")
    assert resolved is not None and [c.tag for c in resolved] == ["service_request_id", "token"]
    number = resolved.findtext("service_request_id")
    assert resolved.findtext("token") == token
    assert jsn(client.get(f"{V2}/tokens/{token}.json")) == [{"service_request_id": number, "token": token}]
    assert jsn(client.get(f"{V2}/requests/{number}.json"))[0]["service_code"] == "suggestion"
    spec_errors(client.get(f"{V2}/tokens/no-such-token.json"), 404)


# --------------------------------------------------------------------------- errors of POST


def test_missing_or_invalid_api_key_is_403_and_stores_nothing(
    api: Api, client: TestClient, api_key: str
) -> None:
    before = orders_stored(api)
    assert "api_key" in spec_errors(post(client, "json", STREET_LIGHT_FORM), 403)[0]
    errors = spec_errors(post(client, "xml", {**STREET_LIGHT_FORM, "api_key": "zyk_forged"}), 403)
    assert errors
    # a key of another channel is not a key of open311
    other = api.services.channels.issue_key(TEST_ADMIN, "12345").key
    spec_errors(post(client, "json", {**STREET_LIGHT_FORM, "api_key": other}), 403)
    api.services.channels.revoke_keys(TEST_ADMIN, "open311")
    spec_errors(post(client, "json", {**STREET_LIGHT_FORM, "api_key": api_key}), 403)
    assert orders_stored(api) == before


@pytest.mark.parametrize(
    ("change", "status", "mentions"),
    [
        ({"lat": None, "long": None, "address_string": None}, 400, "location"),
        ({"long": None, "address_string": None}, 400, "long"),
        ({"lat": "91", "long": "113.1"}, 400, "lat"),
        ({"lat": "abc"}, 400, "lat"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "no_such_service"}, 404, "no_such_service"),
        ({"attribute[fault]": None}, 400, "attribute[fault]"),
        ({"attribute[fault]": "exploded"}, 400, "attribute[fault]"),
        ({"description": "路灯<script>alert(1)</script>"}, 400, "description"),
        ({"description": "灯" * 4001}, 400, "description"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"jurisdiction_id": "sfgov.org"}, 404, "jurisdiction_id"),
    ],
)
def test_invalid_requests_are_refused_in_the_spec_format_and_store_nothing(
    api: Api, client: TestClient, api_key: str, change: dict[str, Any], status: int, mentions: str
) -> None:
    form = {k: v for k, v in {**STREET_LIGHT_FORM, "api_key": api_key, **change}.items() if v is not None}
    before = orders_stored(api)
    for fmt in ("json", "xml"):
        errors = spec_errors(post(client, fmt, form), status)
        assert any(mentions in e for e in errors), errors
    assert orders_stored(api) == before


def test_several_problems_are_several_errors(client: TestClient, api_key: str) -> None:
    form = {"api_key": api_key, "service_code": "street_light", "email": "x"}
    errors = spec_errors(post(client, "json", form), 400)
    assert len(errors) == 3 and {e.split(":")[0] for e in errors} == {"location", "email", "attribute[fault]"}


# --------------------------------------------------------------------------- reading requests


def test_unknown_request_is_404_in_json_and_xml(client: TestClient) -> None:
    assert "NH209901010001" in spec_errors(client.get(f"{V2}/requests/NH209901010001.json"), 404)[0]
    spec_errors(client.get(f"{V2}/requests/NH209901010001.xml"), 404)


def test_unknown_resources_formats_and_methods_answer_in_the_spec_format(client: TestClient) -> None:
    spec_errors(client.get(f"{V2}/reports.xml"), 404)
    spec_errors(client.get(f"{V2}/services.csv"), 404)
    response = client.delete(f"{V2}/requests.json")
    spec_errors(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_status_filter_separates_open_and_closed(api: Api, client: TestClient) -> None:
    dispatcher = api.district.actors["district"]
    open_one = register(api)
    cancelled = register(api, title="重复来电", content="同一事项重复来电。")
    api.services.orders.act(dispatcher, cancelled, Cancel(note="重复来电", reason=CancelReason.INVALID))
    master = register(api, title="夏北路路灯不亮", content="夏北路路灯不亮。")
    duplicate = register(api, title="夏北路路灯坏了", content="夏北路路灯坏了。")
    master_id = api.services.orders.get(dispatcher, master).summary.id
    api.services.orders.act(dispatcher, duplicate, Merge(note="同一路灯", master_id=master_id))

    def numbers(**params: str) -> set[str]:
        return {r["service_request_id"] for r in jsn(client.get(f"{V2}/requests.json", params=params))}

    assert numbers(status="open") == {open_one, master}
    assert numbers(status="closed") == {cancelled, duplicate}
    assert numbers(status="open,closed") == numbers() == {open_one, cancelled, master, duplicate}
    spec_errors(client.get(f"{V2}/requests.json", params={"status": "pending"}), 400)

    merged = jsn(client.get(f"{V2}/requests/{duplicate}.json"))[0]
    assert merged["status"] == "closed" and master in merged["status_notes"]
    assert "撤销" in jsn(client.get(f"{V2}/requests/{cancelled}.json"))[0]["status_notes"]
    root = xml(client.get(f"{V2}/requests.xml", params={"status": "closed"}))
    assert {r.findtext("status") for r in root.findall("request")} == {"closed"}


def test_date_filters_default_to_the_last_90_days(api: Api, client: TestClient, at: Any) -> None:
    now = datetime.now(UTC)
    with at(now - timedelta(days=120)):
        old = register(api, title="旧工单", content="四个月前的诉求。")
    with at(now - timedelta(days=10)):
        recent = register(api, title="近期工单", content="十天前的诉求。")

    def numbers(**params: str) -> set[str]:
        response = client.get(f"{V2}/requests.json", params=params)
        assert response.status_code == 200, response.text
        return {r["service_request_id"] for r in response.json()}

    assert numbers() == {recent}
    start = (now - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=100)).astimezone(LOCAL_TZ).isoformat(timespec="seconds")
    assert numbers(start_date=start, end_date=end) == {old}
    assert numbers(start_date=start) == {old}  # start_date alone: the 90 days after it
    assert numbers(end_date=(now - timedelta(days=5)).strftime("%Y-%m-%d")) == {recent}
    # service_request_id overrides every other argument
    assert numbers(service_request_id=f"{old},{recent}", start_date=start, end_date=end) == {old, recent}

    far = (now - timedelta(days=250)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        "90"
        in spec_errors(client.get(f"{V2}/requests.json", params={"start_date": far, "end_date": start}), 400)[
            0
        ]
    )
    spec_errors(client.get(f"{V2}/requests.json", params={"start_date": start, "end_date": far}), 400)
    spec_errors(client.get(f"{V2}/requests.xml", params={"start_date": "yesterday"}), 400)


def test_service_code_filter_and_orders_of_other_channels(api: Api, client: TestClient, api_key: str) -> None:
    light = jsn(post(client, "json", {**STREET_LIGHT_FORM, "api_key": api_key}))[0]["service_request_id"]
    hotline = register(api, channel="12345")  # an agent registering a 12345 call by hand

    def codes(**params: str) -> dict[str, str]:
        found = jsn(client.get(f"{V2}/requests.json", params=params))
        return {r["service_request_id"]: r["service_code"] for r in found}

    assert codes() == {light: "street_light", hotline: "other"}
    assert codes(service_code="street_light") == {light: "street_light"}
    assert codes(service_code="other") == {hotline: "other"}
    assert codes(service_code="street_light,other") == codes()
    assert codes(service_code="noise") == {}


def test_confidential_orders_are_neither_listed_nor_readable(api: Api, client: TestClient) -> None:
    public = register(api)
    secret = register(api, title="举报某单位", content="实名举报，请保密。", confidential=True)
    listed = {r["service_request_id"] for r in jsn(client.get(f"{V2}/requests.json"))}
    assert public in listed and secret not in listed
    spec_errors(client.get(f"{V2}/requests/{secret}.json"), 404)
    by_id = jsn(client.get(f"{V2}/requests.json", params={"service_request_id": f"{public},{secret}"}))
    assert [r["service_request_id"] for r in by_id] == [public]


def test_no_personal_data_is_shown(api: Api, client: TestClient, api_key: str) -> None:
    form = {
        **STREET_LIGHT_FORM,
        "api_key": api_key,
        "description": "路灯不亮，有事请打我电话 13912345678 或发邮件 chen.xiaoming@example.com",
    }
    number = jsn(post(client, "json", form))[0]["service_request_id"]
    register(
        api,
        citizen_name="王大文",
        citizen_phone="13700001111",
        content="身份证 440605199001011234 的王大文反映积水。",
    )
    for fmt in ("json", "xml"):
        text = client.get(f"{V2}/requests.{fmt}").text + client.get(f"{V2}/requests/{number}.{fmt}").text
        for secret in (
            "陈小明",
            "小明",
            "13812345678",
            "13912345678",
            "chen@example.com",
            "chen.xiaoming@example.com",
            "王大文",
            "13700001111",
            "440605199001011234",
            "ios-7f3a",
            api_key,
        ):
            assert secret not in text, (fmt, secret)
        assert "139****5678" in text and "c***@example.com" in text


def test_text_is_escaped_in_xml(api: Api, client: TestClient) -> None:
    number = register(
        api, title="A&B 路口", content='A&B 路口 "红绿灯" 时长 <30 秒 & 太短', address="A&B <路口>"
    )
    request = xml(client.get(f"{V2}/requests/{number}.xml")).find("request")
    assert request is not None
    assert request.findtext("description") == 'A&B 路口 "红绿灯" 时长 <30 秒 & 太短'
    assert request.findtext("address") == "A&B <路口>"
    assert request.findtext("agency_responsible") == "南海区"


def test_requests_are_listed_newest_first_and_at_most_1000(
    api: Api, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(public_requests, "MAX_REQUESTS", 3)
    numbers = [register(api, title=f"工单{i}", content=f"第{i}个诉求。") for i in range(5)]
    listed = [r["service_request_id"] for r in jsn(client.get(f"{V2}/requests.json"))]
    assert listed == list(reversed(numbers))[:3]


def test_expected_datetime_is_the_reply_deadline_and_the_agency_the_responsible_unit(
    api: Api, client: TestClient
) -> None:
    dispatcher = api.district.actors["district"]
    number = register(api)
    before = jsn(client.get(f"{V2}/requests/{number}.json"))[0]
    assert before["expected_datetime"] is None and before["agency_responsible"] == "南海区"
    detail = api.services.orders.act(dispatcher, number, Dispatch(target_unit_id=api.unit("GC")))
    assert detail.summary.reply_deadline is not None
    after = jsn(client.get(f"{V2}/requests/{number}.json"))[0]
    assert after["agency_responsible"] == "桂城街道" and after["status_notes"] == "待签收"
    assert W3C_LOCAL.match(after["expected_datetime"])
    assert datetime.fromisoformat(after["expected_datetime"]) == detail.summary.reply_deadline.due_at.replace(
        microsecond=0
    )


def test_posts_go_through_intake_media_url_and_address_id_read_back(
    api: Api, client: TestClient, api_key: str
) -> None:
    form = {
        **STREET_LIGHT_FORM,
        "api_key": api_key,
        "address_id": "NH-ADDR-0042",
        "media_url": ["https://img.example.com/light-1.jpg", "https://img.example.com/light-2.jpg"],
        "phone": "138 1234 5678",
    }
    number = jsn(post(client, "json", form))[0]["service_request_id"]
    request = jsn(client.get(f"{V2}/requests/{number}.json"))[0]
    assert request["media_url"] == "https://img.example.com/light-1.jpg"
    assert request["address_id"] == "NH-ADDR-0042"
    with api.services.db.reading() as session:
        row = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert row is not None and row.citizen_phone == "13812345678"  # normalized at intake
    spec_errors(post(client, "json", {**form, "phone": "12"}), 400)


def test_the_same_problem_posted_twice_is_merged_and_shown_closed_as_a_duplicate(
    api: Api, client: TestClient, api_key: str
) -> None:
    form = {**STREET_LIGHT_FORM, "api_key": api_key}
    first = jsn(post(client, "json", form))[0]
    second = jsn(post(client, "json", {**form, "first_name": "大文", "last_name": "王"}))[0]
    assert first["service_request_id"] != second["service_request_id"]
    assert first["service_request_id"] in second["service_notice"]
    again = jsn(client.get(f"{V2}/requests/{second['service_request_id']}.json"))[0]
    assert again["status"] == "closed" and first["service_request_id"] in again["status_notes"]
