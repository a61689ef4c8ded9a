"""Grid governance (一格共治) in words the rules need: grid codes, component ids, object kinds.

- A **grid** (单元网格) has a 15-digit code: 6 digits of the county (the district's
  administrative division code), 3 of the town/street, 3 of the village/community and 3
  of its sequence number inside the village, numbered north → south in rows and west →
  east within a row, as local standards such as DB11/T 2157 number them
  (`number_west_to_east`). `GridCode.parse` refuses anything else with a Chinese message.
- A **component** (部件: a manhole cover, a lamp post, a hydrant …) has a 16-digit id:
  6 of the county, 2 of its class, 2 of its subclass, 6 serial (`ComponentId`).
- A **managed object** (网格管理对象) is a building, a rental house, a shop or small venue
  (三小场所), an enterprise or a facility/component (`ObjectKind`), with a risk level
  (`RiskLevel`). People are out of scope: no identity numbers anywhere.
- A **grid worker** (网格员) is full-time (专职) or part-time (兼职); each village has a grid
  chief (网格长) (`WorkerKind`). A worker's post (`GridPost`) is a grid of a village, or, for
  a chief, the whole village.
- **Who sees which grids** (`visible_grid_ids`, `may_see_grid`): a grid worker only the grids
  of their posts (a chief: every grid of the village); the district-wide readers (admins,
  leaders, inspectors, the system) every grid; other staff the grids of the villages in
  their unit's subtree (a village's staff: their village's grids; a town's: its villages';
  a department's: none); a citizen none.

Standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree, UnitKind
from zhiyun.domain.principals import Actor, Role

__all__ = [
    "COMPONENT_ID_LENGTH",
    "GRID_CODE_LENGTH",
    "GRID_NAME_MAX",
    "GRID_READERS_EVERYWHERE",
    "ComponentId",
    "GridCode",
    "GridPlace",
    "GridPost",
    "ObjectKind",
    "RiskLevel",
    "WorkerKind",
    "may_see_grid",
    "number_west_to_east",
    "villages_in_view",
    "visible_grid_ids",
]

GRID_CODE_LENGTH = 15
GRID_NAME_MAX = 100
COMPONENT_ID_LENGTH = 16
_DIGITS = re.compile(r"\d+")


def _digits(value: str, length: int, what: str, field: str) -> str:
    text = (value or "").strip()
    if len(text) != length or not _DIGITS.fullmatch(text):
        raise ValidationFailed(f"{what}应为 {length} 位数字（收到「{text[:40]}」）", field=field)
    return text


@dataclass(frozen=True, order=True)
class GridCode:
    """A 15-digit grid code: county 6 + town 3 + village 3 + sequence 3."""

    value: str

    @classmethod
    def parse(cls, value: str) -> GridCode:
        code = cls(_digits(value, GRID_CODE_LENGTH, "网格编码", "code"))
        if code.sequence == 0:
            raise ValidationFailed(f"网格编码 {code.value} 的顺序码不能为 000", field="code")
        return code

    @classmethod
    def of(cls, village_prefix: str, sequence: int) -> GridCode:
        """The code of the `sequence`-th grid (1..999) of the village whose 12-digit prefix is given."""
        prefix = _digits(village_prefix, 12, "村居区划代码", "village_prefix")
        if not 1 <= sequence <= 999:
            raise ValidationFailed(f"网格顺序码应在 1–999 之间（收到 {sequence}）", field="sequence")
        return cls(f"{prefix}{sequence:03d}")

    @property
    def county(self) -> str:
        return self.value[:6]

    @property
    def town(self) -> str:
        return self.value[6:9]

    @property
    def village(self) -> str:
        return self.value[9:12]

    @property
    def village_prefix(self) -> str:
        """The 12 digits that name its village/community (county + town + village)."""
        return self.value[:12]

    @property
    def sequence(self) -> int:
        return int(self.value[12:])

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class ComponentId:
    """A 16-digit component id: county 6 + class 2 + subclass 2 + serial 6."""

    value: str

    @classmethod
    def parse(cls, value: str) -> ComponentId:
        return cls(_digits(value, COMPONENT_ID_LENGTH, "部件编码", "component_id"))

    @property
    def county(self) -> str:
        return self.value[:6]

    @property
    def component_class(self) -> str:
        return self.value[6:8]

    @property
    def subclass(self) -> str:
        return self.value[8:10]

    @property
    def serial(self) -> int:
        return int(self.value[10:])

    def __str__(self) -> str:
        return self.value


class ObjectKind(StrEnum):
    """What a managed object (网格管理对象) is."""

    BUILDING = "building"
    RENTAL_HOUSE = "rental_house"
    SHOP = "shop"  # shops and small venues: 三小场所 (小商店、小餐饮、小作坊 …)
    ENTERPRISE = "enterprise"
    FACILITY = "facility"  # a city component (部件) with a 16-digit id

    @property
    def label(self) -> str:
        return {
            "building": "楼栋",
            "rental_house": "出租屋",
            "shop": "三小场所",
            "enterprise": "企业",
            "facility": "部件设施",
        }[self.value]

    @classmethod
    def parse(cls, value: str) -> ObjectKind:
        text = (value or "").strip()
        for kind in cls:
            if text in (kind.value, kind.label):
                return kind
        names = "、".join(f"{k.label}（{k.value}）" for k in cls)
        raise ValidationFailed(f"对象类型「{text[:20]}」不存在；可用：{names}", field="kind")


class RiskLevel(StrEnum):
    """How much a managed object or a hazard endangers people (the higher, the more often checked)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MAJOR = "major"  # 重大隐患

    @property
    def label(self) -> str:
        return {"low": "低", "medium": "中", "high": "高", "major": "重大"}[self.value]

    @property
    def rank(self) -> int:
        return ("low", "medium", "high", "major").index(self.value)

    @classmethod
    def parse(cls, value: str) -> RiskLevel:
        text = (value or "").strip()
        for level in cls:
            if text in (level.value, level.label, f"{level.label}风险"):
                return level
        raise ValidationFailed(f"风险等级「{text[:20]}」不存在；可用：低、中、高、重大", field="risk")


