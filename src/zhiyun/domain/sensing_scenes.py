"""The scene catalogue (场景目录) of a district's sensing: what each algorithm's alarm means and
how it is handled (issue 18, part 1).

A scene is one thing an algorithm recognises — from cameras (违章建筑, 明火/烟雾, 占道经营 …),
IoT sensors (燃气泄漏, 烟感, 水位超警 …), drones and satellites (新增建筑, 耕地非农化 …). Each
says:

- the taxonomy category its orders take (`category_code`);
- the confidence an alarm must reach (`threshold`, 0–1; a device may override it);
- how long or how often it must be seen before it counts (`min_duration_s`: a car parked for
  five minutes, not one stopping; `min_repeats` within the window);
- the aggregation window (`window_minutes`): repeats of the scene from one device inside it
  update one event instead of making new ones; events of the scene from devices within
  `group_radius_m` of each other are grouped;
- the hours in which what it sees is allowed (`allowed_hours`, e.g. a morning market 06:00–09:00
  for 占道经营): alarms then are suppressed, not events;
- whether a person must verify it (`verify`, within `verify_minutes`), or whether it is severe
  (`severe`: 燃气泄漏, 明火 — no verification, an urgent order at once, the nearest grid worker
  told), and the urgency its orders take.

Standard library only; the file form (`scene_to_json` / `scene_from_json`) is what the catalogue
stores per version and what `zhiyun sensing scenes import|export` reads and writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder.choices import Urgency

__all__ = [
    "CODE_PATTERN",
    "HourRange",
    "Scene",
    "SceneSource",
    "alarm_counts",
    "needs_verification",
    "scene_from_json",
    "scene_problems",
    "scene_to_json",
    "suppressed_at",
    "validate_scene",
]

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{2,4}$")  # CAM-01, IOT-03, SAT-001
NAME_MAX = 50
DESCRIPTION_MAX = 500
WINDOW_MAX_MINUTES = 7 * 24 * 60
DURATION_MAX_S = 24 * 3600
REPEATS_MAX = 1000
RADIUS_MAX_M = 5000
VERIFY_MAX_MINUTES = 7 * 24 * 60
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class SceneSource(StrEnum):
    """Where a scene's alarms come from."""

    CAMERA = "camera"
    IOT = "iot"
    DRONE = "drone"
    SATELLITE = "satellite"

    @property
    def label(self) -> str:
        return {"camera": "视频", "iot": "物联感知", "drone": "无人机", "satellite": "卫星遥感"}[self.value]


@dataclass(frozen=True)
class HourRange:
    """Hours of the day, local time, from `start` to `end` (an end before the start runs past
    midnight: 22:00–06:00)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    @classmethod
    def parse(cls, text: str) -> HourRange:
        found = _HOURS.match((text or "").strip())
        if not found:
            raise ValidationFailed(
                f"时段「{str(text)[:20]}」应写作 HH:MM-HH:MM，如 06:00-09:00", field="allowed_hours"
            )
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise ValidationFailed(f"时段「{text}」的时间不存在", field="allowed_hours")
        start, end = time(h1 % 24, m1), time(h2 % 24, m2)
        if start == end:
            raise ValidationFailed(f"时段「{text}」的起止相同", field="allowed_hours")
        return cls(start, end)


@dataclass(frozen=True)
class Scene:
    """One scene of the catalogue, at one version (see the module's note)."""

    code: str
    name: str
    source: SceneSource
    category_code: str
    threshold: float
    window_minutes: int
    min_duration_s: int = 0
    min_repeats: int = 1
    group_radius_m: int = 50
    allowed_hours: tuple[HourRange, ...] = ()
    verify: bool = True
    verify_minutes: int = 30
    severe: bool = False
    urgency: Urgency = Urgency.NORMAL
    description: str = ""


def scene_problems(scene: Scene) -> list[str]:
    """Everything wrong with a scene's definition, in Chinese; empty when it is sound."""
    p: list[str] = []
    if not CODE_PATTERN.match(scene.code or ""):
        p.append(f"场景编码「{scene.code[:20]}」应为大写字母前缀、连字符和 2–4 位数字，如 CAM-01")
    if not scene.name.strip() or len(scene.name) > NAME_MAX:
        p.append(f"场景名称应为 1–{NAME_MAX} 个字")
    if not scene.category_code.strip():
        p.append("须指定工单分类（分类编码）")
    if not 0 < scene.threshold <= 1:
        p.append("置信度阈值应在 0（不含）到 1 之间")
    if not 1 <= scene.window_minutes <= WINDOW_MAX_MINUTES:
        p.append(f"归并时间窗应为 1–{WINDOW_MAX_MINUTES} 分钟")
    if not 0 <= scene.min_duration_s <= DURATION_MAX_S:
        p.append(f"持续时长应为 0–{DURATION_MAX_S} 秒")
    if not 1 <= scene.min_repeats <= REPEATS_MAX:
        p.append(f"重复次数应为 1–{REPEATS_MAX} 次")
    if scene.min_duration_s > scene.window_minutes * 60:
        p.append("持续时长不能超过归并时间窗")
    if not 0 <= scene.group_radius_m <= RADIUS_MAX_M:
        p.append(f"聚合半径应为 0–{RADIUS_MAX_M} 米")
    if not 1 <= scene.verify_minutes <= VERIFY_MAX_MINUTES:
        p.append(f"核实时限应为 1–{VERIFY_MAX_MINUTES} 分钟")
    if scene.severe and scene.urgency is not Urgency.URGENT:
        p.append("重大场景（免核实、立即立案）的工单须为紧急")
    if len(scene.description) > DESCRIPTION_MAX:
        p.append(f"说明不能超过 {DESCRIPTION_MAX} 个字")
    labels = [h.label for h in scene.allowed_hours]
    if len(set(labels)) != len(labels):
        p.append("允许时段重复")
    return p


def validate_scene(scene: Scene) -> Scene:
    problems = scene_problems(scene)
    if problems:
        raise ValidationFailed(
            f"场景 {scene.code}：" + "；".join(problems), problems=problems, code=scene.code
        )
    return scene


def needs_verification(scene: Scene) -> bool:
    """A severe scene (燃气泄漏, 明火) registers an urgent order at once; the others wait for a
    person's check when the scene says so."""
    return scene.verify and not scene.severe


def suppressed_at(scene: Scene, moment: time) -> bool:
    """Whether an alarm of `scene` at local time `moment` falls in its allowed hours (the
    morning market's 占道经营 at 07:30): suppressed, no event."""
    return any(h.contains(moment) for h in scene.allowed_hours)


def alarm_counts(scene: Scene, score: float, *, threshold: float | None = None) -> bool:
    """Whether an alarm's score reaches the scene's threshold (or a device's override)."""
    return score >= (scene.threshold if threshold is None else threshold)


# -- the file form ---------------------------------------------------------------------------------

_BOOLS = {"true": True, "false": False, "是": True, "否": False, "1": True, "0": False}


def scene_to_json(scene: Scene) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": scene.code,
        "name": scene.name,
        "source": scene.source.value,
        "category_code": scene.category_code,
        "threshold": scene.threshold,
        "window_minutes": scene.window_minutes,
        "min_duration_s": scene.min_duration_s,
        "min_repeats": scene.min_repeats,
        "group_radius_m": scene.group_radius_m,
        "allowed_hours": [h.label for h in scene.allowed_hours],
        "verify": scene.verify,
        "verify_minutes": scene.verify_minutes,
        "severe": scene.severe,
        "urgency": scene.urgency.value,
    }
    if scene.description:
        data["description"] = scene.description
    return data


