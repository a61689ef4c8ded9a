"""Times as real exports write them: the pure parsing behind the time columns of a bulk import.

Chinese government systems, Excel and hotline platforms write a time in many ways; all of
these are read (with surrounding spaces, full-width digits, colons and slashes tolerated):

- `2019-11-28 09:08`, `2019-11-28 09:08:38`, `2019-11-28 09:08:38.123456`
- `2019/11/28 9:08:38`, `2019/1/8 9:08` (one- or two-digit month, day and hour; `/`, `-` or `.`)
- `2019年11月28日 9时8分`, `2019年11月28日 9时8分38秒`, `2019年11月28日 09:08`, `…日9点08分`
- `2019/11/28 下午 3:41:22`, `2019/11/28 3:41:22 PM` (a 12-hour clock with 上午/下午 or AM/PM)
- date only: `2019-11-28`, `2019/11/28`, `2019年11月28日` (midnight)
- ISO 8601 with `T` and an offset: `2019-11-28T09:08:38+08:00`, `…Z`, `…+0800`
- compact digits: `20191128`, `201911280908`, `20191128090838`
- a plain number: an Excel serial day number below 2,958,466 (`43797.380995` is
  2019-11-28 09:08:38; the 1900 date system unless told 1904), else epoch seconds, or
  milliseconds from 1e11 on
- datetime and date objects (what openpyxl gives for a cell formatted as a date)

`parse_time` gives a datetime that is naive (a local wall-clock time: the caller reads it
in the mapping's timezone, Asia/Shanghai by default) or aware (the text had an offset, or
it was an epoch number). Anything else, and impossible dates such as `2019/13/40`, raise
ValueError with a Chinese message that names the text. No range check here: the importer
refuses times before 1970 or in the future with reasons of its own.

Standard library only, no I/O.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone

# Excel's serial day numbers: day 1 is 1900-01-01; day 60 is the 1900-02-29 that never was
# (Lotus 1-2-3's bug, kept by Excel), so from day 61 on the count starts at 1899-12-30.
EXCEL_1900_BASE = datetime(1899, 12, 30)
EXCEL_1900_EARLY_BASE = datetime(1899, 12, 31)
EXCEL_1904_BASE = datetime(1904, 1, 1)
EXCEL_MAX_SERIAL = 2_958_466  # 10000-01-01: serials below it are days, numbers from it on epoch time
EPOCH_MS_FROM = 1e11  # an epoch number from here on counts milliseconds (1e11 s is the year 5138)
MAX_OFFSET = timedelta(hours=18)

FORMS_HINT = "可用 2019-11-28 09:08:38、2019/11/28 9:08、2019年11月28日 9时8分、ISO 8601 或 Excel 日期"

# Full-width ASCII (！ to ～) and the ideographic space, plus the full-width colon's look-alikes.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH.update({0x3000: 0x20, 0x2236: ord(":"), 0xFE55: ord(":")})

_TIME = (
    r"(?P<h>\d{1,2})\s*[:时点]\s*(?P<mi>\d{1,2})"
    r"(?:\s*:\s*(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,9}))?|\s*分(?:\s*(?P<s2>\d{1,2})\s*秒?)?)?"
)
_MERIDIEM_WORDS = r"上午|下午|AM|PM|A\.M\.|P\.M\."
_OFFSET = r"(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
# the time of day after a date: [上午|下午] H:MM[:SS[.ffffff]] | H时M分[S秒] [AM|PM] [offset]
_CLOCK = rf"(?:(?P<m1>{_MERIDIEM_WORDS})\s*)?{_TIME}(?:\s*(?P<m2>{_MERIDIEM_WORDS}))?(?:\s*{_OFFSET})?"

_NUMERIC_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?P<sep>[-/.])\s*(?P<mo>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})"
    rf"(?:(?:\s*T\s*|\s+|(?=(?:{_MERIDIEM_WORDS})))" + _CLOCK + ")?",
    re.IGNORECASE,
)
_CHINESE_DATE = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<mo>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]?(?:\s*" + _CLOCK + ")?",
    re.IGNORECASE,
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SPACES = re.compile(r"\s+")
_PM = frozenset({"下午", "PM", "P.M."})


def normalize_time_text(text: str) -> str:
    """Full-width digits, letters, colons and slashes as ASCII; runs of spaces as one; trimmed."""
    return _SPACES.sub(" ", text.translate(_HALFWIDTH)).strip()


def from_excel_serial(serial: float, *, date_1904: bool = False) -> datetime:
    """The naive local time of an Excel serial day number (days since 1899-12-30, a fraction
    for the time of day), to the millisecond. ValueError for a number that is not a day."""
    if not math.isfinite(serial) or serial < 0 or serial >= EXCEL_MAX_SERIAL:
        raise ValueError(f"不是 Excel 日期：{serial!r}")
    if date_1904:
        base = EXCEL_1904_BASE
    elif serial < 60:
        base = EXCEL_1900_EARLY_BASE
    elif serial < 61:
        raise ValueError("Excel 日期 1900-02-29 并不存在")
    else:
        base = EXCEL_1900_BASE
    try:
        return base + timedelta(milliseconds=round(serial * 86_400_000))
    except OverflowError:
        raise ValueError(f"不是 Excel 日期：{serial!r}") from None


def from_number(number: float, *, date_1904: bool = False) -> datetime:
    """A number in a time column: an Excel serial day below 2,958,466 (naive), else epoch
    seconds, or milliseconds from 1e11 on (aware, UTC)."""
    if not math.isfinite(number):
        raise ValueError("时间不是有效数字")
    if 0 <= number < EXCEL_MAX_SERIAL:
        return from_excel_serial(number, date_1904=date_1904)
    seconds = number / 1000.0 if abs(number) >= EPOCH_MS_FROM else number
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"时间超出合理范围：{number!r}") from None


def _offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    upper = text.upper()
    if upper in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if minutes >= 60:
        raise ValueError("时区偏移不正确")
    delta = timedelta(hours=hours, minutes=minutes)
    if delta > MAX_OFFSET:
        raise ValueError("时区偏移超出 ±18 小时")
    return timezone(sign * delta)


def _hour(hour: int, meridiem: str | None) -> int:
    """The hour on a 24-hour clock: 下午 3 → 15; 上午 12 → 0 and 下午 12 → 12, as on a 12-hour clock."""
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("12 小时制的钟点须在 1—12 之间")
    return hour % 12 + (12 if meridiem.upper() in _PM else 0)


def _from_match(m: re.Match[str]) -> datetime:
    parts = m.groupdict()
    meridiem = parts.get("m1") or parts.get("m2")
    if parts.get("m1") and parts.get("m2"):
        raise ValueError("上午/下午写了两次")
    hour = _hour(int(parts["h"]), meridiem) if parts.get("h") is not None else 0
    fraction = parts.get("f") or ""
    value = datetime(
        int(parts["y"]),
        int(parts["mo"]),
        int(parts["d"]),
        hour,
        int(parts["mi"] or 0),
        int(parts["s"] or parts["s2"] or 0),
        int(fraction[:6].ljust(6, "0")) if fraction else 0,
    )
    tz = _offset(parts.get("tz"))
    return value.replace(tzinfo=tz) if tz is not None else value


def parse_time_text(text: str, *, date_1904: bool = False) -> datetime:
    """A time written as text (see the module's list of forms): naive, or aware with an offset."""
    cleaned = normalize_time_text(text)
    if not cleaned:
        raise ValueError("时间不能为空")
    try:
        compact = _COMPACT.fullmatch(cleaned)
        if compact and len(cleaned) in (8, 12, 14):
            y, mo, d, h, mi, s = compact.groups()
            return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
        if _NUMBER.fullmatch(cleaned):
            return from_number(float(cleaned), date_1904=date_1904)
        for pattern in (_NUMERIC_DATE, _CHINESE_DATE):
            m = pattern.fullmatch(cleaned)
            if m is not None:
                return _from_match(m)
    except (ValueError, OverflowError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and _is_ours(exc) else "日期或钟点不存在"
        raise ValueError(f"无法识别的时间：{cleaned[:40]}（{reason}）") from None
    raise ValueError(f"无法识别的时间：{cleaned[:40]}（{FORMS_HINT}）")


def _is_ours(exc: ValueError) -> bool:
    """A message of this module (Chinese), not the standard library's English one."""
    return not str(exc).isascii()


def parse_time(value: object, *, date_1904: bool = False) -> datetime:
    """A time cell of an import as a datetime: naive (local wall-clock time) or aware.

    Takes datetime and date objects, numbers (Excel serial days, else epoch time) and text in
    every form listed in the module's docstring; ValueError with the reason otherwise.
    """
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool) or value is None:
        raise ValueError("时间格式不正确")
    if isinstance(value, int | float):
        if isinstance(value, int) or value.is_integer():
            digits = str(int(value))
            if len(digits) in (8, 12, 14):  # 20191128, 201911280908, 20191128090838 typed as a number
                return parse_time_text(digits)
        try:
            return from_number(float(value), date_1904=date_1904)
        except ValueError as exc:
            raise ValueError(f"无法识别的时间：{value!r}（{exc}）") from None
    if isinstance(value, str):
        return parse_time_text(value, date_1904=date_1904)
    raise ValueError("时间格式不正确")
