"""The demo's generated words read naturally: no opening said twice ("巡查发现网格员巡查发现…"),
and a citizen never speaks as a grid worker. Pure: the live traffic generator, the channels'
adapters and the seeder's `compose`, no database."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest

from zhiyun.demo import topics as tp
from zhiyun.demo.district import TOWNS
from zhiyun.demo.traffic.catalog import EVENTS, TRAFFIC_CHANNELS
from zhiyun.demo.traffic.generator import TrafficGenerator
from zhiyun.demo.traffic.open311_reports import OPEN311_CHANNEL
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.open311.form import draft_from_form

NOW = datetime(2026, 7, 8, 2, tzinfo=UTC)

# How a report opens: who found or reported it. One of them may open a text, once (a channel's
# own heading before it, "110转办：市民来电反映：…", is no repeat).
OPENINGS = (
    "网格员巡查发现",
    "巡查发现",
    "市民来电反映",
    "市民反映",
    "来电人反映",
    "来电人称",
    "市民举报",
    "市民投诉",
    "市民求助",
    "市民咨询",
    "村民反映",
)
_TWICE = re.compile(f"({'|'.join(OPENINGS)})[：:，,]?\\s*({'|'.join(OPENINGS)})")


def repeated_opening(text: str) -> str | None:
    """The doubled opening in `text` ("巡查发现网格员巡查发现"), or None when it reads naturally."""
    found = _TWICE.search(text)
    if found:
        return found.group(0)
    if text.count("巡查发现") > 1:
        return "巡查发现 … 巡查发现"
    return None


def test_the_check_catches_the_doubled_prefix_of_issue_15() -> None:
    assert repeated_opening("占道经营：巡查发现网格员巡查发现平东社区桂澜路一带有6个摊档") is not None
    assert repeated_opening("网格员巡查发现：市民反映夏北社区路灯不亮") is not None
    assert repeated_opening("巡查发现平东社区桂澜路一带有6个水果、小吃摊档占道经营") is None


def _live_texts(seed: int) -> list[tuple[str, str, str]]:
    """(channel, title, content) of every kind of live request, as intake records them."""
    gen = TrafficGenerator(random.Random(seed))
    requests = []
    for at in (NOW, NOW - timedelta(days=90), NOW + timedelta(days=130)):  # July, April, November
        for channel in TRAFFIC_CHANNELS:
            requests += [gen.single(at, channel=channel) for _ in range(60)]
        requests += [gen.open311(at) for _ in range(40)]
    for kind in EVENTS:
        for _ in range(5):
            requests += gen.event(NOW, kind=kind)
    requests += gen.typhoon(NOW, 120)
    out = []
    for r in requests:
        if r.channel == OPEN311_CHANNEL:
            draft = draft_from_form(r.payload)
        else:
            draft = CHANNEL_SPECS[r.channel].adapt(r.payload)
        out.append((r.channel, draft.title, draft.content or ""))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_live_request_repeats_its_opening(seed: int) -> None:
    texts = _live_texts(seed)
    assert {c for c, _t, _x in texts} >= {"grid", "12345", OPEN311_CHANNEL}
    doubled = [(c, t, x) for c, t, x in texts if repeated_opening(t) or repeated_opening(x)]
    assert doubled == []
    grid = [x for c, _t, x in texts if c == "grid"]
    assert grid and all(x.startswith("巡查发现") for x in grid)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_citizen_never_reports_in_a_grid_workers_words(seed: int) -> None:
    spoken = [(c, x) for c, _t, x in _live_texts(seed) if c != "grid" and "网格员巡查" in x]
    assert spoken == []


def test_no_seeded_order_repeats_its_opening() -> None:
    rng = random.Random(4)
    town = TOWNS[0]
    village = town.villages[0]
    values = {
        "town": town.name,
        "village": village.name,
        "vshort": village.aliases[0],
        "road": town.roads[0],
        "road2": town.roads[1],
        "no": "18",
        "n": "3",
        "days": "4",
        "shop": tp.SHOPS[0],
        "company": tp.COMPANIES[0],
        "time": tp.TIMES[0],
        "school": "夏北小学",
        "money": "3000",
        "age": "90",
        "year": "2026",
    }
    checked = 0
    for topic in (*tp.TOPICS, *tp.SEASONAL_TOPICS, *tp.TYPHOON_TOPICS):
        for variant in topic.variants:
            for channel in (*tp.CHANNEL_LABELS, rng.choice(topic.channels or ("12345",))):
                title, content, used = tp.compose(topic, variant, channel, values)
                assert repeated_opening(title) is None, (topic.key, title)
                assert repeated_opening(content) is None, (topic.key, content)
                if used != "grid":
                    assert "网格员巡查" not in content, (topic.key, used, content)
                checked += 1
    assert checked > 300
