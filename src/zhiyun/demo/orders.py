"""A few hundred demo orders with genuine histories, made by driving the real services.

Each planned order gets a story — register, dispatch down the hierarchy, sign, extension,
suspension, reply, review, rework, callback, reopen, supervision, leader instructions,
returns, redispatches, cancellation or merging — that stops at a target status. Every
status is reached (closed with every satisfaction), some orders are overdue. The steps of
all stories are sorted by time and applied through `WorkOrderService` with a clock set to
each step's instant, so the audit trail spreads over the past ~30 days exactly as if the
people of the demo district had done the work.

Seeding is idempotent: each order carries the external id ``DEMO-0001``…, and the
service's (channel, external id) idempotency makes a second run register nothing twice
and replay nothing.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from zhiyun.bootstrap import Services, build_services
from zhiyun.demo import topics as tp
from zhiyun.demo.district import (
    TOWN_OFFICES,
    TOWN_WEIGHTS,
    TOWNS,
    DemoDirectory,
    DemoTown,
    DemoVillage,
    person_name,
)
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.channels import MANUAL
from zhiyun.domain.errors import DomainError
from zhiyun.domain.org import Unit, UnitKind
from zhiyun.domain.workorder import (
    Callback,
    Cancel,
    CancelReason,
    Close,
    Command,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    Merge,
    OrderType,
    Redispatch,
    Reply,
    RequestExtension,
    RequestSuspension,
    ResolveOnIntake,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
    Urge,
    Urgency,
)
from zhiyun.intake.service import channel_actor
from zhiyun.orders.service import NewOrder
from zhiyun.orders.views import OrderDetail

log = logging.getLogger(__name__)

DEFAULT_COUNT = 300
DEFAULT_SEED = 2026
EXTERNAL_PREFIX = "DEMO-"
HISTORY_DAYS = 30

CHANNEL_WEIGHTS = {
    "12345": 45,
    "district_hotline": 20,
    "grid": 14,
    "police_110": 8,
    "city_mgmt_hotline": 6,
    "online_opinion": 4,
    "people_first": 3,
}
TARGET_WEIGHTS = {
    "closed": 42,
    "awaiting_callback": 7,
    "replied": 6,
    "in_progress": 14,
    "suspended": 3,
    "dispatched": 9,
    "pending_dispatch": 7,
    "cancelled": 5,
    "merged": 4,
}
SATISFACTION_WEIGHTS = {
    "satisfied": 58,
    "basically_satisfied": 20,
    "unsatisfied": 12,
    "unreachable": 6,
    "archived": 4,
}
# The first orders of every plan take these stories, so that even a small seed has them all.
FORCED: tuple[tuple[str, frozenset[str]], ...] = (
    ("pending_dispatch", frozenset()),
    ("pending_dispatch", frozenset({"returned"})),
    ("dispatched", frozenset()),
    ("dispatched", frozenset({"overdue", "urged"})),
    ("in_progress", frozenset()),
    ("in_progress", frozenset({"overdue", "supervised"})),
    ("in_progress", frozenset({"extension_pending"})),
    ("in_progress", frozenset({"reopened"})),
    ("suspended", frozenset()),
    ("replied", frozenset({"extension"})),
    ("awaiting_callback", frozenset({"rework"})),
    ("closed:satisfied", frozenset({"instructed", "supervised"})),
    ("closed:basically_satisfied", frozenset({"returned"})),
    ("closed:unsatisfied", frozenset()),
    ("closed:unreachable", frozenset()),
    ("closed:archived", frozenset()),
    ("closed:satisfied", frozenset({"resolved_on_intake"})),
    ("closed:satisfied", frozenset({"redispatched", "suspension"})),
    ("cancelled", frozenset()),
    ("merged", frozenset()),
)

# Reply limits in calendar days, roughly (working days x 7/5), to place open orders in time.
_LIMIT_DAYS = {
    OrderType.CONSULT: 2.8,
    OrderType.HELP: 14,
    OrderType.SUGGESTION: 14,
    OrderType.COMPLAINT: 21,
    OrderType.REPORT: 21,
    OrderType.PRAISE: 7,
}


class SimClock:
    """A clock the seeder sets to each step's instant."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class SeedReport:
    planned: int = 0
    created: int = 0
    existing: int = 0
    steps: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


