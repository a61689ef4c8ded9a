"""Live activity for the demo: requests arrive through the channels, open orders move along.

A background thread, at a configurable rate, either posts a new request or takes one open
order one step further. New requests come from `demo.traffic` in each channel's own payload
and go through the REAL intake endpoint, `POST /api/v1/intake/{channel}` over HTTP, with a
key the simulator issues per channel at start (and revokes when it stops): the same
validation, normalization, location, idempotency and duplicate detection as any
integration. Among them: the same matter reported from several channels within minutes (so
that duplicates are merged or flagged), exact repeats of a payload (idempotency: the same
order again) and, every `typhoon_every_minutes`, a typhoon-day burst across the towns. The
topics follow the season of the (simulated) date. A share of citizens (`open311_share`)
report from a phone app that speaks Open311 GeoReport v2: their reports go through the
REAL `POST /open311/v2/requests.json`, as a form with the `open311` channel's key as
`api_key`, and are merged, flagged or registered like any other.

Moving orders along goes through the services as the simulator's OWN accounts (sim_…, shown
as 模拟派单员, 模拟承办人, 模拟督办领导, 模拟回访员; `district.sim_users`), never as an account
people sign in with: the simulated district dispatcher dispatches an order on (along the route
its topic implies) or decides a flagged possible duplicate, the simulated village handler
signs for it and replies, the simulated center reviews, the simulated inspector calls the
citizen back. Everything is audited and obeys the rules; a refusal (409, 422…) or a failed
post is one log line and the simulator goes on. It never raises into the demo.

People have work too. The simulator works only orders it brought in itself while running,
and not all of them: a share of its new orders (`people_share`) it leaves untouched where
intake put them (a district dispatcher's 待分拨, or a unit's 待签收 after automatic dispatch);
a share of its possible duplicates (`people_duplicate_share`) it passes with the flag open
to the town (or department) they are headed for, where they show under 疑似重复; an order
one of its handlers returned (退单) waits in the center's 待分拨 for a person to dispatch it
again. Seeded orders and orders of earlier runs are never touched. On start
(`stock_people`), every town whose 待分拨 or 疑似重复 is empty gets one of each at once: a
report misrouted to the wrong village and returned, and a matter reported twice whose
second report is flagged.

Deterministic for a given seed, clock and database state (tests drive `step()` with a
poster over Starlette's TestClient instead of HTTP).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import httpx

from zhiyun.bootstrap import Services
from zhiyun.demo import topics as tp
from zhiyun.demo.district import DEMO_ADMIN, TOWN_OFFICES, TOWNS, DemoDirectory
from zhiyun.demo.traffic.generator import TrafficGenerator
from zhiyun.demo.traffic.open311_reports import OPEN311_APP, OPEN311_CHANNEL
from zhiyun.demo.traffic.payloads import Request
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import DomainError
from zhiyun.domain.org import UnitKind
from zhiyun.domain.workorder import (
    OPEN_STATUSES,
    Callback,
    Cancel,
    CancelReason,
    Command,
    DecideExtension,
    DecideSuspension,
    Dispatch,
    Instruct,
    OrderStatus,
    Reply,
    RequestExtension,
    RequestSuspension,
    Resume,
    Return,
    Review,
    Satisfaction,
    Sign,
    Supervise,
)
from zhiyun.intake.channels import CHANNEL_SPECS
from zhiyun.orders.views import OrderDetail

log = logging.getLogger(__name__)

GENERIC_REPLY = "已安排工作人员到现场核查处理，问题已解决，并已电话告知诉求人处理结果。"
_RATINGS = (
    Satisfaction.SATISFIED,
    Satisfaction.BASICALLY_SATISFIED,
    Satisfaction.UNSATISFIED,
    Satisfaction.UNREACHABLE,
)
_RATING_WEIGHTS = (70, 18, 8, 4)
INTAKE_PATH = "/api/v1/intake/{channel}"
OPEN311_PATH = "/open311/v2/requests.json"
MAX_ROUTES = 20_000
MAX_LEFT = 1_000  # orders left to people that the simulator remembers (for the banner and tests)


class Poster(Protocol):
    """Posts one payload to a channel's intake endpoint: (HTTP status, JSON body)."""

    def __call__(
        self, channel: str, payload: Mapping[str, Any], key: str
    ) -> tuple[int, dict[str, Any]]: ...  # pragma: no cover


