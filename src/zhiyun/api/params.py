"""Date and instant parameters of the API's paths and queries: strictly written, in a sane range.

Pydantic reads a `date` parameter leniently: `0` or `1700000000` is a Unix timestamp (so
`PUT /calendar/overrides/0` set 1970-01-01), and `0001-01-01` or `9999-12-31T23:59:59-23:59`
pass until some arithmetic overflows into a 500. The types here accept only

- a day: `YYYY-MM-DD`, exactly (no number, no timestamp, no time of day);
- an instant: a day as above (its start, Asia/Shanghai) or an ISO 8601 date-time with an
  optional offset (none means Asia/Shanghai, at most ±18:00),

between `EARLIEST` and `LATEST` (2000-01-01 to 2100-12-31) unless a route narrows it, and
answer anything else with 422 in the API's error shape, naming the parameter. `parse_day` and
`parse_instant` are the same checks for a route that reads a parameter as text itself (they
raise ValueError; `instant_param` raises ValidationFailed with the field named).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import PlainValidator, WithJsonSchema

from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import ValidationFailed

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_OFFSET = timedelta(hours=18)

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# YYYY-MM-DDTHH:MM[:SS[.ffffff]] with "T" or a space, then Z or ±HH:MM (or ±HHMM, ±HH)
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", re.IGNORECASE
)


def _range_message(earliest: date, latest: date) -> str:
    return f"须在 {earliest.isoformat()} 至 {latest.isoformat()} 之间"


def parse_day(value: object, *, earliest: date = EARLIEST, latest: date = LATEST) -> date:
    """A day written `YYYY-MM-DD` (or a date object) from `earliest` to `latest`; ValueError otherwise."""
    if isinstance(value, datetime):
        raise ValueError("须为日期（YYYY-MM-DD），不带时间")
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and _DAY.fullmatch(value.strip()):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"日期不存在：{value.strip()}") from None
    else:
        raise ValueError("须为日期（YYYY-MM-DD）")
    if not earliest <= day <= latest:
        raise ValueError(_range_message(earliest, latest))
    return day


def parse_instant(
    value: object, *, earliest: date = EARLIEST, latest: date = LATEST, end_of_day: bool = False
) -> datetime:
    """An aware instant from a day (`YYYY-MM-DD`: 00:00 Asia/Shanghai that day, or with
    `end_of_day` 00:00 of the next day, for an exclusive upper bound) or an ISO 8601 date-time
    (without an offset: Asia/Shanghai). Its date, as written, must lie from `earliest` to
    `latest`, and an offset within ±18:00; ValueError otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date) or (isinstance(value, str) and _DAY.fullmatch(value.strip())):
        day = parse_day(value, earliest=earliest, latest=latest)
        start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
        return start + timedelta(days=1) if end_of_day else start
    elif isinstance(value, str) and _INSTANT.fullmatch(value.strip()):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "zZ" else text)
        except ValueError:
            raise ValueError(f"时间不存在：{text[:40]}") from None
    else:
        raise ValueError("须为日期（YYYY-MM-DD）或 ISO 8601 时间（如 2026-12-01T08:00:00+08:00）")
    if not earliest <= moment.date() <= latest:
        raise ValueError(_range_message(earliest, latest))
    offset = moment.utcoffset()
    if offset is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    if abs(offset) > MAX_OFFSET:
        raise ValueError("时区偏移须在 ±18:00 之内")
    return moment


def instant_param(
    value: str | None,
    field: str,
    *,
    earliest: date = EARLIEST,
    latest: date = LATEST,
    end_of_day: bool = False,
) -> datetime | None:
    """`parse_instant` for a query parameter read as text: None when absent or blank, a
    ValidationFailed naming `field` when it is not a date or instant in the range."""
    if value is None or not value.strip():
        return None
    try:
        return parse_instant(value, earliest=earliest, latest=latest, end_of_day=end_of_day)
    except ValueError as exc:
        raise ValidationFailed(f"{field} {exc}", field=field) from None


def day_validator(earliest: date = EARLIEST, latest: date = LATEST) -> PlainValidator:
    """The check of a day parameter from `earliest` to `latest`, for a route that needs another
    range: `Annotated[date, day_validator(...), DAY_SCHEMA, Query()]`."""
    return PlainValidator(lambda value: parse_day(value, earliest=earliest, latest=latest))


def instant_validator(earliest: date = EARLIEST, latest: date = LATEST) -> PlainValidator:
    """The check of an instant parameter from `earliest` to `latest` (see `day_validator`)."""
    return PlainValidator(lambda value: parse_instant(value, earliest=earliest, latest=latest))


DAY_SCHEMA = WithJsonSchema({"type": "string", "format": "date", "example": "2026-12-01"})
INSTANT_SCHEMA = WithJsonSchema(
    {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}
)

Day = Annotated[date, day_validator(), DAY_SCHEMA]
"""A day parameter, `YYYY-MM-DD`, from 2000-01-01 to 2100-12-31."""

Instant = Annotated[datetime, instant_validator(), INSTANT_SCHEMA]
"""An instant parameter (`YYYY-MM-DD`, or ISO 8601), dated 2000-01-01 to 2100-12-31; aware."""
