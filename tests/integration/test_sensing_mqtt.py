"""Alarms over real MQTT (issue 18, part 3), against the broker on 127.0.0.1:1883 (Mosquitto in CI,
where these tests must run; elsewhere they are skipped when no broker answers): the consumer
stores what is published with QoS 1; what is published while it is down waits in its persistent
session; a consumer that dies after storing a batch but before acknowledging it gets the batch
again from the broker, and the pipeline stores nothing twice.

Each test has its own topic prefix and client id, so that runs never see each other's messages."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select
from tests.sensing_support import SensingWorld, add_device, seed_sensing_world

from zhiyun.bootstrap import Services
from zhiyun.config import Settings
from zhiyun.sensing.alarm_tables import AlarmRow, EventRow
from zhiyun.sensing.consumer import AlarmConsumer, parse_topic
from zhiyun.sensing.pipeline import AlarmPipeline

BROKER = (
    os.environ.get("ZHIYUN_TEST_MQTT_HOST", "127.0.0.1"),
    int(os.environ.get("ZHIYUN_TEST_MQTT_PORT", "1883")),
)
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def broker() -> tuple[str, int]:
    try:
        socket.create_connection(BROKER, timeout=2).close()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"the MQTT broker is required in CI but unreachable at {BROKER}: {exc}")
        pytest.skip(f"no MQTT broker at {BROKER}")
    return BROKER


@pytest.fixture
def world(services: Services) -> SensingWorld:
    world = seed_sensing_world(services)
    add_device(world, "CAM-1")
    return world


@pytest.fixture
def mqtt_settings(services: Services, broker: tuple[str, int]) -> Settings:
    run = uuid.uuid4().hex[:8]
    return services.settings.model_copy(
        update={
            "mqtt_host": broker[0],
            "mqtt_port": broker[1],
            "mqtt_topic_prefix": f"zhiyun-test-{run}",
            "mqtt_client_id": f"zhiyun-test-{run}",
        }
    )


@pytest.fixture
def publisher(broker: tuple[str, int]) -> Iterator[mqtt.Client]:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}"
    )
    client.connect(*broker)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def publish(client: mqtt.Client, prefix: str, alarm_ids: list[str], device: str = "CAM-1") -> None:
    base = datetime.now(UTC) - timedelta(minutes=5)
    infos = []
    for n, alarm_id in enumerate(alarm_ids):
        body = {
            "alarm_id": alarm_id,
            "scene": "CAM-08",
            "at": (base + timedelta(seconds=n)).isoformat(),
            "score": 0.9,
        }
        infos.append(client.publish(f"{prefix}/alarms/camera/{device}", json.dumps(body), qos=1))
    for info in infos:
        info.wait_for_publish(10)
        assert info.is_published()


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def stored(services: Services) -> int:
    with services.db.reading() as session:
        return session.scalar(select(func.count()).select_from(AlarmRow)) or 0


def start(services: Services, settings: Settings) -> AlarmConsumer:
    consumer = AlarmConsumer(services.get(AlarmPipeline), settings, batch_wait=0.02)
    consumer.start()
    assert consumer.connected.wait(10), "the consumer did not connect"
    return consumer


def test_alarms_published_with_qos_1_are_stored_and_fold_into_their_event(
    services: Services, world: SensingWorld, mqtt_settings: Settings, publisher: mqtt.Client
) -> None:
    consumer = start(services, mqtt_settings)
    try:
        time.sleep(0.3)  # the subscription is in place
        publish(publisher, mqtt_settings.mqtt_topic_prefix, [f"Q-{n}" for n in range(5)])
        publisher.publish(f"{mqtt_settings.mqtt_topic_prefix}/alarms/camera/CAM-1", b"{not json", qos=1)
        wait_for(lambda: stored(services) == 5 and consumer.stats.refused == 1)
    finally:
        consumer.stop()
    with services.db.reading() as session:
        assert session.scalar(select(EventRow.count)) == 5


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_what_is_published_while_the_consumer_is_down_waits_in_its_session(
    services: Services, world: SensingWorld, mqtt_settings: Settings, publisher: mqtt.Client, protocol: str
) -> None:
    mqtt_settings = mqtt_settings.model_copy(update={"mqtt_protocol": protocol})
    start(services, mqtt_settings).stop()  # the session exists, its subscription too
    publish(publisher, mqtt_settings.mqtt_topic_prefix, [f"D-{n}" for n in range(20)])
    consumer = start(services, mqtt_settings)
    try:
        wait_for(lambda: stored(services) == 20)
    finally:
        consumer.stop()


class DiesAfterStoring(AlarmConsumer):
    """A consumer that stores one batch and dies before it acknowledges it (kill -9 at the worst
    moment): its network connection is dropped without a DISCONNECT."""

    def _work(self) -> None:
        batch = []
        while len(batch) < 10 and not self._stop.is_set():
            batch += self._next_batch(0.2)
        self.take(batch)
        self._stop.set()  # the whole process dies: its raising thread too
        self._client.loop_stop()
        sock = self._client.socket()
        if sock is not None:
            sock.close()


def test_a_batch_stored_but_not_acknowledged_comes_again_and_is_stored_once(
    services: Services, world: SensingWorld, mqtt_settings: Settings, publisher: mqtt.Client
) -> None:
    start(services, mqtt_settings).stop()
    publish(publisher, mqtt_settings.mqtt_topic_prefix, [f"R-{n}" for n in range(10)])
    dying = DiesAfterStoring(services.get(AlarmPipeline), mqtt_settings, batch_wait=0.5)
    dying.start()
    wait_for(lambda: dying.stats.stored == 10)
    dying._worker.join(10)
    time.sleep(0.5)  # the broker notices the dropped connection
    again = start(services, mqtt_settings)
    try:
        wait_for(lambda: again.stats.repeats == 10)  # redelivered, and recognised
    finally:
        again.stop()
    assert stored(services) == 10 and again.stats.stored == 0
    with services.db.reading() as session:
        assert session.scalar(select(EventRow.count)) == 10


def test_a_topic_names_the_kind_source_and_device_or_is_not_ours() -> None:
    found = parse_topic("zhiyun", "zhiyun/alarms/camera/CAM-1")
    assert found is not None and (found.kind, found.source, found.device) == ("alarms", "camera", "CAM-1")
    assert parse_topic("zhiyun", "zhiyun/heartbeats/iot/GAS-1") is not None
    for topic in (
        "zhiyun/alarms/camera",
        "zhiyun/other/camera/X",
        "elsewhere/alarms/camera/X",
        "zhiyun/alarms//X",
    ):
        assert parse_topic("zhiyun", topic) is None
