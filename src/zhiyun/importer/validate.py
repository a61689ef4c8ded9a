"""Cleaning and validating one import row: text, phone, coordinates, times, units and value maps; a row is stored whole or rejected with its reasons."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import OrderStatus
from zhiyun.importer.mapping import (
    BUILTIN_VALUES,
    ENUM_FIELDS,
    FIELD_LABELS,
    FIELDS,
    FINISHED,
    FUTURE_SLACK,
    IMPORT_STATUSES,
    MAX_CONTENT,
    MAX_LENGTH,
    MAX_TIME,
    MAX_TITLE,
    MIN_TIME,
    ImportMapping,
    MappingError,
)
from zhiyun.importer.sources import BadLine
from zhiyun.importer.times import parse_time
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, geo_cell, validate_coordinates
from zhiyun.kernel.normalize import normalize_phone, normalize_text, to_halfwidth

# --------------------------------------------------------------------------- validation


class RowErrors(list[tuple[str, str]]):
    """The problems of one row: (field, message) pairs."""


@functools.cache
def _folded_chars() -> re.Pattern[str]:
    """The printable characters normalize_text would change (full-width forms, mostly)."""
    chars = []
    for code in range(0xFF00, 0xFFF0):
        probe = f"a{chr(code)}a"
        if normalize_text(probe, multiline=False) != probe:
            chars.append(re.escape(chr(code)))
    return re.compile("[" + "".join(chars) + "]") if chars else re.compile(r"(?!x)x")


def _is_clean(s: str) -> bool:
    """Text that normalize_text gives back as it is, but for the outer spaces."""
    return (
        s.isprintable()
        and "  " not in s
        and not _folded_chars().search(s)
        and unicodedata.is_normalized("NFC", s)
    )


def clean_line(s: str) -> str:
    """normalize_text(s, multiline=False), with a shortcut for text that is already clean."""
    return s.strip() if _is_clean(s) else normalize_text(s, multiline=False)


def clean_block(s: str) -> str:
    """normalize_text(s), with the same shortcut."""
    return s.strip() if _is_clean(s) else normalize_text(s)


def clean_phone(s: str) -> str | None:
    """normalize_phone(s), with a shortcut for a plain 11-digit mobile number."""
    if len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1" and s[1] in "3456789":
        return s
    return normalize_phone(s)


class UnitIndex:
    """Org units by code, name and alias (names shared by two units must be given by code)."""

    def __init__(self, org: OrgTree) -> None:
        self.by_key: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        by_name: dict[str, set[int]] = {}
        for unit in org.units.values():
            for name in (unit.name, *unit.aliases):
                if name:
                    by_name.setdefault(name.strip(), set()).add(unit.id)
        for name, ids in by_name.items():
            if len(ids) == 1:
                self.by_key[name] = next(iter(ids))
            else:
                self.ambiguous.add(name)
        for unit in org.units.values():  # codes win over names
            self.by_key[unit.code] = unit.id
            self.ambiguous.discard(unit.code)

    def find(self, value: str) -> int | str:
        """The unit id, or the reason there is none."""
        key = value.strip()
        found = self.by_key.get(key)
        if found is not None:
            return found
        if key in self.ambiguous:
            return f"单位名称「{key}」对应多个单位，请改用单位编码"
        return f"未知的单位「{key}」（应为组织架构中的单位编码、名称或别名）"


# (latitude, longitude, address) → (town, village, grid, how it was located)
Locate = Callable[[float | None, float | None, str | None], tuple[int | None, int | None, int | None, str]]
Validate = Callable[[int, tuple[Any, ...], Callable[[], str]], "list[Any] | RowErrors"]


class RowValidator:
    """Turns the mapped values of one source row into a staged row, or the list of its errors.

    `validate(rownum, values, content_key)` takes the values of the mapped fields in
    `fields` order (strings, or datetimes from spreadsheets) and gives a list in
    zhiyun.importer.staged_row.STAGED_COLUMNS order, or RowErrors. It is compiled once per import
    into a closure over the mapping (this is the per-row hot path of a million-row import).
    """

    def __init__(
        self,
        mapping: ImportMapping,
        fields: tuple[str, ...],
        org: OrgTree,
        *,
        now: datetime,
        locate: Locate | None = None,
    ) -> None:
        self.mapping = mapping
        self.fields = fields
        self.units = UnitIndex(org)
        self.root_id = org.root().id
        self.now = now
        self.locate = locate
        constants = mapping.constants
        for name in ("registered_unit", "responsible_unit"):
            if name in constants and isinstance(self.units.find(constants[name]), str):
                raise MappingError(f"constants.{name}：{self.units.find(constants[name])}")
        self.validate: Validate = self._compile()

    def _compile(self) -> Validate:
        mapping, units, locate = self.mapping, self.units, self.locate
        constants = mapping.constants
        width = len(self.fields)
        # Every field reads one slot of `vals`: its column, else a constant or "" appended after them.
        position: dict[str, int] = {f: i for i, f in enumerate(self.fields)}
        extra: list[Any] = []
        for name in FIELDS:
            if name not in position:
                position[name] = width + len(extra)
                extra.append(constants.get(name, ""))
        extra_t = tuple(extra)
        fallbacks = tuple((position[f], c) for f, c in constants.items() if f in self.fields)
        free_maps = tuple(
            (position[f], table) for f, table in mapping.value_maps.items() if f not in ENUM_FIELDS
        )
        enum_maps = {
            name: {**BUILTIN_VALUES.get(name, {}), **mapping.value_maps.get(name, {})} for name in ENUM_FIELDS
        }
        P = position
        p_ext, p_num, p_chan = P["external_id"], P["number"], P["channel"]
        p_title, p_content, p_name, p_phone = P["title"], P["content"], P["citizen_name"], P["citizen_phone"]
        p_addr, p_cat, p_result = P["address"], P["category_code"], P["result"]
        p_type, p_urg, p_status, p_sat, p_conf, p_coord = (
            P["order_type"],
            P["urgency"],
            P["status"],
            P["satisfaction"],
            P["confidential"],
            P["coord_system"],
        )
        p_lat, p_lon = P["latitude"], P["longitude"]
        p_reg_unit, p_resp_unit = P["registered_unit"], P["responsible_unit"]
        p_reg, p_rep, p_clo = P["registered_at"], P["replied_at"], P["closed_at"]
        has_external = "external_id" in self.fields
        m_type, m_urg, m_status = enum_maps["order_type"], enum_maps["urgency"], enum_maps["status"]
        m_sat, m_conf, m_coord = (
            enum_maps["satisfaction"],
            enum_maps["confidential"],
            enum_maps["coord_system"],
        )
        default_coord = mapping.coord_system
        tz = ZoneInfo(mapping.timezone)
        numbering_tz = mapping.timezone == str(LOCAL_TZ)
        latest = self.now + FUTURE_SLACK
        registered_default = self.root_id
        finished, pending = FINISHED, OrderStatus.PENDING_DISPATCH.value
        importable = FINISHED | {pending}
        gcj02 = CoordSystem.GCJ02.value
        find_unit = units.find
        unit_ids = units.by_key
        fromiso = datetime.fromisoformat
        utc = UTC
        folded = _folded_chars().search
        is_nfc = unicodedata.is_normalized
        limits = MAX_LENGTH

        def enum(
            raw: Any, table: dict[str, str], name: str, default: str | None, errors: RowErrors
        ) -> str | None:
            if raw == "":
                return default
            text = raw if raw.__class__ is str else str(raw)
            found = table.get(text) or table.get(text.lower())
            if found is None:
                errors.append(
                    (
                        name,
                        f"未知的{FIELD_LABELS[name]}「{text[:40]}」（可在映射文件 value_maps.{name} 中对应）",
                    )
                )
            return found

        def when(value: Any, name: str, errors: RowErrors) -> tuple[datetime | None, datetime | None]:
            """(UTC instant, the naive local time it was given as) of a time cell."""
            if value == "":
                return None, None
            naive = None
            try:
                if value.__class__ is str:
                    try:
                        parsed: datetime | None = fromiso(value)
                    except ValueError:
                        parsed = None
                else:
                    parsed = value if isinstance(value, datetime) else None
                if parsed is None:
                    try:
                        parsed = parse_time(value)  # 2019/11/28 9:08:38, 2019年11月28日 9时8分, …
                    except ValueError as exc:
                        errors.append((name, f"{FIELD_LABELS[name]}：{exc}"))
                        return None, None
                if parsed.tzinfo is None or parsed.utcoffset() is None:
                    naive = parsed.replace(tzinfo=None)
                    instant = naive.replace(tzinfo=tz).astimezone(utc)
                else:
                    instant = parsed.astimezone(utc)
            except (OverflowError, ValueError):
                errors.append((name, f"{FIELD_LABELS[name]}超出合理范围"))
                return None, None
            if not MIN_TIME <= instant < MAX_TIME:
                errors.append((name, f"{FIELD_LABELS[name]}超出合理范围（1970—2099 年）"))
                return None, None
            if instant > latest:
                errors.append((name, f"{FIELD_LABELS[name]}晚于当前时间"))
                return None, None
            return instant, naive

        def text(raw: Any, name: str, errors: RowErrors, block: bool = False) -> str | None:
            if raw == "":
                return None
            if raw.__class__ is not str:
                raw = str(raw)
            if raw.isprintable() and "  " not in raw and not folded(raw) and is_nfc("NFC", raw):
                cleaned = raw
            else:
                cleaned = normalize_text(raw) if block else normalize_text(raw, multiline=False)
            limit = limits.get(name)
            if limit is not None and len(cleaned) > limit:
                errors.append((name, f"{FIELD_LABELS[name]}超过 {limit} 字"))
            return cleaned or None

        def unit(raw: Any, name: str, errors: RowErrors) -> int | None:
            if raw == "":
                return None
            found = unit_ids.get(raw)
            if found is not None:
                return found
            reason = find_unit(str(raw))
            if isinstance(reason, str):
                errors.append((name, reason))
                return None
            return reason

        def validate(
            rownum: int, values: tuple[Any, ...], content_key: Callable[[], str]
        ) -> list[Any] | RowErrors:
            if values and values[0].__class__ is BadLine:
                return RowErrors([("row", values[0].message)])
            vals = [v.strip() if v.__class__ is str else v for v in values]
            vals.extend(extra_t)
            for p, constant in fallbacks:
                if vals[p] == "":
                    vals[p] = constant
            for p, table in free_maps:
                mapped = table.get(vals[p])
                if mapped is not None:
                    vals[p] = mapped
            errors = RowErrors()

            # identity
            if has_external:
                external_id = vals[p_ext]
                if external_id.__class__ is not str:
                    external_id = str(external_id)
                if not external_id:
                    errors.append(("external_id", "外部编号为空"))
                elif len(external_id) > 128:
                    errors.append(("external_id", "外部编号超过 128 个字符"))
            else:
                external_id = (
                    "h:" + hashlib.blake2b(content_key().encode("utf-8"), digest_size=16).hexdigest()
                )
            number = vals[p_num] or None
            if number is not None:
                if number.__class__ is not str:
                    number = str(number)
                if not number.isascii():
                    number = to_halfwidth(number).strip()
                if len(number) > 32:
                    errors.append(("number", "工单编号超过 32 个字符"))
            channel = vals[p_chan]
            if not channel:
                errors.append(("channel", "渠道为空（映射 channel 列，或用 constants / --channel 给出）"))
            elif len(channel) > 32 or not channel.isprintable() or " " in channel:
                errors.append(("channel", f"渠道编码「{channel[:40]}」无效（不超过 32 个字符、不含空格）"))

            # text
            title = text(vals[p_title], "title", errors)
            if not title:
                errors.append(("title", "标题不能为空"))
            elif len(title) > MAX_TITLE:
                errors.append(("title", f"标题超过 {MAX_TITLE} 字"))
            content = text(vals[p_content], "content", errors, True) or title
            if content is not None and len(content) > MAX_CONTENT:
                errors.append(("content", f"诉求内容超过 {MAX_CONTENT} 字"))
            citizen_name = text(vals[p_name], "citizen_name", errors)
            address = text(vals[p_addr], "address", errors)
            category_code = text(vals[p_cat], "category_code", errors)
            result = text(vals[p_result], "result", errors, True)
            phone = vals[p_phone]
            if phone:
                try:
                    phone = clean_phone(phone if phone.__class__ is str else str(phone))
                except ValidationFailed as exc:
                    errors.append(("citizen_phone", f"{exc.message}：{str(phone)[:40]}"))
            phone = phone or None

            # choices
            order_type = enum(vals[p_type], m_type, "order_type", "help", errors)
            urgency = enum(vals[p_urg], m_urg, "urgency", "normal", errors)
            status = enum(vals[p_status], m_status, "status", "closed", errors)
            if status is not None and status not in importable:
                allowed = "、".join(f"{s.label}({s.value})" for s in IMPORT_STATUSES)
                errors.append(
                    ("status", f"历史导入不支持状态「{OrderStatus(status).label}」，只支持：{allowed}")
                )
            satisfaction = enum(vals[p_sat], m_sat, "satisfaction", None, errors)
            confidential = enum(vals[p_conf], m_conf, "confidential", "0", errors) == "1"

            # place
            latitude = longitude = cell = None
            lat_raw, lon_raw = vals[p_lat], vals[p_lon]
            if lat_raw != "" or lon_raw != "":
                if lat_raw == "" or lon_raw == "":
                    errors.append(("location", "经纬度必须同时提供"))
                else:
                    try:
                        la: Any
                        lo: Any
                        try:
                            la, lo = float(lat_raw), float(lon_raw)
                        except (TypeError, ValueError):
                            la, lo = lat_raw, lon_raw  # let validate_coordinates say what is wrong
                        latitude, longitude = validate_coordinates(la, lo)
                        if enum(vals[p_coord], m_coord, "coord_system", default_coord, errors) == gcj02:
                            latitude, longitude = gcj02_to_wgs84(latitude, longitude)
                        cell = geo_cell(latitude, longitude)
                    except ValidationFailed as exc:
                        errors.append((str(exc.details.get("field", "location")), exc.message))
                        latitude = longitude = cell = None
            town_id = village_id = grid_id = None
            location_source = ""
            if locate is not None and (latitude is not None or address):
                town_id, village_id, grid_id, location_source = locate(latitude, longitude, address)

            # units
            registered_id = unit(vals[p_reg_unit], "registered_unit", errors) or registered_default
            responsible_id = unit(vals[p_resp_unit], "responsible_unit", errors)
            if responsible_id == registered_id:
                responsible_id = None

            # times
            registered_at, local = when(vals[p_reg], "registered_at", errors)
            if registered_at is None and vals[p_reg] == "":
                errors.append(("registered_at", "登记时间不能为空"))
            replied_at, _ = when(vals[p_rep], "replied_at", errors)
            closed_at, _ = when(vals[p_clo], "closed_at", errors)
            if registered_at is not None:
                if replied_at is not None and replied_at < registered_at:
                    errors.append(("replied_at", "办结时间早于登记时间"))
                if closed_at is not None and closed_at < registered_at:
                    errors.append(("closed_at", "归档时间早于登记时间"))
            if status == pending:
                if responsible_id is not None:
                    errors.append(("responsible_unit", "待分拨的工单不能有承办单位"))
                if replied_at is not None or closed_at is not None:
                    errors.append(("status", "待分拨的工单不能有办结或归档时间"))
            elif status in finished and closed_at is None:
                closed_at = replied_at or registered_at

            if errors or registered_at is None:
                return errors
            day = None
            if number is None:
                d = local if local is not None and numbering_tz else registered_at.astimezone(LOCAL_TZ)
                day = f"{d.year:04d}{d.month:02d}{d.day:02d}"
            return [
                None,
                rownum,
                number,
                day,
                channel,
                external_id,
                citizen_name,
                phone,
                title,
                content,
                order_type,
                urgency,
                category_code,
                address,
                latitude,
                longitude,
                cell,
                town_id,
                village_id,
                grid_id,
                location_source,
                confidential,
                status,
                registered_id,
                responsible_id,
                registered_at,
                replied_at,
                closed_at,
                satisfaction,
                result,
            ]

        return validate
