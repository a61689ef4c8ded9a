"""A history of orders for the outlook's tests: a steady category in two towns for four months
and, yesterday, a surge in one of them (rows written directly: what is tested is the counting,
the detection and what the center does with a warning, not how the orders came in)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert

from tests.support import TEST_ADMIN, District
from zhiyun.bootstrap import Services
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.store.base import table_of
from zhiyun.store.tables import WorkOrderRow

CATEGORY = "CG05"  # 噪音扰民 (catalog/data/taxonomy.csv)
HISTORY_DAYS = 120
SURGE = 14


def today() -> date:
    return datetime.now(UTC).astimezone(LOCAL_TZ).date()


def _row(n: int, day: date, town: int, village: int) -> dict[str, Any]:
    at = datetime.combine(day, time(10, n % 50), tzinfo=LOCAL_TZ).astimezone(UTC)
    return {
        "number": f"T{n:08d}",
        "channel": "12345",
        "title": "广场舞噪音扰民",
        "content": "晚上广场舞音响太大",
        "order_type": "complaint",
        "urgency": "normal",
        "category_code": CATEGORY,
        "town_unit_id": town,
        "village_unit_id": village,
        "status": "closed",
        "chain": [],
        "registered_unit_id": town,
        "current_unit_id": village,
        "registered_at": at,
        "closed_at": at + timedelta(days=2),
    }


def seed_history(services: Services, district: District, surge_town: str = "GC") -> date:
    """Two orders a day (one on rest days) of 噪音扰民 in 桂城街道 and 大沥镇 for HISTORY_DAYS
    days to yesterday, and SURGE more yesterday in `surge_town`; yesterday's date."""
    services.taxonomy.ensure_default(TEST_ADMIN)
    yesterday = today() - timedelta(days=1)
    towns = {"GC": ("GC", "GC-XB"), "DL": ("DL", "DL-YB")}
    rows: list[dict[str, Any]] = []
    for offset in range(HISTORY_DAYS):
        day = yesterday - timedelta(days=offset)
        per_day = 2 if day.weekday() < 5 else 1
        for code, (town, village) in towns.items():
            extra = SURGE if (offset == 0 and code == surge_town) else 0
            for _ in range(per_day + extra):
                rows.append(_row(len(rows), day, district.units[town], district.units[village]))
    with services.db.transaction() as session:
        session.execute(insert(table_of(WorkOrderRow)), rows)
    return yesterday


def add_orders(
    services: Services, district: District, day: date, count: int, town: str = "DL", *, located: bool = True
) -> None:
    """`count` more orders of 噪音扰民 in `town` registered on `day` (fresh numbers); not `located`:
    intake placed them in no town, they are held by the town's village."""
    village = {"GC": "GC-XB", "DL": "DL-YB"}[town]
    rows = [
        {
            **_row(900_000 + n, day, district.units[town], district.units[village]),
            "number": f"U{uuid.uuid4().hex[:16]}",
            **({} if located else {"town_unit_id": None, "village_unit_id": None}),
        }
        for n in range(count)
    ]
    with services.db.transaction() as session:
        session.execute(insert(table_of(WorkOrderRow)), rows)
