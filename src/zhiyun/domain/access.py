"""Who may do what: the named policies, who may read an order, and how personal data is masked.

The policies are plain predicates over the acting principal (`Actor`, from
`domain/principals.py`) and, where it matters, the unit or the order. `POLICIES` lists them as
the table docs/workflow.md shows ("Who may do what besides the actions"); the use cases check
them before they change anything (`require`, which raises PermissionDenied, HTTP 403), and
the console and the API ask the same functions what to offer. The life-cycle actions
themselves are `workorder.allowed_actions`; the order policies beside them live in
`domain/order_access.py` and are part of the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from zhiyun.domain.errors import PermissionDenied
from zhiyun.domain.order_access import (
    CALL_TAKERS,
    CATEGORY_EDITORS,
    DUPLICATE_DECIDERS,
    UPLOADERS,
    may_attach,
    may_attach_to_report,
    may_change_category,
    may_decide_duplicate,
    may_record_repeat_call,
    may_upload,
)
from zhiyun.domain.org import OrgTree
from zhiyun.domain.portal import OrderClaim
from zhiyun.domain.principals import STAFF_ROLES, Actor, Role
from zhiyun.domain.workorder import OrderStatus

# Roles that read every order in the district (the system: intake, dispatch and the sweep
# work on every order, and answer a channel about its own).
DISTRICT_WIDE_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.SYSTEM})
# Roles that see a citizen's phone number unmasked (confidential orders: only the first three,
# and the system, which stores what the channels deliver).
CONTACT_READERS = frozenset(
    {Role.ADMIN, Role.AGENT, Role.DISPATCHER, Role.INSPECTOR, Role.HANDLER, Role.SYSTEM}
)
CONFIDENTIAL_CONTACT_READERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.INSPECTOR, Role.SYSTEM})


# --------------------------------------------------------------------------- the policies

ADMINS = frozenset({Role.ADMIN})
REGISTRARS = frozenset({Role.ADMIN, Role.AGENT, Role.DISPATCHER, Role.GRID_WORKER, Role.SYSTEM})
# Who reads orders of their center's whole subtree (the rest of the staff: their own unit's).
SUBTREE_READERS = frozenset({Role.DISPATCHER, Role.AGENT})
ANYWHERE_REGISTRARS = frozenset({Role.ADMIN, Role.SYSTEM})  # at any center
BULK_DISPATCHERS = frozenset({Role.ADMIN, Role.AGENT, Role.DISPATCHER})
BULK_URGERS = frozenset({Role.ADMIN, Role.DISPATCHER, Role.LEADER})
DASHBOARD_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.DISPATCHER})
MODEL_TRAINERS = frozenset({Role.ADMIN, Role.SYSTEM})
SWEEPERS = frozenset({Role.ADMIN, Role.SYSTEM})  # the worker, and `zhiyun sweep`
HOUSEKEEPERS = frozenset({Role.ADMIN, Role.SYSTEM})
SYSTEM_ONLY = frozenset({Role.SYSTEM})
PATROLLERS = frozenset({Role.GRID_WORKER})
PATROL_PLANNERS = frozenset({Role.ADMIN, Role.SYSTEM})  # the worker's monthly job, `zhiyun grid plan`
CITIZENS = frozenset({Role.CITIZEN})
STAFF = frozenset(STAFF_ROLES)
DEVICE_READERS = frozenset({*STAFF_ROLES, Role.SYSTEM})
# Seasons, forecasts and warnings (预警): who reads them, who handles a warning, who runs detection.
OUTLOOK_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.DISPATCHER, Role.SYSTEM})
WARNING_HANDLERS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
DETECTORS = frozenset({Role.ADMIN, Role.SYSTEM})
# The knowledge base (知识库): who writes items, who reviews, publishes and withdraws them, who
# proposes a draft from a consultation order they answered.
KNOWLEDGE_EDITORS = frozenset({Role.ADMIN})
KNOWLEDGE_REVIEWERS = frozenset({Role.ADMIN, Role.INSPECTOR})
KNOWLEDGE_PROPOSERS = frozenset({Role.ADMIN, Role.AGENT, Role.DISPATCHER})
# 小南's conversations (citizens' words) and its report
ASSISTANT_READERS = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR})


def may_register(actor: Actor) -> bool:
    """Whether `actor` registers (受理) orders at all (checked before anything is looked up)."""
    return actor.role in REGISTRARS


def may_register_at(actor: Actor, center_unit_id: int, org: OrgTree) -> bool:
    """Whether `actor` may register an order at the center `center_unit_id`: a dispatcher at
    their own center or a center below their unit, an agent or a grid worker at their own
    center, an admin and the system anywhere."""
    if actor.role in ANYWHERE_REGISTRARS:
        return True
    if actor.role not in REGISTRARS or actor.unit_id is None:
        return False
    if center_unit_id == org.center_of(actor.unit_id).id:
        return True
    return actor.role is Role.DISPATCHER and org.is_within(center_unit_id, actor.unit_id)


def may_take_calls(actor: Actor) -> bool:
    """Whether `actor` works a call-taking seat: the registration page, caller history, live
    suggestions (the orders shown are those they may read)."""
    return actor.role in CALL_TAKERS and (actor.role is Role.ADMIN or actor.unit_id is not None)


def may_dispatch_in_bulk(actor: Actor) -> bool:
    """Whether the workbench offers `actor` to dispatch orders (each order then asks the life cycle)."""
    return actor.role in BULK_DISPATCHERS


def may_urge_in_bulk(actor: Actor) -> bool:
    """Whether the workbench offers `actor` to urge orders (each order then asks the life cycle)."""
    return actor.role in BULK_URGERS


def may_view_dashboard(actor: Actor) -> bool:
    """Whether `actor` opens the leader dashboard (scoped to their unit's subtree)."""
    return actor.role in DASHBOARD_READERS


def may_administer_users(actor: Actor) -> bool:
    """Add users, enable or disable them, reset passwords, list and revoke anyone's tokens."""
    return actor.role in ADMINS


def may_manage_credentials_of(actor: Actor, user_id: int) -> bool:
    """Change the password and the API tokens of the user `user_id`: themself, or an admin."""
    if may_administer_users(actor):
        return True
    return actor.is_staff and actor.user_id is not None and actor.user_id == user_id


def may_administer_org(actor: Actor) -> bool:
    """Create, change and import the org tree's units."""
    return actor.role in ADMINS


def may_administer_calendar(actor: Actor) -> bool:
    """Calendar overrides, confirmed years, time limits and the workflow's numbers."""
    return actor.role in ADMINS


def may_administer_channels(actor: Actor) -> bool:
    """Enable, disable and configure channels; issue and revoke their keys."""
    return actor.role in ADMINS


def may_administer_catalog(actor: Actor) -> bool:
    """The taxonomy and the responsibility list."""
    return actor.role in ADMINS


def may_administer_boundaries(actor: Actor) -> bool:
    """Import the units' boundaries (GeoJSON)."""
    return actor.role in ADMINS


def may_administer_grids(actor: Actor) -> bool:
    """Import grids (单元网格) and assign grid workers (网格员)."""
    return actor.role in ADMINS


def may_import_managed_objects(actor: Actor) -> bool:
    """Import managed objects (网格管理对象: buildings, rental houses, shops, enterprises, facilities)."""
    return actor.role in ADMINS


def may_manage_models(actor: Actor) -> bool:
    """Activate a classifier model, or roll back to the one before; set automatic dispatch's target accuracy."""
    return actor.role in ADMINS


def may_train_models(actor: Actor) -> bool:
    """Train a classifier model (the training rules decide whether it becomes active)."""
    return actor.role in MODEL_TRAINERS


def may_record_system_event(actor: Actor) -> bool:
    """Record a system event on an order: a channel's update, a duplicate flag, a deadline alert."""
    return actor.role in SYSTEM_ONLY


def may_run_sweep(actor: Actor) -> bool:
    """Run the deadline sweep: warnings, overdue marks and urge notices."""
    return actor.role in SWEEPERS


def may_run_housekeeping(actor: Actor) -> bool:
    """Rebuild the dashboard's rollup, prune old duplicate-detection weights."""
    return actor.role in HOUSEKEEPERS


def may_administer_quick_replies(actor: Actor) -> bool:
    """Whether `actor` keeps any unit's quick replies (常用语) at all: the role-level precheck of
    `may_manage_quick_replies`, asked before a unit is looked up (the admin menu's section)."""
    return actor.role in ADMINS


def may_manage_quick_replies(actor: Actor, unit_id: int, org: OrgTree) -> bool:
    """Create, change and delete the quick replies (常用语) of the unit `unit_id`: an admin of
    that unit or of a unit above it (an admin without a unit: every unit's)."""
    if actor.role not in ADMINS:
        return False
    if unit_id not in org.units:
        return False
    return actor.unit_id is None or org.is_within(unit_id, actor.unit_id)


def may_use_quick_replies(actor: Actor, unit_id: int, org: OrgTree) -> bool:
    """Read and insert the quick replies of the unit `unit_id`: staff of that unit or of a unit
    below it (a unit's set serves its subtree; the district center's serves everyone)."""
    if not actor.is_staff or unit_id not in org.units:
        return False
    if actor.unit_id is None or actor.unit_id not in org.units:
        return org.units[unit_id].parent_id is None
    return org.is_within(actor.unit_id, unit_id)


def may_manage_own_quick_replies(actor: Actor, owner_user_id: int | None) -> bool:
    """Read, create, change and delete the personal quick replies of the user `owner_user_id`:
    only that user themself (not even an admin reads someone's personal set)."""
    return actor.is_staff and actor.user_id is not None and actor.user_id == owner_user_id


def may_read_reports_of(actor: Actor, unit_id: int, org: OrgTree) -> bool:
    """Read (and have made, and subscribe to) the reports of unit `unit_id`: whoever has a
    dashboard — district-wide for leaders, inspectors and admins, a dispatcher for their own unit
    and those below it."""
    if not may_view_dashboard(actor):
        return False
    if actor.role in DISTRICT_WIDE_READERS:
        return True
    return actor.unit_id is not None and unit_id in org.units and org.is_within(unit_id, actor.unit_id)


def may_read_assistant(actor: Actor) -> bool:
    """Read 小南's conversations (citizens' words) and its report: admins, leaders, inspectors."""
    return actor.role in ASSISTANT_READERS


def may_act_on_hot_issues(actor: Actor) -> bool:
    """Act on a hot issue one sees (热点问题): merge its orders into one supervised order, or make a
    proactive order (未诉先办). A dispatcher; each merge and the supervision are then asked of
    the life cycle order by order, the proactive order of intake at the dispatcher's center."""
    return actor.role is Role.DISPATCHER


def may_define_rates(actor: Actor) -> bool:
    """Make a new version of the rate definition (统计口径: which orders the rates leave out).
    An admin; every version is kept with who made it and why, and every figure names its version."""
    return actor.role in ADMINS


def may_administer_grid_items(actor: Actor) -> bool:
    """The grid items catalogue (入格事项): create items, publish new versions of their
    checklists, switch them on or off, import them, install the default catalogue. An admin
    (there is no district-level grid-management role yet; it would join here)."""
    return actor.role in ADMINS


def may_administer_scenes(actor: Actor) -> bool:
    """The sensing scene catalogue (场景目录): import scenes, publish new versions, switch them on
    or off, install the defaults. An admin."""
    return actor.role in ADMINS


def may_read_devices(actor: Actor) -> bool:
    """The sensing device registry (设备台账): list and read devices. Staff and the system; which
    devices is the registry's scope (domain.sensing_devices.device_scope): the district's
    readers and the district center every one, other units those they maintain or that stand
    in their area."""
    return actor.role in DEVICE_READERS


def may_administer_devices(actor: Actor) -> bool:
    """The sensing device registry (设备台账): register and import devices, change their
    thresholds and heartbeat, enable or disable them. An admin."""
    return actor.role in ADMINS


def may_patrol(actor: Actor) -> bool:
    """Patrol (巡查): see one's own visit tasks, submit visits from the phone. A grid worker, in
    the grids of their posts (the use case checks the grid)."""
    return actor.role in PATROLLERS and actor.user_id is not None


def may_plan_patrols(actor: Actor) -> bool:
    """Plan a month's merged patrols (巡查计划) for every grid worker: the system (the worker's
    monthly job) or an admin (`zhiyun grid plan`)."""
    return actor.role in PATROL_PLANNERS


def may_read_outlook(actor: Actor) -> bool:
    """Whether `actor` reads seasons, forecasts and warnings (季节提示, 预警) at all: the role-level
    precheck of `may_see_area` (the menu entry)."""
    return actor.role in OUTLOOK_READERS


def may_see_area(actor: Actor, town_unit_id: int, org: OrgTree) -> bool:
    """Whether `actor` reads the warnings and forecasts of the town `town_unit_id`: the district
    center's staff (and an admin without a unit, the system) every town; anyone else the towns
    of their unit's subtree, or the town their unit lies in (a town center sees its own town); a
    district-wide reader without a unit (a leader, an inspector) every town."""
    if not may_read_outlook(actor):
        return False
    if actor.unit_id is None:
        return actor.role in DISTRICT_WIDE_READERS
    if actor.unit_id not in org.units or town_unit_id not in org.units:
        return False
    if org.units[actor.unit_id].parent_id is None:
        return True
    return org.is_within(town_unit_id, actor.unit_id) or org.is_within(actor.unit_id, town_unit_id)


def may_handle_warning(actor: Actor, town_unit_id: int, org: OrgTree) -> bool:
    """Acknowledge or dismiss a warning of the town `town_unit_id` (turning it into a proactive
    order also needs `may_register_at` the town's center): a dispatcher, a leader or an admin
    who sees the town."""
    return actor.role in WARNING_HANDLERS and may_see_area(actor, town_unit_id, org)


def may_run_detection(actor: Actor) -> bool:
    """Run the daily surge detection that raises warnings (预警): the system (the worker's job),
    an admin (`zhiyun outlook detect`)."""
    return actor.role in DETECTORS


def may_read_knowledge(actor: Actor) -> bool:
    """Read the published knowledge items (知识库): every staff user (the citizens read answers
    through 小南, never the items)."""
    return actor.is_staff


def may_keep_knowledge(actor: Actor) -> bool:
    """Whether `actor` keeps the knowledge base at all (the menu entry, drafts and history): the
    role-level precheck of `may_edit_knowledge` and `may_review_knowledge`."""
    return actor.role in KNOWLEDGE_EDITORS or actor.role in KNOWLEDGE_REVIEWERS


def _keeps_unit(actor: Actor, unit_id: int | None, org: OrgTree) -> bool:
    """Whether `unit_id` (None: the district's own item) lies in the actor's unit's subtree;
    staff without a unit keep every unit's."""
    if actor.unit_id is None:
        return True
    if actor.unit_id not in org.units:
        return False
    if unit_id is None:
        return org.units[actor.unit_id].parent_id is None
    return unit_id in org.units and org.is_within(unit_id, actor.unit_id)


def may_edit_knowledge(actor: Actor, unit_id: int | None, org: OrgTree) -> bool:
    """Write and change the knowledge items kept by the unit `unit_id` (None: the district's):
    an admin of that unit or of a unit above it (an admin without a unit: every unit's)."""
    return actor.role in KNOWLEDGE_EDITORS and _keeps_unit(actor, unit_id, org)


def may_review_knowledge(actor: Actor, unit_id: int | None, org: OrgTree) -> bool:
    """Review, send back, publish and withdraw the knowledge items of the unit `unit_id`: an
    admin or an inspector (质检员) of that unit or above (without a unit: every unit's)."""
    return actor.role in KNOWLEDGE_REVIEWERS and _keeps_unit(actor, unit_id, org)


def may_propose_knowledge(actor: Actor) -> bool:
    """Propose a draft item from a closed consultation order whose reply answered the question
    (the order must be one they may read): agents, dispatchers, admins."""
    return actor.role in KNOWLEDGE_PROPOSERS


def may_follow_request(actor: Actor, requester_account_id: int | None) -> bool:
    """Whether a citizen may read and rate the request filed from `requester_account_id`
    (the citizens' portal, later): their own only, and nothing else anywhere."""
    return actor.role is Role.CITIZEN and actor.user_id is not None and actor.user_id == requester_account_id


def may_use_portal(actor: Actor) -> bool:
    """Whether `actor` reports problems and looks up requests on the citizens' portal (市民门户):
    a citizen (staff register and read orders in the console)."""
    return actor.role is Role.CITIZEN


def may_follow_by_phone(actor: Actor, claim: OrderClaim) -> bool:
    """Whether a citizen on the portal may read an order's progress: they gave its number and
    the last four digits of the phone it was filed with (`OrderClaim.proven`)."""
    return may_use_portal(actor) and claim.proven()


def may_rate_by_phone(actor: Actor, claim: OrderClaim) -> bool:
    """Whether a citizen on the portal may rate an order's result (满意 / 基本满意 / 不满意), which
    is its callback (回访): the order is theirs (`may_follow_by_phone`) and waits for its
    callback now."""
    return may_follow_by_phone(actor, claim) and claim.status is OrderStatus.AWAITING_CALLBACK


@dataclass(frozen=True)
class Policy:
    """One row of the policy table: what is done, who may, and the predicate that decides.

    `roles` are the roles that can pass `check` at all (for some unit or order); the unit
    tests prove that no other role ever does. `section`: orders, console, administration,
    system or citizens (how docs/workflow.md groups the rows).
    """

    name: str
    what: str
    who: str
    roles: frozenset[Role]
    check: Callable[..., bool]
    section: str = "orders"


POLICIES: tuple[Policy, ...] = (
    # -- orders, besides the life-cycle actions
    Policy(
        "may_register_at",
        "register an order 受理登记",
        "a dispatcher at their own center or one below it; a grid worker at their own center; "
        "an admin, and the system (a channel's interface), at any center",
        REGISTRARS,
        may_register_at,
    ),
    Policy(
        "may_take_calls",
        "take calls at the seat 受理坐席: the registration page, a caller's history, live suggestions, "
        "a repeat call recorded on an open order",
        "agents and dispatchers (the orders of their center's subtree), admins",
        CALL_TAKERS,
        may_take_calls,
    ),
    Policy(
        "may_record_repeat_call",
        "record a citizen's repeat call on an open order 重复来电催办",
        "agents, dispatchers and admins who may read the order",
        CALL_TAKERS,
        may_record_repeat_call,
    ),
    Policy(
        "may_attach",
        "add a file 上传附件",
        "the unit holding the open order, or anyone with an action on it now "
        "(never a leader, the system or a citizen)",
        UPLOADERS,
        may_attach,
    ),
    Policy(
        "may_change_category",
        "change the category 修改分类",
        "a dispatcher with an action on the open order now, an admin",
        CATEGORY_EDITORS,
        may_change_category,
    ),
    Policy(
        "may_decide_duplicate",
        "settle a possible-duplicate flag 合并/排除疑似重复",
        "an admin, an inspector, a dispatcher whose subtree holds the open order",
        DUPLICATE_DECIDERS,
        may_decide_duplicate,
    ),
    Policy(
        "may_dispatch_in_bulk",
        "be offered dispatching on the workbench 批量派单",
        "dispatchers, agents (the calls they parked) and admins (each order then asks the life cycle)",
        BULK_DISPATCHERS,
        may_dispatch_in_bulk,
        "console",
    ),
    Policy(
        "may_urge_in_bulk",
        "be offered urging on the workbench 批量催办",
        "leaders, dispatchers and admins (each order then asks the life cycle)",
        BULK_URGERS,
        may_urge_in_bulk,
        "console",
    ),
    Policy(
        "may_view_dashboard",
        "open the leader dashboard 领导驾驶舱",
        "leaders, inspectors, dispatchers (their subtree), admins",
        DASHBOARD_READERS,
        may_view_dashboard,
        "console",
    ),
    Policy(
        "may_act_on_hot_issues",
        "a hot issue 热点问题 one sees: merge its orders into one supervised order, or make a proactive order "
        "未诉先办",
        "a dispatcher (then the life cycle, order by order, and intake at their center)",
        frozenset({Role.DISPATCHER}),
        may_act_on_hot_issues,
        "console",
    ),
    Policy(
        "may_read_reports_of",
        "a unit's reports 统计报表: read, have one made for a past period, subscribe",
        "whoever has a dashboard: leaders, inspectors and admins for every unit, a dispatcher for "
        "their own unit and those below it",
        DASHBOARD_READERS,
        may_read_reports_of,
        "console",
    ),
    Policy(
        "may_read_assistant",
        "小南's conversations 小南对话 and its report (answered share, hand-over reasons, unanswered questions)",
        "admins, leaders, inspectors",
        ASSISTANT_READERS,
        may_read_assistant,
        "console",
    ),
    # -- administration 系统管理
    Policy(
        "may_administer_users",
        "users 用户: add, enable or disable, reset a password, list and revoke anyone's API tokens",
        "an admin",
        ADMINS,
        may_administer_users,
        "administration",
    ),
    Policy(
        "may_manage_credentials_of",
        "one's own password and API tokens",
        "the user themself, an admin",
        STAFF,
        may_manage_credentials_of,
        "administration",
    ),
    Policy(
        "may_administer_org",
        "the org tree 组织架构",
        "an admin",
        ADMINS,
        may_administer_org,
        "administration",
    ),
    Policy(
        "may_administer_calendar",
        "the working calendar 工作日历, time limits 办理时限 and the workflow's numbers",
        "an admin",
        ADMINS,
        may_administer_calendar,
        "administration",
    ),
    Policy(
        "may_administer_channels",
        "channels and their keys 渠道与密钥",
        "an admin",
        ADMINS,
        may_administer_channels,
        "administration",
    ),
    Policy(
        "may_administer_catalog",
        "the taxonomy 事项分类 and the responsibility list 权责清单",
        "an admin",
        ADMINS,
        may_administer_catalog,
        "administration",
    ),
    Policy(
        "may_administer_boundaries",
        "unit boundaries 辖区边界",
        "an admin",
        ADMINS,
        may_administer_boundaries,
        "administration",
    ),
    Policy(
        "may_administer_grids",
        "grids 网格 (import, replace) and grid workers 网格员 (assign to villages and grids)",
        "an admin",
        ADMINS,
        may_administer_grids,
        "administration",
    ),
    Policy(
        "may_import_managed_objects",
        "managed objects 网格管理对象 (buildings, rental houses, shops, enterprises, facilities): import",
        "an admin",
        ADMINS,
        may_import_managed_objects,
        "administration",
    ),
    Policy(
        "may_manage_models",
        "activate or roll back a classifier model 分类模型; set the target accuracy of automatic dispatch 智能分拨",
        "an admin",
        ADMINS,
        may_manage_models,
        "administration",
    ),
    Policy(
        "may_train_models",
        "train a classifier model",
        "an admin, the system (scheduled retraining)",
        MODEL_TRAINERS,
        may_train_models,
        "administration",
    ),
    Policy(
        "may_manage_quick_replies",
        "a unit's quick replies 常用语: add, change, delete",
        "an admin of that unit or of a unit above it",
        ADMINS,
        may_manage_quick_replies,
        "administration",
    ),
    Policy(
        "may_use_quick_replies",
        "read and insert a unit's quick replies 常用语",
        "staff of that unit or of a unit below it (the district center's: all staff)",
        STAFF,
        may_use_quick_replies,
        "console",
    ),
    Policy(
        "may_manage_own_quick_replies",
        "one's personal quick replies 我的常用语",
        "the user themself (no one else, not even an admin)",
        STAFF,
        may_manage_own_quick_replies,
        "console",
    ),
    Policy(
        "may_administer_grid_items",
        "the grid items catalogue 入格事项: create, publish a new version, switch on or off, import, "
        "install the defaults",
        "an admin",
        ADMINS,
        may_administer_grid_items,
        "administration",
    ),
    Policy(
        "may_define_rates",
        "the rate definition 统计口径: make a new version (which orders the rates leave out)",
        "an admin",
        ADMINS,
        may_define_rates,
        "administration",
    ),
    Policy(
        "may_administer_scenes",
        "the sensing scene catalogue 场景目录: import, publish a new version, switch on or off, install the defaults",
        "an admin",
        ADMINS,
        may_administer_scenes,
        "administration",
    ),
    Policy(
        "may_read_devices",
        "the sensing device registry 感知设备: list and read devices",
        "staff (the district's readers and center: every device; other units: those they maintain "
        "or that stand in their area), the system",
        DEVICE_READERS,
        may_read_devices,
        "console",
    ),
    Policy(
        "may_administer_devices",
        "the sensing device registry 感知设备: register, import, change thresholds and heartbeat, "
        "enable or disable",
        "an admin",
        ADMINS,
        may_administer_devices,
        "administration",
    ),
    Policy(
        "may_patrol",
        "patrol 巡查: one's own visit tasks on the phone, submit visits (in the grids of one's posts)",
        "a grid worker",
        PATROLLERS,
        may_patrol,
        "console",
    ),
    Policy(
        "may_plan_patrols",
        "plan a month's merged patrols 巡查计划 for every grid worker",
        "the system (the worker's monthly job), an admin (`zhiyun grid plan`)",
        PATROL_PLANNERS,
        may_plan_patrols,
        "system",
    ),
    Policy(
        "may_read_outlook",
        "open seasons and warnings 预警 / 季节提示",
        "leaders, inspectors, dispatchers, admins, the system (what of them: `may_see_area`)",
        OUTLOOK_READERS,
        may_read_outlook,
        "console",
    ),
    Policy(
        "may_see_area",
        "read a town's warnings and forecasts 预警",
        "the district center's readers every town; others the towns of their subtree or the town "
        "their unit lies in; the district-wide readers without a unit (admin, leader, inspector) and "
        "the system every town",
        OUTLOOK_READERS,
        may_see_area,
        "console",
    ),
    Policy(
        "may_handle_warning",
        "acknowledge or dismiss (with a reason) a warning 预警; with `may_register_at` its town's "
        "center, turn it into a proactive order 未诉先办",
        "dispatchers, leaders and admins who see the town",
        WARNING_HANDLERS,
        may_handle_warning,
        "console",
    ),
    Policy(
        "may_run_detection",
        "run the daily surge detection that raises warnings 预警",
        "the system (the worker), an admin (`zhiyun outlook detect`)",
        DETECTORS,
        may_run_detection,
        "system",
    ),
    # -- the knowledge base
    Policy(
        "may_read_knowledge",
        "read the published knowledge items 知识库",
        "every staff user",
        STAFF,
        may_read_knowledge,
        "console",
    ),
    Policy(
        "may_keep_knowledge",
        "open the knowledge base's drafts and history 知识库维护",
        "admins and inspectors (what of it: `may_edit_knowledge`, `may_review_knowledge`)",
        KNOWLEDGE_EDITORS | KNOWLEDGE_REVIEWERS,
        may_keep_knowledge,
        "console",
    ),
    Policy(
        "may_edit_knowledge",
        "write or change a knowledge item 知识点 (an edit makes it a draft again), import items",
        "an admin of the item's unit or of a unit above it",
        KNOWLEDGE_EDITORS,
        may_edit_knowledge,
        "console",
    ),
    Policy(
        "may_review_knowledge",
        "review, send back, publish or withdraw a knowledge item 审核/发布/撤回",
        "an admin or an inspector of the item's unit or above it",
        KNOWLEDGE_REVIEWERS,
        may_review_knowledge,
        "console",
    ),
    Policy(
        "may_propose_knowledge",
        "propose a draft knowledge item from a closed consultation order 转为知识点",
        "agents, dispatchers and admins who may read the order",
        KNOWLEDGE_PROPOSERS,
        may_propose_knowledge,
        "console",
    ),
    # -- the system's own work
    Policy(
        "may_record_system_event",
        "record a system event on an order (a channel's update, a duplicate flag, a deadline alert)",
        "the system",
        SYSTEM_ONLY,
        may_record_system_event,
        "system",
    ),
    Policy(
        "may_run_sweep",
        "run the deadline sweep 时限监控 (warnings, overdue marks, urge notices)",
        "the system (the worker), an admin (`zhiyun sweep`)",
        SWEEPERS,
        may_run_sweep,
        "system",
    ),
    Policy(
        "may_run_housekeeping",
        "housekeeping: rebuild the dashboard's rollup, prune old duplicate-detection weights",
        "the system (the worker), an admin",
        HOUSEKEEPERS,
        may_run_housekeeping,
        "system",
    ),
    # -- citizens (the portal, /portal)
    Policy(
        "may_follow_request",
        "read and rate one's own request (the citizens' portal, later)",
        "the citizen who filed it; a citizen passes no other policy",
        CITIZENS,
        may_follow_request,
        "citizens",
    ),
    Policy(
        "may_use_portal",
        "report a problem, look up and rate requests on the citizens' portal 市民门户",
        "a citizen (staff use the console)",
        CITIZENS,
        may_use_portal,
        "citizens",
    ),
    Policy(
        "may_follow_by_phone",
        "read a request's progress on the portal 查询进度",
        "a citizen who gives its number and the last four digits of the phone it was filed with",
        CITIZENS,
        may_follow_by_phone,
        "citizens",
    ),
    Policy(
        "may_rate_by_phone",
        "rate a request's result on the portal 评价 (its callback 回访)",
        "the same citizen (number and phone digits), while the order waits for its callback",
        CITIZENS,
        may_rate_by_phone,
        "citizens",
    ),
    Policy(
        "may_attach_to_report",
        "add photos to one's own report 上传照片",
        "a citizen, on the order their report registers, while it is still at intake "
        "(never dispatched, in the registration's own transaction)",
        CITIZENS,
        may_attach_to_report,
        "citizens",
    ),
)

POLICY_BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}
# What the admin pages (系统管理) manage: whoever passes one of these sees the menu.
ADMINISTRATION: tuple[Callable[[Actor], bool], ...] = (
    may_administer_users,
    may_administer_org,
    may_administer_calendar,
    may_administer_channels,
    may_administer_catalog,
    may_administer_boundaries,
    may_administer_grids,
    may_manage_models,
    may_administer_quick_replies,
    may_administer_grid_items,
    may_administer_scenes,
    may_administer_devices,
    may_define_rates,
)
# Chinese refusals, by policy (PermissionDenied's message).
_REFUSALS: dict[str, str] = {
    "may_register_at": "您不能在该中心登记工单",
    "may_take_calls": "只有话务员、派单员或管理员可以使用受理登记",
    "may_record_repeat_call": "只有话务员、派单员或管理员可以记录重复来电，且工单须未办结",
    "may_attach": "只有正在办理该工单的单位可以上传附件",
    "may_change_category": "只有负责该工单的派单员或管理员可以修改分类",
    "may_decide_duplicate": "只有派单员、质检员或管理员可以处理疑似重复",
    "may_view_dashboard": "领导驾驶舱仅供领导、质检员、派单员和管理员查看",
    "may_administer_users": "仅系统管理员可以管理用户和令牌",
    "may_manage_credentials_of": "只能管理自己的密码和令牌",
    "may_administer_org": "仅系统管理员可以修改组织架构",
    "may_administer_calendar": "仅系统管理员可以修改工作日历和办理时限",
    "may_administer_channels": "仅系统管理员可以管理渠道和密钥",
    "may_administer_catalog": "仅系统管理员可以修改分类和权责清单",
    "may_administer_boundaries": "仅系统管理员可以导入辖区边界",
    "may_administer_grids": "仅系统管理员可以导入网格、分配网格员",
    "may_import_managed_objects": "仅系统管理员可以导入网格管理对象",
    "may_manage_models": "仅系统管理员可以启用或回退分类模型、设置自动派单目标准确率",
    "may_train_models": "仅系统管理员可以训练分类模型",
    "may_administer_quick_replies": "仅系统管理员可以管理单位常用语",
    "may_manage_quick_replies": "只能管理本单位及下级单位的常用语",
    "may_use_quick_replies": "不能使用其他单位的常用语",
    "may_manage_own_quick_replies": "只能管理自己的常用语",
    "may_administer_grid_items": "仅系统管理员可以维护入格事项",
    "may_administer_scenes": "仅系统管理员可以维护感知场景目录",
    "may_define_rates": "仅系统管理员可以修改统计口径",
    "may_act_on_hot_issues": "只有派单员可以处置热点问题",
    "may_read_reports_of": "只能查看本单位及下级单位的统计报表",
    "may_read_devices": "只有工作人员可以查看感知设备",
    "may_administer_devices": "仅系统管理员可以维护感知设备",
    "may_patrol": "只有网格员可以巡查",
    "may_plan_patrols": "仅系统或系统管理员可以生成巡查计划",
    "may_record_system_event": "系统事件只能由系统记录",
    "may_run_sweep": "仅系统或系统管理员可以执行时限监控",
    "may_run_housekeeping": "仅系统或系统管理员可以执行系统维护",
    "may_read_outlook": "预警和季节提示仅供领导、质检员、派单员和管理员查看",
    "may_see_area": "不能查看其他镇街的预警",
    "may_handle_warning": "只有本辖区的派单员、领导或管理员可以处理预警",
    "may_run_detection": "仅系统或系统管理员可以执行预警检测",
    "may_use_portal": "市民门户仅供市民使用，工作人员请使用工作台",
    "may_attach_to_report": "只能在反映问题时一并上传照片",
    "may_rate_by_phone": "该工单当前不在待评价阶段：办理答复后才能评价",
    "may_read_knowledge": "只有工作人员可以查看知识库",
    "may_keep_knowledge": "只有管理员或质检员可以维护知识库",
    "may_edit_knowledge": "只能编辑本单位及下级单位的知识点",
    "may_review_knowledge": "只有本单位及上级单位的管理员或质检员可以审核、发布或撤回知识点",
    "may_propose_knowledge": "只有话务员、派单员或管理员可以将工单转为知识点",
}


