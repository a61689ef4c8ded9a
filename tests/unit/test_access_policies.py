"""The named policies of domain/access.py: the table, who passes each, and the principals.

Every policy is tried by every principal — each staff role at each unit, an admin with and
without a unit, the system, a citizen — over every center (registration) and over the
orders reachable in a few steps from a registration at each center (the order policies).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.unit import world
from tests.unit.world import (
    ADMIN,
    CENTERS,
    DISTRICT,
    DISTRICT_ADMIN,
    INSPECTOR,
    LEADER,
    ORG,
    TOWN_A,
    TOWN_B,
    UNIT_IDS,
    VILLAGE_A1,
    VILLAGE_B1,
    context,
    dispatcher,
    grid_worker,
    handler,
    local,
)
from zhiyun.domain import access, order_access
from zhiyun.domain import workorder as wo
from zhiyun.domain.access import (
    ADMINISTRATION,
    POLICIES,
    POLICY_BY_NAME,
    Actor,
    Role,
    can_view,
    may_administer_something,
    may_follow_request,
    may_manage_credentials_of,
    may_register,
    may_register_at,
    require,
)
from zhiyun.domain.errors import DomainError, PermissionDenied
from zhiyun.domain.portal import OrderClaim
from zhiyun.domain.principals import STAFF_ROLES
from zhiyun.domain.workorder import Action, OrderState, allowed_actions

SYSTEM = Actor.system("12345 市长直通车接口")
CITIZEN = Actor.citizen(42, "张三")
PRINCIPALS: list[Actor] = [*world.ACTORS, SYSTEM, CITIZEN, Actor.citizen(None)]
NOW = local(2026, 3, 2, 10)
CTX = context(NOW)


def _command(action: Action, state: OrderState, actor: Actor) -> wo.Command:
    """A well-formed command for `action` (dispatch: to the first unit below the center that sends)."""
    if action in (Action.DISPATCH, Action.REDISPATCH):
        center = state.current_unit_id if action is Action.DISPATCH else actor.unit_id or state.chain[0]
        targets = [u.id for u in ORG.dispatch_targets(center)]
        target = targets[0] if targets else VILLAGE_A1
        cls = wo.Dispatch if action is Action.DISPATCH else wo.Redispatch
        return cls(note="请办理", target_unit_id=target)
    due = state.reply_deadline.due_at if state.reply_deadline else state.registered_at
    probes: dict[Action, wo.Command] = {
        Action.RESOLVE_ON_INTAKE: wo.ResolveOnIntake(note="已当场答复"),
        Action.SIGN: wo.Sign(),
        Action.RETURN: wo.Return(note="非本单位职责"),
        Action.REQUEST_EXTENSION: wo.RequestExtension(note="需协调", new_due_at=due + timedelta(days=5)),
        Action.DECIDE_EXTENSION: wo.DecideExtension(note="同意", approve=True),
        Action.REQUEST_SUSPENSION: wo.RequestSuspension(note="等待裁定"),
        Action.DECIDE_SUSPENSION: wo.DecideSuspension(note="同意", approve=True),
        Action.RESUME: wo.Resume(),
        Action.REPLY: wo.Reply(note="已处理完毕"),
        Action.REVIEW: wo.Review(note="通过", approve=True),
        Action.CALLBACK: wo.Callback(satisfaction=wo.Satisfaction.SATISFIED),
        Action.CLOSE: wo.Close(),
        Action.CANCEL: wo.Cancel(note="骚扰电话", reason=wo.CancelReason.HARASSMENT),
        Action.MERGE: wo.Merge(note="重复件", master_id=7),
        Action.SUPERVISE: wo.Supervise(note="请加快办理"),
        Action.URGE: wo.Urge(),
        Action.INSTRUCT: wo.Instruct(note="务必妥善处理"),
    }
    return probes[action]


def _reachable(depth: int = 8, limit: int = 400) -> list[OrderState]:
    """Orders registered at every center and moved on by whoever may, up to `depth` steps."""
    seen: dict[OrderState, None] = {}
    frontier = [world.new_order(center, at=NOW - timedelta(hours=1)) for center in CENTERS]
    for _ in range(depth):
        following: list[OrderState] = []
        for state in frontier:
            if state in seen:
                continue
            seen[state] = None
            for actor in world.ACTORS:
                for action in allowed_actions(state, actor, CTX):
                    if action in (Action.SUPERVISE, Action.URGE, Action.INSTRUCT):
                        continue  # they leave the state as it was, but for counters
                    try:
                        following.append(wo.apply(state, _command(action, state, actor), actor, CTX).state)
                    except DomainError:  # an illegal target, say: not a state to probe
                        continue
        frontier = following[: limit * 4]
        if len(seen) >= limit:
            break
    return list(seen)[:limit]


STATES = _reachable()
ORDER_POLICIES = [p for p in POLICIES if len(inspect.signature(p.check).parameters) == 3]
ACTOR_POLICIES = [p for p in POLICIES if len(inspect.signature(p.check).parameters) == 1]


def _contexts(policy: access.Policy) -> Iterator[tuple[object, ...]]:
    """Every context a policy is tried in, beside the actor."""
    params = len(inspect.signature(policy.check).parameters)
    if params == 1:
        yield ()
    elif policy.name == "may_register_at":
        for center in UNIT_IDS:
            yield (center, ORG)
    elif policy.name in (
        "may_manage_quick_replies",
        "may_use_quick_replies",
        "may_see_area",
        "may_handle_warning",
        "may_read_reports_of",
    ):
        for unit in UNIT_IDS:
            yield (unit, ORG)
    elif policy.name in ("may_edit_knowledge", "may_review_knowledge"):
        for unit in (None, *UNIT_IDS):  # None: the district's own item
            yield (unit, ORG)
    elif policy.name in ("may_manage_credentials_of", "may_follow_request", "may_manage_own_quick_replies"):
        for actor in PRINCIPALS:
            yield (actor.user_id,)
    elif policy.name in ("may_follow_by_phone", "may_rate_by_phone"):
        for status in wo.OrderStatus:
            for phone in ("13812345678", "0757-86281234", None):
                for digits in ("5678", "1234", "", "５６７８"):
                    yield (OrderClaim(phone, digits, status),)
    else:
        for state in STATES:
            yield (state, CTX)


# --------------------------------------------------------------------------- the table


def test_the_sample_reaches_every_status_but_a_terminal_one_is_enough() -> None:
    statuses = {s.status for s in STATES}
    assert len(STATES) > 100
    assert {
        wo.OrderStatus.PENDING_DISPATCH,
        wo.OrderStatus.DISPATCHED,
        wo.OrderStatus.IN_PROGRESS,
    } <= statuses
    assert wo.OrderStatus.REPLIED in statuses and any(s.is_terminal for s in statuses)


def test_every_named_policy_of_the_domain_is_a_row_of_the_table() -> None:
    named = {
        name
        for module in (access, order_access)
        for name, value in vars(module).items()
        if name.startswith("may_") and inspect.isfunction(value)
    }
    # role-level prechecks of a row (asked before anything is looked up) and the menu's union
    prechecks = {"may_register", "may_upload", "may_administer_something", "may_administer_quick_replies"}
    assert named - prechecks == set(POLICY_BY_NAME)
    for policy in POLICIES:
        assert policy.check.__name__ == policy.name
        assert policy.what and policy.who and policy.roles
        assert policy.section in ("orders", "console", "administration", "system", "citizens")


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_no_role_outside_a_policys_roles_ever_passes_it(policy: access.Policy) -> None:
    passed: set[Role] = set()
    for actor in PRINCIPALS:
        for ctx in _contexts(policy):
            if policy.check(actor, *ctx):
                passed.add(actor.role)
    assert passed == set(policy.roles), f"{policy.name}: passed by {sorted(passed)}"


@pytest.mark.parametrize("policy", ACTOR_POLICIES, ids=lambda p: p.name)
def test_a_policy_of_the_role_alone_passes_exactly_its_roles_wherever_they_sit(policy: access.Policy) -> None:
    for actor in PRINCIPALS:
        assert policy.check(actor) is (actor.role in policy.roles), (policy.name, actor)


# --------------------------------------------------------------------------- the principals


def test_only_an_admin_administers_anything() -> None:
    for actor in PRINCIPALS:
        assert may_administer_something(actor) is (actor.role is Role.ADMIN), actor
        for policy in ADMINISTRATION:
            assert policy(actor) is (actor.role is Role.ADMIN), (policy.__name__, actor)


def test_the_system_principal_does_its_jobs_and_nothing_an_admin_does() -> None:
    for name in ("may_record_system_event", "may_run_sweep", "may_run_housekeeping", "may_train_models"):
        assert POLICY_BY_NAME[name].check(SYSTEM), name
    assert all(may_register_at(SYSTEM, center, ORG) for center in UNIT_IDS)
    assert not may_administer_something(SYSTEM)
    for name in ("may_manage_models", "may_view_dashboard", "may_dispatch_in_bulk", "may_urge_in_bulk"):
        assert not POLICY_BY_NAME[name].check(SYSTEM), name
    assert not any(may_manage_credentials_of(SYSTEM, user_id) for user_id in (None, 0, 1, 4))
    for state in STATES:
        assert not order_access.may_attach(SYSTEM, state, CTX)
        assert not order_access.may_change_category(SYSTEM, state, CTX)
        assert not order_access.may_decide_duplicate(SYSTEM, state, CTX)


def test_the_system_only_dispatches_merges_and_closes_or_calls_back_for_a_grid_recheck_and_reads_every_order() -> (
    None
):
    dispatched = merged = rechecked = 0
    for state in STATES:
        allowed = set(allowed_actions(state, SYSTEM, CTX))
        assert allowed <= {Action.DISPATCH, Action.MERGE, Action.CALLBACK, Action.CLOSE}, allowed
        if allowed & {Action.CALLBACK, Action.CLOSE}:  # a grid re-check (复查) on the next visit
            assert state.status is wo.OrderStatus.AWAITING_CALLBACK
            rechecked += 1
        dispatched += Action.DISPATCH in allowed
        merged += Action.MERGE in allowed
        assert can_view(SYSTEM, state.chain, ORG)
    assert dispatched and merged and rechecked
    # a new order waiting at any center: the system may dispatch it below and merge it
    for center in CENTERS:
        fresh = world.new_order(center, at=NOW - timedelta(hours=1))
        assert set(allowed_actions(fresh, SYSTEM, CTX)) == {Action.DISPATCH, Action.MERGE}


def test_the_system_is_refused_what_needs_a_person() -> None:
    state = world.new_order(DISTRICT, at=NOW - timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        wo.apply(state, wo.Cancel(note="无效", reason=wo.CancelReason.INVALID), SYSTEM, CTX)
    dispatched = wo.apply(state, wo.Dispatch(note="自动派单", target_unit_id=TOWN_A), SYSTEM, CTX).state
    assert dispatched.current_unit_id == TOWN_A
    with pytest.raises(PermissionDenied):
        wo.apply(dispatched, wo.Sign(), SYSTEM, CTX)


def test_a_citizen_passes_no_staff_policy_and_follows_only_their_own_request() -> None:
    for policy in POLICIES:
        if policy.section == "citizens":
            continue
        for ctx in _contexts(policy):
            assert not policy.check(CITIZEN, *ctx), policy.name
    for state in STATES:
        assert allowed_actions(state, CITIZEN, CTX) == []
        assert not can_view(CITIZEN, state.chain, ORG)
    assert not access.can_see_contact(CITIZEN, confidential=False)
    assert may_follow_request(CITIZEN, 42)
    assert not may_follow_request(CITIZEN, 43)
    assert not may_follow_request(Actor.citizen(None), None)
    assert not may_follow_request(Actor(42, Role.ADMIN, None), 42)  # staff read orders by can_view


def test_only_staff_roles_can_be_given_to_accounts() -> None:
    assert set(STAFF_ROLES) == set(Role) - {Role.SYSTEM, Role.CITIZEN}
    assert not Role.SYSTEM.is_staff and not Role.CITIZEN.is_staff
    assert all(role.label for role in Role)


# --------------------------------------------------------------------------- single policies


def test_registration_is_at_ones_own_center_or_below_for_a_dispatcher() -> None:
    assert may_register_at(dispatcher(TOWN_A), TOWN_A, ORG)
    assert may_register_at(dispatcher(DISTRICT), TOWN_B, ORG)
    assert not may_register_at(dispatcher(TOWN_A), TOWN_B, ORG)
    assert not may_register_at(dispatcher(TOWN_A), DISTRICT, ORG)
    # a village dispatcher registers at their village's center
    assert may_register_at(dispatcher(VILLAGE_A1), ORG.center_of(VILLAGE_A1).id, ORG)


def test_a_grid_worker_registers_at_their_own_center_only() -> None:
    own = ORG.center_of(VILLAGE_B1).id
    assert may_register_at(grid_worker(VILLAGE_B1), own, ORG)
    assert [c for c in UNIT_IDS if may_register_at(grid_worker(VILLAGE_B1), c, ORG)] == [own]


def test_admins_and_the_system_register_anywhere_others_nowhere() -> None:
    for actor in (ADMIN, DISTRICT_ADMIN, SYSTEM):
        assert may_register(actor) and all(may_register_at(actor, c, ORG) for c in UNIT_IDS)
    for actor in (LEADER, INSPECTOR, handler(VILLAGE_A1), CITIZEN, Actor(9, Role.DISPATCHER, None)):
        assert not any(may_register_at(actor, c, ORG) for c in UNIT_IDS), actor
    assert not may_register(LEADER) and not may_register(CITIZEN)


def test_users_manage_their_own_credentials_and_admins_everyones() -> None:
    me = handler(VILLAGE_A1)
    assert me.user_id is not None
    assert may_manage_credentials_of(me, me.user_id)
    assert not may_manage_credentials_of(me, me.user_id + 1)
    assert may_manage_credentials_of(ADMIN, me.user_id)
    assert not may_manage_credentials_of(Actor(None, Role.DISPATCHER, TOWN_A), 0)


@pytest.mark.parametrize("actor", PRINCIPALS, ids=str)
def test_the_workbench_offers_bulk_steps_only_to_roles_the_life_cycle_could_let_take_them(
    actor: Actor,
) -> None:
    actions = {a for state in STATES for a in allowed_actions(state, actor, CTX)}
    if not access.may_urge_in_bulk(actor):
        assert Action.URGE not in actions
    if not access.may_dispatch_in_bulk(actor) and actor.role is not Role.SYSTEM:
        assert not actions & {Action.DISPATCH, Action.REDISPATCH}


def test_no_leader_uploads_and_every_uploader_role_may_somewhere() -> None:
    assert not order_access.may_upload(LEADER)
    for role in order_access.UPLOADERS:
        assert any(
            order_access.may_attach(actor, state, CTX)
            for actor in world.ACTORS
            if actor.role is role
            for state in STATES
        ), role


def test_require_passes_quietly_or_refuses_with_403_naming_the_policy() -> None:
    require(access.may_administer_org, ADMIN)
    with pytest.raises(PermissionDenied) as refused:
        require(access.may_administer_org, SYSTEM)
    assert refused.value.http_status == 403
    assert refused.value.details["policy"] == "may_administer_org"
    assert "组织架构" in refused.value.message
    with pytest.raises(PermissionDenied):
        require(may_register_at, handler(VILLAGE_A1), TOWN_A, ORG)


# --------------------------------------------------------------------------- quick replies 常用语


def test_an_admin_manages_the_quick_replies_of_their_unit_and_below_only() -> None:
    town_admin = Actor(6, Role.ADMIN, TOWN_A, "街道管理员")
    assert access.may_manage_quick_replies(town_admin, TOWN_A, ORG)
    assert access.may_manage_quick_replies(town_admin, VILLAGE_A1, ORG)
    assert access.may_manage_quick_replies(town_admin, world.OFFICE_A, ORG)
    assert not access.may_manage_quick_replies(town_admin, TOWN_B, ORG)
    assert not access.may_manage_quick_replies(town_admin, VILLAGE_B1, ORG)
    assert not access.may_manage_quick_replies(town_admin, DISTRICT, ORG)
    for admin in (ADMIN, DISTRICT_ADMIN):
        assert all(access.may_manage_quick_replies(admin, unit, ORG) for unit in UNIT_IDS)
        assert not access.may_manage_quick_replies(admin, world.UNKNOWN_UNIT, ORG)
    for actor in (dispatcher(DISTRICT), handler(VILLAGE_A1), LEADER, INSPECTOR, SYSTEM, CITIZEN):
        assert not any(access.may_manage_quick_replies(actor, unit, ORG) for unit in UNIT_IDS), actor
    assert access.may_administer_quick_replies(town_admin)
    assert not access.may_administer_quick_replies(dispatcher(DISTRICT))


def test_staff_use_the_quick_replies_of_their_unit_and_the_units_above_it() -> None:
    me = handler(VILLAGE_A1)
    assert [u for u in UNIT_IDS if access.may_use_quick_replies(me, u, ORG)] == [DISTRICT, TOWN_A, VILLAGE_A1]
    assert [u for u in UNIT_IDS if access.may_use_quick_replies(dispatcher(TOWN_B), u, ORG)] == [
        DISTRICT,
        TOWN_B,
    ]
    # without a unit: the district center's set alone
    nowhere = Actor(7, Role.INSPECTOR, None, "质检员")
    assert [u for u in UNIT_IDS if access.may_use_quick_replies(nowhere, u, ORG)] == [DISTRICT]
    for actor in (SYSTEM, CITIZEN):
        assert not any(access.may_use_quick_replies(actor, u, ORG) for u in UNIT_IDS)
    assert not access.may_use_quick_replies(me, world.UNKNOWN_UNIT, ORG)


def test_a_personal_quick_reply_set_is_its_owners_alone() -> None:
    me = handler(VILLAGE_A1)
    assert access.may_manage_own_quick_replies(me, me.user_id)
    assert not access.may_manage_own_quick_replies(me, (me.user_id or 0) + 1)
    assert not access.may_manage_own_quick_replies(ADMIN, me.user_id)  # not even an admin
    assert not access.may_manage_own_quick_replies(CITIZEN, CITIZEN.user_id)
    assert not access.may_manage_own_quick_replies(SYSTEM, None)
    assert not access.may_manage_own_quick_replies(Actor(None, Role.ADMIN, None), None)


def test_a_citizen_follows_an_order_on_the_portal_only_with_the_last_four_digits_of_its_phone() -> None:
    awaiting = wo.OrderStatus.AWAITING_CALLBACK
    assert access.may_follow_by_phone(CITIZEN, OrderClaim("13812345678", "5678", wo.OrderStatus.IN_PROGRESS))
    assert access.may_follow_by_phone(CITIZEN, OrderClaim("13812345678", "５６７８", awaiting))  # full-width
    assert not access.may_follow_by_phone(CITIZEN, OrderClaim("13812345678", "1234", awaiting))
    assert not access.may_follow_by_phone(CITIZEN, OrderClaim("13812345678", "", awaiting))
    assert not access.may_follow_by_phone(CITIZEN, OrderClaim("13812345678", "45678", awaiting))
    assert not access.may_follow_by_phone(CITIZEN, OrderClaim(None, "5678", awaiting))  # no phone: nobody's
    assert not access.may_follow_by_phone(CITIZEN, OrderClaim("123", "0123", awaiting))
    for staff in world.ACTORS:  # staff read orders in the console, never by phone digits
        assert not access.may_follow_by_phone(staff, OrderClaim("13812345678", "5678", awaiting))


def test_a_citizen_rates_only_an_order_that_waits_for_its_callback() -> None:
    for status in wo.OrderStatus:
        claim = OrderClaim("13812345678", "5678", status)
        assert access.may_rate_by_phone(CITIZEN, claim) is (status is wo.OrderStatus.AWAITING_CALLBACK)
    assert not access.may_rate_by_phone(
        SYSTEM, OrderClaim("13812345678", "5678", wo.OrderStatus.AWAITING_CALLBACK)
    )


def test_a_citizen_attaches_photos_only_to_a_report_still_at_intake() -> None:
    fresh = [
        s for s in STATES if s.status is wo.OrderStatus.PENDING_DISPATCH and s.first_dispatched_at is None
    ]
    later = [s for s in STATES if s.first_dispatched_at is not None or s.status.is_terminal]
    assert fresh and later
    assert all(order_access.may_attach_to_report(CITIZEN, s, CTX) for s in fresh if len(s.chain) == 1)
    assert not any(order_access.may_attach_to_report(CITIZEN, s, CTX) for s in later)
    # the rule a file recorded on an order passes: a citizen by this rule only, staff by may_attach
    for state in STATES:
        assert order_access.attachment_allowed(CITIZEN, state, CTX) is order_access.may_attach_to_report(
            CITIZEN, state, CTX
        )
        for actor in world.ACTORS:
            assert order_access.attachment_allowed(actor, state, CTX) is order_access.may_attach(
                actor, state, CTX
            )
