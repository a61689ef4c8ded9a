"""The console's 电子台账 and 巡查统计 pages, for village and town staff, grid workers and chiefs,
and the district's readers.

- `/grid/ledger`: choose the scope (a village, a grid, an item or an object) and the days; the
  ledger's totals and, per item, each check (the first `SHOWN_CHECKS`; the XLSX holds all);
  下载 XLSX (`/grid/ledger.xlsx`, the same query).
- `/grid/patrol-figures`: a month's figures to date — coverage, tasks by status, hazards, the
  tasks saved by merging — per village, and per grid and worker; and the tasks to look at
  (missed, late, carried over).

Both read through the services, which keep each reader to the grids they may see.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import DomainError
from zhiyun.domain.patrol_ledger import (
    LedgerRequest,
    ScopeKind,
    figures_month,
    fix_cell,
    hazard_cell,
    may_read_patrol_ledger,
)
from zhiyun.grid.ledger import LedgerService, ledger_filename
from zhiyun.grid.ledger_xlsx import XLSX_MEDIA_TYPE
from zhiyun.grid.patrol_figures import PatrolFiguresService
from zhiyun.web.deps import PageActor, PageForbidden, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)
SHOWN_CHECKS = 300  # checks the page lists per item; the workbook has every one


def _reader(actor: Actor) -> Actor:
    if not may_read_patrol_ledger(actor):
        raise PageForbidden("电子台账和巡查统计仅供网格员、村居和镇街工作人员、质检员、领导和管理员查看")
    return actor


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _request(params: Any, today: date) -> tuple[LedgerRequest | None, dict[str, Any], str | None]:
    """The ledger the form asks for (None until a scope is chosen), the form's values, a problem."""
    kind = params.get("kind") or "village"
    if kind not in {k.value for k in ScopeKind}:
        kind = "village"
    form = {
        "kind": kind,
        "village": (params.get("village") or "")[:64],
        "grid": (params.get("grid") or "")[:15],
        "item": (params.get("item") or "")[:32],
        "object": (params.get("object") or "")[:12],
        "from": params.get("from") or today.replace(day=1).isoformat(),
        "to": params.get("to") or today.isoformat(),
    }
    value = form[kind]
    if not value:
        return None, form, None
    start, end = _day(form["from"]), _day(form["to"])
    try:
        request = LedgerRequest.parse(
            **{("object_id" if kind == "object" else kind): value}, start=start, end=end
        )
    except DomainError as exc:
        return None, form, exc.message
    return request, form, None


@router.get("/grid/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    _reader(actor)
    ledgers = services.get(LedgerService)
    today = local_date(services.clock())
    asked, form, problem = _request(request.query_params, today)  # a form's problem: shown, 200
    ledger = None
    status = 200
    if asked is not None:
        try:
            ledger = ledgers.ledger(actor, asked)
        except DomainError as exc:  # an unknown village, grid, item; an object out of sight: 404
            problem, status = exc.message, exc.http_status
    query = {k: v for k, v in form.items() if v and (k in ("kind", "from", "to") or k == form["kind"])}
    return render(
        request,
        "grid_ledger/ledger.html",
        {
            "title": "电子台账",
            "form": form,
            "kinds": [(k.value, k.label) for k in ScopeKind],
            "choices": ledgers.choices(actor),
            "ledger": ledger,
            "problem": problem,
            "download": "/grid/ledger.xlsx?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items()),
            "shown": SHOWN_CHECKS,
            "hazard_cell": hazard_cell,
            "fix_cell": fix_cell,
        },
        status_code=status,
    )


@router.get("/grid/ledger.xlsx")
async def ledger_download(
    request: Request, user: PageUser, actor: PageActor, services: ServicesDep
) -> Response:
    _reader(actor)
    today = local_date(services.clock())
    asked, _, problem = _request(request.query_params, today)
    if asked is None:
        return render(
            request,
            "error.html",
            {"title": "无法导出", "message": problem or "请先选择台账范围"},
            status_code=422,
        )
    buffer = io.BytesIO()
    try:
        ledger = await run_in_threadpool(services.get(LedgerService).export, actor, asked, buffer)
    except DomainError as exc:
        return render(
            request, "error.html", {"title": "无法导出", "message": exc.message}, status_code=exc.http_status
        )
    name, plain = ledger_filename(ledger)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"},
    )


@router.get("/grid/patrol-figures", response_class=HTMLResponse)
def figures_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    _reader(actor)
    params = request.query_params
    today = local_date(services.clock())
    month = (params.get("month") or f"{today:%Y-%m}")[:7]
    village = (params.get("village") or "")[:64] or None
    problem = figures = None
    status = 200
    try:
        figures = services.get(PatrolFiguresService).figures(actor, figures_month(month), village=village)
    except DomainError as exc:
        problem, status = exc.message, exc.http_status
    return render(
        request,
        "grid_ledger/figures.html",
        {
            "title": "巡查统计",
            "month": month,
            "village": village or "",
            "figures": figures,
            "problem": problem,
        },
        status_code=status,
    )


__all__ = ["router"]