def may_administer_something(actor: Actor) -> bool:
    """Whether `actor` manages anything on the admin pages (the console's 系统管理 menu)."""
    return any(policy(actor) for policy in ADMINISTRATION)


def require(policy: Callable[..., bool], actor: Actor, *context: object) -> None:
    """Go on only if `policy(actor, *context)` holds; PermissionDenied (403) saying why not."""
    if policy(actor, *context):
        return
    name = getattr(policy, "__name__", "")
    raise PermissionDenied(_REFUSALS.get(name, "您没有权限执行此操作"), policy=name, role=actor.role.value)


def can_view(actor: Actor, involved_unit_ids: Iterable[int], org: OrgTree) -> bool:
    """Whether `actor` may read an order that has been at `involved_unit_ids`."""
    if actor.role in DISTRICT_WIDE_READERS:
        return True
    if actor.unit_id is None:
        return False
    involved = set(involved_unit_ids)
    if actor.role in SUBTREE_READERS:
        return bool(involved & org.subtree_ids(actor.unit_id))
    return actor.unit_id in involved


def can_see_contact(actor: Actor, confidential: bool) -> bool:
    """Whether `actor` sees the citizen's phone unmasked."""
    allowed = CONFIDENTIAL_CONTACT_READERS if confidential else CONTACT_READERS
    return actor.role in allowed


