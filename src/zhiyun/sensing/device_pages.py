"""The console's device registry (感知设备): the admin section 系统管理 → 感知设备 listing the
devices (kind, place, owner, status, heartbeat, when last heard; silent ones marked 离线 with
their fault order) with filters and pages, the import of a CSV or XLSX file (a refused file
lists every row's problem), the export (CSV, XLSX) and the enable/disable switch.

Every change goes through `DeviceRegistry`, which asks `may_administer_devices` itself; the
pages ask it too before they show anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, may_administer_devices
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_devices import DeviceStatus
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.sensing.devices import DeviceQuery, DeviceRegistry
from zhiyun.sensing.devices_import import HEADER, MAX_FILE_BYTES, XLSX_MEDIA_TYPE
from zhiyun.web.admin import AdminPage, Outcome, operation, text
from zhiyun.web.deps import AdminPageActor, PageForbidden, ServicesDep

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SECTION = "sensing-devices"
PAGE = 100
router = APIRouter(prefix=f"/admin/{SECTION}", include_in_schema=False)


def _registry(services: Services) -> DeviceRegistry:
    return services.get(DeviceRegistry)


def _upload(form: FormData) -> tuple[str, bytes]:
    """The posted file's name and bytes (at most the import limit)."""
    value = form.get("file")
    if not isinstance(value, UploadFile) or not value.filename:
        raise ValidationFailed("请选择要导入的文件（.csv 或 .xlsx）", field="file")
    data = value.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", field="file")
    return value.filename, data


def _choice(enum: Any, value: str) -> Any:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def _filtered(services: Services, actor: Actor, params: Mapping[str, str]) -> dict[str, Any]:
    kind = _choice(SceneSource, params.get("kind", ""))
    status = _choice(DeviceStatus, params.get("status", ""))
    silent = params.get("silent", "") == "1"
    raw_page = params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < int(raw_page) < 100_000 else 1
    query = DeviceQuery(kind=kind, status=status, silent_only=silent)
    found = _registry(services).devices(actor, query, offset=(page - 1) * PAGE, limit=PAGE)
    silent_total = _registry(services).devices(actor, DeviceQuery(silent_only=True), limit=1).total
    return {
        "devices": found.items,
        "total": found.total,
        "page": page,
        "pages": max(1, -(-found.total // PAGE)),
        "silent_total": silent_total,
        "filters": {
            "kind": kind.value if kind else "",
            "status": status.value if status else "",
            "silent": silent,
        },
        "kinds": [(k.value, k.label) for k in SceneSource],
        "statuses": [(s.value, s.label) for s in DeviceStatus],
        "column_names": HEADER,
    }


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    return _filtered(services, actor, {})


def _post(services: Services, actor: Actor, form: FormData) -> Outcome:
    devices = _registry(services)
    op = operation(form)
    if op == "import":
        filename, data = _upload(form)
        report = devices.import_file(actor, filename, data, dry_run=text(form, "dry_run") == "yes")
        # a refused file is shown as the report's table, not as a success message
        return ("" if report.refused else report.summary()), {"report": report}
    if op in ("enable", "disable"):
        status = DeviceStatus.ACTIVE if op == "enable" else DeviceStatus.DISABLED
        shown = devices.set_status(actor, text(form, "code"), status)
        return f"已{status.label}设备 {shown.code} {shown.name}"
    raise ValidationFailed("未知的操作")


def _export(services: Services, actor: Actor) -> tuple[str, str]:
    return "sensing-devices.csv", _registry(services).export_csv(actor)


SENSING_DEVICES = AdminPage(context=_context, post=_post, export=_export, filtered=_filtered)


@router.get("/export.xlsx")
def export_xlsx(actor: AdminPageActor, services: ServicesDep) -> Response:
    if not may_administer_devices(actor):
        raise PageForbidden("仅系统管理员可以维护感知设备")
    return Response(
        _registry(services).export_xlsx(actor),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="sensing-devices.xlsx"'},
    )


__all__ = ["SENSING_DEVICES", "router"]
