"""The console's grid items catalogue (入格事项): the admin section 系统管理 → 入格事项 listing the
items (frequency, object kinds, department, current version) with import, export, the default
catalogue and the on/off switch, and one page per item with its checklist and version history
(`/admin/grid-items/<code>`, `?version=N` for an older one).

Editing is by file: export the catalogue (JSON or XLSX), change it, import it again — a
changed item gets a new version, a file with any bad row is refused whole and its rows are
listed with their reasons. Every change goes through `GridItemService`, which asks
`may_administer_grid_items` itself; the pages ask it too before they show anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, may_administer_grid_items
from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.domain.grid_items import CODE_PATTERN, normalize_code, rules_label
from zhiyun.grid.items_files import HEADER, MAX_FILE_BYTES, XLSX_MEDIA_TYPE
from zhiyun.grid.items_service import GridItemService
from zhiyun.web.admin import AdminPage, Outcome, operation, text
from zhiyun.web.deps import AdminPageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SECTION = "grid-items"
router = APIRouter(prefix=f"/admin/{SECTION}", include_in_schema=False)


def _service(services: Services) -> GridItemService:
    return services.get(GridItemService)


def _upload(form: FormData) -> tuple[str, bytes]:
    """The posted file's name and bytes (at most the import limit)."""
    value = form.get("file")
    if not isinstance(value, UploadFile) or not value.filename:
        raise ValidationFailed("请选择要导入的文件（.json 或 .xlsx）", field="file")
    data = value.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", field="file")
    return value.filename, data


# -- 系统管理 → 入格事项 ---------------------------------------------------------------------------


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    return {"items": _service(services).items(), "column_names": HEADER}


def _post(services: Services, actor: Actor, form: FormData) -> Outcome:
    items = _service(services)
    op = operation(form)
    if op == "import":
        filename, data = _upload(form)
        report = items.import_file(actor, filename, data, dry_run=text(form, "dry_run") == "yes")
        # a refused file is shown as the report's error, not as a success message
        return ("" if report.refused else report.summary()), {"report": report}
    if op == "ensure-default":
        done = items.ensure_default(actor)
        return f"默认入格事项：新增 {len(done.created)} 个，已存在 {len(done.unchanged)} 个"
    if op in ("activate", "deactivate"):
        shown = items.set_active(actor, text(form, "code"), op == "activate")
        return f"已{'启用' if shown.active else '停用'} {shown.code} {shown.item.name}"
    raise ValidationFailed("未知的操作")


GRID_ITEMS = AdminPage(context=_context, post=_post)


# -- the item's page and the downloads -------------------------------------------------------------


def _grid_items_actor(actor: Actor) -> Actor:
    if not may_administer_grid_items(actor):
        raise PageForbidden("仅系统管理员可以维护入格事项")
    return actor


def _menu(request: Request, actor: Actor) -> list[tuple[str, str]]:
    """The admin menu (the sections the actor may open), as the admin pages show it."""
    sections: dict[str, Any] = request.app.state.admin_sections
    return [(key, s.declared.label) for key, s in sections.items() if s.declared.shows(actor)]


@router.get("/export.json")
def export_json(actor: AdminPageActor, services: ServicesDep) -> Response:
    _grid_items_actor(actor)
    return Response(
        _service(services).export_json(),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="grid-items.json"'},
    )


@router.get("/export.xlsx")
def export_xlsx(actor: AdminPageActor, services: ServicesDep) -> Response:
    _grid_items_actor(actor)
    return Response(
        _service(services).export_xlsx(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="grid-items.xlsx"'},
    )


@router.get("/{code}", response_class=HTMLResponse)
def item_page(code: str, request: Request, actor: AdminPageActor, services: ServicesDep) -> HTMLResponse:
    _grid_items_actor(actor)
    items = _service(services)
    key = normalize_code(code)
    raw_version = request.query_params.get("version", "")
    try:
        if not CODE_PATTERN.match(key):
            raise NotFound("入格事项不存在")
        if raw_version and not (raw_version.isdigit() and 0 < int(raw_version) < 2**31):
            raise NotFound("没有这个版本")
        shown = items.get(key, int(raw_version) if raw_version else None)
        history = items.versions(key)
    except DomainError as exc:
        return render(
            request,
            "error.html",
            {"title": "入格事项不存在", "message": exc.message},
            status_code=exc.http_status,
        )
    context = {
        "title": f"入格事项 {shown.code}",
        "sections": _menu(request, actor),
        "section": SECTION,
        "shown": shown,
        "item": shown.item,
        "history": history,
        "rules_label": rules_label,
    }
    return render(request, "admin/grid-item.html", context)
