"""A small district for the domain unit tests: org tree, actors, calendar, limits, rule contexts.

    南海区 (district, 1)
    ├── 桂城街道 (town A, 2)
    │   ├── 夏北社区 (village A1, 4)
    │   ├── 平洲社区 (village A2, 5)
    │   └── 桂城街道城管办 (office A, 9)
    ├── 九江镇 (town B, 3)
    │   ├── 沙头村 (village B1, 6)
    │   └── 下西村 (village B2, 7)
    └── 区城管局 (department, 8)

No I/O: the calendar comes from the holidays package (China, make-up workdays included).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.deadlines import DeadlinePlanner, LimitUnit, TimeLimit
from zhiyun.domain.org import OrgTree, Unit, UnitKind
from zhiyun.domain.workorder import (
    Command,
    OrderState,
    OrderType,
    Outcome,
    RuleContext,
    Urgency,
    WorkflowPolicy,
    apply,
    register,
)
from zhiyun.reference.calendar_source import build_calendar

TZ = ZoneInfo("Asia/Shanghai")

DISTRICT, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, VILLAGE_B2, DEPARTMENT, OFFICE_A = range(1, 10)
UNKNOWN_UNIT = 99

UNITS = [
    Unit(DISTRICT, "440605", "南海区", UnitKind.DISTRICT, None),
    Unit(TOWN_A, "440605001", "桂城街道", UnitKind.TOWN, DISTRICT),
    Unit(TOWN_B, "440605002", "九江镇", UnitKind.TOWN, DISTRICT),
    Unit(VILLAGE_A1, "440605001001", "夏北社区", UnitKind.VILLAGE, TOWN_A),
    Unit(VILLAGE_A2, "440605001002", "平洲社区", UnitKind.VILLAGE, TOWN_A),
    Unit(VILLAGE_B1, "440605002001", "沙头村", UnitKind.VILLAGE, TOWN_B),
    Unit(VILLAGE_B2, "440605002002", "下西村", UnitKind.VILLAGE, TOWN_B),
    Unit(DEPARTMENT, "440605900", "区城管局", UnitKind.DEPARTMENT, DISTRICT),
    Unit(OFFICE_A, "440605001900", "桂城街道城管办", UnitKind.OFFICE, TOWN_A),
]
ORG = OrgTree.of(UNITS)
UNIT_IDS = sorted(ORG.units)
CENTERS = [u for u in UNIT_IDS if ORG.is_center(u)]


def dispatcher(unit_id: int) -> Actor:
    return Actor(100 + unit_id, Role.DISPATCHER, unit_id, f"派单员{unit_id}")


def handler(unit_id: int) -> Actor:
    return Actor(200 + unit_id, Role.HANDLER, unit_id, f"承办人{unit_id}")


def grid_worker(unit_id: int) -> Actor:
    return Actor(300 + unit_id, Role.GRID_WORKER, unit_id, f"网格员{unit_id}")


def agent(unit_id: int) -> Actor:
    return Actor(400 + unit_id, Role.AGENT, unit_id, f"话务员{unit_id}")


LEADER = Actor(1, Role.LEADER, DISTRICT, "区领导")
TOWN_LEADER = Actor(2, Role.LEADER, TOWN_A, "街道领导")
INSPECTOR = Actor(3, Role.INSPECTOR, DISTRICT, "质检员")
ADMIN = Actor(4, Role.ADMIN, None, "管理员")
DISTRICT_ADMIN = Actor(5, Role.ADMIN, DISTRICT, "区管理员")

ACTORS: list[Actor] = [
    *(make(u) for u in UNIT_IDS for make in (dispatcher, handler, grid_worker, agent)),
    LEADER,
    TOWN_LEADER,
    INSPECTOR,
    ADMIN,
    DISTRICT_ADMIN,
]

CALENDAR = build_calendar({}, [])
PLANNER = DeadlinePlanner(CALENDAR)
SIGN_LIMIT = TimeLimit(1, LimitUnit.WORKDAYS)
REPLY_LIMIT = TimeLimit(10, LimitUnit.WORKDAYS)
URGENT_SIGN_LIMIT = TimeLimit(1, LimitUnit.HOURS)
URGENT_REPLY_LIMIT = TimeLimit(24, LimitUnit.HOURS)
LIMITS = {
    Urgency.NORMAL: (SIGN_LIMIT, REPLY_LIMIT),
    Urgency.URGENT: (URGENT_SIGN_LIMIT, URGENT_REPLY_LIMIT),
}
POLICY = WorkflowPolicy()


def limits_for(order_type: OrderType, urgency: Urgency) -> tuple[TimeLimit, TimeLimit]:
    return LIMITS[urgency]


def context(now: datetime, policy: WorkflowPolicy = POLICY) -> RuleContext:
    return RuleContext(now=now, org=ORG, planner=PLANNER, limits_for=limits_for, policy=policy)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware instant in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


def new_order(
    center: int = DISTRICT,
    *,
    at: datetime | None = None,
    order_type: OrderType = OrderType.HELP,
    urgency: Urgency = Urgency.NORMAL,
) -> OrderState:
    return register(
        center_unit_id=center, order_type=order_type, urgency=urgency, now=at or local(2026, 3, 2, 9)
    ).state


def act(
    state: OrderState,
    actor: Actor,
    command: Command,
    at: datetime | None = None,
    policy: WorkflowPolicy = POLICY,
) -> Outcome:
    """Apply `command` by `actor` at `at` (default: an hour after registration)."""
    when = at or state.registered_at + timedelta(hours=1)
    return apply(state, command, actor, context(when, policy))
