"""Normalization of what channels send: text, phone numbers, coordinates and times.

Pure functions over the standard library, the same for every channel:

- text: full-width letters, digits and ASCII symbols become half-width, but the Chinese
  punctuation people type (，！？：；（）and everything outside the full-width ASCII block,
  such as 。、《》……) stays as typed; whitespace runs (including the ideographic space
  U+3000) become one space; control and invisible format characters go;
- phone numbers: mainland mobiles as 11 digits, landlines as "area-local", short service
  numbers (12345, 95588, …) as they are;
- coordinates: WGS-84 ⇄ GCJ-02 (the datum of Chinese web maps), plausibility checks;
- times: anything a channel may send, as an aware UTC datetime;
- a ~500 m square grid (`geo_cell`) for looking up nearby orders.

Invalid input raises ValidationFailed with `field` set to the offending field.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from zhiyun.domain.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")

# --------------------------------------------------------------------------- text

# Full-width forms that are the ordinary Chinese punctuation marks (GB/T 15834): kept as typed.
CHINESE_PUNCTUATION = frozenset("，！？：；（）")

_SPACES = "\t\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    """Translation tables: (text: keeps Chinese punctuation, all: every full-width form to ASCII)."""
    every: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII ！ … ～
        every[code] = chr(code - 0xFEE0)
    for code in range(0xFF5F, 0xFFEF):  # half-width CJK punctuation and katakana, full-width ¢£¥
        folded = unicodedata.normalize("NFKC", chr(code))
        if folded != chr(code):
            every[code] = folded
    for char in _SPACES:
        every[ord(char)] = " "
    for char in "\u2028\u2029\x85":  # line and paragraph separators
        every[ord(char)] = "\n"
    text = {code: value for code, value in every.items() if chr(code) not in CHINESE_PUNCTUATION}
    return text, every


_TEXT_TABLE, _HALFWIDTH_TABLE = _build_tables()
_HORIZONTAL_SPACE = re.compile(r"[ \t\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def to_halfwidth(s: str) -> str:
    """Every full-width ASCII form as ASCII (for codes, numbers and phone numbers, not for prose)."""
    return unicodedata.normalize("NFC", s).translate(_HALFWIDTH_TABLE)


def _drop_invisible(s: str) -> str:
    # Control characters (Cc) except the newline, and invisible format characters (Cf: zero-width
    # spaces, BOM, bidirectional overrides) are dropped; nothing a person typed is lost.
    if s.isprintable():
        return s
    return "".join(c for c in s if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf"))


def normalize_text(s: str | None, *, multiline: bool = True) -> str:
    """Text as stored: half-width letters, digits and symbols; Chinese punctuation kept; tidy spaces.

    Runs of spaces (incl. U+3000 and tabs) become one space; lines are trimmed; more than one
    blank line in a row becomes one; with `multiline=False` (titles, names, addresses) line
    breaks become spaces too. The result is trimmed; None gives "".
    """
    if not s:
        return ""
    s = unicodedata.normalize("NFC", s).replace("\r\n", "\n").replace("\r", "\n")
    s = _drop_invisible(s.translate(_TEXT_TABLE))
    if not multiline:
        return _HORIZONTAL_SPACE.sub(" ", s.replace("\n", " ")).strip()
    lines = [_HORIZONTAL_SPACE.sub(" ", line).strip() for line in s.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------- phones

PHONE_MESSAGE = "电话号码格式不正确"
_PHONE_SEPARATORS = re.compile(r"[\s\-‐‑–—.()（）/]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"(?:12\d{3}|95\d{3,4}|96\d{3})")
_LOCAL = re.compile(r"[2-9]\d{6,7}")


def _landline(digits: str) -> str | None:
    """'075786281234' → '0757-86281234'; None when it is not area code + local number."""
    if not digits.startswith("0") or digits.startswith("00"):
        return None
    area_len = 3 if digits.startswith(("010", "02")) else 4
    area, local = digits[:area_len], digits[area_len:]
    if area_len == 4 and area[1] not in "3456789":
        return None
    if not _LOCAL.fullmatch(local):
        return None
    return f"{area}-{local}"


def normalize_phone(
    s: str | None, *, field: str = "citizen_phone", default_area_code: str | None = None
) -> str | None:
    """A phone number in one canonical form; None for an empty one.

    - mainland mobile: '+86 138-1234-5678', '(0086)13812345678', '１３８１２３４５６７８' → '13812345678'
    - landline with area code: '0757 8628 1234', '(0757)86281234', '+86 757 86281234' → '0757-86281234'
    - a local number alone only with `default_area_code` (e.g. '0757')
    - short service numbers (12345, 12315, 95588, 96xxx) as they are

    Anything else raises ValidationFailed('电话号码格式不正确', field=field).
    """
    if s is None:
        return None
    text = to_halfwidth(s).strip()
    if not text:
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    international = False
    if digits.startswith("+"):
        if not digits.startswith("+86"):
            raise ValidationFailed(PHONE_MESSAGE, field=field, value=s)
        digits, international = digits[3:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    if not digits.isdigit() or not digits.isascii():
        raise ValidationFailed(PHONE_MESSAGE, field=field, value=s)
    if _MOBILE.fullmatch(digits):
        return digits
    if international and not digits.startswith("0"):
        digits = "0" + digits  # +86 757 86281234: the trunk 0 is dropped in international form
    landline = _landline(digits)
    if landline:
        return landline
    if not international and _SERVICE.fullmatch(digits):
        return digits
    if default_area_code and _LOCAL.fullmatch(digits):
        landline = _landline(default_area_code.strip().replace("-", "") + digits)
        if landline:
            return landline
    raise ValidationFailed(PHONE_MESSAGE, field=field, value=s)


# --------------------------------------------------------------------------- coordinates

# GCJ-02 ("Mars coordinates"): the Krasovsky-ellipsoid offset every Chinese web map applies.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """Outside the rough box where GCJ-02 applies (China's mainland, with some neighbours' margins)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lon += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lon += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lon += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (GPS) → GCJ-02 (AMap, Tencent maps). Outside China the point is returned as is."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _gcj_delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 → WGS-84, by fixed-point iteration of the forward formula to within `tolerance` degrees."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < tolerance and abs(e_lon) < tolerance:
            break
    return w_lat, w_lon


