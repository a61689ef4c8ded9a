"""Normalization of what channels send: text, phone numbers and times.

Pure functions over the standard library, the same for every channel:

- text: full-width letters, digits and ASCII symbols become half-width, but the Chinese
  punctuation people type (，！？：；（）and everything outside the full-width ASCII block,
  such as 。、《》……) stays as typed; whitespace runs (including the ideographic space
  U+3000) become one space; control and invisible format characters go;
- phone numbers: mainland mobiles as 11 digits, landlines as "area-local", short service
  numbers (12345, 95588, …) as they are;
- times: anything a channel may send, as an aware UTC datetime.

Coordinates (datums, plausibility, distances, the ~500 m lookup grid) are in `kernel/geo.py`.

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
    "CHINESE_PUNCTUATION",
    "PHONE_MESSAGE",
    "SHANGHAI",
    "normalize_phone",
    "normalize_text",
    "to_halfwidth",
    "to_local",
    "to_utc",
]
