"""Counts for rankings and dashboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.params import Day
from zhiyun.api.schemas import UnitRefOut, UnitReturnsOut
from zhiyun.orders.api.bodies import to_instant
from zhiyun.orders.service import reference_snapshot

router = APIRouter(prefix="/stats", tags=["stats 统计"], responses={401: ERROR_RESPONSES[401]})


@router.get(
    "/returns-by-unit",
    response_model=list[UnitReturnsOut],
    summary="各单位退单数",
    responses={422: ERROR_RESPONSES[422]},
)
def returns_by_unit(
    actor: ActorDep,
    services: ServicesDep,
    since: Annotated[
        Day | None, Query(description="自该日起（含），YYYY-MM-DD，2000-01-01 至 2100-12-31")
    ] = None,
) -> list[UnitReturnsOut]:
    """How many times each unit returned an order (退单数), most first."""
    counts = services.orders.returns_by_unit(to_instant(since) if since else None)
    org = reference_snapshot(services.orders).org
    rows = [
        UnitReturnsOut(unit=UnitRefOut(id=u.id, code=u.code, name=u.name), returns=n)
        for unit_id, n in counts.items()
        if (u := org.units.get(unit_id)) is not None
    ]
    return sorted(rows, key=lambda r: (-r.returns, r.unit.code))
