"""What the printed sheets add to the pages: the center's name and a list's filters in words.

The order page and the workbench print from the browser (static/css/print.css, the 打印
button of static/js/print.js); these are the lines only the paper shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import DomainError
from zhiyun.domain.order_query import QUEUE_BY_KEY, SORT_LABELS, OrderQuery
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OrderStatus, OrderType, Urgency
from zhiyun.web.views import channel_names, org_tree

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

CENTER_SUFFIX = "智慧城市运行中心"


def center_name(org: OrgTree) -> str:
    """The operations center the sheet comes from: the district's name and 智慧城市运行中心."""
    try:
        root = org.root().name
    except DomainError:
        return CENTER_SUFFIX
    return root if root.endswith(CENTER_SUFFIX) else f"{root}{CENTER_SUFFIX}"


def _label(values: Any, value: str | None) -> str | None:
    if not value:
        return None
    for member in values:
        if member.value == value:
            return str(member.label)
    return value


def list_filters(services: Services, query: OrderQuery) -> list[tuple[str, str]]:
    """The list's queue, filters and sort as (label, value) lines for the printed list."""
    spec = QUEUE_BY_KEY.get(query.queue)
    lines: list[tuple[str, str]] = [("队列", spec.label if spec else query.queue)]
    if query.text:
        lines.append(("搜索", query.text))
    if query.channel:
        lines.append(("渠道", channel_names(services).get(query.channel, query.channel)))
    for label, value in (
        ("类型", _label(OrderType, query.order_type)),
        ("紧急程度", _label(Urgency, query.urgency)),
        ("状态", "、".join(_label(OrderStatus, s) or s for s in query.statuses)),
    ):
        if value:
            lines.append((label, value))
    if query.category_code:
        lines.append(("类别编码", query.category_code))
    if query.unit_id is not None:
        org = org_tree(services)
        lines.append(
            ("经办单位", org.get(query.unit_id).name if query.unit_id in org.units else str(query.unit_id))
        )
    if query.registered_from or query.registered_to:
        # the query's range is [from, to) in instants; the list was asked for by local days
        start = (
            query.registered_from.astimezone(LOCAL_TZ).date().isoformat() if query.registered_from else "…"
        )
        end = (
            (query.registered_to.astimezone(LOCAL_TZ) - timedelta(days=1)).date().isoformat()
            if query.registered_to
            else "…"
        )
        lines.append(("受理日期", f"{start} 至 {end}"))
    lines.append(("排序", SORT_LABELS.get(query.sort, query.sort)))
    return lines
