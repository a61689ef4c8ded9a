"""Short GIL slices last while someone needs them, and the old interval comes back after."""

from __future__ import annotations

import sys

from zhiyun.kernel.gil import SHORT_SWITCH_INTERVAL, short_gil_slices


def test_short_slices_hold_while_any_user_is_inside_and_restore_the_old_interval() -> None:
    before = sys.getswitchinterval()
    assert before > SHORT_SWITCH_INTERVAL  # Python's default, 5 ms
    with short_gil_slices():
        assert sys.getswitchinterval() == SHORT_SWITCH_INTERVAL
        with short_gil_slices(0.0005):
            assert sys.getswitchinterval() == 0.0005
        assert sys.getswitchinterval() <= SHORT_SWITCH_INTERVAL  # the outer user is still inside
    assert sys.getswitchinterval() == before


def test_the_interval_is_restored_when_the_block_raises() -> None:
    before = sys.getswitchinterval()
    try:
        with short_gil_slices():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert sys.getswitchinterval() == before
