"""The demo's sensing (感知): an embedded MQTT broker, the alarm consumer, simulated devices, and a
week of alarm history.

`make demo` runs what production runs, over real MQTT: `DemoBroker` is an amqtt broker on a free
local port (production uses Mosquitto or EMQX, docs/sensing.md), `AlarmConsumer` takes the alarms
from it exactly as `zhiyun sensing consume` does, and `SensingSimulator` is the district's
cameras and sensors publishing to it:

- every minute, heartbeats from every live device (the two silent demo devices stay silent, so
  the heartbeat sweep raises their fault orders);
- 夏北市场东门's camera sees the bin by the gate overflowing (垃圾满溢) and repeats it every
  20 seconds with a snapshot — a storm that folds into one event. A minute before, a citizen
  called 12345 about the same bin. The camera's event becomes a verification task (核实) on the
  phone of the grid worker of its grid; when they confirm it, its order merges with the
  citizen's into one case;
- bursts of alarms from random cameras and sensors, some under their thresholds, some in a
  market's allowed hours;
- two minutes in, a gas leak (燃气泄漏) in 夏北顺德菜馆's kitchen: an urgent order at once and the
  nearest grid worker told;
- the grid workers of the other villages answer their tasks after a while (most confirmed, a
  quarter false alarms, some already gone), so that precision and the funnel move.

`ensure_sensing_history` gives the figures a past: a week of alarms through the same pipeline,
their tasks answered the same way. Deterministic with a seed; idempotent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.patrols import photo_png
from zhiyun.domain.access import Actor
from zhiyun.domain.sensing_alarms import VerificationAnswer, VerificationStatus
from zhiyun.sensing.alarm_schema import parse_alarm
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow, VerificationRow
from zhiyun.sensing.demo_devices import SILENT
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.pipeline import AlarmPipeline, Received
from zhiyun.sensing.verification import VerificationService
from zhiyun.store.tables import OrgUnitRow, UserRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger("zhiyun.demo")

MARKET_CAMERA_NAME = "夏北市场东门"
GAS_DEVICE = "NH-GAS-0001"
HOME_VILLAGE = "GC-XB"  # its tasks wait for the person trying the demo
HISTORY_PREFIX = "DEMO-H-"


def free_port(preferred: int = 1884) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free local port for the demo's MQTT broker")


class DemoBroker:
    """An amqtt MQTT 3.1.1 broker on 127.0.0.1 in a thread of its own."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="demo-mqtt-broker", daemon=True)
        self._broker: Any = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None

    def _run(self) -> None:
        from amqtt.broker import Broker  # type: ignore[import-untyped]

        asyncio.set_event_loop(self._loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        try:
            self._broker = Broker(config, loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # told to start(), which raises it
            self._failed = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def start(self, timeout: float = 10.0) -> None:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread.start()
        if not self._ready.wait(timeout) or self._failed is not None:
            raise RuntimeError(
                f"the demo's MQTT broker did not start on {self.host}:{self.port}: {self._failed}"
            )

    def stop(self) -> None:
        if self._broker is not None and self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(5)
            except Exception:  # shutting down anyway
                log.debug("the demo broker's shutdown failed", exc_info=True)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@dataclass(frozen=True)
class SimDevice:
    code: str
    name: str
    kind: str
    scenes: tuple[str, ...]
    village: str
    address: str
    latitude: float | None
    longitude: float | None


def demo_sim_devices(services: Services) -> list[SimDevice]:
    """The registry's active devices with their village's code."""
    with services.db.reading() as session:
        rows = session.execute(
            select(DeviceRow, OrgUnitRow.code)
            .outerjoin(OrgUnitRow, OrgUnitRow.id == DeviceRow.village_unit_id)
            .where(DeviceRow.status == "active")
            .order_by(DeviceRow.code)
        ).all()
        return [
            SimDevice(
                d.code,
                d.name,
                d.kind,
                tuple(d.scenes or ()),
                village or "",
                d.address,
                d.latitude,
                d.longitude,
            )
            for d, village in rows
        ]


def _snapshot(rnd: random.Random) -> dict[str, str]:
    colour = (rnd.randrange(90, 200), rnd.randrange(90, 200), rnd.randrange(60, 140))
    return {
        "filename": "snapshot.png",
        "content_base64": base64.b64encode(photo_png(colour, 96, 72)).decode(),
    }


def _alarm(
    alarm_id: str, device: SimDevice, scene: str, at: datetime, score: float, **more: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "alarm_id": alarm_id,
        "device_id": device.code,
        "scene": scene,
        "at": at.isoformat(),
        "score": round(score, 3),
        "algorithm_version": "demo-2.1" if device.kind == "camera" else "",
    }
    body.update({k: v for k, v in more.items() if v is not None})
    return body


def _worker_actor(services: Services, user_id: int) -> Actor | None:
    with services.db.reading() as session:
        username = session.scalar(select(UserRow.username).where(UserRow.id == user_id))
    return services.accounts.user_by_name(username).actor() if username else None


def answer_tasks(
    services: Services, rnd: random.Random, *, older_than: timedelta, skip_village: str | None
) -> int:
    """Answer the pending verification tasks owed by a grid worker, older than `older_than`, as
    that worker would: most confirmed, a quarter false alarms, some already gone; a notice is
    acknowledged. Tasks of `skip_village` are left to the person trying the demo."""
    now = datetime.now(UTC)
    with services.db.reading() as session:
        query = (
            select(VerificationRow.id, VerificationRow.worker_id, VerificationRow.kind, OrgUnitRow.code)
            .outerjoin(OrgUnitRow, OrgUnitRow.id == VerificationRow.village_unit_id)
            .where(
                VerificationRow.status == VerificationStatus.PENDING.value,
                VerificationRow.worker_id.is_not(None),
                VerificationRow.created_at <= now - older_than,
            )
            .order_by(VerificationRow.id)
            .limit(50)
        )
        tasks = session.execute(query).all()
    verification = services.get(VerificationService)
    answered = 0
    for task_id, worker_id, kind, village in tasks:
        if village == skip_village or worker_id is None:
            continue
        actor = _worker_actor(services, worker_id)
        if actor is None:
            continue
        draw = rnd.random()
        if kind == "notice":
            answer, note = VerificationAnswer.CONFIRMED, "已到场处置"
        elif draw < 0.62:
            answer, note = VerificationAnswer.CONFIRMED, "现场核实属实"
        elif draw < 0.88:
            answer, note = VerificationAnswer.FALSE_ALARM, rnd.choice(("阴影误识别", "正常停放", "树影遮挡"))
        else:
            answer, note = VerificationAnswer.GONE, "到场时已消失"
        try:
            verification.answer(actor, task_id, answer, note, [], f"demo-verification-{task_id:06d}")
            answered += 1
        except Exception:  # the demo goes on; the reason is in the log
            log.warning("the demo could not answer verification task %s", task_id, exc_info=True)
    return answered


# ------------------------------------------------------------------------------ history


@dataclass
class SensingHistory:
    alarms: int = 0
    events: int = 0
    answered: int = 0


def ensure_sensing_history(services: Services, *, days: int = 6, seed: int = 18) -> SensingHistory | None:
    """A week of alarms through the pipeline, their tasks answered (None: already there)."""
    with services.db.reading() as session:
        if session.scalar(
            select(func.count()).select_from(AlarmRow).where(AlarmRow.alarm_id.like(f"{HISTORY_PREFIX}%"))
        ):
            return None
    devices = [
        d
        for d in demo_sim_devices(services)
        if d.kind in ("camera", "iot") and d.scenes and d.code not in SILENT
    ]
    if not devices:
        return None
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    pipeline = services.get(AlarmPipeline)
    alarms: list[Received] = []
    n = 0
    for day in range(days, 0, -1):
        for _ in range(rnd.randrange(8, 14)):  # incidents that day
            device = rnd.choice(devices)
            scene = rnd.choice([s for s in device.scenes if s != "IOT-01"] or device.scenes)
            if scene == "IOT-01":
                continue
            start = now - timedelta(days=day) + timedelta(hours=rnd.uniform(-10, 10))
            for k in range(rnd.randrange(1, 6)):
                n += 1
                body = _alarm(
                    f"{HISTORY_PREFIX}{n:05d}",
                    device,
                    scene,
                    min(start + timedelta(minutes=3 * k), now - timedelta(minutes=5)),
                    rnd.uniform(0.55, 0.98),
                    duration_s=rnd.choice((60, 600, 1200, 2400)) if device.kind == "camera" else None,
                )
                alarms.append(Received(parse_alarm(body), "mqtt", now))
    for first in range(0, len(alarms), 200):
        pipeline.take(alarms[first : first + 200])
    answered = answer_tasks(services, rnd, older_than=timedelta(0), skip_village=None)
    with services.db.reading() as session:
        events = session.scalar(select(func.count()).select_from(EventRow)) or 0
    return SensingHistory(len(alarms), events, answered)


# ------------------------------------------------------------------------------ live


@dataclass
class _Planned:
    due: float
    topic: str
    body: dict[str, Any] | None  # None: a heartbeat


@dataclass
class SensingSimulator:
    """The district's devices publishing over MQTT (see the module's note)."""

    services: Services
    host: str
    port: int
    seed: int | None = None
    heartbeat_every_s: float = 60.0
    burst_every_s: float = 12.0
    answer_after: timedelta = timedelta(minutes=2)
    gas_after_s: float = 120.0
    market_first_s: float = 15.0
    published: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def describe(self) -> list[str]:
        return [
            f"MQTT：内置消息服务器 {self.host}:{self.port}（生产环境用 Mosquitto 或 EMQX），告警主题 zhiyun/alarms/<来源>/<设备>",
            f"{MARKET_CAMERA_NAME}摄像机每 20 秒报一次「垃圾满溢」（重复告警归并为一个事件），此前已有市民就同一垃圾桶致电 12345",
            "该事件成为所在网格网格员手机上的核实任务：属实即立案，并与市民来电合并为一件",
            f"约 {self.gas_after_s / 60:.0f} 分钟后：夏北顺德菜馆燃气泄漏——免核实，立即生成紧急工单并通知最近的网格员",
            f"每 {self.heartbeat_every_s:.0f} 秒设备心跳；另有随机摄像机、传感器的告警（含低于阈值、允许时段、误报）",
            "其他村居的核实任务由模拟网格员陆续处理（多数属实，约四分之一误报）",
        ]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sensing-simulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:
            log.exception("the sensing simulator stopped")

    def _loop(self) -> None:
        rnd = random.Random(self.seed)
        devices = demo_sim_devices(self.services)
        market = next((d for d in devices if d.name.startswith(MARKET_CAMERA_NAME)), None)
        gas = next((d for d in devices if d.code == GAS_DEVICE), None)
        live = [d for d in devices if d.code not in SILENT]
        random_devices = [
            d for d in live if d.kind in ("camera", "iot") and d.scenes and d is not market and d is not gas
        ]
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"demo-devices-{rnd.randrange(10**6)}"
        )
        client.connect(self.host, self.port)
        client.loop_start()
        run = datetime.now(UTC).strftime("%m%d%H%M%S")
        started = time.monotonic()
        plan: list[_Planned] = []
        serial = 0

        def alarm(device: SimDevice, scene: str, delay: float, score: float, **more: Any) -> None:
            nonlocal serial
            serial += 1
            body = _alarm(f"DEMO-{run}-{serial:06d}", device, scene, datetime.now(UTC), score, **more)
            plan.append(
                _Planned(time.monotonic() + delay, f"zhiyun/alarms/{device.kind}/{device.code}", body)
            )

        if market is not None:
            self._citizen_call(market)
            for k in range(1000):  # the storm: every 20 s while the demo runs
                alarm(
                    market,
                    "CAM-08",
                    self.market_first_s + 20 * k,
                    rnd.uniform(0.8, 0.95),
                    duration_s=960 + 20 * k,
                    evidence=[_snapshot(rnd)] if k % 3 == 0 else None,
                )
        if gas is not None:
            alarm(gas, "IOT-01", self.gas_after_s, 1.0, value=23.5, limit=10.0)
        next_beat = started
        next_burst = started + 5
        next_answer = started + 30
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_beat:
                for d in live:
                    plan.append(_Planned(now, f"zhiyun/heartbeats/{d.kind}/{d.code}", None))
                next_beat = now + self.heartbeat_every_s
            if now >= next_burst and random_devices:
                device = rnd.choice(random_devices)
                scene = rnd.choice(device.scenes)
                if scene not in ("IOT-01", "IOT-03"):  # the severe scenes have their own moment
                    for k in range(rnd.randrange(1, 7)):
                        alarm(
                            device,
                            scene,
                            10 * k,
                            rnd.uniform(0.4, 0.97),
                            duration_s=rnd.choice((120, 700, 1900)) if device.kind == "camera" else None,
                        )
                next_burst = now + rnd.uniform(0.5, 1.5) * self.burst_every_s
            if now >= next_answer:
                answer_tasks(self.services, rnd, older_than=self.answer_after, skip_village=HOME_VILLAGE)
                next_answer = now + 30
            due = [p for p in plan if p.due <= now]
            plan[:] = [p for p in plan if p.due > now]
            for p in due:
                body = p.body if p.body is not None else {}
                if p.body is not None:
                    body = {**p.body, "at": datetime.now(UTC).isoformat()}
                client.publish(p.topic, json.dumps(body, ensure_ascii=False), qos=1)
                self.published += 1
            self._stop.wait(0.5)
        client.loop_stop()
        client.disconnect()

    def _citizen_call(self, market: SimDevice) -> None:
        """A citizen calls 12345 about the bin by the market's gate (the case the camera's alarm
        will merge into)."""
        if market.latitude is None or market.longitude is None:
            return
        call = {
            "call_id": f"C-DEMO-BIN-{datetime.now(UTC):%m%d%H%M%S}",
            "caller_number": "13800138018",
            "caller_name": "李女士",
            "call_time": datetime.now(UTC).isoformat(),
            "agent_id": "A0417",
            "request_type": "投诉",
            "content": f"{market.address}的垃圾桶满溢了，垃圾满溢到地上没人清理，很臭。",
            "address": market.address,
            "lat": market.latitude,
            "lon": market.longitude,
            "coord_system": "wgs84",
        }
        # a key of its own for the one call, revoked at once (the keys printed for the user stay)
        issued = self.services.channels.issue_key(DEMO_ADMIN, "12345")
        try:
            self.services.intake.receive("12345", call, key=issued.key)
        except Exception:
            log.warning("the demo's citizen call was not taken", exc_info=True)
        finally:
            self.services.channels.revoke_keys(DEMO_ADMIN, "12345", issued.prefix)


def home_verifier(services: Services) -> str | None:
    """The username of the grid worker whose phone gets the market camera's task."""
    with services.db.reading() as session:
        grid_id = session.scalar(
            select(DeviceRow.grid_id).where(DeviceRow.name.like(f"{MARKET_CAMERA_NAME}%"))
        )
        if grid_id is None:
            return None
        from zhiyun.grid.tables import GridWorkerRow

        return session.scalar(
            select(UserRow.username)
            .join(GridWorkerRow, GridWorkerRow.user_id == UserRow.id)
            .where(GridWorkerRow.grid_id == grid_id, GridWorkerRow.active.is_(True))
            .order_by(UserRow.username)
            .limit(1)
        )


__all__ = [
    "DemoBroker",
    "SensingHistory",
    "SensingSimulator",
    "answer_tasks",
    "ensure_sensing_history",
    "home_verifier",
]
