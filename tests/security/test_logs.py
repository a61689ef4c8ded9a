"""Finding 8: no citizen's personal data in the error logs.

SQLAlchemy wrote the bound parameters of a failed statement — for intake the whole order as
JSON, with name, phone and content — into every traceback. The engines now hide them, and
every log handler the platform installs masks mobile and ID card numbers in what it writes.
"""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from tests.e2e.harness import API, Api
from tests.support import TEST_ADMIN
from zhiyun.kernel.logs import PersonalDataFilter, uvicorn_log_config
from zhiyun.store.db import Database

PHONE = "13812345678"
ID_CARD = "440602199001011234"


def test_a_failed_statement_does_not_carry_its_parameters(database: Database) -> None:
    with pytest.raises((DBAPIError, StatementError)) as failure, database.transaction() as session:
        session.execute(
            text("INSERT INTO org_unit (id, code, name, kind) VALUES (:id, :code, :name, :kind)"),
            {"id": "not a number", "code": PHONE, "name": f"市民 {PHONE} {ID_CARD}", "kind": "town"},
        )
    assert PHONE not in str(failure.value) and ID_CARD not in str(failure.value)


def test_the_log_filter_masks_numbers_in_the_message_its_arguments_and_the_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    log = logging.getLogger("zhiyun.test.personal-data")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise ValueError(f"bad value {PHONE} for {ID_CARD}")
        except ValueError:
            log.exception("order of %s failed: %s", PHONE, f"身份证 {ID_CARD}")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "ValueError" in written and "138****5678" in written
    assert PHONE not in written and ID_CARD not in written


def test_uvicorns_access_log_still_formats_its_arguments_through_the_filter() -> None:
    config = uvicorn_log_config()
    assert all("personal_data" in h.get("filters", []) for h in config["handlers"].values())
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/api/v1/orders?q={PHONE}", "1.1", 200),
        None,
    )
    assert PersonalDataFilter().filter(record)
    from uvicorn.logging import AccessFormatter

    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert "138****5678" in line and PHONE not in line


def test_a_server_error_on_intake_logs_no_personal_data(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected failure deep in intake: the traceback names the error, not the citizen."""
    key = api.services.channels.issue_key(TEST_ADMIN, "12345").key

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"cannot store order for {PHONE}")

    api.services.intake._normalize = broken  # type: ignore[method-assign]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logging.getLogger("zhiyun").addHandler(handler)
    try:
        response = api.anonymous(raise_server_exceptions=False).post(
            f"{API}/intake/12345",
            json={
                "call_id": "L-1",
                "caller_number": PHONE,
                "call_time": "2026-12-07T09:00:00+08:00",
                "agent_id": "A1",
                "content": f"请回电 {PHONE}",
            },
            headers={"X-Channel-Key": key},
        )
    finally:
        logging.getLogger("zhiyun").removeHandler(handler)
    assert response.status_code == 500
    assert PHONE not in response.text
    written = stream.getvalue()
    assert "RuntimeError" in written and PHONE not in written
