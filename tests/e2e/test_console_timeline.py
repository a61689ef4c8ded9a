"""The order page's timeline names each step's own actor: a person with their own unit and
role, the system by its name (智能分拨, a channel's interface, 时限监控) and never as an
administrator; a step that moved the order says from where to where."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.e2e.console_harness import console_fixture, page_login  # noqa: F401
from tests.e2e.harness import Api
from zhiyun.domain.access import Actor
from zhiyun.domain.workorder import Dispatch, OrderType, Sign, Urge, Urgency
from zhiyun.orders.service import NewOrder


def _steps(html: str) -> list[tuple[str, str]]:
    """(action, who-line) of every timeline entry, tags stripped."""
    entries = re.findall(r'<li data-action="(\w+)">(.*?)</li>', html, re.S)
    out = []
    for action, body in entries:
        who = re.search(r'<div class="small"[^>]*>(.*?)</div>', body, re.S)
        text = re.sub(r"<[^>]+>", "", who.group(1) if who else "")
        out.append((action, " ".join(text.split())))
    return out


def test_each_step_names_its_own_actor_and_unit(console: Api) -> None:
    services, units, actors = console.services, console.district.units, console.district.actors
    channel = Actor.system("12345热线接口")
    new = NewOrder(
        title="路灯不亮",
        content="路灯不亮，请尽快处理",
        channel="12345",
        order_type=OrderType.HELP,
        urgency=Urgency.URGENT,
    )
    number = services.orders.register(channel, new).order.summary.number
    services.orders.act(Actor.system("智能分拨"), number, Dispatch(target_unit_id=units["GC"]))
    services.orders.act(actors["town"], number, Sign())
    services.orders.act(actors["town"], number, Dispatch(target_unit_id=units["GC-XB"]))
    services.orders.act(actors["district"], number, Urge(note="请抓紧"))
    services.sweep.run(Actor.system("时限监控"), services.orders.clock() + timedelta(hours=2))
    services.orders.act(actors["xiabei"], number, Sign())

    steps = _steps(page_login(console, "town").get(f"/orders/{number}").text)
    assert [a for a, _ in steps] == [
        "register",
        "dispatch",
        "sign",
        "dispatch",
        "urge",
        "deadline_overdue",
        "sign",
    ], steps
    who = dict(enumerate(w for _, w in steps))
    assert who[0].startswith("12345热线接口（系统）"), who[0]
    assert who[1].startswith("智能分拨（系统）") and "南海区 → 桂城街道" in who[1], who[1]
    assert who[2] == "town（桂城街道 · 派单员）", who[2]
    assert who[3].startswith("town（桂城街道 · 派单员）") and "桂城街道 → 夏北社区" in who[3], who[3]
    assert who[4] == "district（南海区 · 派单员）", who[4]  # not the order's unit (夏北社区)
    assert who[5].startswith("时限监控（系统）"), who[5]
    assert who[6] == "xiabei（夏北社区 · 承办人）", who[6]
    assert not any("系统管理员" in w for w in who.values())
