"""Sensing's alarm pipeline against a real MQTT broker (issue 18): a burst of alarms, the
consumer killed with SIGKILL in the middle of it and restarted; nothing may be lost or doubled.

The stage: the demo district's units, boundaries and 1,049 grids, the default taxonomy and
scene catalogue, and `--devices` devices at points inside random grids — cameras running one or
two camera scenes, bin-fill sensors (垃圾桶满溢: an order at once) and a few gas sensors
(燃气泄漏: severe, an urgent order at once).

The run: `zhiyun sensing consume` is started as its own process (a fresh persistent session),
then `--alarms` alarms are published with QoS 1 at `--rate` a second — each device's alarms
repeat its scenes within their windows (a fifth of them storming: ten times the others' rate),
some below threshold, a few severe. When half of them
have been published the consumer is killed (`kill -9`) and started again at once; publishing
goes on meanwhile, so the broker holds the session's messages until the new process resumes it.

A watcher polls the database every 20 ms and notes when each alarm became visible there. When
every published alarm is stored (or after `--timeout`), it counts:

- `lost`: alarms the broker acknowledged to the publisher that are not stored;
- `duplicated`: events beyond one per (device, scene) that had a counted alarm (all of a
  device's alarms of a scene fall within the scene's window, so one event is right), plus alarm
  rows beyond one per alarm id;
- `alarms_per_s`: the pipeline's own rate, measured on the backlog the restarted consumer found
  (alarms stored from the moment it resumed its session until it had caught up, ÷ that time);
- `p99_ms`: the 99th percentile of publish → visible in the database (stored, folded into its
  event), over the alarms outside the kill window (those not stored before the kill and published
  before the restarted consumer caught up are the window's);
- `raised_within_s`: how long after the last alarm was stored the last due event was raised (a
  verification task, or an order through intake: the consumer raises after acknowledging).

By default the broker is a Mosquitto started for the run from /usr/sbin/mosquitto with the
queue settings of deploy/mosquitto/zhiyun.conf (Mosquitto's own default keeps only 1,000
messages for an offline session and drops the rest: see docs/sensing.md); `--broker HOST:PORT`
uses one already running, which must be configured likewise.

    python benchmarks/alarms.py                       # throwaway PostgreSQL, own Mosquitto
    python benchmarks/alarms.py --alarms 2000 --devices 100 --rate 500
    python benchmarks/alarms.py --db sqlite:////tmp/alarms.db
    python benchmarks/alarms.py --broker 127.0.0.1:1883

Progress goes to stderr; the last line on stdout is one JSON object with `alarms_per_s`, `lost`,
`duplicated` and `p99_ms`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from benchmarks.support import admin_url, log, throwaway_postgres
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from zhiyun.bootstrap import Services, build_services
from zhiyun.demo.boundaries import ensure_boundaries
from zhiyun.demo.district import DEMO_ADMIN
from zhiyun.demo.district import units as demo_units
from zhiyun.demo.grids import demo_grid_list, ensure_grids
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow
from zhiyun.sensing.device_tables import DeviceRow
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.store.migrate import upgrade
from zhiyun.store.tables import OrgUnitRow

ROOT = Path(__file__).resolve().parent.parent
MOSQUITTO = "/usr/sbin/mosquitto"
CAMERA_SCENES = ("CAM-03", "CAM-05", "CAM-07", "CAM-08", "CAM-11", "CAM-12", "CAM-16", "CAM-19")
BIN_SCENE = "IOT-08"
GAS_SCENE = "IOT-01"


# ----------------------------------------------------------------------------- the stage


def prepare(services: Services) -> None:
    upgrade(services.db)
    with services.db.reading() as session:
        has_org = session.scalar(select(func.count()).select_from(OrgUnitRow)) or 0
    if not has_org:
        services.org.import_records(DEMO_ADMIN, demo_units())
    ensure_boundaries(services)
    ensure_grids(services)
    services.taxonomy.ensure_default(DEMO_ADMIN)
    services.get(SceneCatalogue).ensure_default(DEMO_ADMIN)


@dataclass(frozen=True)
class BenchDevice:
    code: str
    kind: str
    scenes: tuple[str, ...]


def make_devices(services: Services, count: int, rng: random.Random, run: str) -> list[BenchDevice]:
    """`count` devices at points inside random demo grids (found in place by the geo locator)."""
    grids = demo_grid_list()
    gas = max(1, count // 50)
    bins = max(1, count // 10)
    made: list[BenchDevice] = []
    now = datetime.now(UTC)
    with services.db.transaction() as session:
        locator = services.geo.locator(session)
        for i in range(count):
            if i < gas:
                kind, scenes = "iot", (GAS_SCENE,)
            elif i < gas + bins:
                kind, scenes = "iot", (BIN_SCENE,)
            else:
                kind, scenes = "camera", tuple(rng.sample(CAMERA_SCENES, rng.choice((1, 2))))
            point = rng.choice(grids).geometry.representative_point()
            lat, lon = point.y, point.x
            place = locator.locate(lat, lon, None)
            code = f"B{run}-{i:04d}"
            session.add(
                DeviceRow(
                    code=code,
                    name=f"压测设备 {i:04d}",
                    kind=kind,
                    scenes=list(scenes),
                    thresholds={},
                    latitude=lat,
                    longitude=lon,
                    grid_id=place.grid_id,
                    village_unit_id=place.village_unit_id,
                    status="active",
                    created_at=now,
                    updated_at=now,
                    updated_by="benchmark",
                )
            )
            made.append(BenchDevice(code, kind, scenes))
    return made


def plan_alarms(devices: list[BenchDevice], total: int, rng: random.Random, run: str) -> list[dict[str, Any]]:
    """`total` alarms in random order, a storm from a fifth of the devices (each of them sends
    ten times as many as the others), every device repeating its scenes within 60 s of now; 5%
    below threshold."""
    now = datetime.now(UTC)
    alarms: list[dict[str, Any]] = []
    storming = max(1, len(devices) // 5)
    weights = [10 if i % 5 == 0 and i // 5 < storming else 1 for i in range(len(devices))]
    chosen = rng.choices(devices, weights=weights, k=total)
    for n in range(total):
        device = chosen[n]
        scene = rng.choice(device.scenes)
        score = rng.uniform(0.05, 0.3) if rng.random() < 0.05 else rng.uniform(0.75, 0.99)
        alarms.append(
            {
                "alarm_id": f"{run}-{n:06d}",
                "device_id": device.code,
                "scene": scene,
                "at": (now - timedelta(seconds=rng.uniform(0, 60))).isoformat(),
                "score": round(score, 3),
                "algorithm_version": "bench-1.0",
                "duration_s": 1800 if device.kind == "camera" else None,
                "_source": device.kind,
            }
        )
    return alarms


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_mosquitto(tmp: Path) -> Iterator[tuple[str, int]]:
    """A Mosquitto for the run with deploy/mosquitto/zhiyun.conf's queue settings, anonymous, on a
    free local port."""
    if not Path(MOSQUITTO).exists():
        raise SystemExit(f"{MOSQUITTO} is missing: install mosquitto or name a broker with --broker")
    port = free_port()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 1000000\nmax_queued_bytes 0\nmax_inflight_messages 1000\n"
        "message_size_limit 8388608\n",
        encoding="utf-8",
    )
    broker = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("the benchmark's Mosquitto did not start")
        log(f"mosquitto on 127.0.0.1:{port}")
        yield "127.0.0.1", port
    finally:
        broker.terminate()
        broker.wait(10)


def zhiyun_command() -> list[str]:
    found = shutil.which("zhiyun", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "zhiyun.cli.main"]


class Consumer:
    """`zhiyun sensing consume` as its own process; `ready` once its session is resumed."""

    def __init__(self, db: str, host: str, port: int, client_id: str, attachments: Path) -> None:
        self.args = [*zhiyun_command(), "sensing", "consume", "--db", db, "--host", host, "--port", str(port)]
        self.env = {
            **os.environ,
            "ZHIYUN_MQTT_CLIENT_ID": client_id,
            "ZHIYUN_ATTACHMENT_DIR": str(attachments),
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen[str] | None = None
        self.ready = threading.Event()

    def start(self) -> float:
        self.ready.clear()
        self.process = subprocess.Popen(
            self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        threading.Thread(target=self._watch, args=(self.process,), daemon=True).start()
        return time.perf_counter()

    def _watch(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if "connected to" in line:
                self.ready.set()
            if "Traceback" in line or "ERROR" in line or "已停止" in line:
                log(f"consumer: {line.rstrip()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


# ----------------------------------------------------------------------------- measuring


@dataclass
class Watch:
    seen: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)


def watch(services: Services, state: Watch, prefix: str) -> None:
    """Note when each alarm of the run became visible in the database (polled every 20 ms)."""
    last = 0
    while not state.stop.is_set():
        with services.db.reading() as session:
            rows = session.execute(
                select(AlarmRow.id, AlarmRow.alarm_id).where(AlarmRow.id > last).order_by(AlarmRow.id)
            ).all()
        now = time.perf_counter()
        for row_id, alarm_id in rows:
            last = max(last, row_id)
            if alarm_id.startswith(prefix):
                state.seen.setdefault(alarm_id, now)
        time.sleep(0.02)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def publish(
    host: str,
    port: int,
    alarms: list[dict[str, Any]],
    rate: float,
    on_half: Any,
    sent: dict[str, float],
    acked: set[str],
) -> None:
    """Publish with QoS 1 at `rate` a second; `sent` notes when, `acked` what the broker took."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:8]}"
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    started = time.perf_counter()
    half = len(alarms) // 2
    infos = []
    for n, alarm in enumerate(alarms):
        due = started + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if n == half:
            on_half()
        body = {k: v for k, v in alarm.items() if not k.startswith("_") and v is not None}
        topic = f"zhiyun/alarms/{alarm['_source']}/{alarm['device_id']}"
        sent[alarm["alarm_id"]] = time.perf_counter()
        infos.append((alarm["alarm_id"], client.publish(topic, json.dumps(body), qos=1)))
    for alarm_id, info in infos:
        info.wait_for_publish(30)
        if info.is_published():  # the broker acknowledged it (PUBACK)
            acked.add(alarm_id)
    client.loop_stop()
    client.disconnect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alarms", type=int, default=10_000)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--rate", type=float, default=1000.0, help="alarms published a second")
    parser.add_argument("--db", help="a database URL (default: a throwaway PostgreSQL database)")
    parser.add_argument(
        "--broker", help="HOST:PORT of a running broker (default: a Mosquitto of the run's own)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the last alarms")
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="zhiyun-alarms-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if args.db:
            result = run(args, args.db, tmp)
        else:
            with throwaway_postgres(admin_url()) as url:
                result = run(args, url, tmp)
    print(json.dumps(result, ensure_ascii=False))


