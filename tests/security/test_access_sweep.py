"""The access sweep: every operation of the API, for every role, aimed at another unit's order.

One order lives in 大沥镇 (DL): registered by its dispatcher, dispatched to 盐步社区 and
signed there, with marker words in its title, content and address and a phone number no
other order has. Then every operation in /openapi.json is called by each user who may
not read that order — a town dispatcher, village handlers and a grid worker of 桂城, a
department's dispatcher — with the order's id or number in every path parameter that
names an order, its external id, its number as a merge master, its units in filters, its
marker words as the search text, and a plausible body for every write.

Nothing of the order may come back (no marker in any answer), nothing of it may change
(same version, the same audit trail, no file added), and no answer may be a server error.
The sweep caught finding 1 of the security probe: `POST /orders` with the order's external
id answered its full detail to anyone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.e2e.harness import API, PNG, Api, act
from tests.support import TEST_ADMIN
from zhiyun.domain.access import Role
from zhiyun.store.tables import AttachmentRow, TransitionRow, WorkOrderRow

TITLE_MARK = "甲乙丙丁隐秘标题"
CONTENT_MARK = "戊己庚辛隐秘内容"
ADDRESS_MARK = "壬癸隐秘地址"
PHONE = "13900001111"
EXTERNAL_ID = "M-SWEEP-0001"
MARKS = (TITLE_MARK, CONTENT_MARK, ADDRESS_MARK, PHONE, "0001111")

# Users who may not read an order that stayed inside 大沥镇: (username, role, unit).
OUTSIDERS = ("town", "xiabei", "pingnan", "zjj", "gc_grid")


@pytest.fixture
def secret(api: Api) -> dict[str, Any]:
    """The DL order, with a file, as its own handler sees it."""
    api.services.accounts.add_user(
        TEST_ADMIN, username="gc_grid", password="grid-password-1", role=Role.GRID_WORKER, unit_code="GC-XB"
    )
    api.district.actors["gc_grid"] = api.services.accounts.get_user(
        next(u.id for u in api.services.accounts.list_users() if u.username == "gc_grid")
    ).actor()
    town2 = api.as_("town2")
    response = town2.post(
        f"{API}/orders",
        json={
            "title": f"{TITLE_MARK} 盐步路灯不亮",
            "content": f"{CONTENT_MARK}，请回电 {PHONE}",
            "address": f"大沥镇盐步{ADDRESS_MARK}",
            "citizen_phone": PHONE,
            "citizen_name": "隐秘市民",
            "external_id": EXTERNAL_ID,
            "confidential": True,  # kept out of Open311's public list, which is public by design
        },
    )
    assert response.status_code == 201, response.text
    order = response.json()
    act(town2, order["id"], "dispatch", target_unit_code="DL-YB")
    act(api.as_("yanbu"), order["id"], "sign")
    upload = api.as_("yanbu").post(
        f"{API}/orders/{order['id']}/attachments", files={"file": ("现场.png", PNG, "image/png")}
    )
    assert upload.status_code == 201, upload.text
    return {
        **api.as_("yanbu").get(f"{API}/orders/{order['id']}").json(),
        "attachment_id": upload.json()["id"],
    }


def _footprint(api: Api, order_id: int) -> tuple[int, int, int]:
    with api.services.db.reading() as session:
        version = session.scalar(select(WorkOrderRow.version).where(WorkOrderRow.id == order_id)) or 0
        trail = session.scalar(
            select(func.count()).select_from(TransitionRow).where(TransitionRow.order_id == order_id)
        )
        files = session.scalar(
            select(func.count()).select_from(AttachmentRow).where(AttachmentRow.order_id == order_id)
        )
    return version, trail or 0, files or 0


class Probe:
    """Builds requests aimed at the secret order from the OpenAPI document."""

    def __init__(self, api: Api, secret: dict[str, Any]) -> None:
        self.api = api
        self.secret = secret
        self.doc = api.app.openapi()
        dl_yb = api.unit("DL-YB")
        self.path_values: dict[str, list[str]] = {
            "key": [str(secret["id"]), secret["number"]],
            "attachment_id": [str(secret["attachment_id"])],
            "unit_id": [str(dl_yb)],
            "user_id": [str(api.district.actors["yanbu"].user_id)],
            "token_id": ["1"],
            "rule_id": ["1"],
            "code": ["CG01"],
            "channel": ["12345"],
            "day": ["2026-12-31"],
            "year": ["2027"],
            "order_type": ["complaint"],
            "urgency": ["normal"],
            "fmt": ["json"],
            "service_code": ["street_light"],
            "service_request_id": [secret["number"]],
            "token": [secret["number"]],
        }
        self.query_values: dict[str, str] = {
            "q": TITLE_MARK,
            "unit_id": str(dl_yb),
            "current_unit_id": str(dl_yb),
            "service_request_id": secret["number"],
            "code": "CG01",
            "format": "json",
            "order": secret["number"],  # quick replies filled for an order (常用语)
        }

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (method.upper(), path, op)
            for path, ops in self.doc["paths"].items()
            for method, op in ops.items()
            if method in ("get", "post", "put", "delete", "patch")
        ]

    def urls(self, path: str, op: dict[str, Any]) -> list[str]:
        names = re.findall(r"\{(\w+)\}", path)
        urls = [path]
        for name in names:
            urls = [u.replace("{" + name + "}", v) for u in urls for v in self.path_values.get(name, ["1"])]
        query = {
            p["name"]: self.query_values[p["name"]]
            for p in op.get("parameters", [])
            if p["in"] == "query" and p["name"] in self.query_values
        }
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return [u + suffix for u in urls]

    def body(self, op: dict[str, Any]) -> tuple[str | None, Any]:
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            return "json", self.value(content["application/json"].get("schema", {}), "body")
        if "multipart/form-data" in content:
            return "files", {"file": ("证据.png", PNG, "image/png")}
        if "application/x-www-form-urlencoded" in content:
            return "data", {
                "service_code": "street_light",
                "description": TITLE_MARK,
                "lat": "23.04",
                "long": "113.14",
            }
        if "text/csv" in content:
            return "content", "code,name\n"
        return None, None

    def value(self, schema: dict[str, Any], name: str) -> Any:
        schema = self.resolve(schema)
        for choice in ("anyOf", "oneOf"):
            if choice in schema:
                options = [self.resolve(o) for o in schema[choice] if self.resolve(o).get("type") != "null"]
                return self.value(options[0], name) if options else None
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            wanted = set(schema.get("required", ())) | {"external_id", "master", "target_unit_code", "note"}
            return {k: self.value(v, k) for k, v in props.items() if k in wanted}
        if kind == "array":
            return []
        if kind == "integer":
            return 1
        if kind == "number":
            return 1.0
        if kind == "boolean":
            return False
        return self.text(name, schema)

    def text(self, name: str, schema: dict[str, Any]) -> str:
        named = {
            "external_id": EXTERNAL_ID,
            "master": self.secret["number"],
            "target_unit_code": "DL-YB",
            "title": "探测",
            "content": "探测",
            "username": "yanbu",
            "password": "wrong-password-1",
            "category_code": "CG01",
            "decision": "dismiss",
        }
        if name in named:
            return named[name]
        if schema.get("format") == "date-time":
            return datetime.now(UTC).isoformat()
        if schema.get("format") == "date":
            return "2026-12-31"
        return "探测说明"

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema


def test_no_operation_shows_or_changes_another_units_order(api: Api, secret: dict[str, Any]) -> None:
    probe = Probe(api, secret)
    before = _footprint(api, secret["id"])
    leaks: list[str] = []
    errors: list[str] = []
    requests = 0
    for username in OUTSIDERS:
        client = api.as_(username)
        for method, path, op in probe.operations():
            if path.startswith(f"{API}/auth/") and method != "GET":
                continue  # logging in or out and minting tokens of one's own touch no order
            kind, body = probe.body(op)
            for url in probe.urls(path, op):
                kwargs = {kind: body} if kind else {}
                response = client.request(method, url, **kwargs)
                requests += 1
                if response.status_code >= 500:
                    errors.append(f"{username} {method} {url}: {response.status_code}")
                found = [m for m in MARKS if m in response.text]
                if found:
                    leaks.append(f"{username} {method} {url}: {response.status_code} shows {found}")
    assert requests > 500
    assert not errors, "\n".join(errors)
    assert not leaks, "\n".join(leaks)
    assert _footprint(api, secret["id"]) == before, "another unit changed the order"


def test_the_sweep_sees_the_order_where_it_may_be_seen(api: Api, secret: dict[str, Any]) -> None:
    """The markers are really there for those who may read the order: the sweep above would
    catch a leak, not pass because the order shows nothing to anyone."""
    for username in ("town2", "yanbu", "district", "inspector", "admin"):
        detail = api.as_(username).get(f"{API}/orders/{secret['number']}")
        assert detail.status_code == 200
        assert TITLE_MARK in detail.text and CONTENT_MARK in detail.text
    listed = api.as_("town2").get(f"{API}/orders", params={"q": TITLE_MARK})
    assert secret["number"] in listed.text