Maker = Callable[[OrderDetail], Command]


@dataclass
class _Step:
    gap: float | None  # hours after the previous step; None: shortly before now
    actor: Actor
    make: Maker
    label: str


@dataclass
class _Plan:
    index: int
    draft: Draft
    target: str
    flags: frozenset[str]
    steps: list[_Step] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    master_index: int | None = None
    skip: bool = False

    @property
    def new(self) -> NewOrder:
        return self.draft.new

    @property
    def registrar(self) -> Actor:
        return self.draft.registrar


def _registration(plan: _Plan) -> tuple[Actor, NewOrder]:
    """Who registers a demo order: a channel's order comes in through the channel's interface
    (only the channel may use its own ids), at the center of the dispatcher who takes it over;
    a manual one is registered by that dispatcher."""
    new = plan.new
    if new.channel == MANUAL or not new.external_id:
        return plan.registrar, new
    return channel_actor(new.channel), replace(new, center_unit_id=plan.registrar.unit_id)


def _const(command: Command) -> Maker:
    return lambda _detail: command


def _extension_maker(rng: random.Random, days: int) -> Maker:
    reason = rng.choice(tp.EXTENSION_REASONS)

    def make(detail: OrderDetail) -> Command:
        due = detail.summary.reply_deadline.due_at if detail.summary.reply_deadline else datetime.now(UTC)
        return RequestExtension(note=reason, new_due_at=due + timedelta(days=days))

    return make


class _Story:
    """Builds the steps of one order along its route (a path of unit ids from the registering center)."""

    def __init__(
        self, plan: _Plan, d: DemoDirectory, rng: random.Random, path: list[int], values: dict[str, str]
    ) -> None:
        self.p, self.d, self.rng, self.path, self.values = plan, d, rng, path, values
        self.speed = 0.12 if plan.new.urgency is Urgency.URGENT else 1.0
        self.chain = [path[0]]

    # -- helpers -------------------------------------------------------------------

    def add(self, lo: float, hi: float, actor: Actor | None, make: Maker, label: str) -> None:
        if actor is None:
            raise LookupError(f"no demo user for step {label}")
        self.p.steps.append(_Step(self.rng.uniform(lo, hi) * self.speed, actor, make, label))

    def late(self, actor: Actor, make: Maker, label: str) -> None:
        self.p.steps.append(_Step(None, actor, make, label))

    def dispatcher(self, unit_id: int) -> Actor | None:
        return self.d.dispatcher_at(unit_id)

    def holder(self, unit_id: int) -> Actor | None:
        return self.d.holder_at(unit_id)

    @property
    def center(self) -> int:
        return self.chain[-2]

    def reply_text(self) -> str:
        return tp.fill(self.p.draft.variant.reply, self.values)

    def wrong_sibling(self, parent: int, right: int) -> Unit | None:
        options = [
            u
            for u in self.d.children(parent)
            if u.id != right and self.holder(u.id) is not None and u.kind is not UnitKind.OFFICE
        ]
        return self.rng.choice(options) if options else None

    # -- steps ---------------------------------------------------------------------

    def dispatch(self, to: int) -> None:
        self.add(0.1, 2.5, self.dispatcher(self.chain[-1]), _const(Dispatch(target_unit_id=to)), "dispatch")
        self.chain.append(to)

    def sign(self) -> None:
        self.add(0.1, 3.0, self.holder(self.chain[-1]), _const(Sign()), "sign")

    def returned(self, parent: int, right: int) -> None:
        wrong = self.wrong_sibling(parent, right)
        if wrong is None:
            return
        self.dispatch(wrong.id)
        if self.rng.random() < 0.5:
            self.sign()
        reason = self.rng.choice(tp.RETURN_REASONS)
        self.add(0.3, 5.0, self.holder(wrong.id), _const(Return(note=reason)), "return")
        self.chain.pop()

    def redispatched(self, parent: int, right: int) -> bool:
        wrong = self.wrong_sibling(parent, right)
        if wrong is None:
            return False
        self.dispatch(wrong.id)
        note = "原派单单位有误，改派至属地单位办理。"
        self.add(
            0.3,
            4.0,
            self.dispatcher(parent),
            _const(Redispatch(target_unit_id=right, note=note)),
            "redispatch",
        )
        self.chain[-1] = right
        return True

    def oversight(self, flags: frozenset[str], *, late_urge: bool = True) -> None:
        if "supervised" in flags:
            note = self.rng.choice(tp.SUPERVISE_NOTES)
            self.add(2, 24, self.d.leader, _const(Supervise(note=note)), "supervise")
        if "instructed" in flags:
            note = self.rng.choice(tp.INSTRUCT_NOTES)
            self.add(2, 24, self.d.leader, _const(Instruct(note=note)), "instruct")
        if "urged" in flags and len(self.chain) > 1:
            note = self.rng.choice(tp.URGE_NOTES)
            urger = self.d.dispatcher_at(self.path[0]) or self.d.leader
            if late_urge:
                self.late(urger, _const(Urge(note=note)), "urge")
            else:
                self.add(4, 48, urger, _const(Urge(note=note)), "urge")

    def reply(self, again: str = "") -> None:
        lo, hi = (3, 30) if self.p.new.order_type is OrderType.CONSULT else (20, 140)
        text = f"{again}{self.reply_text()}" if again else self.reply_text()
        self.add(lo, hi, self.holder(self.chain[-1]), _const(Reply(note=text)), "reply")

    def review(self, approve: bool = True) -> None:
        command = (
            Review(approve=True) if approve else Review(approve=False, note=self.rng.choice(tp.REWORK_NOTES))
        )
        self.add(1, 10, self.dispatcher(self.center), _const(command), "review")

    def callback(self, rating: Satisfaction, lo: float = 2, hi: float = 36) -> None:
        note = tp.CALLBACK_NOTES[rating.value]
        who = self.d.inspector if self.rng.random() < 0.7 else self.dispatcher(self.path[0])
        self.add(lo, hi, who, _const(Callback(satisfaction=rating, note=note)), "callback")


