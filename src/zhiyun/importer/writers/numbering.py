"""Order numbers for imported rows: NH + local registration date + a per-day sequence.

A row without a number gets the next of its day's range, reserved from `order_number_counter`
with one upsert per day per batch; historical numbers of the same shape push the counter past
them first (`counter_changes`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from zhiyun.importer.staged_row import I_DAY, I_NUMBER, I_REGISTERED_AT, I_ROWNUM


def format_number(prefix: str, day: str, seq: int) -> str:
    """The same shape as store.orders.next_order_number: NH202611260001."""
    return f"{prefix}{day}{seq:04d}"


def historical_sequence_pattern(prefix: str) -> re.Pattern[str]:
    """Numbers of the generated shape (prefix + YYYYMMDD + at least four digits)."""
    return re.compile(rf"^{re.escape(prefix)}(\d{{8}})(\d{{4,9}})$")


def counter_changes(
    rows: Sequence[list[Any]], pattern: re.Pattern[str]
) -> tuple[dict[str, int], Counter[str]]:
    """(day → highest historical sequence of the generated shape, day → rows that need a number)."""
    highest: dict[str, int] = {}
    per_day: Counter[str] = Counter()
    for r in rows:
        number = r[I_NUMBER]
        if number is None:
            per_day[r[I_DAY]] += 1
        else:
            m = pattern.match(number)
            if m:
                highest[m[1]] = max(highest.get(m[1], 0), int(m[2]))
    return highest, per_day


# Rows in order of registration time, then of their row in the file.
registration_order = itemgetter(I_REGISTERED_AT, I_ROWNUM)


def assign_numbers(rows: Sequence[list[Any]], prefix: str, first_seq: dict[str, int]) -> set[int]:
    """Give each row without a number the next of its day's reserved range; their row numbers."""
    generated: set[int] = set()
    for r in rows:
        if r[I_NUMBER] is None:
            day = r[I_DAY]
            seq = first_seq[day]
            first_seq[day] = seq + 1
            r[I_NUMBER] = format_number(prefix, day, seq)
            generated.add(r[I_ROWNUM])
    return generated