def mask_phone(phone: str | None) -> str | None:
    """138****5678 for mobiles; landlines keep area code and last four digits."""
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    # keep the area code with its dash ("020-", "0757-"), else the first three characters
    keep_head = digits.index("-") + 1 if "-" in digits[:5] else 3
    if len(digits) - keep_head - 4 < 4:
        # too short to keep a head and still hide four characters (a local number such
        # as 86281234): show only the last four
        keep_head = 0
    head = digits[:keep_head]
    tail = digits[-4:]
    return f"{head}{'*' * max(len(digits) - keep_head - 4, 4)}{tail}"


def mask_name(name: str | None) -> str | None:
    """张** : family name kept."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


# Numbers a citizen or an agent may type into free text: mainland mobiles and the 18-digit
# resident ID (15-digit old IDs too). Masked in text for readers who see the phone field masked.
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![\dA-Za-z])")
_OLD_ID_CARD_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})\d{6}(\d{3})(?![\dA-Za-z])")


def mask_personal_numbers(text: str) -> str:
    """`text` with mobile numbers (138****5678) and ID card numbers (440602********1234) masked."""
    text = _ID_CARD_IN_TEXT.sub(r"\1********\2", text)
    text = _OLD_ID_CARD_IN_TEXT.sub(r"\1******\2", text)
    return _MOBILE_IN_TEXT.sub(r"\1****\2", text)


def text_for(actor: Actor, confidential: bool, text: str | None) -> str | None:
    """Free text of an order (title, content, address, notes) as `actor` may read it: personal
    numbers typed into it are masked for whoever sees the citizen's phone masked."""
    if not text or can_see_contact(actor, confidential):
        return text
    return mask_personal_numbers(text)


