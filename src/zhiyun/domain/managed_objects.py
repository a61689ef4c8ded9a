"""Managed objects (网格管理对象): what one is, which attributes each kind has, who sees which.

- A **managed object** is a building (楼栋), a rental house (出租屋), a shop or small venue
  (三小场所), an enterprise (企业) or a facility/component (部件设施) (`domain.grid.ObjectKind`),
  with a name, an address, a point, a risk level (`RiskLevel`, low by default) and the
  attributes of its kind. A facility carries its 16-digit component id (部件编码: county 6 +
  class 2 + subclass 2 + serial 6, `ComponentId`); any other kind may carry one.
- **Attributes** are data, one schema per kind (`ATTRIBUTE_SCHEMAS`): each attribute has a
  Chinese name (its key in the stored JSON), a type (text, integer, number, choice, yes/no),
  its limits or choices and its unit. `parse_attributes` turns the text of a file's cells into
  typed values; a value of the wrong type, out of its range or not among its choices is an
  error naming the attribute; an attribute that belongs to other kinds only is refused (a
  row filed under the wrong kind, most likely); any other name is kept as text.
- **No personal identity numbers** (people are out of scope): a column whose header names an
  identity card (身份证, 证件号码 …, `id_card_header`) refuses the whole file, and a cell that
  looks like a resident identity number (18 characters: 17 digits and a digit or X,
  `looks_like_id_card`; inside longer text, one with a valid birth date and check digit,
  `contains_id_card_number`) refuses its row — nothing of it is stored.
- **Source key** (`source_key`): what makes an import idempotent. The file's own id (编号)
  when it has one, else a hash of kind + name + address (`hashed_source_key`, "h:" + 32 hex
  digits), so that importing the same file twice stores nothing twice.
- **Who sees which objects** (`object_scope`): the grid rule (`domain.grid`) applied to what
  lies in the grids. A grid worker sees the objects in the grids of their posts (a chief:
  the whole village, also its objects that lie in no grid); the district-wide readers
  (admins, leaders, inspectors, the system) every object; other staff the objects of the
  villages in their unit's subtree (a village's staff: their village's; a town's: its
  villages'; a department's: none); a citizen none. An object's village is its grid's
  village whenever it has a grid, so a village's objects are found by village alone.

Standard library only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import (
    GRID_READERS_EVERYWHERE,
    ComponentId,
    GridPlace,
    GridPost,
    ObjectKind,
    RiskLevel,
    villages_in_view,
    visible_grid_ids,
)
from zhiyun.domain.org import OrgTree
from zhiyun.domain.principals import Actor, Role

__all__ = [
    "ADDRESS_MAX",
    "ATTRIBUTES_MAX",
    "ATTRIBUTE_SCHEMAS",
    "ATTRIBUTE_TEXT_MAX",
    "COMPONENT_CLASSES",
    "ID_CARD_REFUSAL",
    "NAME_MAX",
    "OBJECT_BROWSERS",
    "SOURCE_KEY_MAX",
    "AttributeSpec",
    "AttributeType",
    "ObjectScope",
    "ValidObject",
    "contains_id_card_number",
    "hashed_source_key",
    "id_card_header",
    "looks_like_id_card",
    "may_browse_managed_objects",
    "object_scope",
    "object_tags",
    "parse_attributes",
    "parse_component_id",
    "parse_source_key",
    "schema_of",
    "validate_object",
]

NAME_MAX = 200
ADDRESS_MAX = 300
SOURCE_KEY_MAX = 64
ATTRIBUTE_TEXT_MAX = 200
ATTRIBUTE_NAME_MAX = 30
ATTRIBUTES_MAX = 30

Problem = tuple[str, str]  # (field, message in Chinese)


# --------------------------------------------------------------------------- attribute schemas


class AttributeType(StrEnum):
    """The type of an attribute's value."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    CHOICE = "choice"
    YES_NO = "yes_no"

    @property
    def label(self) -> str:
        return {"text": "文本", "integer": "整数", "number": "数值", "choice": "选项", "yes_no": "是/否"}[
            self.value
        ]


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a kind: its Chinese name (the key stored), its type, its limits
    (`minimum`/`maximum` for numbers, `max_length` for text), its choices and its unit."""

    name: str
    type: AttributeType
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    unit_aliases: tuple[str, ...] = ()
    max_length: int = ATTRIBUTE_TEXT_MAX

    def __post_init__(self) -> None:
        # the type as a plain string and the choices as a set: `parse` runs for every cell of
        # a bulk import, and an enum member's value is a descriptor call each time
        object.__setattr__(self, "_code", self.type.value)
        object.__setattr__(self, "_choices", frozenset(self.choices))
        object.__setattr__(self, "_suffixes", tuple(u for u in (self.unit, *self.unit_aliases) if u))

    def parse(self, raw: str) -> Any:
        """The typed value of a cell's text; ValueError with a Chinese reason."""
        code: str = self._code  # type: ignore[attr-defined]
        text = raw.strip()
        if code == "text":
            text = _one_line(text)
            if len(text) > self.max_length:
                raise ValueError(f"不能超过 {self.max_length} 个字符")
            return text
        if code == "choice":
            if text not in self._choices:  # type: ignore[attr-defined]
                raise ValueError(f"「{text[:20]}」不在可选值中（{'、'.join(self.choices)}）")
            return text
        if code == "yes_no":
            if text in _YES:
                return True
            if text in _NO:
                return False
            raise ValueError(f"「{text[:20]}」应为 是 或 否")
        for suffix in self._suffixes:  # type: ignore[attr-defined]
            if text.endswith(suffix):
                text = text[: -len(suffix)].strip()
                break
        if "," in text:
            text = text.replace(",", "")
        try:
            number = float(text)
            if code == "integer" and not number.is_integer():
                raise ValueError
        except (ValueError, OverflowError):
            raise ValueError(f"「{raw.strip()[:20]}」应为{self.type.label}") from None
        if number != number or number in _INFINITIES:
            raise ValueError(f"「{raw.strip()[:20]}」应为{self.type.label}")
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise ValueError(
                f"{_plain(number)} 超出范围（{_plain(self.minimum)}–{_plain(self.maximum)}{self.unit}）"
            )
        return int(number) if code == "integer" else round(number, 2)

    def describe(self) -> str:
        """The type and limits in a few Chinese words (the docs and the console show it)."""
        if self.type is AttributeType.CHOICE:
            return "、".join(self.choices)
        if self.type in (AttributeType.INTEGER, AttributeType.NUMBER):
            return f"{self.type.label} {_plain(self.minimum)}–{_plain(self.maximum)}{self.unit}"
        if self.type is AttributeType.TEXT:
            return f"文本，至多 {self.max_length} 字"
        return "是 / 否"


