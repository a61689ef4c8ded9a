"""The reports' pages (统计报表): the list with subscriptions, a report as a printable page, its
spreadsheet, and the form that has one made for an earlier period."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiyun.analytics.report_xlsx import report_xlsx
from zhiyun.analytics.reports import ReportService, report_units
from zhiyun.domain.access import Actor, may_view_dashboard
from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.domain.reports import KIND_LABELS, ReportKind, parse_period
from zhiyun.web.admin import FormDep, text
from zhiyun.web.deps import CsrfChecked, PageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render

ReportId = Annotated[int, Path(ge=1, le=2**31 - 1, description="报表 id")]

router = APIRouter(include_in_schema=False)


def _reader(actor: Actor) -> Actor:
    if not may_view_dashboard(actor):
        raise PageForbidden("统计报表仅供领导、质检员、派单员和管理员查看")
    return actor


def _kind(value: str) -> ReportKind:
    try:
        return ReportKind(value)
    except ValueError:
        raise ValidationFailed("请选择日报、周报或月报", field="kind") from None


def _unit(value: str) -> int:
    if not value.isdigit():
        raise ValidationFailed("请选择单位", field="unit_id")
    return int(value)


def _list_page(
    request: Request, services: ServicesDep, actor: Actor, *, error: str = "", status_code: int = 200
) -> HTMLResponse:
    reports = services.get(ReportService)
    listed = reports.reports(actor)
    return render(
        request,
        "reports/list.html",
        {
            "title": "统计报表",
            "reports": listed,
            "subscriptions": reports.subscriptions(actor) if actor.user_id is not None else [],
            "units": report_units(services, actor),
            "kinds": list(KIND_LABELS.items()),
            "error": error,
            "done": request.query_params.get("done", ""),
        },
        status_code=status_code,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, services: ServicesDep, actor: PageActor) -> HTMLResponse:
    page = _list_page(request, services, _reader(actor))
    services.get(ReportService).mark_seen(actor)  # after listing: what was new is shown once as new
    return page


@router.post("/reports", dependencies=[CsrfChecked])
def reports_post(request: Request, services: ServicesDep, actor: PageActor, form: FormDep) -> Response:
    _reader(actor)
    reports = services.get(ReportService)
    op = text(form, "op")
    try:
        if op == "make":
            kind = _kind(text(form, "kind"))
            try:
                period = parse_period(kind, text(form, "period"))
            except ValueError:
                raise ValidationFailed(
                    "日期格式须为 YYYY-MM-DD（月报可为 YYYY-MM）", field="period"
                ) from None
            made = reports.make(actor, _unit(text(form, "unit_id")), kind, period)
            return RedirectResponse(f"/reports/{made.summary.id}", status_code=303)
        if op == "subscribe":
            reports.subscribe(actor, _unit(text(form, "unit_id")), _kind(text(form, "kind")))
        elif op == "unsubscribe":
            reports.unsubscribe(actor, _unit(text(form, "subscription_id")))
        else:
            raise ValidationFailed("未知的操作")
    except DomainError as exc:
        return _list_page(request, services, actor, error=exc.message, status_code=exc.http_status)
    return RedirectResponse(f"/reports?done={quote(op)}", status_code=303)


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request, report_id: ReportId, services: ServicesDep, actor: PageActor
) -> HTMLResponse:
    try:
        report = services.get(ReportService).report(_reader(actor), report_id)
    except NotFound as exc:
        return render(request, "error.html", {"title": "未找到", "message": exc.message}, status_code=404)
    return render(
        request, "reports/report.html", {"title": report.summary.title, "report": report, "f": report.figures}
    )


@router.get("/reports/{report_id}/xlsx")
def report_file(
    report_id: ReportId, services: ServicesDep, actor: PageActor, download: Annotated[int, Query()] = 1
) -> Response:
    report = services.get(ReportService).report(_reader(actor), report_id)
    name = f"{report.summary.title}.xlsx"
    return Response(
        report_xlsx(report.summary.title, report.figures),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=report-{report_id}.xlsx; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )
