"""The intake lane answers `POST /api/v1/intake/{channel}` as the documented FastAPI route does.

Every case runs twice: through the lane (`create_app(…)`, what is served) and through
FastAPI's route (`create_app(…, intake_lane=False)`): the same statuses, bodies and headers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.e2e.harness import API, Api
from tests.support import TEST_ADMIN
from zhiyun.api import intake_lane
from zhiyun.api.app import create_app
from zhiyun.intake.channels import CHANNEL_SPECS


@pytest.fixture(params=[True, False], ids=["lane", "fastapi-route"])
def client(api: Api, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    app = create_app(api.services, intake_lane=request.param)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["X-Channel-Key"] = api.services.channels.issue_key(TEST_ADMIN, "12345").key
        yield client


def call_record(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CHANNEL_SPECS["12345"].example)
    payload.update(changes)
    return payload


def test_a_new_message_answers_201_with_its_receipt_and_a_repeat_200_with_the_same(
    api: Api, client: TestClient
) -> None:
    first = client.post(f"{API}/intake/12345", json=call_record())
    assert first.status_code == 201, first.text
    assert first.headers["content-type"] == "application/json"
    receipt = first.json()
    assert set(receipt) == {
        "order_id",
        "order_number",
        "status",
        "status_label",
        "created",
        "updated",
        "duplicate_of",
        "possible_duplicates",
    }
    assert receipt["created"] is True and receipt["status"] == "pending_dispatch"
    again = client.post(f"{API}/intake/12345", json=call_record())
    assert again.status_code == 200
    assert again.json() == {**receipt, "created": False}


def test_errors_come_in_the_apis_one_shape(api: Api, client: TestClient) -> None:
    before = api.stored()
    not_json = client.post(
        f"{API}/intake/12345", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json()["error"] == "validation_failed" and "body" in not_json.json()["fields"]
    unknown = client.post(f"{API}/intake/fax", json=call_record())
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    no_key = client.post(f"{API}/intake/12345", json=call_record(), headers={"X-Channel-Key": ""})
    assert no_key.status_code == 401 and no_key.json()["error"] == "invalid_channel_key"
    assert no_key.headers["www-authenticate"] == "Bearer"
    assert api.stored() == before


def test_a_body_over_the_limit_answers_413_and_stores_nothing(
    api: Api, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(intake_lane, "MAX_BODY_BYTES", 4096)
    before = api.stored()
    response = client.post(f"{API}/intake/12345", json=call_record(content="路灯不亮" * 2000))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large" and "最多" in response.json()["message"]
    assert api.stored() == before


def test_other_methods_and_paths_are_left_to_the_router(client: TestClient) -> None:
    wrong_method = client.get(f"{API}/intake/12345")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"
    too_deep = client.post(f"{API}/intake/12345/more", json=call_record())
    assert too_deep.status_code == 404 and too_deep.json()["error"] == "not_found"
    assert client.post(f"{API}/intake/", json=call_record()).status_code in (404, 405)


def test_an_unexpected_failure_answers_500_without_internals(
    api: Api, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(api.services.intake, "receive", broken)
    response = client.post(f"{API}/intake/12345", json=call_record())
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "服务器内部错误"}