_INFINITIES = (float("inf"), float("-inf"))
_YES = frozenset({"是", "有", "Y", "y", "yes", "Yes", "true", "True", "1"})
_NO = frozenset({"否", "无", "N", "n", "no", "No", "false", "False", "0"})


def _plain(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


_AREA_UNITS = ("m²", "m2", "平方米", "平米")
LABELS_MAX = 100
_LABELS_HELP = "适用标签，以、分隔（如 独居老人：入格事项按标签适用；不登记个人信息）"

ATTRIBUTE_SCHEMAS: Mapping[ObjectKind, tuple[AttributeSpec, ...]] = {
    ObjectKind.BUILDING: (
        AttributeSpec("层数", AttributeType.INTEGER, "地上层数", 1, 200, unit="层"),
        AttributeSpec(
            "结构",
            AttributeType.CHOICE,
            "建筑结构",
            choices=("钢混", "框架", "砖混", "钢结构", "砖木", "其他"),
        ),
        AttributeSpec(
            "用途", AttributeType.CHOICE, "主要用途", choices=("住宅", "商业", "办公", "工业", "综合", "其他")
        ),
        AttributeSpec("建成年份", AttributeType.INTEGER, "竣工年份", 1900, 2100, unit="年"),
        AttributeSpec("户数", AttributeType.INTEGER, "住户或单位数", 0, 10_000, unit="户"),
        AttributeSpec("标签", AttributeType.TEXT, _LABELS_HELP, max_length=LABELS_MAX),
    ),
    ObjectKind.RENTAL_HOUSE: (
        AttributeSpec("间数", AttributeType.INTEGER, "出租房间数", 1, 2_000, unit="间"),
        AttributeSpec(
            "出租状态", AttributeType.CHOICE, "当前出租情况", choices=("已出租", "部分出租", "空置", "自住")
        ),
        AttributeSpec(
            "面积", AttributeType.NUMBER, "建筑面积", 0, 100_000, unit="㎡", unit_aliases=_AREA_UNITS
        ),
        AttributeSpec(
            "租住人数", AttributeType.INTEGER, "在住人数（只计人数，不登记个人信息）", 0, 5_000, unit="人"
        ),
        AttributeSpec("标签", AttributeType.TEXT, _LABELS_HELP, max_length=LABELS_MAX),
    ),
    ObjectKind.SHOP: (
        AttributeSpec(
            "经营类别",
            AttributeType.CHOICE,
            "三小场所的类别",
            choices=("小档口", "小商店", "小餐饮", "小作坊", "小娱乐", "小旅馆", "小美容美发", "其他"),
        ),
        AttributeSpec(
            "面积", AttributeType.NUMBER, "经营面积", 0, 100_000, unit="㎡", unit_aliases=_AREA_UNITS
        ),
        AttributeSpec("从业人数", AttributeType.INTEGER, "从业人员数", 0, 10_000, unit="人"),
        AttributeSpec("住人", AttributeType.YES_NO, "场所内是否住人（“三合一”）"),
    ),
    ObjectKind.ENTERPRISE: (
        AttributeSpec("行业", AttributeType.TEXT, "所属行业（国民经济行业分类门类）", max_length=50),
        AttributeSpec("规模", AttributeType.CHOICE, "企业规模", choices=("微型", "小型", "中型", "大型")),
        AttributeSpec("从业人数", AttributeType.INTEGER, "从业人员数", 0, 1_000_000, unit="人"),
        AttributeSpec("危化品", AttributeType.YES_NO, "是否生产、储存或使用危险化学品"),
    ),
    ObjectKind.FACILITY: (
        AttributeSpec("权属单位", AttributeType.TEXT, "部件的权属单位", max_length=100),
        AttributeSpec("养护单位", AttributeType.TEXT, "部件的养护单位", max_length=100),
        AttributeSpec(
            "状态", AttributeType.CHOICE, "部件状态", choices=("完好", "破损", "丢失", "占用", "其他")
        ),
    ),
}

_SPEC: dict[ObjectKind, dict[str, AttributeSpec]] = {
    kind: {spec.name: spec for spec in specs} for kind, specs in ATTRIBUTE_SCHEMAS.items()
}
_KINDS_OF_ATTRIBUTE: dict[str, tuple[ObjectKind, ...]] = {}
for _kind, _specs in ATTRIBUTE_SCHEMAS.items():
    for _spec in _specs:
        _KINDS_OF_ATTRIBUTE[_spec.name] = (*_KINDS_OF_ATTRIBUTE.get(_spec.name, ()), _kind)


_LABEL_SEPARATORS = re.compile(r"[、,，;；\s]+")
_BUSINESS_TAGS = {"小餐饮": "餐饮"}


def object_tags(business: str | None, labels: str | None) -> frozenset[str]:
    """The tags grid items select objects by (`GridItem.tags`): a shop's business category gives
    one (小餐饮 → 餐饮), and the 标签 attribute lists others (独居老人 …), separated by 、 or commas."""
    tags = {t for t in _LABEL_SEPARATORS.split(labels or "") if t}
    if business and business in _BUSINESS_TAGS:
        tags.add(_BUSINESS_TAGS[business])
    return frozenset(tags)


def schema_of(kind: ObjectKind) -> tuple[AttributeSpec, ...]:
    """The attributes of a kind, in the order forms and lists show them."""
    return ATTRIBUTE_SCHEMAS[kind]


def parse_attributes(kind: ObjectKind, raw: Mapping[str, str]) -> tuple[dict[str, Any], list[Problem]]:
    """The typed attributes of an object from their cells' text (blank cells are left out),
    and the problems (field "attributes", a Chinese reason naming the attribute)."""
    specs = _SPEC[kind]
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, text in raw.items():
        if not text or not text.strip():
            continue
        spec = specs.get(name)
        if spec is None:
            others = _KINDS_OF_ATTRIBUTE.get(name)
            if others:
                labels = "、".join(k.label for k in others)
                problems.append(("attributes", f"属性「{name}」属于{labels}，不适用于{kind.label}"))
                continue
            if len(name) > ATTRIBUTE_NAME_MAX:
                problems.append(("attributes", f"属性名「{name[:20]}…」超过 {ATTRIBUTE_NAME_MAX} 个字符"))
                continue
            text = _one_line(text)
            if len(text) > ATTRIBUTE_TEXT_MAX:
                problems.append(("attributes", f"属性「{name}」不能超过 {ATTRIBUTE_TEXT_MAX} 个字符"))
                continue
            values[name] = text
            continue
        try:
            values[name] = spec.parse(text)
        except ValueError as exc:
            problems.append(("attributes", f"属性「{name}」{exc}"))
    if len(values) > ATTRIBUTES_MAX:
        problems.append(("attributes", f"属性不能超过 {ATTRIBUTES_MAX} 项（收到 {len(values)} 项）"))
    return values, problems


# --------------------------------------------------------------------------- component ids

# The classes (大类) of city components in the unit-grid standard for managing city components
# (城市市政综合监管信息系统 管理部件和事件, GB/T 30428.2).
COMPONENT_CLASSES: Mapping[str, str] = {
    "01": "公用设施",
    "02": "道路交通",
    "03": "市容环境",
    "04": "园林绿化",
    "05": "房屋土地",
    "06": "其他设施",
}


def parse_component_id(value: str, *, county: str | None = None) -> ComponentId:
    """A 16-digit component id whose class is known, whose subclass and serial are not zero
    and (when `county` is given) whose first six digits are that county's; ValidationFailed."""
    component = ComponentId.parse(value)
    if component.component_class not in COMPONENT_CLASSES:
        known = "、".join(f"{code}{name}" for code, name in COMPONENT_CLASSES.items())
        raise ValidationFailed(
            f"部件编码 {component} 的大类 {component.component_class} 不存在（可用：{known}）",
            field="component_id",
        )
    if component.subclass == "00" or component.serial == 0:
        raise ValidationFailed(f"部件编码 {component} 的小类和流水号不能为 0", field="component_id")
    if county is not None and component.county != county:
        raise ValidationFailed(
            f"部件编码 {component} 的区县代码 {component.county} 与本区（{county}）不符", field="component_id"
        )
    return component


# --------------------------------------------------------------------------- identity numbers

ID_CARD_REFUSAL = "网格管理对象不采集个人身份信息，本系统不保存身份证号码"
_ID_CARD_HEADER = re.compile(r"身份证|证件号|身份号码|公民身份|id[ _-]?card|idcard|id[ _-]?no", re.I)
_ID_CARD_EXACT = re.compile(r"\d{17}[\dXx]")
_ID_CARD_INSIDE = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_card_header(header: str) -> bool:
    """Whether a column's header names an identity card number (身份证号, 证件号码, 公民身份号码 …)."""
    return bool(_ID_CARD_HEADER.search(header or ""))


def looks_like_id_card(text: str) -> bool:
    """Whether a cell is shaped like a resident identity number: 17 digits and a digit or X."""
    return bool(_ID_CARD_EXACT.fullmatch(text.strip()))


def _valid_id_number(number: str) -> bool:
    """An 18-character number with a plausible birth date and a correct check digit (GB 11643)."""
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def contains_id_card_number(text: str) -> bool:
    """Whether text holds a resident identity number: a whole cell of that shape, or, inside
    longer text, one with a valid birth date and check digit (a long serial number is not one)."""
    if _ID_CARD_INSIDE.search(text) is None:  # the usual text: no 18-character number at all
        return False
    if looks_like_id_card(text):
        return True
    return any(_valid_id_number(m.group()) for m in _ID_CARD_INSIDE.finditer(text))


# --------------------------------------------------------------------------- one object

_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")  # runs of spaces and control characters
_UNTIDY = re.compile(r"[^\S ]|  |[\x00-\x1f\x7f]")  # what `_SPACES` would change besides a lone space


_KIND_BY_TEXT: dict[str, ObjectKind] = {
    **{k.value: k for k in ObjectKind},
    **{k.label: k for k in ObjectKind},
}
_RISK_BY_TEXT: dict[str, RiskLevel] = {
    **{r.value: r for r in RiskLevel},
    **{r.label: r for r in RiskLevel},
    **{f"{r.label}风险": r for r in RiskLevel},
}


class ValidObject(NamedTuple):
    """An object's fields once checked (its place — point, grid, village — is the importer's).
    A named tuple: a bulk import makes one per row."""

    kind: ObjectKind
    name: str
    address: str
    component_id: str | None
    attributes: dict[str, Any]
    risk: RiskLevel


def _one_line(text: str) -> str:
    if _UNTIDY.search(text) is None:  # the usual cell: nothing to collapse
        return text.strip()
    return _SPACES.sub(" ", text).strip()


def hashed_source_key(kind: ObjectKind, name: str, address: str) -> str:
    """The source key of an object whose file has no id: "h:" + 32 hex digits of a hash of
    its kind, name and address (spaces collapsed), the same on every import."""
    digest = hashlib.blake2b(
        f"{kind.value}\x1f{_one_line(name)}\x1f{_one_line(address)}".encode(), digest_size=16
    ).hexdigest()
    return f"h:{digest}"


def parse_source_key(value: str) -> str:
    """The file's own id of an object (编号), trimmed; ValidationFailed if too long or two lines."""
    key = value.strip()
    if len(key) > SOURCE_KEY_MAX:
        raise ValidationFailed(f"编号不能超过 {SOURCE_KEY_MAX} 个字符", field="source_key")
    if not key.isprintable():
        raise ValidationFailed("编号不能含换行、制表符等控制字符", field="source_key")
    if len(key) == 18 and looks_like_id_card(key):
        raise ValidationFailed(f"编号疑似身份证号码：{ID_CARD_REFUSAL}", field="source_key")
    return key


def validate_object(
    kind: str,
    name: str,
    address: str = "",
    *,
    component_id: str = "",
    attributes: Mapping[str, str] | None = None,
    risk: str = "",
    county: str | None = None,
) -> ValidObject:
    """An object's fields checked together; every problem at once in one ValidationFailed
    (`problems`: (field, reason) pairs). A facility needs its component id; names and
    addresses are one line each; identity numbers are refused wherever they appear."""
    problems: list[Problem] = []
    parsed_kind = _KIND_BY_TEXT.get(kind) or _KIND_BY_TEXT.get(kind.strip())
    if parsed_kind is None:
        try:
            parsed_kind = ObjectKind.parse(kind)
        except ValidationFailed as exc:
            problems.append(("kind", exc.message if kind.strip() else "缺少对象类型"))
    clean_name = _one_line(name or "")
    if not clean_name:
        problems.append(("name", "缺少名称"))
    elif len(clean_name) > NAME_MAX:
        problems.append(("name", f"名称不能超过 {NAME_MAX} 个字符"))
    clean_address = _one_line(address or "")
    if len(clean_address) > ADDRESS_MAX:
        problems.append(("address", f"地址不能超过 {ADDRESS_MAX} 个字符"))
    level = _RISK_BY_TEXT.get(risk) or RiskLevel.LOW
    if risk and risk not in _RISK_BY_TEXT and risk.strip():
        try:
            level = RiskLevel.parse(risk)
        except ValidationFailed as exc:
            problems.append(("risk", exc.message))
    component: str | None = None
    if component_id and component_id.strip():
        try:
            component = parse_component_id(component_id, county=county).value
        except ValidationFailed as exc:
            problems.append(("component_id", exc.message))
    elif parsed_kind is ObjectKind.FACILITY:
        problems.append(("component_id", "部件设施必须有 16 位部件编码"))
    values: dict[str, Any] = {}
    if parsed_kind is not None and attributes:
        values, attribute_problems = parse_attributes(parsed_kind, attributes)
        problems.extend(attribute_problems)
    joined = "\x1f".join([clean_name, clean_address, *(v for v in values.values() if v.__class__ is str)])
    if _ID_CARD_INSIDE.search(joined) is not None:  # rare: find which field, say why
        texts = [("name", "名称", clean_name), ("address", "地址", clean_address)]
        texts.extend(("attributes", f"属性「{k}」", v) for k, v in values.items() if isinstance(v, str))
        for field, label, text in texts:
            if contains_id_card_number(text):
                problems.append((field, f"{label}疑似身份证号码：{ID_CARD_REFUSAL}"))
    if problems or parsed_kind is None:
        raise ValidationFailed("；".join(m for _, m in problems), problems=problems)
    return ValidObject(parsed_kind, clean_name, clean_address, component, values, level)


# --------------------------------------------------------------------------- who sees which objects

# Who the console's 网格对象 menu entry is for: grid workers, the staff of villages and towns
# (handlers and dispatchers at their centers), dispatchers and admins. Whoever opens the page
# sees what `object_scope` gives them, nothing for a department's staff.
OBJECT_BROWSERS = frozenset({Role.GRID_WORKER, Role.HANDLER, Role.DISPATCHER, Role.ADMIN})


def may_browse_managed_objects(actor: Actor) -> bool:
    """Whether the console offers `actor` the 网格对象 page (the menu; the list is scoped anyway)."""
    return actor.role in OBJECT_BROWSERS


@dataclass(frozen=True)
class ObjectScope:
    """The objects an actor may see: every one (`everywhere`), else those in `grid_ids` and
    those of `village_ids` (whatever grid they are in, or none)."""

    everywhere: bool
    grid_ids: frozenset[int] = frozenset()
    village_ids: frozenset[int] = frozenset()

    @property
    def nothing(self) -> bool:
        return not self.everywhere and not self.grid_ids and not self.village_ids

    def holds(self, grid_id: int | None, village_unit_id: int | None) -> bool:
        """Whether an object of that grid and village is in view."""
        if self.everywhere:
            return True
        if grid_id is not None and grid_id in self.grid_ids:
            return True
        return village_unit_id is not None and village_unit_id in self.village_ids


def object_scope(
    actor: Actor, grids: Iterable[GridPlace], org: OrgTree, posts: Iterable[GridPost] = ()
) -> ObjectScope:
    """What `actor` may see of the managed objects (see the module's note): the grid rule
    (`domain.grid.visible_grid_ids`) for a grid worker's grids, the villages in view
    (`domain.grid.villages_in_view`) for other staff and for a chief's whole village."""
    if actor.role in GRID_READERS_EVERYWHERE:
        return ObjectScope(True)
    own = list(posts)
    if actor.role is Role.GRID_WORKER:
        whole = frozenset(p.village_unit_id for p in own if p.grid_id is None)
        single = visible_grid_ids(actor, grids, org, [p for p in own if p.grid_id is not None])
        return ObjectScope(False, single, whole)
    return ObjectScope(False, frozenset(), villages_in_view(actor, org))
