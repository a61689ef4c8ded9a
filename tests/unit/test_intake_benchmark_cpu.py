"""benchmarks/intake.py reports CPU per order: it reads the server's session, PostgreSQL and itself."""

from __future__ import annotations

import os
import sys
import time

import pytest
from benchmarks.intake import cpu_seconds


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_cpu_of_the_servers_session_and_of_the_client_is_counted() -> None:
    before = cpu_seconds(os.getsid(0))  # this test's own session stands for the server's
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = cpu_seconds(os.getsid(0))
    assert set(after) == {"server", "database", "client"}
    assert after["client"] - before["client"] >= 0.3
    assert after["server"] - before["server"] >= 0.2  # /proc counts in clock ticks
    assert after["database"] >= 0  # a sum over live processes: backends that exit take theirs along
    assert cpu_seconds(-1)["server"] == 0  # no process is in session -1