def _within_office_hours(t: datetime, rng: random.Random) -> datetime:
    """Move an instant outside 08:00–21:00 local time to the next morning."""
    local = t.astimezone(LOCAL_TZ)
    if 8 <= local.hour < 21:
        return t
    morning = local.replace(hour=8, minute=rng.randint(0, 59), second=rng.randint(0, 59))
    if local.hour >= 21:
        morning += timedelta(days=1)
    return morning.astimezone(UTC)


def _limit_days(new: NewOrder) -> float:
    return 1.0 if new.urgency is Urgency.URGENT else _LIMIT_DAYS[new.order_type]


@dataclass
class Draft:
    """A new order as a citizen (or a grid worker) would report it, with the route it should take."""

    new: NewOrder
    path: list[int]  # unit ids from the registering center down to the unit that should handle it
    registrar: Actor
    topic: tp.Topic
    variant: tp.Variant
    town: DemoTown
    village: DemoVillage
    values: dict[str, str]


def template_values(
    rng: random.Random, t: DemoTown, village: DemoVillage, *, next_year: bool = False
) -> dict[str, str]:
    """The words a topic's templates are filled with for one report in `village` of town `t`.

    `next_year`: the year asked about is the coming one (school enrollment is applied for ahead).
    Also used by benchmarks/intake.py, so that its reports read like the demo's.
    """
    roads = list(t.roads)
    road = rng.choice(roads)
    road2 = rng.choice([r for r in roads if r != road] or roads)
    short = village.aliases[0] if village.aliases else village.name
    return {
        "town": t.name,
        "village": village.name,
        "vshort": short,
        "road": road,
        "road2": road2,
        "no": str(rng.randint(1, 388)),
        "n": str(rng.randint(2, 8)),
        "days": str(rng.randint(2, 10)),
        "shop": rng.choice(tp.SHOPS),
        "company": rng.choice(tp.COMPANIES),
        "time": rng.choice(tp.TIMES),
        "school": f"{short}小学",
        "money": str(rng.randint(3, 60) * 500),
        "age": str(rng.choice((80, 85, 90, 95, 100))),
        "year": str(datetime.now(LOCAL_TZ).year + (1 if next_year else 0)),
    }


