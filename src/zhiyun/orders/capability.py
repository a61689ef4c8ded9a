"""What the orders capability registers: the work order and everything that reads or changes it."""

from __future__ import annotations

from datetime import timedelta

from zhiyun.kernel.capability import Capability, Command, Job, Mount, NavItem

CAPABILITY = Capability(
    name="orders",
    summary="The work order: its life cycle and audit trail, lists and queues, attachments, notices, deadlines and the sweep.",
    tables=("zhiyun.orders.list_indexes",),
    api=(
        Mount("zhiyun.orders.api.orders:router"),
        Mount("zhiyun.orders.api.attachments:router"),
        Mount("zhiyun.orders.api.notices:router"),
        Mount("zhiyun.orders.api.stats:router"),
        # last: any other POST /orders/{key}/{name} is an unknown action (404)
        Mount("zhiyun.orders.api.orders:unknown_action_router", order=1000),
    ),
    pages=(
        Mount("zhiyun.orders.pages.workbench:router"),
        Mount("zhiyun.orders.pages.order:router"),
        Mount("zhiyun.orders.pages.map:router"),
        Mount("zhiyun.orders.pages.export:router"),
    ),
    nav=(NavItem("/workbench", "工作台", None, 10), NavItem("/map", "地图", None, 20)),
    commands=(Command("sweep", "zhiyun.orders.cli:sweep", group=False),),
    jobs=(
        Job("deadline-sweep", "deadline sweep", "zhiyun.orders.jobs:sweep_once", every=None, at_once=True),
        Job(
            "search-text-backfill",
            "fill in search words",
            "zhiyun.orders.jobs:backfill_once",
            timedelta(minutes=1),
        ),
    ),
    templates=True,
)