def _number(data: Mapping[str, Any], key: str, default: float | None, problems: list[str], kind: type) -> Any:
    raw = data.get(key, default)
    if raw is None or isinstance(raw, bool):
        problems.append(f"{key} 须为数值")
        return 0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        problems.append(f"{key} 须为数值")
        return 0
    if kind is int:
        if not value.is_integer():
            problems.append(f"{key} 须为整数")
            return 0
        return int(value)
    return value


def _flag(data: Mapping[str, Any], key: str, default: bool, problems: list[str]) -> bool:
    raw = data.get(key, default)
    if isinstance(raw, bool):
        return raw
    found = _BOOLS.get(str(raw).strip().lower())
    if found is None:
        problems.append(f"{key} 须为 true 或 false")
        return default
    return found


def scene_from_json(data: object, *, check: bool = True) -> Scene:
    """A scene from its file form; ValidationFailed naming every problem (with `check`, the
    definition's rules too)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("每个场景应为一个 JSON 对象")
    problems: list[str] = []
    known = set(scene_to_json(_SAMPLE)) | {"description"}
    unknown = sorted(set(data) - known)
    if unknown:
        problems.append(f"未知字段：{'、'.join(str(u) for u in unknown[:5])}")
    try:
        source = SceneSource(str(data.get("source", "")).strip())
    except ValueError:
        problems.append("source 须为 camera、iot、drone 或 satellite")
        source = SceneSource.CAMERA
    try:
        urgency = Urgency(str(data.get("urgency", "normal")).strip())
    except ValueError:
        problems.append("urgency 须为 normal 或 urgent")
        urgency = Urgency.NORMAL
    hours_raw = data.get("allowed_hours", [])
    hours: list[HourRange] = []
    if isinstance(hours_raw, str):
        hours_raw = [h for h in re.split(r"[,，;；\s]+", hours_raw) if h]
    if not isinstance(hours_raw, list):
        problems.append("allowed_hours 须为时段列表")
        hours_raw = []
    for text in hours_raw:
        try:
            hours.append(HourRange.parse(str(text)))
        except ValidationFailed as exc:
            problems.append(exc.message)
    scene = Scene(
        code=str(data.get("code", "")).strip(),
        name=str(data.get("name", "")).strip(),
        source=source,
        category_code=str(data.get("category_code", "")).strip(),
        threshold=_number(data, "threshold", None, problems, float),
        window_minutes=_number(data, "window_minutes", None, problems, int),
        min_duration_s=_number(data, "min_duration_s", 0, problems, int),
        min_repeats=_number(data, "min_repeats", 1, problems, int),
        group_radius_m=_number(data, "group_radius_m", 50, problems, int),
        allowed_hours=tuple(hours),
        verify=_flag(data, "verify", True, problems),
        verify_minutes=_number(data, "verify_minutes", 30, problems, int),
        severe=_flag(data, "severe", False, problems),
        urgency=urgency,
        description=str(data.get("description", "")).strip(),
    )
    if check:
        problems += scene_problems(scene)
    if problems:
        where = scene.code or "（无编码）"
        raise ValidationFailed(f"场景 {where}：" + "；".join(problems), problems=problems, code=scene.code)
    return scene


_SAMPLE = Scene("CAM-01", "样例", SceneSource.CAMERA, "QT01", 0.5, 10)
