"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every operation of /openapi.json gets requests that schemathesis generates from the
document — valid ones, boundary values, and data that breaks the schema (huge integers,
NUL characters, extreme dates, wrong types) — on PostgreSQL, whose types are the strict
ones (an int4 column refuses 2**31, a text column refuses NUL). Each answer must be no
server error (5xx) and must match the document's schema for its status.

Half the generated order keys are swapped for orders that exist, so that the action
routes get past "not found" and their bodies are exercised on real orders.

The run is bounded: ZHIYUN_FUZZ_EXAMPLES examples per operation (default 12) for each
of two users (an administrator, who reaches every operation, and a village handler, whose
answers are mostly refusals). `ZHIYUN_FUZZ_EXAMPLES=200 make test` fuzzes harder.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.harness import Api, act, register
from tests.support import ONLY_POSTGRESQL, TEST_ADMIN
from zhiyun.accounts.service.credentials import AuthenticationFailed
from zhiyun.store.tables import UserRow

EXAMPLES = int(os.environ.get("ZHIYUN_FUZZ_EXAMPLES", "12"))
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

pytestmark = [ONLY_POSTGRESQL, pytest.mark.slow]


@pytest.fixture
def fuzzed(api: Api) -> Iterator[tuple[Api, list[str]]]:
    """The API with a few orders at different steps (their ids and numbers are the keys used)."""
    district, town = api.as_("district"), api.as_("town")
    keys: list[str] = []
    for i in range(3):
        order = register(district, title=f"路灯不亮 {i}", citizen_phone="13812345678")
        keys += [str(order["id"]), order["number"]]
        if i >= 1:
            act(district, order["id"], "dispatch", target_unit_code="GC")
        if i >= 2:
            act(town, order["id"], "sign")
    yield api, keys


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_request_of_an_administrator_gets_a_server_error_or_an_answer_off_its_schema(
    fuzzed: tuple[Api, list[str]],
) -> None:
    failures = _fuzz(fuzzed, "admin")
    assert not failures, "\n".join(failures)


def test_no_request_of_a_village_handler_gets_a_server_error_or_an_answer_off_its_schema(
    fuzzed: tuple[Api, list[str]],
) -> None:
    failures = _fuzz(fuzzed, "xiabei")
    assert not failures, "\n".join(failures)


def _fuzz(fuzzed: tuple[Api, list[str]], username: str) -> list[str]:
    """Every operation fuzzed in turn (valid and invalid data); the failures, one line each.

    The run's figures (operations, requests, answers by status) are written to
    test-output/fuzzing-<username>.json."""
    api, keys = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60, "the whole API is fuzzed"
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=strategy)
        @FUZZ_SETTINGS
        def fuzz_one(case: Any) -> None:
            _call_and_check(case, api, keys, username, statuses)

        try:
            fuzz_one()
        except Exception as exc:  # every operation's failure is reported together
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            failures.append(f"{operation.label}: {first_line}")
    figures = {
        "user": username,
        "examples_per_operation": EXAMPLES,
        "operations": len(operations),
        "requests": sum(statuses.values()),
        "server_errors": sum(n for status, n in statuses.items() if status >= 500),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": failures,
    }
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"fuzzing-{username}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1))
    return failures


def _call_and_check(case: Any, api: Api, keys: list[str], username: str, statuses: Counter[int]) -> None:
    token = _token(api, username)
    if case.path_parameters and "key" in case.path_parameters:
        pick = random.Random(repr(case.path_parameters) + repr(case.body)[:200])
        if pick.random() < 0.5:
            case.path_parameters["key"] = pick.choice(keys)
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    statuses[response.status_code] += 1
    case.validate_response(
        response, checks=[not_a_server_error, response_schema_conformance], headers=headers
    )


def _token(api: Api, username: str) -> str:
    """A bearer token for `username`, kept for the run (re-issued if a generated request
    revoked it, disabled the user or reset the password)."""
    cache: dict[str, str] = api.__dict__.setdefault("_fuzz_tokens", {})
    token = cache.get(username)
    if token is not None:
        try:
            api.services.accounts.user_for_token(token)
            return token
        except AuthenticationFailed:
            pass
    user_id = api.district.actors[username].user_id
    assert user_id is not None
    with api.services.db.transaction() as session:
        user = session.get(UserRow, user_id)
        assert user is not None
        user.active = True
    token = api.services.accounts.issue_token(TEST_ADMIN, user_id, f"fuzz {username}").secret
    cache[username] = token
    return token