def _as_float(value: object, field: str, label: str) -> float:
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}必须是数字", field=field)
    if isinstance(value, str):
        value = to_halfwidth(value).strip()
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed(f"{label}必须是数字", field=field) from None
    if not math.isfinite(number):
        raise ValidationFailed(f"{label}不是有效数字", field=field)
    return number


def validate_coordinates(lat: object, lon: object, *, china_only: bool = True) -> tuple[float, float]:
    """(lat, lon) as floats, or ValidationFailed for a point that cannot be a real report.

    Refused: non-numbers, NaN and infinities, out-of-range values (with a hint when latitude and
    longitude look swapped), the (0, 0) placeholder of devices without a fix, and, for the
    channels of a district in China (`china_only`), points outside mainland China.
    """
    la = _as_float(lat, "latitude", "纬度")
    lo = _as_float(lon, "longitude", "经度")
    swapped = -90 <= lo <= 90 and -180 <= la <= 180
    if not -90 <= la <= 90:
        hint = "（经纬度是否填反？）" if swapped else ""
        raise ValidationFailed(f"纬度超出范围（-90～90）{hint}", field="latitude", value=la)
    if not -180 <= lo <= 180:
        raise ValidationFailed("经度超出范围（-180～180）", field="longitude", value=lo)
    if abs(la) < 1e-6 and abs(lo) < 1e-6:
        raise ValidationFailed("坐标 (0, 0) 不是有效位置（设备未定位？）", field="location")
    if china_only and out_of_china(la, lo):
        raise ValidationFailed(
            f"坐标 ({la:.6f}, {lo:.6f}) 不在中国境内（本区渠道只受理境内位置，请使用 WGS-84 或 GCJ-02 经纬度）",
            field="location",
        )
    return la, lo


EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------- grid cells

CELL_DEG = 0.005  # ~556 m north-south, ~510 m east-west at Foshan's latitude
_ROWS = round(180 / CELL_DEG)
_COLS = round(360 / CELL_DEG)
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def _row(lat: float) -> int:
    return min(_ROWS - 1, max(0, math.floor((lat + 90.0) / CELL_DEG)))


def _col(lon: float) -> int:
    return math.floor((lon + 180.0) / CELL_DEG) % _COLS


def geo_cell(lat: float, lon: float) -> int:
    """The number of the ~0.005° square cell holding the point (row-major from the south-west)."""
    return _row(lat) * _COLS + _col(lon)


def cell_bounds(cell: int) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) of a cell."""
    row, col = divmod(cell, _COLS)
    return (
        row * CELL_DEG - 90.0,
        col * CELL_DEG - 180.0,
        (row + 1) * CELL_DEG - 90.0,
        (col + 1) * CELL_DEG - 180.0,
    )


def neighbour_cells(lat: float, lon: float, radius_m: float) -> list[int]:
    """Every cell that may hold a point within `radius_m` of (lat, lon), the point's own included."""
    radius_m = max(0.0, radius_m) * 1.001 + 1.0  # a metre of slack for rounding at cell edges
    d_lat = radius_m / _M_PER_DEG
    far_lat = min(89.9999, abs(lat) + d_lat)
    cos_far = math.cos(math.radians(far_lat))
    d_lon = 180.0 if cos_far <= 0 else min(180.0, radius_m / (_M_PER_DEG * cos_far))
    rows = range(_row(lat - d_lat), _row(lat + d_lat) + 1)
    if d_lon >= 180.0:
        cols: list[int] = list(range(_COLS))
    else:
        first = math.floor((lon - d_lon + 180.0) / CELL_DEG)
        last = math.floor((lon + d_lon + 180.0) / CELL_DEG)
        cols = sorted({c % _COLS for c in range(first, last + 1)})
    return [r * _COLS + c for r in rows for c in cols]