class ChannelPoster:
    """Posts to `/api/v1/intake/{channel}` with an httpx client: a real one, or a TestClient in tests."""

    def __init__(self, client: httpx.Client, *, close_client: bool = False) -> None:
        self.client = client
        self._close_client = close_client

    @classmethod
    def http(cls, base_url: str, *, timeout: float = 15.0) -> ChannelPoster:
        """A poster to a running server (proxies from the environment are ignored: it is local)."""
        return cls(httpx.Client(base_url=base_url, timeout=timeout, trust_env=False), close_client=True)

    def __call__(self, channel: str, payload: Mapping[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        if channel == OPEN311_CHANNEL:
            return self._post_open311(payload, key)
        response = self.client.post(
            INTAKE_PATH.format(channel=channel), json=dict(payload), headers={"X-Channel-Key": key}
        )
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:200]}
        return response.status_code, body if isinstance(body, dict) else {"body": body}

    def _post_open311(self, form: Mapping[str, Any], key: str) -> tuple[int, dict[str, Any]]:
        """A GeoReport v2 POST Service Request, as a phone app sends it (a form, the key in it).

        The answer is the spec's list with one item; it becomes {"order_number": …} (the
        service_request_id is the order number), or {"message": …} from the spec's error list.
        """
        response = self.client.post(OPEN311_PATH, data={**form, "api_key": key})
        try:
            body = response.json()
        except ValueError:
            return response.status_code, {"message": response.text[:200]}
        first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        if response.status_code in (200, 201) and first.get("service_request_id"):
            return response.status_code, {"order_number": first["service_request_id"], "open311": True}
        return response.status_code, {"message": first.get("description") or str(body)[:200]}

    def wait_healthy(self, stop: threading.Event, timeout: float = 120.0) -> bool:
        """Wait until GET /healthz answers 200 (True), `stop` is set or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                if self.client.get("/healthz").status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            stop.wait(0.25)
        return False

    def close(self) -> None:
        if self._close_client:
            self.client.close()


@dataclass(frozen=True)
class _Route:
    """Where an order the simulator posted should go, and what its handler will answer."""

    path: list[int]  # unit ids from the district center down to the handling unit
    reply: str


class TrafficSimulator:
    """Posts a few requests a minute through the channels and moves open orders along."""

    def __init__(
        self,
        services: Services,
        *,
        poster: Poster | None = None,
        base_url: str | None = None,
        rate_per_minute: float = 3.0,
        moves_per_order: int = 8,
        seed: int | None = None,
        season_date: date | None = None,
        typhoon_every_minutes: float = 20.0,
        typhoon_size: int = 24,
        event_share: float = 0.10,
        repeat_share: float = 0.04,
        open311_share: float = 0.05,
        channel_weights: Mapping[str, float] | None = None,
        clock: Callable[[], datetime] | None = None,
        people_share: float = 0.3,
        people_duplicate_share: float = 0.5,
        stock_people: bool = True,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        if typhoon_every_minutes < 0 or typhoon_size < 0:
            raise ValueError("typhoon_every_minutes and typhoon_size must not be negative")
        if (
            min(event_share, repeat_share, open311_share) < 0
            or event_share + repeat_share + open311_share > 1
        ):
            raise ValueError(
                "event_share, repeat_share and open311_share must not be negative nor add up to more than 1"
            )
        if not (0 <= people_share <= 1 and 0 <= people_duplicate_share <= 1):
            raise ValueError("people_share and people_duplicate_share must lie between 0 and 1")
        if poster is None:
            if base_url is None:
                raise ValueError("the simulator needs a poster or the base URL of the demo server")
            poster = ChannelPoster.http(base_url)
        self.services = services
        self.poster = poster
        self.base_url = base_url
        self.rate_per_minute = rate_per_minute
        self.moves_per_order = moves_per_order
        self.seed = seed
        self.rng = random.Random(seed)
        self.generator = TrafficGenerator(
            random.Random(f"{seed}-traffic") if seed is not None else random.Random(),
            channel_weights=channel_weights,
        )
        self.season_date = season_date
        self.typhoon_every_minutes = typhoon_every_minutes
        self.typhoon_size = typhoon_size
        self.event_share = event_share
        self.repeat_share = repeat_share
        self.open311_share = open311_share
        self.people_share = people_share
        self.people_duplicate_share = people_duplicate_share
        self.stock_people = stock_people
        self._clock = clock or (lambda: datetime.now(UTC))
        self.counts: Counter[str] = Counter()
        self.by_channel: Counter[str] = Counter()
        self.routes: dict[int, _Route] = {}
        self.working: dict[int, None] = {}  # the orders the simulator works (an ordered set)
        self.left: deque[int] = deque(maxlen=MAX_LEFT)  # orders it left to people
        self.flagged: dict[int, list[str]] = {}
        self.keys: dict[str, str] = {}
        self.arrivals = 0
        self._queue: deque[Request] = deque()
        self._recent: deque[Request] = deque(maxlen=30)
        self._directory: DemoDirectory | None = None
        self._last_order_id: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- configuration, for the banner ------------------------------------------------------

    @property
    def channels(self) -> list[str]:
        """The channels the traffic posts through (the Open311 app's last)."""
        return list(self.generator.channel_weights) + ([OPEN311_CHANNEL] if self.open311_share > 0 else [])

    @property
    def interval(self) -> float:
        """Seconds between two steps: `rate_per_minute` arrivals plus their moves per minute."""
        return 60.0 / (self.rate_per_minute * (1 + self.moves_per_order))

    @property
    def typhoon_period(self) -> int:
        """Arrivals between two typhoon bursts (0: none)."""
        if self.typhoon_every_minutes <= 0 or self.typhoon_size <= 0:
            return 0
        return max(1, round(self.typhoon_every_minutes * self.rate_per_minute))

    def now(self) -> datetime:
        """The simulated instant: the clock moved to `season_date` (same time of day)."""
        now = self._clock()
        if self.season_date is None:
            return now
        return now + timedelta(days=(self.season_date - now.astimezone(LOCAL_TZ).date()).days)

    def describe(self) -> list[str]:
        """What the traffic looks like, in Chinese, one line per fact (for the demo banner)."""
        names = "、".join(CHANNEL_SPECS[c].name for c in self.generator.channel_weights)
        local = self.now().astimezone(LOCAL_TZ)
        season = tp.SEASON_LABELS.get(local.month)
        lines = [f"来件渠道：{names}（经 POST /api/v1/intake/{{渠道}}，各用渠道密钥）"]
        if self.open311_share > 0:
            lines.append(
                f"市民 App「{OPEN311_APP}」：约 {self.open311_share:.0%} 的来件按 Open311 GeoReport v2 "
                f"经 POST {OPEN311_PATH} 上报（open311 渠道密钥作 api_key）"
            )
        lines += [
            f"来件速度：每分钟约 {self.rate_per_minute:g} 件；其中约 {self.event_share:.0%} 为同一事件多渠道上报"
            f"（合并或标记疑似重复），约 {self.repeat_share:.0%} 为接口重复推送（幂等）",
            f"模拟日期：{local:%Y-%m-%d}" + (f"（{season}）" if season else ""),
        ]
        if self.typhoon_period:
            lines.append(
                f"台风突发：约每 {self.typhoon_every_minutes:g} 分钟一次，{self.typhoon_size} 件紧急来件"
                "（树木倒伏、水浸、停电）遍及各镇街"
            )
        lines += [
            "模拟办理：以 sim_ 开头的模拟账号（模拟派单员、模拟承办人、模拟督办领导、模拟回访员）办理模拟器自己推送的来件，"
            "从不使用供人登录的演示账号",
            f"留给人工：约 {self.people_share:.0%} 的新来件原样不动（待分拨、待签收），"
            f"约 {self.people_duplicate_share:.0%} 的疑似重复转到所在镇街由人工判断（疑似重复），"
            "模拟承办人退回的工单留在上级中心的待分拨；演示种子工单和以前运行留下的工单模拟器一律不动",
        ]
        if self.stock_people:
            lines.append("启动时：待分拨或疑似重复为空的镇街，各先放入一件（被退回的错派件、一件疑似重复）")
        return lines

    # -- the thread ---------------------------------------------------------------

    def start(self) -> None:
        """Issue the channel keys, then post and move orders in a background thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self.issue_keys()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="zhiyun-traffic", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, revoke the keys the simulator issued and close its HTTP client."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.revoke_keys()
        close = getattr(self.poster, "close", None)
        if callable(close):
            try:
                close()
            except Exception:  # pragma: no cover - closing a client must not fail the demo
                log.debug("traffic simulator: closing the poster failed", exc_info=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        wait = getattr(self.poster, "wait_healthy", None)
        if callable(wait) and not wait(self._stop):
            if self._stop.is_set():
                return
            log.warning("traffic simulator: the server did not answer /healthz; posting anyway")
        log.info(
            "traffic simulator started: %.1f requests/min through %d channels, a step every %.1f s",
            self.rate_per_minute,
            len(self.channels),
            self.interval,
        )
        if self.stock_people:
            try:
                self.stock_people_queues()
            except Exception:  # the live traffic goes on without it
                self.counts["errors"] += 1
                log.exception("traffic simulator: stocking the towns' queues failed; continuing")
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception:  # never let the demo die of a simulated citizen
                self.counts["errors"] += 1
                log.exception("traffic simulator: a step failed; continuing")
        log.info("traffic simulator stopped: %s", dict(self.counts))

    # -- one step ---------------------------------------------------------------

    @property
    def directory(self) -> DemoDirectory:
        """The simulator's own accounts (sim_…) by unit: never an account people sign in with."""
        if self._directory is None:
            self._directory = DemoDirectory.load(self.services, simulated=True)
        return self._directory

    def step(self) -> str:
        """Post a request or move an order; returns what happened (for logs and tests).

        A typhoon burst, once begun, posts one report on every step until it is through.
        """
        if self._queue and self._queue[0].kind == "typhoon":
            return self.post(self._queue.popleft())
        if self.rng.random() < 1 / (1 + self.moves_per_order):
            return self.arrive()
        return self.advance_one()

    def arrive(self) -> str:
        """The next request: a pending report of an event, a typhoon burst, an event, a repeat or a single one."""
        if self._queue:
            return self.post(self._queue.popleft())
        self.arrivals += 1
        now = self.now()
        period = self.typhoon_period
        if (
            period
            and self.arrivals >= max(1, period // 4)
            and (self.arrivals - max(1, period // 4)) % period == 0
        ):
            burst = self.generator.typhoon(now, self.typhoon_size)
            self.counts["typhoons"] += 1
            log.info("traffic simulator: a typhoon burst of %d reports begins", len(burst))
            self._queue.extend(burst[1:])
            return self.post(burst[0])
        roll = self.rng.random()
        if roll < self.event_share:
            reports = self.generator.event(now)
            self.counts["events"] += 1
            self._queue.extend(reports[1:])
            return self.post(reports[0])
        if roll < self.event_share + self.repeat_share and self._recent:
            original = self.rng.choice(list(self._recent))
            return self.post(self.generator.repeat(original, changed=self.rng.random() < 0.3))
        if (
            self.event_share + self.repeat_share
            <= roll
            < self.event_share + self.repeat_share + self.open311_share
        ):
            return self.post(self.generator.open311(now))
        return self.post(self.generator.single(now))

    # -- posting through the channel endpoint ----------------------------------------------------

    def issue_keys(self) -> None:
        """A key for every channel the traffic uses (as `zhiyun channel key` would); failures are logged."""
        for channel in self.channels:
            try:
                self.key(channel)
            except Exception:  # the first post will try again
                log.warning("traffic simulator: issuing a key for %s failed", channel, exc_info=True)

    def key(self, channel: str, *, renew: bool = False) -> str:
        """The simulator's key for `channel`, issued on first use (as `zhiyun channel key` would)."""
        if renew or channel not in self.keys:
            self.keys[channel] = self.services.channels.issue_key(DEMO_ADMIN, channel).key
        return self.keys[channel]

    def revoke_keys(self) -> int:
        """Revoke the keys the simulator issued; how many."""
        revoked = 0
        for channel, key in list(self.keys.items()):
            try:
                revoked += self.services.channels.revoke_keys(DEMO_ADMIN, channel, key[:10])
            except Exception:  # the database may be gone at shutdown
                log.debug("traffic simulator: revoking the %s key failed", channel, exc_info=True)
        self.keys.clear()
        return revoked

    def post(self, request: Request, *, for_people: bool | None = None) -> str:
        """Post one request to its channel's endpoint and note what became of it.

        A new order is then either worked by the simulator or left to people (`for_people`;
        None: by `people_share`, or `people_duplicate_share` for a possible duplicate).
        """
        channel = request.channel
        self._last_order_id = None
        try:
            status, body = self.poster(channel, request.payload, self.key(channel))
            # someone revoked the key (zhiyun channel revoke): a new one, once; GeoReport v2
            # refuses an api_key with 403 where the intake endpoint answers 401
            if status == 401 or (status == 403 and channel == OPEN311_CHANNEL):
                status, body = self.poster(channel, request.payload, self.key(channel, renew=True))
        except Exception as exc:  # the server is down, restarting, …: log and go on
            self.counts["post_errors"] += 1
            log.warning("traffic simulator: posting to %s failed: %s", channel, exc)
            return f"error {channel}: {exc}"
        if status not in (200, 201):
            self.counts["rejected"] += 1
            log.warning(
                "traffic simulator: %s refused %s (%s): %s",
                channel,
                request.external_id,
                status,
                body.get("message") or body,
            )
            return f"rejected {channel} {status}: {body.get('message', '')}"
        self.counts["posted"] += 1
        self.by_channel[channel] += 1
        if body.get("open311"):
            body = self._open311_outcome(str(body["order_number"]))
        elif request.kind in ("single", "event", "typhoon"):
            self._recent.append(request)  # a GeoReport v2 app has no id to post again with
        number = body.get("order_number", "")
        order_id = body.get("order_id")
        self._last_order_id = order_id if isinstance(order_id, int) else None
        if not body.get("created"):
            kind = "updated" if body.get("updated") else "repeated"
            self.counts[kind] += 1
            log.info("traffic simulator: %s %s again (%s): %s", channel, request.external_id, kind, number)
            return f"{kind} {channel} {number}"
        self.counts["created"] += 1
        if request.kind == "typhoon":
            self.counts["typhoon_reports"] += 1
        if body.get("duplicate_of"):
            self.counts["merged"] += 1
            log.info("traffic simulator: %s %s merged into %s", channel, number, body["duplicate_of"])
            return f"merged {channel} {number} into {body['duplicate_of']}"
        if isinstance(order_id, int):
            route = self._route_of(request)
            if route is not None:
                self.routes[order_id] = route
                if len(self.routes) > MAX_ROUTES:  # a demo running for days: forget the oldest
                    del self.routes[next(iter(self.routes))]
        if body.get("possible_duplicates"):
            self.counts["flagged"] += 1
            log.info("traffic simulator: %s %s flagged (%s)", channel, number, body["possible_duplicates"])
            outcome = f"flagged {channel} {number} like {','.join(body['possible_duplicates'])}"
            if isinstance(order_id, int):
                if self._for_people(for_people, self.people_duplicate_share):
                    return f"{outcome}; {self.leave_flag_to_town(order_id, request)}"
                self.flagged[order_id] = list(body["possible_duplicates"])
                self._work_on(order_id)
            return outcome
        log.info("traffic simulator: %s %s registered", channel, number)
        if isinstance(order_id, int):
            if self._for_people(for_people, self.people_share):
                self._leave(order_id)
                self.counts["left_to_people"] += 1
                return f"created {channel} {number} (left to people)"
            self._work_on(order_id)
        return f"created {channel} {number}"

    # -- who works an order: the simulator or people ---------------------------------------------

    def _for_people(self, decided: bool | None, share: float) -> bool:
        return decided if decided is not None else self.rng.random() < share

    def _work_on(self, order_id: int) -> None:
        self.working[order_id] = None
        if len(self.working) > MAX_ROUTES:
            del self.working[next(iter(self.working))]

    def _leave(self, order_id: int) -> None:
        self.working.pop(order_id, None)
        self.flagged.pop(order_id, None)
        self.left.append(order_id)

    def _town_of(self, order_id: int, request: Request | None) -> int | None:
        """The unit below the district an order is headed for: its town, or a department."""
        route = self.routes.get(order_id)
        if route is not None and len(route.path) > 2:
            return route.path[1]
        if request is not None:
            try:
                return self.directory.id(request.town)
            except (KeyError, LookupError):
                return None
        return None

    def leave_flag_to_town(
        self, order_id: int, request: Request | None = None, *, town: int | None = None
    ) -> str:
        """A possible duplicate left to people: the simulated district dispatcher passes it on to the
        town (or department) it is headed for with the flag still open, so that the dispatchers
        there find it under 疑似重复."""
        self._leave(order_id)
        self.counts["flags_left"] += 1
        d = self.directory
        town = town if town is not None else self._town_of(order_id, request)
        actor = d.dispatcher_at(d.district.id)
        if town is None or actor is None:
            return "left to people"
        try:
            detail = self.services.orders.get(d.leader, order_id)
            if detail.summary.status != OrderStatus.PENDING_DISPATCH.value or (
                detail.summary.current_unit and detail.summary.current_unit.id != d.district.id
            ):
                return "left to people"
            note = "疑似重复件，请属地核实是否与已有工单为同一问题。"
            self.services.orders.act(
                actor,
                order_id,
                Dispatch(target_unit_id=town, note=note),
                expected_version=detail.summary.version,
            )
        except DomainError as exc:
            self.counts["refused"] += 1
            log.info("traffic simulator: passing flagged order %s on refused: %s", order_id, exc.message)
            return f"left to people (not passed on: {exc.message})"
        self.counts["dispatch"] += 1
        return f"passed to {d.org.get(town).name} for people"

    def return_to_town(self, order_id: int, town: int, right: int | None = None) -> str:
        """An order misrouted to the wrong village and returned (退单): it ends in `town`'s 待分拨,
        where people dispatch it again. Every step by the simulator's own accounts; at most 8."""
        d, reader = self.directory, self.directory.leader
        self._leave(order_id)
        for _ in range(8):
            detail = self.services.orders.get(reader, order_id)
            status = OrderStatus(detail.summary.status)
            holder = detail.summary.current_unit.id if detail.summary.current_unit else None
            if holder is None:
                return "stuck"
            actor: Actor | None
            command: Command
            if status is OrderStatus.PENDING_DISPATCH and holder == town:
                self.counts["returns_left"] += 1
                return f"returned to {d.org.get(town).name} for people"
            if status is OrderStatus.PENDING_DISPATCH and d.org.is_within(town, holder) and holder != town:
                actor, command = d.dispatcher_at(holder), Dispatch(target_unit_id=town)
            elif status is OrderStatus.DISPATCHED and holder == town:
                actor, command = d.holder_at(town), Sign()
            elif status is OrderStatus.IN_PROGRESS and holder == town:
                wrong = [
                    u
                    for u in d.children(town, UnitKind.VILLAGE)
                    if u.id != right and d.holder_at(u.id) is not None
                ]
                if not wrong:
                    return "stuck"
                actor = d.dispatcher_at(town)
                command = Dispatch(target_unit_id=self.rng.choice(wrong).id)
            elif status in (OrderStatus.DISPATCHED, OrderStatus.IN_PROGRESS) and holder != town:
                actor, command = d.holder_at(holder), Return(note=tp.RETURN_REASONS[0])
            else:
                return f"stuck at {status.value}"
            if actor is None:
                return "stuck"
            try:
                self.services.orders.act(actor, order_id, command, expected_version=detail.summary.version)
            except DomainError as exc:
                self.counts["refused"] += 1
                log.info("traffic simulator: misrouting %s refused: %s", order_id, exc.message)
                return f"refused {command.action.value}: {exc.message}"
            self.counts[command.action.value] += 1
        return "stuck"

    def stock_people_queues(self) -> list[str]:
        """Work for people at once: every town whose 待分拨 or 疑似重复 is empty (as its dispatchers
        see it) gets a misrouted report returned to it and a possible duplicate passed to it."""
        d = self.directory
        outcomes: list[str] = []
        for town in TOWNS:
            if self._stop.is_set():
                break
            try:
                town_id = d.id(town.code)
            except (KeyError, LookupError):
                continue
            dispatcher = d.dispatcher_at(town_id)
            if dispatcher is None:
                continue
            counts = {q.key: q.count for q in self.services.worklists.counts(dispatcher)}
            if counts.get("to_dispatch", 0) == 0:
                outcomes.append(self._stock_return(town.code, town_id))
            if counts.get("duplicates", 0) == 0:
                outcomes.append(self._stock_duplicate(town.code, town_id))
        return outcomes

    def _stock_return(self, code: str, town_id: int) -> str:
        now = self.now()
        for _ in range(12):  # a matter a village handles, in that town
            request = self.generator.single(now, channel="12345", town=code)
            if request.route == tp.VILLAGE and request.village:
                break
        else:
            return f"no village matter for {code}"
        outcome = self.post(request, for_people=True)
        order_id = self._last_order_id
        if not outcome.startswith("created") or order_id is None:
            return outcome
        right = self.routes[order_id].path[-1] if order_id in self.routes else None
        return f"{outcome}; {self.return_to_town(order_id, town_id, right)}"

    def _stock_duplicate(self, code: str, town_id: int) -> str:
        now = self.now()
        for _ in range(4):  # an event usually flags one of its later reports within a try or two
            reports = self.generator.event(now, town=code)
            outcome = self.post(reports[0])
            for report in reports[1:]:
                outcome = self.post(report, for_people=False)
                order_id = self._last_order_id
                if outcome.startswith("flagged") and order_id is not None:
                    self.flagged.pop(order_id, None)
                    return f"{outcome}; {self.leave_flag_to_town(order_id, report, town=town_id)}"
        return f"no possible duplicate for {code}"

    def _open311_outcome(self, number: str) -> dict[str, Any]:
        """What intake made of an Open311 post, in the intake endpoint's terms (the GeoReport
        answer carries only the order number): read as the district's leader."""
        reader = self.directory.leader
        detail = self.services.orders.get(reader, number)
        candidates = [] if detail.master else self.services.duplicates.candidates(reader, detail.summary.id)
        possible = [c["number"] for c in candidates if c["decision"] == "open"]
        return {
            "order_number": number,
            "order_id": detail.summary.id,
            "created": True,
            "duplicate_of": detail.master.number if detail.master else None,
            "possible_duplicates": possible,
        }

    def _route_of(self, request: Request) -> _Route | None:
        """The units a request should pass through, from the district center (intake registers there)."""
        d = self.directory
        try:
            district = d.district.id
            if request.route in (tp.VILLAGE, tp.OFFICE):
                leaf = request.village
                if request.route == tp.OFFICE:
                    leaf = next((c for c, _n, parent, _a in TOWN_OFFICES if parent == request.town), leaf)
                if leaf is None:
                    return None
                return _Route([district, d.id(request.town), d.id(leaf)], request.reply)
            unit = d.unit(request.route)
        except (KeyError, LookupError):
            return None  # a district without that unit: the dispatchers choose
        path = [district]
        if unit.parent_id is not None and unit.parent_id != district:
            path.append(unit.parent_id)
        path.append(unit.id)
        return _Route(path, request.reply)

    # -- moving orders along ------------------------------------------------------------

    def advance_one(self) -> str:
        """Take one of the simulator's own open orders a step further (none yet: a new arrival)."""
        if self.flagged and self.rng.random() < 0.25:
            return self.decide_flagged()
        if not self.working:
            return self.arrive()
        order_id = self.rng.choice(list(self.working))
        detail = self.services.orders.get(self.directory.leader, order_id)
        summary = detail.summary
        if OrderStatus(summary.status) not in OPEN_STATUSES:  # closed, merged or cancelled
            del self.working[order_id]
            self.counts["finished"] += 1
            return f"finished {summary.number}"
        move = self.next_move(detail)
        if move is None:
            self.counts["idle"] += 1
            return f"idle {summary.number}"
        actor, command = move
        try:
            self.services.orders.act(actor, summary.id, command, expected_version=detail.summary.version)
        except DomainError as exc:  # 409 (someone was faster, or the rules said no): carry on
            self.counts["refused"] += 1
            log.info(
                "traffic simulator: %s on %s refused (%s): %s",
                command.action.value,
                summary.number,
                exc.code,
                exc.message,
            )
            return f"refused {command.action.value} {summary.number}: {exc.message}"
        self.counts[command.action.value] += 1
        log.info("traffic simulator: %s %s by %s", command.action.label, summary.number, actor.name)
        if isinstance(command, Return):  # a misrouted order: people at the center above dispatch it again
            self._leave(summary.id)
            self.counts["returns_left"] += 1
            return f"return {summary.number} (left to people)"
        return f"{command.action.value} {summary.number}"

    def decide_flagged(self) -> str:
        """The district dispatcher decides the oldest flagged order: merge it into its candidate, or not.

        An order that has become a master itself (later reports were merged into it) cannot be
        merged: the dispatcher dismisses the flag instead.
        """
        order_id, candidates = next(iter(self.flagged.items()))
        del self.flagged[order_id]
        actor = self.directory.dispatcher_at(self.directory.district.id)
        if actor is None or not candidates:
            return f"idle flagged {order_id}"
        attempts: list[str | None] = [candidates[0], None] if self.rng.random() < 0.6 else [None]
        last = ""
        for master in attempts:
            note = (
                f"经核实与工单 {master} 反映同一问题，合并办理。"
                if master
                else "经核实不是同一问题，继续办理。"
            )
            try:
                detail = self.services.duplicates.decide(actor, order_id, merge_into=master, note=note)
            except DomainError as exc:
                log.info("traffic simulator: deciding flagged order %s refused: %s", order_id, exc.message)
                last = exc.message
                continue
            if master:
                self.routes.pop(order_id, None)
            self.counts["merge_confirmed" if master else "dismissed"] += 1
            return f"{'merge' if master else 'dismiss'} {detail.summary.number}"
        self.counts["refused"] += 1
        return f"refused decide {order_id}: {last}"

    # -- who does what next ---------------------------------------------------------

    def next_move(self, detail: OrderDetail) -> tuple[Actor, Command] | None:
        """The step a demo user would take next on this order, or None when nobody can."""
        d, rng = self.directory, self.rng
        status = OrderStatus(detail.summary.status)
        holder = detail.summary.current_unit.id if detail.summary.current_unit else None
        center = detail.dispatching_unit.id if detail.dispatching_unit else None
        if holder is None:
            return None
        if rng.random() < 0.02 and len(detail.chain) > 1:
            if rng.random() < 0.5:
                return d.leader, Supervise(note=rng.choice(tp.SUPERVISE_NOTES))
            return d.leader, Instruct(note=rng.choice(tp.INSTRUCT_NOTES))
        if status is OrderStatus.PENDING_DISPATCH:
            actor = d.dispatcher_at(holder)
            if actor is None:
                return None
            if len(detail.chain) == 1 and rng.random() < 0.04:
                return actor, Cancel(reason=CancelReason.INVALID, note=tp.CANCEL_NOTES["invalid"])
            target = self._next_unit(detail.summary.id, holder)
            return (actor, Dispatch(target_unit_id=target)) if target is not None else None
        if status is OrderStatus.DISPATCHED:
            actor = d.holder_at(holder)
            if actor is None:
                return None
            if len(detail.chain) > 1 and rng.random() < 0.05:
                return actor, Return(note=rng.choice(tp.RETURN_REASONS))
            return actor, Sign()
        if status is OrderStatus.IN_PROGRESS:
            return self._work(detail, holder, center)
        if status is OrderStatus.SUSPENDED:
            actor = d.holder_at(holder)
            return (actor, Resume(note="挂起事由已消除，恢复办理。")) if actor else None
        if status is OrderStatus.REPLIED:
            actor = d.dispatcher_at(center) if center is not None else None
            if actor is None:
                return None
            if rng.random() < 0.08:
                return actor, Review(approve=False, note=rng.choice(tp.REWORK_NOTES))
            return actor, Review(approve=True)
        if status is OrderStatus.AWAITING_CALLBACK:
            rating = rng.choices(_RATINGS, weights=_RATING_WEIGHTS)[0]
            return d.inspector, Callback(satisfaction=rating, note=tp.CALLBACK_NOTES[rating.value])
        return None

    def _work(self, detail: OrderDetail, holder: int, center: int | None) -> tuple[Actor, Command] | None:
        d, rng = self.directory, self.rng
        pending = detail.pending
        if pending:
            actor = d.dispatcher_at(center) if center is not None else None
            if actor is None:
                return None
            approve = rng.random() < 0.85
            if pending.get("kind") == "extension":
                return actor, DecideExtension(
                    approve=approve, note="同意。" if approve else tp.REFUSE_EXTENSION
                )
            return actor, DecideSuspension(approve=approve, note="同意。" if approve else "请继续办理。")
        dispatcher = d.dispatcher_at(holder)
        if dispatcher is not None and d.org.is_center(holder):
            target = self._next_unit(detail.summary.id, holder)
            if target is not None and rng.random() < 0.85:
                return dispatcher, Dispatch(target_unit_id=target)
        actor = d.holder_at(holder)
        if actor is None:
            return None
        roll = rng.random()
        deadline = detail.summary.reply_deadline
        if roll < 0.05 and deadline is not None and detail.counters.get("extensions", 0) < 2:
            new_due = max(deadline.due_at, datetime.now(UTC)) + timedelta(days=7)
            return actor, RequestExtension(note=rng.choice(tp.EXTENSION_REASONS), new_due_at=new_due)
        if roll < 0.07:
            return actor, RequestSuspension(note=rng.choice(tp.SUSPENSION_REASONS))
        route = self.routes.get(detail.summary.id)
        return actor, Reply(note=route.reply if route and route.reply else GENERIC_REPLY)

    def _next_unit(self, order_id: int, holder: int) -> int | None:
        """Where a center sends the order on: along the request's route, else a plausible child."""
        d = self.directory
        route = self.routes.get(order_id)
        if route is not None and holder in route.path[:-1]:
            return route.path[route.path.index(holder) + 1]
        unit = d.org.get(holder)
        if unit.kind is UnitKind.DISTRICT:
            towns = d.children(holder, UnitKind.TOWN)
            departments = d.children(holder, UnitKind.DEPARTMENT)
            pool = towns if towns and (not departments or self.rng.random() < 0.6) else departments
        else:
            pool = d.children(holder)
        pool = [u for u in pool if d.holder_at(u.id) is not None]
        return self.rng.choice(pool).id if pool else None
