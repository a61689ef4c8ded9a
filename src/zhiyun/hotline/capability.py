"""What the hotline capability registers: the call-taking seat."""

from __future__ import annotations

from zhiyun.domain import access
from zhiyun.kernel.capability import Capability, Mount, NavItem

CAPABILITY = Capability(
    name="hotline",
    summary="The call-taking seat (受理坐席): a call registered while it runs with the caller's history, live "
    "suggestions and an outcome (即时办结, 派单, 暂存); a repeat call recorded on the open order.",
    api=(Mount("zhiyun.hotline.api:router"),),
    # before the order pages: /orders/new is not an order number
    pages=(Mount("zhiyun.hotline.pages:router", order=50),),
    nav=(NavItem("/orders/new", "受理登记", access.may_take_calls, 5),),
    services=("zhiyun.hotline.service:build",),
    templates=True,
)