# --------------------------------------------------------------------------- times

_MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_TIME = datetime(2100, 1, 1, tzinfo=UTC)
_CHINESE_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*(\d{1,2})\s*[:时点]\s*(?:(\d{1,2})\s*分?\s*(?::?\s*(\d{1,2})\s*秒?)?)?)?"
)
_SLASH_DATE = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})(.*)")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?")


def _epoch(number: float, field: str) -> datetime:
    if not math.isfinite(number):
        raise ValidationFailed("时间不是有效数字", field=field)
    seconds = number / 1000.0 if abs(number) >= 1e11 else number  # ≥ 1e11: milliseconds
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationFailed("时间超出合理范围", field=field) from None


def _parse_string(text: str, field: str) -> datetime | date:
    text = to_halfwidth(text).strip()
    if not text:
        raise ValidationFailed("时间不能为空", field=field)
    if re.fullmatch(r"-?\d+(\.\d+)?", text) and not _COMPACT.fullmatch(text):
        return _epoch(float(text), field)
    compact = _COMPACT.fullmatch(text)
    chinese = _CHINESE_DATE.fullmatch(text)
    try:
        if compact and len(text) in (8, 12, 14):  # 20261126, 202611261030, 20261126103000
            y, mo, d, h, mi, sec = compact.groups()
            return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
        if chinese:
            y, mo, d, h, mi, sec = chinese.groups()
            return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
        slash = _SLASH_DATE.fullmatch(text)
        if slash:
            y, mo, d, rest = slash.groups()
            text = f"{int(y):04d}-{int(mo):02d}-{int(d):02d}{rest}"
        if len(text) > 10 and text[10] == " ":
            text = text[:10] + "T" + text[11:].strip()
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationFailed(
        f"无法识别的时间：{text[:40]}（可用 ISO 8601、YYYY-MM-DD HH:MM:SS 或时间戳）", field=field
    )


def to_utc(value: object, default_tz: tzinfo | str = SHANGHAI, *, field: str = "reported_at") -> datetime:
    """An aware UTC datetime from whatever a channel sends.

    Accepted: aware or naive datetimes, dates (midnight), ISO 8601 strings (with 'T' or a space,
    with 'Z' or an offset, or none), 'YYYY/MM/DD HH:MM:SS', '2026年11月26日 10:30', compact
    '20261126103000', and epoch seconds or milliseconds (numbers or digit strings). Times
    without a zone are local to `default_tz` (Asia/Shanghai). Anything else, and times before
    1970 or after 2099, raise ValidationFailed(field=field).
    """
    if isinstance(value, bool) or value is None:
        raise ValidationFailed("时间不能为空" if value is None else "时间格式不正确", field=field)
    if isinstance(value, datetime):
        parsed: datetime | date = value
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, int | float):
        parsed = _epoch(float(value), field)
    elif isinstance(value, str):
        parsed = _parse_string(value, field)
    else:
        raise ValidationFailed("时间格式不正确", field=field)
    if not isinstance(parsed, datetime):
        parsed = datetime.combine(parsed, time())
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(default_tz) if isinstance(default_tz, str) else default_tz)
    try:
        result = parsed.astimezone(UTC)  # years 1 and 9999 cannot move to another zone
    except OverflowError:
        raise ValidationFailed("时间超出合理范围（1970—2099 年）", field=field) from None
    if not _MIN_TIME <= result < _MAX_TIME:
        raise ValidationFailed("时间超出合理范围（1970—2099 年）", field=field)
    return result


def to_local(value: datetime, tz: tzinfo = SHANGHAI) -> datetime:
    """A stored UTC time as people read it (Asia/Shanghai by default)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(tz)


__all__ = [
    "CELL_DEG",
    "CHINESE_PUNCTUATION",
    "PHONE_MESSAGE",
    "SHANGHAI",
    "cell_bounds",
    "gcj02_to_wgs84",
    "geo_cell",
    "haversine_m",
    "neighbour_cells",
    "normalize_phone",
    "normalize_text",
    "out_of_china",
    "to_halfwidth",
    "to_local",
    "to_utc",
    "validate_coordinates",
    "wgs84_to_gcj02",
]