__all__ = [
    "ADMINISTRATION",
    "CALL_TAKERS",
    "CONFIDENTIAL_CONTACT_READERS",
    "CONTACT_READERS",
    "DISTRICT_WIDE_READERS",
    "POLICIES",
    "POLICY_BY_NAME",
    "STAFF_ROLES",
    "SUBTREE_READERS",
    "Actor",
    "Policy",
    "Role",
    "can_see_contact",
    "can_view",
    "mask_name",
    "mask_personal_numbers",
    "mask_phone",
    "may_act_on_hot_issues",
    "may_administer_boundaries",
    "may_administer_calendar",
    "may_administer_catalog",
    "may_administer_channels",
    "may_administer_devices",
    "may_administer_grid_items",
    "may_administer_org",
    "may_administer_quick_replies",
    "may_administer_scenes",
    "may_administer_something",
    "may_administer_users",
    "may_attach",
    "may_attach_to_report",
    "may_change_category",
    "may_decide_duplicate",
    "may_define_rates",
    "may_dispatch_in_bulk",
    "may_edit_knowledge",
    "may_follow_by_phone",
    "may_follow_request",
    "may_handle_warning",
    "may_import_managed_objects",
    "may_keep_knowledge",
    "may_manage_credentials_of",
    "may_manage_models",
    "may_manage_own_quick_replies",
    "may_manage_quick_replies",
    "may_patrol",
    "may_plan_patrols",
    "may_propose_knowledge",
    "may_rate_by_phone",
    "may_read_assistant",
    "may_read_devices",
    "may_read_knowledge",
    "may_read_outlook",
    "may_read_reports_of",
    "may_record_repeat_call",
    "may_record_system_event",
    "may_register",
    "may_register_at",
    "may_review_knowledge",
    "may_run_detection",
    "may_run_housekeeping",
    "may_run_sweep",
    "may_see_area",
    "may_take_calls",
    "may_train_models",
    "may_upload",
    "may_urge_in_bulk",
    "may_use_portal",
    "may_use_quick_replies",
    "may_view_dashboard",
    "require",
    "text_for",
]