def _route(
    d: DemoDirectory, t: DemoTown, village: DemoVillage, route: str, channel: str
) -> tuple[list[int], Actor]:
    town_id = d.id(t.code)
    leaf_code = f"{t.code}-{village.suffix}"
    if route == tp.OFFICE:
        office = next((code for code, _n, parent, _a in TOWN_OFFICES if parent == t.code), None)
        leaf_code = office or leaf_code
    if route in (tp.VILLAGE, tp.OFFICE):
        leaf = d.id(leaf_code)
        town_dispatcher = d.dispatcher_at(town_id)
        if channel == "grid" and town_dispatcher is not None:
            return [town_id, leaf], town_dispatcher  # grid reports go to the town center
        path = [d.district.id, town_id, leaf]
    else:
        unit = d.unit(route)
        path = [d.district.id]
        if unit.parent_id is not None and unit.parent_id != d.district.id:
            path.append(unit.parent_id)
        path.append(unit.id)
    registrar = d.dispatcher_at(path[0])
    if registrar is None:
        raise LookupError(f"no dispatcher at unit {path[0]}")
    return path, registrar


_NARROW_CHANNELS = frozenset({"grid", "police_110", "city_mgmt_hotline"})


def draft_order(
    rng: random.Random, d: DemoDirectory, *, external_id: str | None = None, like: Draft | None = None
) -> Draft:
    """A realistic new order; `like` gives a second report of the same matter (a duplicate)."""
    topic = tp.pick_topic(rng)
    variant = rng.choice(topic.variants)
    town_code = rng.choices(list(TOWN_WEIGHTS), weights=list(TOWN_WEIGHTS.values()))[0]
    t = next(x for x in TOWNS if x.code == town_code)
    village = rng.choice(t.villages)
    values = template_values(rng, t, village, next_year=topic.key == "school_enrollment")
    if like is not None:
        topic, variant, t, village = like.topic, like.variant, like.town, like.village
        values = {**values, **{k: like.values[k] for k in ("road", "road2", "no", "shop", "company")}}
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    if channel not in topic.channels and (
        channel in _NARROW_CHANNELS or topic.order_type is OrderType.CONSULT
    ):
        channel = topic.channels[0]
    route = rng.choice(topic.routes)
    urgent = rng.random() < topic.urgent_share
    title, content, channel = tp.compose(topic, variant, channel, values)
    if channel == "grid" and route not in (tp.VILLAGE, tp.OFFICE) and tp.VILLAGE in topic.routes:
        route = tp.VILLAGE
    path, registrar = _route(d, t, village, route, channel)
    citizen = channel != "grid"
    lat = lon = None
    address = None
    if topic.located:
        vi = t.villages.index(village)
        angle = 2 * math.pi * vi / len(t.villages)
        lat = round(t.latitude + 0.012 * math.sin(angle) + rng.uniform(-0.004, 0.004), 6)
        lon = round(t.longitude + 0.012 * math.cos(angle) + rng.uniform(-0.004, 0.004), 6)
        address = f"佛山市南海区{t.name}{village.name}{values['road']}{values['no']}号"
    name = person_name(rng)
    mobile = tp.phone(rng)
    new = NewOrder(
        title=title,
        content=content,
        order_type=topic.order_type,
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        channel=channel,
        external_id=external_id,
        citizen_name=name if citizen else None,
        citizen_phone=mobile if citizen else None,
        address=address,
        latitude=lat,
        longitude=lon,
        confidential=topic.order_type is OrderType.REPORT and rng.random() < 0.3,
        category_code=tp.TOPIC_CATEGORIES.get(topic.key),
        note=f"{tp.CHANNEL_LABELS.get(channel, channel)}来件，已受理",
    )
    return Draft(new, path, registrar, topic, variant, t, village, values)


