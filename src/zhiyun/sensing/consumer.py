"""The alarm consumer (`zhiyun sensing consume`): MQTT in, the alarm pipeline, acknowledgements out.

It connects to the broker (Mosquitto or EMQX in production, the embedded broker of `make
demo`) with the Eclipse Paho client in a persistent session: a fixed client id and, as an MQTT 5
client, `clean_start` off and a session that outlives the connection by `SESSION_EXPIRY_S`
(as an MQTT 3.1.1 client, `Settings.mqtt_protocol`, `clean_session` off). It subscribes with QoS 1 to

- `{prefix}/alarms/{source}/{device}`: alarms (`sensing.alarm_schema`), and
- `{prefix}/heartbeats/{source}/{device}`: heartbeats (any payload; the device was heard from),

so that whatever is published while it is down waits in the broker for it.

Messages are acknowledged by hand (`manual_ack`): a PUBACK goes out only after the batch that
holds the message was committed by `AlarmPipeline.store`. The events a batch made due are raised
right after the batch is acknowledged (`AlarmPipeline.raise_due`: a verification task, or an
order through intake), in transactions of their own, so that a raising that fails never holds
the alarms back or brings them again. Alarms come first: raising gets a turn of about
`RAISE_TURN_S` between two batches, `RAISE_CHUNK` events at a time, and catches up in the lulls.
Events left due by a consumer that stopped in between are raised by the next one, or by the
worker's job. A consumer killed at any moment
(`kill -9` included) therefore loses nothing — the broker delivers what was not acknowledged
again, and the pipeline skips the alarms it had already stored — and makes nothing twice. The
consumer can be restarted at any time.

Messages are taken in batches: whatever arrived within `batch_wait` seconds, at most
`batch_max`, in one transaction. A message that is not an alarm (not JSON, not the schema, a
topic of the wrong shape) is logged with its reason and acknowledged: kept unacknowledged it
would come back forever. When the database refuses a batch (it is down), the batch is tried
again with a growing pause, unacknowledged, so nothing is lost meanwhile either.

The broker must keep enough for an offline session: Mosquitto's `max_queued_messages`
defaults to 1000 per client and drops what is over it, EMQX's `max_mqueue_len` likewise;
`deploy/mosquitto/zhiyun.conf` and docs/sensing.md give the settings.
"""

from __future__ import annotations

import collections
import json
import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from zhiyun.config import Settings
from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.json_limits import loads_checked
from zhiyun.sensing.alarm_schema import parse_alarm
from zhiyun.sensing.pipeline import AlarmPipeline, Received

log = logging.getLogger("zhiyun.sensing.consumer")

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps the session (and its queue) this long
RECEIVE_MAXIMUM = 1000  # unacknowledged messages the broker may send at once (MQTT 5)
MESSAGE_MAX_BYTES = 8 * 1024 * 1024
BATCH_MAX = 500
BATCH_WAIT_S = 0.05
RAISE_TURN_S = 0.1  # raising's turn between two batches
RAISE_CHUNK = 20  # events raised in one transaction (a short one: alarms wait for it)
RETRY_MAX_S = 30.0

Heard = Callable[[Collection[str], datetime], int]


@dataclass(frozen=True)
class Topic:
    """What a topic names: `kind` ("alarms" or "heartbeats"), the source and the device."""

    kind: str
    source: str
    device: str


def parse_topic(prefix: str, topic: str) -> Topic | None:
    """`{prefix}/alarms/{source}/{device}` or `{prefix}/heartbeats/{source}/{device}`, else None."""
    if not topic.startswith(prefix + "/"):
        return None
    parts = topic[len(prefix) + 1 :].split("/")
    if len(parts) != 3 or parts[0] not in ("alarms", "heartbeats") or not all(parts):
        return None
    return Topic(*parts)


@dataclass
class _Message:
    topic: str
    payload: bytes
    mid: int
    qos: int


@dataclass
class ConsumerStats:
    """What a consumer did since it started (logged, and read by tests and the benchmark)."""

    received: int = 0
    stored: int = 0  # alarms new to the database
    repeats: int = 0  # alarms it already had (redeliveries)
    refused: int = 0  # messages that were not alarms
    heartbeats: int = 0
    raised: int = 0  # events raised after their batch was acknowledged
    batches: int = 0
    retries: int = 0
    busy_s: float = 0.0  # time spent storing batches


