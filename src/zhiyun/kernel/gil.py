"""Shorter GIL time slices while a process mixes CPU-bound Python with many short waits.

A thread whose database statement has returned waits for the GIL until the thread holding
it ends its time slice: 5 ms by default. A bulk import (a parser thread beside writer
threads) and the API server (request threads beside the event loop, each request a dozen
short round trips to the database) pay that wait again and again, with the database idle
or a row lock held meanwhile. A 1 ms slice cuts the wait; the previous interval comes
back when the last user in the process is done.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SHORT_SWITCH_INTERVAL = 0.001

_lock = threading.Lock()
_users = 0
_saved = 0.0


@contextmanager
def short_gil_slices(interval: float = SHORT_SWITCH_INTERVAL) -> Iterator[None]:
    """Run the block with GIL slices of at most `interval` seconds (nestable, thread-safe)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = sys.getswitchinterval()
        sys.setswitchinterval(min(sys.getswitchinterval(), interval))
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                sys.setswitchinterval(_saved)