class WorkerKind(StrEnum):
    """A grid worker's post."""

    FULL_TIME = "full_time"  # 专职网格员
    PART_TIME = "part_time"  # 兼职网格员 (a village cadre, a building manager …)
    CHIEF = "chief"  # 网格长: one per village, sees every grid of it

    @property
    def label(self) -> str:
        return {"full_time": "专职网格员", "part_time": "兼职网格员", "chief": "网格长"}[self.value]

    @property
    def covers_village(self) -> bool:
        """A chief's post is the whole village (no grid); the others' one grid."""
        return self is WorkerKind.CHIEF

    @classmethod
    def parse(cls, value: str) -> WorkerKind:
        text = (value or "").strip()
        for kind in cls:
            if text in (kind.value, kind.label):
                return kind
        names = "、".join(f"{k.label}（{k.value}）" for k in cls)
        raise ValidationFailed(f"网格员类型「{text[:20]}」不存在；可用：{names}", field="kind")


# --------------------------------------------------------------------------- who sees which grids

# Roles that see every grid of the district (as they read every order: access.DISTRICT_WIDE_READERS).
GRID_READERS_EVERYWHERE = frozenset({Role.ADMIN, Role.LEADER, Role.INSPECTOR, Role.SYSTEM})


@dataclass(frozen=True)
class GridPlace:
    """A grid as the access rule sees it: its id and its village."""

    id: int
    village_unit_id: int


@dataclass(frozen=True)
class GridPost:
    """A grid worker's active post: a grid of a village, or (a chief, `grid_id` None) the village."""

    village_unit_id: int
    grid_id: int | None
    kind: WorkerKind


def _villages(org: OrgTree, unit_id: int) -> set[int]:
    """The villages in a unit's subtree."""
    return {u for u in org.subtree_ids(unit_id) if u in org.units and org.units[u].kind is UnitKind.VILLAGE}


def visible_grid_ids(
    actor: Actor, grids: Iterable[GridPlace], org: OrgTree, posts: Iterable[GridPost] = ()
) -> frozenset[int]:
    """The ids of the `grids` that `actor` may see; `posts` are the actor's own active posts
    (only a grid worker's count). See the module's note for the rule."""
    places = list(grids)
    if actor.role in GRID_READERS_EVERYWHERE:
        return frozenset(g.id for g in places)
    if actor.role is Role.GRID_WORKER:
        own = list(posts)
        whole = {p.village_unit_id for p in own if p.grid_id is None}
        single = {p.grid_id for p in own if p.grid_id is not None}
        return frozenset(g.id for g in places if g.id in single or g.village_unit_id in whole)
    if not actor.is_staff or actor.unit_id is None or actor.unit_id not in org.units:
        return frozenset()
    villages = _villages(org, actor.unit_id)
    return frozenset(g.id for g in places if g.village_unit_id in villages)


def villages_in_view(actor: Actor, org: OrgTree, posts: Iterable[GridPost] = ()) -> frozenset[int]:
    """The villages whose grid figures (grids, workers) `actor` may see: every village for the
    district-wide readers, the villages of a grid worker's posts, the villages in other staff's
    unit's subtree, none for a citizen."""
    if actor.role in GRID_READERS_EVERYWHERE:
        return frozenset(u.id for u in org.units.values() if u.kind is UnitKind.VILLAGE)
    if actor.role is Role.GRID_WORKER:
        return frozenset(p.village_unit_id for p in posts)
    if not actor.is_staff or actor.unit_id is None or actor.unit_id not in org.units:
        return frozenset()
    return frozenset(_villages(org, actor.unit_id))


def may_see_grid(actor: Actor, grid: GridPlace, org: OrgTree, posts: Iterable[GridPost] = ()) -> bool:
    """Whether `actor` may see one grid (its polygon, its workers, what lies in it)."""
    return grid.id in visible_grid_ids(actor, (grid,), org, posts)


def number_west_to_east(centres: Sequence[tuple[float, float]], row_height: float) -> list[int]:
    """Sequence numbers (1-based) of cells by their centres (lon, lat): rows from north to
    south, each `row_height` degrees of latitude (a centre within half a row of the row's
    first centre belongs to it), west to east within a row. Returns the number of each
    centre in input order."""
    if row_height <= 0:
        raise ValueError("row_height must be positive")
    order = sorted(range(len(centres)), key=lambda i: (-centres[i][1], centres[i][0]))
    rows: list[list[int]] = []
    top: float | None = None
    for i in order:
        lat = centres[i][1]
        if top is None or top - lat > row_height / 2:
            rows.append([])
            top = lat
        rows[-1].append(i)
    numbers = [0] * len(centres)
    n = 0
    for row in rows:
        for i in sorted(row, key=lambda j: centres[j][0]):
            n += 1
            numbers[i] = n
    return numbers