class AlarmConsumer:
    """One consumer process's MQTT session (see the module's note)."""

    def __init__(
        self,
        pipeline: AlarmPipeline,
        settings: Settings,
        *,
        heard: Heard | None = None,
        client_id: str | None = None,
        batch_max: int = BATCH_MAX,
        batch_wait: float = BATCH_WAIT_S,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.heard = heard
        self.prefix = settings.mqtt_topic_prefix.rstrip("/")
        self.client_id = client_id or settings.mqtt_client_id
        self.batch_max = batch_max
        self.batch_wait = batch_wait
        self.stats = ConsumerStats()
        self.connected = threading.Event()
        self._inbox: queue.Queue[_Message] = queue.Queue()
        self._leftovers = True  # events a consumer before this one may have left due
        self._due: collections.deque[int] = collections.deque()  # stored, acknowledged, not yet raised
        self._stop = threading.Event()
        self._client = self._make_client()

    # ------------------------------------------------------------------ the session

    @property
    def v5(self) -> bool:
        return self.settings.mqtt_protocol == "5"

    def _make_client(self) -> mqtt.Client:
        if self.v5:
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=mqtt.MQTTv5,
                manual_ack=True,
            )
        else:  # MQTT 3.1.1: the session persists because it is not clean
            client = mqtt.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        if self.settings.mqtt_username:
            client.username_pw_set(self.settings.mqtt_username, self.settings.mqtt_password)
        if self.settings.mqtt_tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        return client

    @property
    def topics(self) -> list[str]:
        return [f"{self.prefix}/alarms/+/+", f"{self.prefix}/heartbeats/+/+"]

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.error("the broker refused the consumer: %s", reason)
            return
        log.info(
            "connected to %s:%s as %s (session %s)",
            self.settings.mqtt_host,
            self.settings.mqtt_port,
            self.client_id,
            "resumed" if flags.session_present else "new",
        )
        client.subscribe([(t, 1) for t in self.topics])
        self.connected.set()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        self._inbox.put(_Message(message.topic, message.payload, message.mid, message.qos))

    def start(self) -> None:
        """Load what the pipeline needs, connect, and start the network thread and the batch
        thread."""
        try:
            self.pipeline.prepare()
        except Exception:  # the database is away: the batches wait for it (and load it then)
            log.exception("could not load the pipeline's data ahead; going on")
        if self.v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            properties.SessionExpiryInterval = SESSION_EXPIRY_S
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
            self._client.connect_async(
                self.settings.mqtt_host,
                self.settings.mqtt_port,
                keepalive=30,
                clean_start=False,
                properties=properties,
            )
        else:
            self._client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port, keepalive=30)
        self._client.loop_start()
        self._worker = threading.Thread(target=self._work, name="alarm-batches", daemon=True)
        self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, acknowledge it, disconnect (the session stays)."""
        self._stop.set()
        self._worker.join(timeout)
        self._client.disconnect()
        self._client.loop_stop()

    def request_stop(self) -> None:
        """Ask `run` to stop (from a signal handler)."""
        self._stop.set()

    def run(self) -> None:
        """Consume until interrupted (Ctrl-C or SIGTERM stop it cleanly)."""
        self.start()
        try:
            while not self._stop.is_set():
                time.sleep(0.5)
        finally:
            self.stop()

    # ------------------------------------------------------------------ batches

    def _next_batch(self, wait: float) -> list[_Message]:
        """The messages that came within `batch_wait` of the first (waited for up to `wait`
        seconds), at most `batch_max`."""
        try:
            first = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        until = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_max:
            left = until - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _work(self) -> None:
        while not self._stop.is_set() or not self._inbox.empty():
            # alarms first; while events wait to be raised, do not wait for alarms
            batch = self._next_batch(0.0 if self._due or self._leftovers else 0.2)
            if batch:
                self._store(batch)
            elif self._stop.is_set():
                return
            # a short turn of raising between batches (many turns in a lull)
            self._raise(RAISE_TURN_S)

    def _store(self, batch: list[_Message]) -> None:
        """Store a batch until the database takes it, then acknowledge its messages."""
        pause = 0.5
        while True:
            try:
                due = self.take(batch)
                break
            except Exception:  # the database is down or refused: keep the batch, try again
                self.stats.retries += 1
                log.exception("an alarm batch failed; trying it again in %.1f s", pause)
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)
        for m in batch:
            if m.qos > 0:
                self._client.ack(m.mid, m.qos)
        self._due.extend(due)

    def _raise(self, budget_s: float) -> None:
        """Raise the events the batches made due, once they are acknowledged, oldest first, a few
        at a time for about `budget_s`; then any a consumer before this one left due."""
        started = time.perf_counter()
        try:
            while self._due:
                chunk = [self._due.popleft() for _ in range(min(RAISE_CHUNK, len(self._due)))]
                self.stats.raised += self.pipeline.raise_due(chunk)
                if time.perf_counter() - started > budget_s:
                    return
            if self._leftovers:
                self._leftovers = self.pipeline.raise_due(limit=RAISE_CHUNK) > 0
        except Exception:  # the database is away: the events stay due (the worker's job raises them)
            log.exception("raising sensing events failed; they stay due")

    def take(self, batch: list[_Message]) -> list[int]:
        """Store one batch of messages (acknowledging is the caller's, afterwards); the events it
        made due for raising."""
        started = time.perf_counter()
        now = datetime.now(UTC)
        alarms: list[Received] = []
        beats: dict[str, datetime] = {}
        for m in batch:
            self.stats.received += 1
            topic = parse_topic(self.prefix, m.topic)
            if topic is None:
                self._refuse(m, "主题格式应为 {prefix}/alarms|heartbeats/{source}/{device}")
                continue
            if topic.kind == "heartbeats":
                beats[topic.device] = now
                continue
            try:
                if len(m.payload) > MESSAGE_MAX_BYTES:
                    raise ValidationFailed("告警报文过大")
                alarm = parse_alarm(loads_checked(m.payload), topic_device=topic.device)
            except ValidationFailed as exc:
                self._refuse(m, exc.message)
                continue
            except ValueError as exc:  # not JSON, not UTF-8, or past the JSON limits (JsonRefused)
                self._refuse(m, f"不是合法的 JSON：{exc}"[:200])
                continue
            alarms.append(Received(alarm, "mqtt", now))
        due: list[int] = []
        if alarms:
            receipts, due = self.pipeline.store(alarms)
            created = sum(1 for r in receipts if r.created)
            self.stats.stored += created
            self.stats.repeats += len(receipts) - created
        if beats and self.heard is not None:
            self.heard(list(beats), now)
            self.stats.heartbeats += len(beats)
        self.stats.batches += 1
        self.stats.busy_s += time.perf_counter() - started
        return due

    def _refuse(self, m: _Message, reason: str) -> None:
        self.stats.refused += 1
        preview = m.payload[:200].decode("utf-8", "replace")
        log.warning("refused a message on %s: %s (%s)", m.topic[:200], reason, json.dumps(preview)[:240])


__all__ = ["AlarmConsumer", "ConsumerStats", "Topic", "parse_topic"]
