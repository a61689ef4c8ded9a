"""Live demo traffic: realistic Chinese requests, each in its channel's own payload.

Pure: random numbers and the demo district's static data (towns, villages, roads, synthetic
boundaries); no database, no HTTP. The simulator (demo/simulator.py) posts what this module
makes to the real intake endpoints.

What a `TrafficGenerator` makes:

- `single(at)`: one request from one channel, as that system sends it — a 12345 or 城管
  call record (caller number, call time, agent id, recording id), a 区长直通车 web/WeChat
  message, a grid worker's patrol report (GCJ-02 point inside the right village, photo
  URLs), a 110 non-police transfer (incident number, police station), a 我为群众办实事
  suggestion, an online-opinion post (site, URL, author, reposts), an environment
  complaint, a remote-sensing detection or an IoT alarm (积水, 占道经营, 明火, 垃圾满溢…).
  Topics are weighted by the season of the date: school enrollment around April,
  graduates' registration around July, resident medical insurance in November.
- `event(at)`: one matter reported from several channels within minutes and 50–150 m apart,
  in overlapping words (a burst pipe: a 12345 caller, a grid worker and a pipe-pressure
  sensor), so that intake merges or flags the duplicates.
- `typhoon(at, size)`: a typhoon-day burst: many urgent reports of fallen trees, flooding,
  power cuts and loose signboards across all towns within minutes, the worst of it (40 %)
  one matter on one road, from many callers: a hot issue.
- `repeat(request)`: the same payload again (an integration posting twice), or the same
  external id with supplemented content (an update).
- `open311(at)`: a citizen's report from a phone app that speaks Open311 GeoReport v2 (a
  FixMyStreet-style client): the form of POST /open311/v2/requests.json with a service
  code, WGS-84 lat/long, the address, a description in the citizen's words, the service's
  attributes, a name, a phone number and sometimes an e-mail and a photo URL.

Every payload validates against its channel's pydantic model (tests check them all).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from zhiyun.demo import topics as tp
from zhiyun.demo.boundaries import point_in_village
from zhiyun.demo.district import TOWNS, person_name
from zhiyun.demo.traffic.catalog import (
    EVENTS,
    SUPPLEMENTS,
    TEXT_FIELDS,
    TOPICS_BY_KEY,
    TYPHOON_NAMES,
    EventSpec,
)
from zhiyun.demo.traffic.open311_reports import (
    OPEN311_CHANNEL,
    OPEN311_REPORT_ID,
    OPEN311_TOPICS,
    Open311Form,
)
from zhiyun.demo.traffic.payloads import Matter, PayloadGenerator, Request
from zhiyun.demo.traffic.values import b62, gcj, near, phone_number, stamp

# The share of a typhoon burst that is one matter at one place (the road the storm hit hardest).
TYPHOON_FOCUS_SHARE = 0.4


class TrafficGenerator(PayloadGenerator):
    """Makes requests in each channel's own payload; deterministic for a given `rng`."""

    def event(self, at: datetime, *, kind: str | None = None, town: str | None = None) -> list[Request]:
        """One matter reported from several channels within minutes, 50–150 m apart, in overlapping words.

        The reports are in the order they happened (the first one becomes the master at intake);
        their times lie within the few minutes before `at`. `town` (a code) places the event there.
        """
        rng = self.rng
        kind = kind or rng.choice(list(EVENTS))
        spec = EVENTS[kind]
        self.events += 1
        event_id = f"{kind}-{self.events}"
        place = self.town_of(town) if town else self._town()
        village = rng.choice(place.villages)
        code = f"{place.code}-{village.suffix}"
        origin = point_in_village(code, rng, radius_deg=0.004)
        base = self._custom(
            kind,
            spec.route,
            spec.title,
            spec.content,
            spec.reply,
            at,
            order_type=spec.order_type,
            town=place,
            village=village,
            point=origin,
            urgent=spec.urgent,
            grid_event=spec.grid_event,
        )
        reporters = list(spec.reporters)
        optional = [r for r in spec.optional if rng.random() < 0.5]
        reporters += optional
        offsets = sorted(rng.uniform(60, 480) for _ in reporters[1:])
        span = offsets[-1] if offsets else 0.0
        times = [at - timedelta(seconds=span + rng.uniform(30, 90))] + [
            at - timedelta(seconds=span - o) for o in offsets
        ]
        caller = phone_number(rng)
        result: list[Request] = []
        for index, (channel, when) in enumerate(zip(reporters, times, strict=True)):
            m = replace(
                base, point=origin if index == 0 else near(code, origin, rng), extras=dict(base.extras)
            )
            m.address = base.address
            payload = self._event_payload(channel, m, when, spec, caller)
            result.append(self._request(channel, m, payload, kind="event", event=event_id))
        return result

    def _event_payload(
        self, channel: str, m: Matter, at: datetime, spec: EventSpec, caller: str
    ) -> dict[str, Any]:
        assert m.point is not None
        if channel in ("12345", "city_mgmt_hotline"):
            lat, lon = gcj(m.point)
            return self.render(
                channel,
                m,
                at,
                lat=lat,
                lon=lon,
                coord_system="gcj02",
                caller_number=caller,
                urgent=spec.urgent,
            )
        if channel == "district_hotline":  # the same caller again, on another channel, without a map point
            return self.render(channel, m, at, citizen_phone=caller, body=m.words + spec.follow_up)
        if channel == "grid":
            return self.render(channel, m, at, description=tp.fill(spec.grid_words, m.values))
        if channel == "police_110":
            words = tp.fill(spec.police_words, m.values)
            return self.render(channel, m, at, summary=f"报警人称：{words}", lat=m.point[0], lon=m.point[1])
        if channel == "iot":
            device_type, prefix, scene, reading, level = spec.iot
            return self.iot_alarm(
                m, at, device_type=device_type, prefix=prefix, scene=scene, reading=reading, level=level
            )
        if channel == "environment":
            kind, company = spec.environment
            payload = self.environment_complaint(m, at, kind, company)
            payload.update(
                description=tp.fill(spec.environment_words, m.values), lat=m.point[0], lon=m.point[1]
            )
            return {k: v for k, v in payload.items() if v is not None}
        if channel == "remote_sensing":
            return self.remote_sensing_detection(m, at, spec.remote_sensing)
        if channel == OPEN311_CHANNEL and spec.open311 is not None:
            service_code, answers = spec.open311
            return self.open311_form(m, at, service_code, dict(answers))
        raise ValueError(f"no event payload for {channel}")

    # -- a typhoon day ----------------------------------------------------------------------

    def typhoon(self, at: datetime, size: int = 24, *, name: str | None = None) -> list[Request]:
        """A burst of urgent reports across every town: fallen trees, flooding, power cuts, signboards.

        The storm hits one place hardest: `TYPHOON_FOCUS_SHARE` of the reports are one matter
        (fallen trees or flooding) on one road of one village, reported by people (the
        sensors' alarms read otherwise), in the words of one variant, so that the burst is a hot issue (热点问题) of its own; the others spread over
        every town."""
        rng = self.rng
        if size <= 0:
            return []
        self.events += 1
        name = name or rng.choice(TYPHOON_NAMES)
        event_id = f"typhoon-{self.events}"
        towns = list(TOWNS)
        rng.shuffle(towns)
        offsets = sorted(rng.uniform(0, 420) for _ in range(size))
        result: list[Request] = []
        weights = [t.weight for t in tp.TYPHOON_TOPICS]
        focus_town = towns[0]
        focus_village = rng.choice(focus_town.villages)
        focus_road = rng.choice(focus_town.roads)
        focus_key = rng.choice(("fallen_tree", "flooding"))
        focus_topic = next(t for t in tp.TYPHOON_TOPICS if t.key == focus_key)
        focus_variant = rng.choice([v for v in focus_topic.variants if "{road}" in v.title])
        hardest = max(3, round(size * TYPHOON_FOCUS_SHARE))
        # a small burst is all spread out: every town is hit first
        focused = set(rng.sample(range(size), hardest)) if size - hardest >= len(towns) else set()
        spread = 0
        for index, offset in enumerate(offsets):
            when = at - timedelta(seconds=offsets[-1] - offset)
            if index in focused:
                m = self._matter(
                    focus_topic,
                    when,
                    town=focus_town,
                    village=focus_village,
                    urgent=True,
                    road=focus_road,
                    variant=focus_variant,
                )
                topic = focus_topic
            else:
                town = towns[spread % len(towns)]  # every town is hit
                spread += 1
                topic = rng.choices(tp.TYPHOON_TOPICS, weights=weights)[0]
                m = self._matter(topic, when, town=town, urgent=True)
            m.content = m.content.replace("台风", f"台风“{name}”", 1)
            channel = rng.choices(("12345", "grid", "iot", "police_110"), weights=(45, 25, 15, 15))[0]
            if channel == "iot" and index not in focused and topic.key in ("flooding", "fallen_tree"):
                scene, prefix, device_type, reading = {
                    "flooding": ("台风暴雨路面积水", "WL", "水位传感器", (25.0, 60.0, 15.0)),
                    "fallen_tree": ("树木倒伏阻断道路", "CAM", "视频监控", None),
                }[topic.key]
                payload = self.iot_alarm(
                    m, when, device_type=device_type, prefix=prefix, scene=scene, reading=reading, level=1
                )
                result.append(self._request("iot", m, payload, kind="typhoon", event=event_id))
                continue
            if channel == "iot":
                channel = "12345"
            payload = (
                self.render(channel, m, when, urgent=True)
                if channel != "grid"
                else self.render(channel, m, when)
            )
            result.append(self._request(channel, m, payload, kind="typhoon", event=event_id))
        return result

    # -- an Open311 app's report ------------------------------------------------------------

    def open311(self, at: datetime) -> Request:
        """A citizen's report from a GeoReport v2 phone app: the POST Service Request form.

        The app sends WGS-84 coordinates (the phone's GPS), the address it looked up, the
        citizen's own words, the service's attributes and its own report id; a photo URL
        now and then. `api_key` is the poster's business.
        """
        rng = self.rng
        topic = TOPICS_BY_KEY[rng.choice(list(OPEN311_TOPICS))]
        service_code, answers = OPEN311_TOPICS[topic.key]
        matter = self._matter(topic, at, urgent=False, channel=OPEN311_CHANNEL)
        form = self.open311_form(matter, at, service_code, answers(rng, at))
        return self._request(OPEN311_CHANNEL, matter, dict(form))

    def open311_form(self, m: Matter, at: datetime, service_code: str, answers: Open311Form) -> Open311Form:
        """The app's POST Service Request form for a matter, with the service's attribute answers."""
        rng = self.rng
        point = m.point or point_in_village(m.village_code, rng)
        name = person_name(rng)
        report_id = f"SSP{stamp(at, '%Y%m%d')}{self._next():06d}"
        form: Open311Form = {
            "service_code": service_code,
            "lat": f"{point[0]:.6f}",
            "long": f"{point[1]:.6f}",
            "address_string": m.address or f"佛山市南海区{m.town.name}{m.village.name}",
            "description": m.words,
            "last_name": name[0],
            "first_name": name[1:],
            "phone": tp.phone(rng),
            "device_id": f"ssp-{b62(rng, 12)}",
            OPEN311_REPORT_ID: report_id,
            **answers,
        }
        if rng.random() < 0.3:
            form["email"] = f"{b62(rng, 8).lower()}@example.com"
        if rng.random() < 0.6:
            form["media_url"] = f"https://ssp.example.gov.cn/photo/{report_id}.jpg"
        return form

    # -- repeats ----------------------------------------------------------------------------

    def repeat(self, request: Request, *, changed: bool = False) -> Request:
        """The same payload again (an integration posting twice); `changed`: supplemented content."""
        if request.channel == OPEN311_CHANNEL:
            raise ValueError("GeoReport v2 has no client-side id: every POST is a new request")
        payload = dict(request.payload)
        if not changed:
            return replace(request, payload=payload, kind="repeat")
        if request.channel == "iot":  # the sensor sends a new reading, or escalates
            if payload.get("value") is not None:
                payload["value"] = round(float(payload["value"]) * 1.2, 2)
            else:
                level = int(payload["level"])
                payload["level"] = level - 1 if level > 1 else 2
        else:
            text_field = TEXT_FIELDS[request.channel]
            payload[text_field] = f"{payload.get(text_field) or ''}{self.rng.choice(SUPPLEMENTS)}"
        return replace(request, payload=payload, kind="update")


__all__ = ["TrafficGenerator"]
