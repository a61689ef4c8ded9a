"""The scene catalogue's rules (domain.sensing_scenes): thresholds, allowed hours, what needs a
person, the file form, and the shipped default catalogue."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import time
from importlib import resources

import pytest

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_scenes import (
    HourRange,
    Scene,
    SceneSource,
    alarm_counts,
    needs_verification,
    scene_from_json,
    scene_problems,
    scene_to_json,
    suppressed_at,
)
from zhiyun.domain.workorder.choices import Urgency

MARKET = Scene(
    "CAM-04",
    "占道经营",
    SceneSource.CAMERA,
    "CG0401",
    0.6,
    60,
    min_duration_s=600,
    allowed_hours=(HourRange.parse("06:00-09:00"),),
)


def test_an_alarm_counts_from_the_scenes_threshold_or_a_devices_own() -> None:
    assert alarm_counts(MARKET, 0.6) and not alarm_counts(MARKET, 0.59)
    assert alarm_counts(MARKET, 0.45, threshold=0.4) and not alarm_counts(MARKET, 0.7, threshold=0.8)


def test_the_morning_market_is_allowed_from_six_to_nine_and_a_night_range_runs_past_midnight() -> None:
    assert suppressed_at(MARKET, time(6, 0)) and suppressed_at(MARKET, time(8, 59))
    assert not suppressed_at(MARKET, time(9, 0)) and not suppressed_at(MARKET, time(5, 59))
    night = HourRange.parse("22:00-06:00")
    assert night.contains(time(23, 30)) and night.contains(time(2, 0)) and not night.contains(time(12, 0))
    assert HourRange.parse("18:00-24:00").contains(time(23, 59))


@pytest.mark.parametrize("text", ["6-9", "25:00-26:00", "08:00-08:00", "08:61-09:00", ""])
def test_a_time_range_of_the_wrong_form_is_refused(text: str) -> None:
    with pytest.raises(ValidationFailed):
        HourRange.parse(text)


def test_a_severe_scene_skips_verification_and_must_be_urgent() -> None:
    gas = Scene("IOT-01", "燃气泄漏", SceneSource.IOT, "CX0104", 0.5, 30, severe=True, urgency=Urgency.URGENT)
    assert not needs_verification(gas) and needs_verification(MARKET)
    assert not needs_verification(replace(MARKET, verify=False))
    assert any("紧急" in p for p in scene_problems(replace(gas, urgency=Urgency.NORMAL)))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"code": "cam-4"}, "场景编码"),
        ({"threshold": 0.0}, "阈值"),
        ({"threshold": 1.5}, "阈值"),
        ({"window_minutes": 0}, "时间窗"),
        ({"min_duration_s": 7200}, "不能超过归并时间窗"),
        ({"min_repeats": 0}, "重复次数"),
        ({"verify_minutes": 0}, "核实时限"),
        ({"category_code": " "}, "分类"),
    ],
)
def test_a_scene_that_breaks_a_rule_says_which(change: dict[str, object], words: str) -> None:
    assert any(words in p for p in scene_problems(replace(MARKET, **change)))  # type: ignore[arg-type]


def test_the_file_form_reads_back_what_it_wrote_and_names_every_problem() -> None:
    assert scene_from_json(scene_to_json(MARKET)) == MARKET
    with pytest.raises(ValidationFailed) as refused:
        scene_from_json({**scene_to_json(MARKET), "source": "radar", "threshold": "high", "colour": "red"})
    problems = refused.value.details["problems"]
    assert any("source" in p for p in problems) and any("threshold" in p for p in problems)
    assert any("colour" in p for p in problems)
    loose = scene_from_json(
        {**scene_to_json(MARKET), "allowed_hours": "06:00-09:00，17:00-19:00", "verify": "否"}
    )
    assert [h.label for h in loose.allowed_hours] == ["06:00-09:00", "17:00-19:00"] and not loose.verify


def test_the_shipped_catalogue_covers_cameras_sensors_drones_and_satellites_soundly() -> None:
    data = json.loads(
        resources.files("zhiyun.sensing").joinpath("default_scenes.json").read_text(encoding="utf-8")
    )
    scenes = [scene_from_json(d) for d in data["scenes"]]
    assert {s.source for s in scenes} == set(SceneSource)
    names = {s.name for s in scenes}
    assert {"违章建筑", "明火/烟雾", "占道经营", "垃圾满溢", "燃气泄漏", "烟感报警", "耕地非农化"} <= names
    assert len({s.code for s in scenes}) == len(scenes) >= 30
    severe = {s.name for s in scenes if s.severe}
    assert {"燃气泄漏", "明火/烟雾"} <= severe and all(
        s.urgency is Urgency.URGENT for s in scenes if s.severe
    )
    market = next(s for s in scenes if s.name == "占道经营")
    assert suppressed_at(market, time(7, 30))