class Seeder:
    """Plans and applies the demo orders."""

    def __init__(self, services: Services, *, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> None:
        self.services = services
        self.count = count
        self.seed = seed
        self._ids: dict[int, int] = {}
        self._numbers: dict[int, str] = {}

    # -- planning ------------------------------------------------------------------

    def plan(self, d: DemoDirectory, now: datetime) -> list[_Plan]:
        rng = random.Random(self.seed)
        plans: list[_Plan] = []
        for index in range(self.count):
            if index < len(FORCED):
                target, flags = FORCED[index]
            else:
                target = rng.choices(list(TARGET_WEIGHTS), weights=list(TARGET_WEIGHTS.values()))[0]
                flags = frozenset()
            plans.append(self._plan_one(index, target, flags, rng, d, plans, now))
        return plans

    def _plan_one(
        self,
        index: int,
        target: str,
        flags: frozenset[str],
        rng: random.Random,
        d: DemoDirectory,
        plans: list[_Plan],
        now: datetime,
    ) -> _Plan:
        # Every random draw happens in the same order whatever the database holds, so the
        # plan of order N is the same on every run (the idempotency of seeding relies on it).
        master = None
        if target == "merged":
            # a master that stays open long enough for its duplicate to arrive and be merged
            candidates = [
                p
                for p in plans
                if p.target.startswith("closed")
                and p.master_index is None
                and "resolved_on_intake" not in p.flags
            ]
            master = rng.choice(candidates) if candidates else None
            if master is None:
                target = "cancelled"
        draft = draft_order(
            rng, d, external_id=f"{EXTERNAL_PREFIX}{index + 1:04d}", like=master.draft if master else None
        )
        if not flags and target not in ("cancelled", "merged"):
            flags = self._random_flags(rng, target, draft.topic)
        if target.startswith("closed") and ":" not in target:
            rating = rng.choices(list(SATISFACTION_WEIGHTS), weights=list(SATISFACTION_WEIGHTS.values()))[0]
            target = f"closed:{rating}"
        if "resolved_on_intake" in flags and (draft.topic.answer is None or len(draft.path) < 2):
            flags = flags - {"resolved_on_intake"}
        plan = _Plan(index, draft, target, flags)
        story = _Story(plan, d, rng, draft.path, draft.values)
        if master is not None:
            plan.master_index = master.index
            story.add(0.2, 2.0, draft.registrar, self._merge_maker(master.index), "merge")
        else:
            self._tell(story, target, flags)
        self._schedule(plan, now, master)
        return plan

    def _merge_maker(self, master_index: int) -> Maker:
        def make(_detail: OrderDetail) -> Command:
            number = self._numbers.get(master_index, "")
            return Merge(
                master_id=self._ids[master_index], note=f"与工单 {number} 反映同一问题，作重复件合并。"
            )

        return make

    @staticmethod
    def _random_flags(rng: random.Random, target: str, topic: tp.Topic) -> frozenset[str]:
        flags: set[str] = set()
        for flag, chance in (
            ("returned", 0.07),
            ("redispatched", 0.03),
            ("extension", 0.08),
            ("suspension", 0.03),
            ("rework", 0.06),
            ("supervised", 0.06),
            ("instructed", 0.03),
            ("urged", 0.06),
        ):
            if rng.random() < chance:
                flags.add(flag)
        if target in ("dispatched", "in_progress") and rng.random() < 0.3:
            flags.add("overdue")
        if target == "in_progress" and rng.random() < 0.12:
            flags.add("extension_pending")
        if target in ("in_progress", "replied", "awaiting_callback") and rng.random() < 0.05:
            flags.add("reopened")
        if topic.answer is not None and target.startswith("closed") and rng.random() < 0.4:
            flags.add("resolved_on_intake")
        return frozenset(flags)

    def _tell(self, s: _Story, target: str, flags: frozenset[str]) -> None:
        """The steps that take the order from registration to `target`."""
        rng, d = s.rng, s.d
        registrar = s.p.registrar
        if target == "cancelled":
            cancel_reason = rng.choice(list(CancelReason))
            s.add(
                0.2,
                6,
                registrar,
                _const(Cancel(reason=cancel_reason, note=tp.CANCEL_NOTES[cancel_reason.value])),
                "cancel",
            )
            return
        if "resolved_on_intake" in flags:
            answer = s.p.draft.topic.answer or ""
            s.add(0.05, 0.3, registrar, _const(ResolveOnIntake(note=answer)), "resolve_on_intake")
            if target.startswith("closed"):
                s.callback(Satisfaction.SATISFIED)
            return
        if target == "pending_dispatch":
            if "returned" in flags:
                s.returned(s.path[0], s.path[1])
            return
        path = s.path
        last = len(path) - 1
        stop_hop = rng.randint(1, last) if target == "dispatched" else last
        for hop in range(1, last + 1):
            if "returned" in flags and hop == last:
                s.returned(path[hop - 1], path[hop])
            if "redispatched" in flags and hop == last and s.redispatched(path[hop - 1], path[hop]):
                pass
            else:
                s.dispatch(path[hop])
            if target == "dispatched" and hop == stop_hop:
                s.oversight(flags)
                return
            s.sign()
        if "reopened" in flags:
            s.reply()
            s.review()
            s.callback(Satisfaction.UNSATISFIED)
            s.sign()
        if "extension" in flags or "extension_pending" in flags:
            s.add(
                8,
                60,
                s.holder(s.chain[-1]),
                _extension_maker(rng, rng.choice((5, 7, 10))),
                "request_extension",
            )
            if "extension_pending" in flags:
                s.oversight(flags)
                return
            approve = rng.random() < 0.8
            decision = (
                DecideExtension(approve=True, note="同意延期。")
                if approve
                else DecideExtension(approve=False, note=tp.REFUSE_EXTENSION)
            )
            s.add(1, 8, s.dispatcher(s.center), _const(decision), "decide_extension")
        if target == "suspended" or "suspension" in flags:
            reason = rng.choice(tp.SUSPENSION_REASONS)
            s.add(6, 48, s.holder(s.chain[-1]), _const(RequestSuspension(note=reason)), "request_suspension")
            s.add(
                1,
                8,
                s.dispatcher(s.center),
                _const(DecideSuspension(approve=True, note="同意挂起。")),
                "decide_suspension",
            )
            if target == "suspended":
                return
            s.add(24, 96, s.holder(s.chain[-1]), _const(Resume(note="诉求人已返回，恢复办理。")), "resume")
        if target == "in_progress":
            s.oversight(flags)
            return
        s.oversight(flags, late_urge=False)
        s.reply()
        if target == "replied":
            return
        if "rework" in flags:
            s.review(approve=False)
            s.reply(again="补充回复（已附现场照片）：")
        s.review()
        if target == "awaiting_callback":
            return
        rating = target.split(":", 1)[1]
        if rating == "archived":
            s.add(2, 24, d.inspector, _const(Close(note="诉求人表示无需回访，直接归档。")), "close")
        elif rating == "unreachable":
            for _ in range(3):
                s.callback(Satisfaction.UNREACHABLE, 3, 24)
        elif rating == "unsatisfied":
            s.callback(Satisfaction.UNSATISFIED)  # reopens (重办) once
            s.sign()
            s.reply(again="重办回复：再次上门核实处理，")
            s.review()
            final = rng.choice((Satisfaction.BASICALLY_SATISFIED, Satisfaction.UNSATISFIED))
            s.callback(final)
        else:
            s.callback(Satisfaction(rating))

    def _schedule(self, plan: _Plan, now: datetime, master: _Plan | None) -> None:
        """Place the order's steps in time; its own random stream keeps the plan independent of `now`."""
        rng = random.Random(f"{self.seed}-{plan.index}")
        latest = now - timedelta(minutes=3)
        limit = _limit_days(plan.new)
        target = plan.target.split(":", 1)[0]
        overdue = "overdue" in plan.flags
        windows = {
            "closed": (3, HISTORY_DAYS),
            "cancelled": (0.2, HISTORY_DAYS),
            "awaiting_callback": (1, 12),
            "replied": (0.5, 8),
            "pending_dispatch": (0.02, 0.4),
            "suspended": (1, 15),
        }
        if master is not None:
            # the duplicate arrives and is merged early in its master's life, while it is open
            span = master.times[-1] - master.times[0]
            start = master.times[0] + span * rng.uniform(0.05, 0.25)
            plan.times = [start, start + span * rng.uniform(0.02, 0.1)]
            return
        if target == "dispatched":
            lo, hi = (2, 12) if overdue else ((0.005, 0.03) if limit <= 1 else (0.02, 0.3))
        elif target == "in_progress":
            lo, hi = (min(limit * 1.45 + 1, 25), HISTORY_DAYS) if overdue else (0.1 * limit, 0.5 * limit)
        else:
            lo, hi = windows[target]
        start = now - timedelta(days=rng.uniform(lo, hi))
        total = sum(s.gap for s in plan.steps if s.gap is not None)
        room = (latest - start).total_seconds() / 3600
        scale = 1.0 if total <= 0 else min(1.0, 0.9 * room / total)
        if overdue:
            scale = min(scale, 0.3)
        office_hours = plan.new.urgency is Urgency.NORMAL
        for _attempt in range(6):
            times = self._times(plan, start, scale, latest, rng, office_hours)
            if times[-1] <= latest:
                break
            scale *= 0.6
        else:
            times = self._times(plan, start, scale, latest, rng, False)
        if max(times) > latest:
            # office hours pushed steps past now (seeding at night, Shanghai time): keep them in
            # order and compress the whole history into the time there is
            times = [max(times[: i + 1]) for i in range(len(times))]
            room_s, span_s = (latest - start).total_seconds(), (times[-1] - start).total_seconds()
            times = [start + (t - start) * (room_s / span_s) for t in times]
        # squeezed against `latest`: keep the steps in order
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                times[i] = times[i - 1] + timedelta(seconds=5)
        plan.times = times

    @staticmethod
    def _times(
        plan: _Plan, start: datetime, scale: float, latest: datetime, rng: random.Random, office_hours: bool
    ) -> list[datetime]:
        times = [start]
        t = start
        for step in plan.steps:
            if step.gap is None:
                t = max(t + timedelta(minutes=1), latest - timedelta(hours=rng.uniform(0.5, 8)))
            else:
                t = t + timedelta(hours=max(step.gap * scale, 1 / 60))
                if office_hours:
                    t = _within_office_hours(t, rng)
            times.append(min(t, latest) if step.gap is None else t)
        return times

    # -- applying ------------------------------------------------------------------

    def run(
        self,
        *,
        now: datetime | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> SeedReport:
        started = time.perf_counter()
        now = now or datetime.now(UTC)
        directory = DemoDirectory.load(self.services)
        clock = SimClock(now)
        svc = build_services(self.services.db, self.services.settings, clock=clock)
        plans = self.plan(directory, now)
        report = SeedReport(planned=len(plans))
        events = sorted((t, p.index, k) for p in plans for k, t in enumerate(p.times))
        details: dict[int, OrderDetail] = {}
        for done, (at, index, k) in enumerate(events, start=1):
            plan = plans[index]
            if plan.skip:
                continue
            clock.now = at
            label = "register" if k == 0 else plan.steps[k - 1].label
            try:
                if k == 0:
                    registered = svc.orders.register(*_registration(plan))
                    self._ids[index] = registered.order.summary.id
                    self._numbers[index] = registered.order.summary.number
                    details[index] = registered.order
                    if not registered.created:
                        plan.skip = True
                        report.existing += 1
                        continue
                    report.created += 1
                else:
                    step = plan.steps[k - 1]
                    details[index] = svc.orders.act(step.actor, self._ids[index], step.make(details[index]))
                report.steps += 1
            except DomainError as exc:
                plan.skip = True
                report.failures.append(f"{plan.new.external_id} {label}: {exc.message}")
                log.warning("demo order %s: %s failed: %s", plan.new.external_id, label, exc.message)
            if progress is not None and (done % 50 == 0 or done == len(events)):
                progress(done, len(events))
        report.seconds = time.perf_counter() - started
        return report


def seed_orders(
    services: Services,
    *,
    count: int = DEFAULT_COUNT,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedReport:
    """Register and move the demo orders that are not there yet (see the module docstring)."""
    return Seeder(services, count=count, seed=seed).run(now=now, progress=progress)
