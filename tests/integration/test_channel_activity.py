"""Channel activity for admins: each channel's latest delivery and its count over the last 24 hours,
read from the intake records on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from tests.support import TEST_ADMIN, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.intake.channel_service import ACTIVITY_WINDOW
from zhiyun.intake.channels import CHANNEL_SPECS


def hotline_call(call_id: str, **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(CHANNEL_SPECS["12345"].example)
    payload.update(call_id=call_id, **changes)
    return payload


def test_the_channel_list_shows_the_latest_delivery_and_the_count_of_the_last_day(services: Services) -> None:
    build_small_district(services)
    key = services.channels.issue_key(TEST_ADMIN, "12345").key
    now = services.intake.clock()
    services.intake.clock = lambda: now - timedelta(hours=30)  # outside the window
    services.intake.receive(
        "12345", hotline_call("ACT-OLD", content="平南路井盖松动，车辆经过有响声。"), key=key
    )
    services.intake.clock = lambda: now - timedelta(hours=2)
    services.intake.receive("12345", hotline_call("ACT-1"), key=key)
    services.intake.receive("12345", hotline_call("ACT-1"), key=key)  # an exact repeat: no new record
    changed = hotline_call("ACT-1", content="夏北路3号路灯一周不亮，今晚已经完全黑了，请尽快维修。")
    services.intake.receive("12345", changed, key=key)  # a changed repeat: a record
    services.channels.clock = lambda: now

    assert {c.received_in_window for c in services.channels.channels()} == {None}  # not asked for
    channels = {c.code: c for c in services.channels.channels(with_activity=True)}
    hotline = channels["12345"]
    assert hotline.received_in_window == 2
    assert hotline.last_received_at is not None
    assert abs(hotline.last_received_at - (now - timedelta(hours=2))) < timedelta(seconds=1)
    assert hotline.last_received_at.utcoffset() == timedelta(0)  # an aware UTC time on both databases
    quiet = channels["police_110"]
    assert quiet.last_received_at is None and quiet.received_in_window == 0
    assert services.channels.get("12345") == hotline

    services.channels.clock = lambda: now - timedelta(hours=2) + ACTIVITY_WINDOW + timedelta(minutes=1)
    later = services.channels.get("12345")
    assert later.received_in_window == 0 and later.last_received_at == hotline.last_received_at
