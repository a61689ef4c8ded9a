"""Export of any filtered list to CSV or XLSX, streamed.

The rows come from WorklistService.export_rows in keyset batches, so memory stays flat
whatever the list's length. CSV goes out row by row as it is read (UTF-8 with a BOM so
that Excel opens it in Chinese). XLSX is written by openpyxl in write-only mode into a
temporary file (constant memory) and streamed from there in chunks. A CSV export that
fails after its first row ends with a row saying the file is incomplete.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import DomainError
from zhiyun.domain.order_query import OrderQuery
from zhiyun.domain.workorder import Satisfaction
from zhiyun.kernel.csv_text import safe_cell
from zhiyun.orders.pages.forms import list_query
from zhiyun.orders.worklists import ExportRow
from zhiyun.web.deps import PageActor, PageUser, ServicesDep
from zhiyun.web.templating import local_time, render
from zhiyun.web.views import channel_names

router = APIRouter(include_in_schema=False)
log = logging.getLogger("zhiyun.web")

HEADER = (
    "工单编号",
    "标题",
    "渠道",
    "类型",
    "紧急程度",
    "状态",
    "类别编码",
    "当前单位",
    "承办单位",
    "受理时间",
    "签收期限",
    "办理期限",
    "期限状态",
    "诉求人",
    "联系电话",
    "地址",
    "诉求内容",
    "归档时间",
    "满意度",
)
CHUNK = 64 * 1024
_safe = safe_cell  # a cell that a spreadsheet will not run as a formula


def _cells(row: ExportRow, channels: dict[str, str]) -> list[str]:
    s = row.summary
    return [
        s.number,
        _safe(s.title),
        channels.get(s.channel, s.channel),
        s.order_type_label,
        "紧急" if s.urgency == "urgent" else "一般",
        s.status_label,
        s.category_code or "",
        s.current_unit.name if s.current_unit else "",
        s.responsible_unit.name if s.responsible_unit else "",
        local_time(s.registered_at),
        local_time(s.sign_deadline.due_at) if s.sign_deadline else "",
        local_time(s.reply_deadline.due_at) if s.reply_deadline else "",
        s.deadline.summary_label if s.deadline else "",  # the order's one state, as its queue
        _safe(row.citizen_name or ""),
        row.citizen_phone or "",
        _safe(row.address or ""),
        _safe(row.content),
        local_time(row.closed_at),
        Satisfaction(row.satisfaction).label if row.satisfaction else "",
    ]


def _filename(ext: str) -> str:
    stamp = datetime.now(UTC).astimezone(LOCAL_TZ).strftime("%Y%m%d-%H%M")
    name = f"工单导出-{stamp}.{ext}"
    return f"attachment; filename=\"orders-{stamp}.{ext}\"; filename*=UTF-8''{quote(name)}"


def _checked(request: Request) -> tuple[OrderQuery, str | None]:
    query, errors = list_query(request.query_params, "all")
    return query, "；".join(errors.values()) if errors else None


INCOMPLETE = "（导出未完成：读取第 {n} 条之后服务器出错，此文件不完整，请重新导出）"


def _csv_stream(channels: dict[str, str], rows: Iterator[ExportRow]) -> Iterator[bytes]:
    """The CSV file, written as the rows are read. The response has begun when a later batch
    fails, so its status cannot change any more: the file then ends with a row saying that it
    is incomplete, instead of being cut off where a reader could take it for the whole list."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    written = 0
    try:
        for row in rows:
            writer.writerow(_cells(row, channels))
            written += 1
            if buffer.tell() >= CHUNK:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    except Exception:
        log.exception("CSV export failed after %d rows", written)
        writer.writerow([INCOMPLETE.format(n=written)])
    yield buffer.getvalue().encode("utf-8")


@router.get("/export.csv")
def export_csv(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> Response:
    query, error = _checked(request)
    if error:
        return render(request, "error.html", {"title": "导出失败", "message": error}, status_code=422)
    rows = services.worklists.export_rows(actor, query)
    try:
        # the first batch is read before the answer begins: a failure here is still an error page
        first = list(itertools.islice(rows, 1))
    except DomainError as exc:
        return render(request, "error.html", {"title": "导出失败", "message": exc.message}, status_code=422)
    return StreamingResponse(
        _csv_stream(channel_names(services), itertools.chain(first, rows)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _filename("csv")},
    )


def _xlsx_file(services: ServicesDep, actor: Actor, query: OrderQuery) -> str:
    from openpyxl import Workbook

    channels = channel_names(services)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("工单")
    sheet.append(list(HEADER))
    for row in services.worklists.export_rows(actor, query):
        sheet.append(_cells(row, channels))
    handle, path = tempfile.mkstemp(prefix="zhiyun-export-", suffix=".xlsx")
    os.close(handle)
    workbook.save(path)
    return path


def _file_stream(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


@router.get("/export.xlsx")
def export_xlsx(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> Response:
    query, error = _checked(request)
    if error:
        return render(request, "error.html", {"title": "导出失败", "message": error}, status_code=422)
    path = _xlsx_file(services, actor, query)
    return StreamingResponse(
        _file_stream(path),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _filename("xlsx"), "Content-Length": str(os.path.getsize(path))},
    )