def run(args: argparse.Namespace, db: str, tmp: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    run_id = uuid.uuid4().hex[:6]
    services = build_services(db)
    started = time.perf_counter()
    prepare(services)
    devices = make_devices(services, args.devices, rng, run_id)
    alarms = plan_alarms(devices, args.alarms, rng, run_id)
    log(f"stage ready in {time.perf_counter() - started:.0f} s: {len(devices)} devices, {len(alarms)} alarms")

    @contextmanager
    def broker() -> Iterator[tuple[str, int]]:
        if args.broker:
            host, _, port = args.broker.partition(":")
            yield host, int(port or 1883)
        else:
            with own_mosquitto(tmp) as found:
                yield found

    with broker() as (host, port):
        consumer = Consumer(db, host, port, f"zhiyun-bench-{run_id}", tmp / "attachments")
        consumer.start()
        if not consumer.ready.wait(60):
            raise SystemExit("the consumer did not connect")
        state = Watch()
        watcher = threading.Thread(target=watch, args=(services, state, run_id), daemon=True)
        watcher.start()
        sent: dict[str, float] = {}
        acked: set[str] = set()
        marks: dict[str, float] = {}

        def kill_and_restart() -> None:
            marks["kill"] = time.perf_counter()
            consumer.kill()
            log(f"killed the consumer with SIGKILL after {len(sent):,} alarms; starting it again")
            consumer.start()

            def ready() -> None:
                if consumer.ready.wait(60):
                    marks["ready"] = time.perf_counter()
                    log(f"consumer back in {marks['ready'] - marks['kill']:.2f} s")

            threading.Thread(target=ready, daemon=True).start()

        publish_started = time.perf_counter()
        publish(host, port, alarms, args.rate, kill_and_restart, sent, acked)
        log(
            f"published {len(sent):,} alarms in {time.perf_counter() - publish_started:.1f} s; broker took {len(acked):,}"
        )
        deadline = time.perf_counter() + args.timeout
        while len(state.seen) < len(acked) and time.perf_counter() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)
        state.stop.set()
        watcher.join()
        raised_by = wait_for_raising(services, deadline)
        consumer.stop()

    result = measure(services, run_id, alarms, sent, acked, state.seen, marks)
    result = {"raised_within_s": raised_by, **result}
    log(f"every due event raised {raised_by} s after the last alarm was stored")
    return result


def wait_for_raising(services: Services, deadline: float) -> float | None:
    """Seconds until no event is left due (raised by the consumer after acknowledging its batch)."""
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        with services.db.reading() as session:
            due = session.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.raise_due_at.is_not(None))
            )
        if not due:
            return round(time.perf_counter() - started, 2)
        time.sleep(0.1)
    return None


def measure(
    services: Services,
    run_id: str,
    alarms: list[dict[str, Any]],
    sent: dict[str, float],
    acked: set[str],
    seen: dict[str, float],
    marks: dict[str, float],
) -> dict[str, Any]:
    with services.db.reading() as session:
        stored_ids = {
            a
            for (a,) in session.execute(
                select(AlarmRow.alarm_id).where(AlarmRow.alarm_id.like(f"{run_id}-%"))
            )
        }
        rows, distinct = session.execute(
            select(func.count(), func.count(func.distinct(AlarmRow.alarm_id))).where(
                AlarmRow.alarm_id.like(f"{run_id}-%")
            )
        ).one()
        device_ids = select(DeviceRow.id).where(DeviceRow.code.like(f"B{run_id}-%"))
        events = (
            session.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.device_id.in_(device_ids))
            )
            or 0
        )
        pairs = (
            session.scalar(
                select(func.count()).select_from(
                    select(AlarmRow.device_id, AlarmRow.scene_code)
                    .where(AlarmRow.alarm_id.like(f"{run_id}-%"), AlarmRow.outcome.in_(("opened", "folded")))
                    .distinct()
                    .subquery()
                )
            )
            or 0
        )
        outcomes = dict(
            session.execute(
                select(AlarmRow.outcome, func.count())
                .where(AlarmRow.alarm_id.like(f"{run_id}-%"))
                .group_by(AlarmRow.outcome)
            ).all()
        )
        raised = dict(
            session.execute(
                select(EventRow.status, func.count())
                .where(EventRow.device_id.in_(device_ids))
                .group_by(EventRow.status)
            ).all()
        )
    lost = len(acked - stored_ids)
    duplicated = (events - pairs) + (rows - distinct)
    kill = marks.get("kill", float("inf"))
    ready = marks.get("ready", kill)
    # the restarted consumer has caught up with the backlog when the last alarm published before
    # it resumed is stored
    backlog = [a for a, t in sent.items() if t <= ready and a in seen]
    caught_up = max((seen[a] for a in backlog), default=ready)
    window = {a for a in seen if seen[a] > kill and sent[a] <= caught_up}
    latencies = [(seen[a] - sent[a]) * 1000 for a in seen if a not in window]
    drained = sum(1 for t in seen.values() if ready <= t <= caught_up)
    drain_s = caught_up - ready
    alarms_per_s = drained / drain_s if drain_s > 0.2 else 0.0
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": services.db.engine.dialect.name,
        "alarms": len(alarms),
        "published": len(sent),
        "broker_acked": len(acked),
        "stored": len(stored_ids),
        "outcomes": outcomes,
        "events": events,
        "events_by_status": raised,
        "consumer_down_s": round(ready - kill, 2) if "kill" in marks else None,
        "backlog_drained": drained,
        "kill_window_alarms": len(window),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "alarms_per_s": round(alarms_per_s, 1),
        "lost": lost,
        "duplicated": duplicated,
        "p99_ms": round(percentile(latencies, 0.99), 1),
    }
    log(json.dumps(result, ensure_ascii=False, indent=1))
    return result


if __name__ == "__main__":
    main()
