"""Electronic ledgers (电子台账) and patrol figures (巡查统计) over REST, read only.

- `GET /api/v1/grid/ledger`: a ledger as JSON — exactly one of `village` (unit code), `grid`
  (15-digit code), `item` (item code) or `object` (id), and `from`/`to` (days, inclusive);
- `GET /api/v1/grid/ledger.xlsx`: the same ledger as the workbook an inspection prints;
- `GET /api/v1/grid/patrol-figures`: a month's patrol figures to date (`month` YYYY-MM,
  default this month; `village` narrows them).

Every answer is scoped to the reader (`domain.grid.visible_grid_ids`): another village's
ledger is empty, another village's object 404 — as the managed objects answer.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from zhiyun.api.deps import ServicesDep, permitted
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import local_date
from zhiyun.domain.grid_items import Period
from zhiyun.domain.patrol_ledger import LedgerRequest, figures_month, may_read_patrol_ledger
from zhiyun.grid.ledger import LedgerService, ledger_filename, ledger_json
from zhiyun.grid.ledger_xlsx import XLSX_MEDIA_TYPE
from zhiyun.grid.patrol_figures import PatrolFiguresService

router = APIRouter(
    prefix="/grid",
    tags=["electronic ledgers 电子台账"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 422)},
)

Reader = Annotated[Actor, permitted(may_read_patrol_ledger)]


def ledger_service(services: ServicesDep) -> LedgerService:
    return services.get(LedgerService)


def figures_service(services: ServicesDep) -> PatrolFiguresService:
    return services.get(PatrolFiguresService)


LedgerDep = Annotated[LedgerService, Depends(ledger_service)]
FiguresDep = Annotated[PatrolFiguresService, Depends(figures_service)]


def ledger_request(
    start: Annotated[date, Query(alias="from", description="开始日期（含）YYYY-MM-DD")],
    end: Annotated[date, Query(alias="to", description="结束日期（含）YYYY-MM-DD")],
    village: Annotated[str | None, Query(max_length=64, description="村居单位编码")] = None,
    grid: Annotated[str | None, Query(max_length=15, description="网格编码（15 位）")] = None,
    item: Annotated[str | None, Query(max_length=32, description="入格事项编码")] = None,
    object_id: Annotated[
        int | None, Query(alias="object", ge=1, le=2**31 - 1, description="管理对象编号")
    ] = None,
) -> LedgerRequest:
    """Exactly one scope, and the days."""
    return LedgerRequest.parse(
        village=village, grid=grid, item=item, object_id=object_id, start=start, end=end
    )


RequestDep = Annotated[LedgerRequest, Depends(ledger_request)]


@router.get("/ledger", summary="网格巡查电子台账（JSON）")
def ledger(actor: Reader, ledgers: LedgerDep, request: RequestDep) -> dict[str, Any]:
    """Per item and object, each visit's date, worker, answers as text, hazards and whether they
    were fixed, photos; with the totals."""
    return ledger_json(ledgers.ledger(actor, request))


@router.get(
    "/ledger.xlsx",
    summary="网格巡查电子台账（XLSX）",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "封面及每个事项一张工作表"}},
)
async def ledger_xlsx(actor: Reader, ledgers: LedgerDep, request: RequestDep) -> Response:
    """The ledger as the workbook an inspection expects: a cover and a sheet per item."""
    buffer = io.BytesIO()
    result = await run_in_threadpool(ledgers.export, actor, request, buffer)
    name, plain = ledger_filename(result)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/patrol-figures", summary="巡查统计：覆盖率、漏巡、隐患、合并减少的任务")
def patrol_figures(
    actor: Reader,
    figures: FiguresDep,
    services: ServicesDep,
    month: Annotated[str | None, Query(max_length=7, description="月份 YYYY-MM（默认本月）")] = None,
    village: Annotated[str | None, Query(max_length=64, description="只看一个村居（单位编码）")] = None,
) -> dict[str, Any]:
    """A month's figures to date per village, grid and worker, with the tasks to look at
    (docs/grid-patrols.md, "Figures")."""
    if month:
        period = figures_month(month)
    else:
        today = local_date(services.clock())
        period = Period.month(today.year, today.month)
    return figures.figures(actor, period, village=village).as_json()


__all__ = ["router"]
