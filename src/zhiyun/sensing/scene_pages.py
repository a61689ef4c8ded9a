"""The console's scene catalogue (场景目录): the admin section 系统管理 → 感知场景.

It lists every scene at its current version (source, category, threshold, window, the condition
that raises it, allowed hours, how it is handled, version, on or off), switches a scene on or
off, edits a scene's tuning — threshold, window, repeats, duration, group radius, allowed hours,
whether a person verifies it and in how many minutes — by publishing a new version with a note,
imports a catalogue file (JSON, `zhiyun sensing scenes-export` writes one; a dry run first if
wished) and exports the catalogue as that file.

Every change goes through `SceneCatalogue`, which asks `may_administer_scenes` itself; an edit
is an import of one scene, so it is checked, versioned and recorded exactly as a file is. The
alarm pipeline reads the catalogue again within seconds (`pipeline.SCENES_TTL_S`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, may_administer_scenes
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_scenes import scene_to_json
from zhiyun.sensing.scenes import SceneCatalogue
from zhiyun.web.admin import AdminPage, Outcome, operation, text
from zhiyun.web.deps import AdminPageActor, PageForbidden, ServicesDep

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

SECTION = "sensing-scenes"
FILE_MAX_BYTES = 2 * 1024 * 1024
# the form's fields an admin may tune, and how each is read
TUNABLE: dict[str, type] = {
    "threshold": float,
    "window_minutes": int,
    "min_repeats": int,
    "min_duration_s": int,
    "group_radius_m": int,
    "verify_minutes": int,
}
router = APIRouter(prefix=f"/admin/{SECTION}", include_in_schema=False)


def _catalogue(services: Services) -> SceneCatalogue:
    return services.get(SceneCatalogue)


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    if not may_administer_scenes(actor):
        raise PageForbidden("仅系统管理员可以维护感知场景")
    views = _catalogue(services).scenes()
    return {
        "scenes": views,
        "active_total": sum(1 for v in views if v.active),
        "sources": sorted({v.scene.source.label for v in views}),
    }


def _number(form: FormData, name: str, kind: type) -> Any:
    raw = text(form, name).strip()
    try:
        return kind(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} 须为{'整数' if kind is int else '数值'}（收到「{raw[:20]}」）", field=name
        ) from None


def _edited(services: Services, form: FormData) -> str:
    """The catalogue file of one scene: its current definition with the form's changes."""
    current = _catalogue(services).get(text(form, "code"))
    data = scene_to_json(current.scene)
    for name, kind in TUNABLE.items():
        data[name] = _number(form, name, kind)
    data["allowed_hours"] = text(form, "allowed_hours")
    data["verify"] = text(form, "verify") == "yes"
    return json.dumps({"scenes": [data]}, ensure_ascii=False)


def _upload(form: FormData) -> str:
    value = form.get("file")
    if not isinstance(value, UploadFile) or not value.filename:
        raise ValidationFailed("请选择要导入的场景文件（.json）", field="file")
    data = value.file.read(FILE_MAX_BYTES + 1)
    if len(data) > FILE_MAX_BYTES:
        raise ValidationFailed(f"文件过大：最多 {FILE_MAX_BYTES // 1024 // 1024} MB", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("场景文件应为 UTF-8 编码的 JSON", field="file") from None


def _post(services: Services, actor: Actor, form: FormData) -> Outcome:
    catalogue = _catalogue(services)
    op = operation(form)
    note = text(form, "note").strip()
    if op in ("enable", "disable"):
        shown = catalogue.set_active(actor, text(form, "code"), op == "enable")
        return f"已{'启用' if shown.active else '停用'}场景 {shown.scene.code} {shown.scene.name}"
    if op == "edit":
        code = text(form, "code")
        report = catalogue.import_file(actor, _edited(services, form), note=note or "控制台调整")
        if report.updated:
            version = catalogue.get(code)
            return f"场景 {version.scene.code} {version.scene.name} 已发布第 {version.version} 版"
        return f"场景 {code} 没有变化，未发布新版本"
    if op == "import":
        report = catalogue.import_file(
            actor, _upload(form), dry_run=text(form, "dry_run") == "yes", note=note or "控制台导入"
        )
        return ("检查通过，未写入：" if report.dry_run else "导入完成：") + report.summary
    raise ValidationFailed("未知的操作")


SENSING_SCENES = AdminPage(context=_context, post=_post)


@router.get("/export.json")
def export_json(actor: AdminPageActor, services: ServicesDep) -> Response:
    if not may_administer_scenes(actor):
        raise PageForbidden("仅系统管理员可以维护感知场景")
    return Response(
        _catalogue(services).export_json(),
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sensing-scenes.json"'},
    )


__all__ = ["SENSING_SCENES", "router"]
