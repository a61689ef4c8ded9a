"""Merged patrols over REST, for the grid worker's phone: the day's tasks with their merged
checklists, a visit submitted (multipart: the visit's JSON and its photos), a visit's receipt.

A submission is idempotent by the phone's `submission_id`: the first answers 201, a retry 200
with the same receipt (`created` false). The caller is authenticated, and must be a grid
worker, before the multipart body is read.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from zhiyun.api.deps import ServicesDep, permitted
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, may_patrol
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.grid_items import GridItem
from zhiyun.domain.patrol_visits import (
    NOTE_MAX,
    PHOTOS_PER_VISIT,
    REPORT_MAX,
    FreeReport,
    ItemAnswers,
    Recheck,
    VisitSubmission,
)
from zhiyun.grid.patrol_service import DayTask, PatrolService, PhotoUpload
from zhiyun.kernel.csrf import CSRF_COOKIE, CSRF_HEADER, tokens_match
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, validate_coordinates

router = APIRouter(
    prefix="/grid/patrol",
    tags=["merged patrols 合并巡查"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)

VISIT_JSON_MAX = 256 * 1024
Patroller = Annotated[Actor, permitted(may_patrol)]


def patrol_service(services: ServicesDep) -> PatrolService:
    return services.get(PatrolService)


PatrolDep = Annotated[PatrolService, Depends(patrol_service)]


# -- the day -------------------------------------------------------------------------------------


def _question_json(item: GridItem) -> list[dict[str, Any]]:
    return [
        {
            "id": q.id,
            "text": q.text,
            "type": q.type.value,
            "required": q.required,
            "photo": q.photo.value,
            "unit": q.unit,
            "minimum": q.minimum,
            "maximum": q.maximum,
            "options": list(q.options),
            "help": q.help,
            "hazards": [
                {
                    "level": r.level.value,
                    "level_label": r.level.label,
                    "label": r.label,
                    "answers": list(r.answers),
                    "below": r.below,
                    "above": r.above,
                }
                for r in q.hazards
            ],
        }
        for q in item.questions
    ]


def _task_json(t: DayTask) -> dict[str, Any]:
    kind = ObjectKind(t.object_kind)
    risk = RiskLevel(t.object_risk)
    return {
        "id": t.id,
        "day": t.day.isoformat(),
        "earliest": t.earliest.isoformat(),
        "latest": t.latest.isoformat(),
        "overdue": t.overdue,
        "status": t.status.value,
        "status_label": t.status.label,
        "object": {
            "id": t.object_id,
            "kind": kind.value,
            "kind_label": kind.label,
            "name": t.object_name,
            "address": t.object_address,
            "lat": t.object_lat,
            "lon": t.object_lon,
            "risk": risk.value,
            "risk_label": risk.label,
            "grid_code": t.grid_code,
            "updated_at": t.object_updated_at.isoformat(),
        },
        "items": [
            {
                "code": c.code,
                "version": c.version,
                "name": c.item.name,
                "department": c.item.department,
                "legal_basis": c.item.legal_basis,
                "questions": _question_json(c.item),
            }
            for c in t.items
        ],
        "rechecks": list(t.rechecks),
    }


@router.get("/today", summary="网格员当天的巡查任务（合并后的检查表）")
def today(
    actor: Patroller,
    patrols: PatrolDep,
    day: Annotated[date | None, Query(description="日期（默认今天，北京时间）")] = None,
) -> dict[str, Any]:
    """The worker's tasks for the day: planned for it or before and not yet visited (the most
    urgent first), then those visited that day; each with its object and the merged checklist
    of every item the visit covers, at the version the visit answers."""
    worker_day = patrols.today(actor, day)
    return {
        "day": worker_day.day.isoformat(),
        "worker": {"id": worker_day.worker_id},
        "generated_at": worker_day.generated_at.isoformat(),
        "tasks": [_task_json(t) for t in worker_day.tasks],
    }


# -- a visit -------------------------------------------------------------------------------------


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: Any = None
    photos: list[str] = Field(default_factory=list, max_length=PHOTOS_PER_VISIT)


class ItemAnswersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=10_000)
    answers: dict[str, AnswerIn] = Field(max_length=200)


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(max_length=REPORT_MAX)
    address: str = Field(default="", max_length=300)
    photos: list[str] = Field(default_factory=list, max_length=PHOTOS_PER_VISIT)


class RecheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hazard_id: int = Field(ge=1, le=2**31 - 1)
    fixed: bool
    note: str = Field(default="", max_length=NOTE_MAX)
    photos: list[str] = Field(default_factory=list, max_length=PHOTOS_PER_VISIT)


class VisitIn(BaseModel):
    """The `visit` field of a submission (see docs/grid-patrols.md)."""

    model_config = ConfigDict(extra="forbid")
    submission_id: str = Field(min_length=8, max_length=64)
    task_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    object_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    visited_at: datetime
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    coord_system: Literal["wgs84", "gcj02"] = "wgs84"
    object_seen_at: datetime | None = None
    answers: dict[str, ItemAnswersIn] = Field(default_factory=dict, max_length=100)
    report: ReportIn | None = None
    rechecks: list[RecheckIn] = Field(default_factory=list, max_length=50)
    note: str = Field(default="", max_length=NOTE_MAX)

    def submission(self) -> VisitSubmission:
        lat, lon = self.lat, self.lon
        if lat is not None and lon is not None:
            lat, lon = validate_coordinates(lat, lon)
            if self.coord_system == CoordSystem.GCJ02.value:
                lat, lon = gcj02_to_wgs84(lat, lon)
        return VisitSubmission(
            submission_id=self.submission_id,
            visited_at=self.visited_at,
            task_id=self.task_id,
            object_id=self.object_id,
            lat=lat,
            lon=lon,
            accuracy_m=self.accuracy_m,
            object_seen_at=self.object_seen_at,
            answers=tuple(
                ItemAnswers(code, a.version, {qid: ans.model_dump() for qid, ans in a.answers.items()})
                for code, a in self.answers.items()
            ),
            report=(
                None
                if self.report is None
                else FreeReport(self.report.description, self.report.address, tuple(self.report.photos))
            ),
            rechecks=tuple(Recheck(r.hazard_id, r.fixed, r.note, tuple(r.photos)) for r in self.rechecks),
            note=self.note,
        )


def _photo_id(upload: UploadFile) -> str:
    name = upload.filename or ""
    return name.rsplit(".", 1)[0] if "." in name else name


def _parse_visit(raw: object) -> VisitSubmission:
    if not isinstance(raw, str):
        raise ValidationFailed("请以 multipart/form-data 提交字段 visit（JSON）", field="visit")
    if len(raw) > VISIT_JSON_MAX:
        raise ValidationFailed("巡查记录过大", field="visit")
    try:
        return VisitIn.model_validate(json.loads(raw)).submission()
    except json.JSONDecodeError:
        raise ValidationFailed("字段 visit 不是合法的 JSON", field="visit") from None
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:20]]
        raise ValidationFailed("巡查记录格式有误：" + "；".join(problems), problems=problems) from None


@router.post(
    "/visits",
    summary="提交一次巡查（检查结果、照片、随手报、复查）",
    status_code=201,
    responses={k: ERROR_RESPONSES[k] for k in (404, 409, 413)},
)
async def submit_visit(request: Request, actor: Patroller, patrols: PatrolDep) -> JSONResponse:
    """multipart/form-data: the field `visit` (JSON) and a part `photos` per photo, named
    `<photo id>.jpg`. 201 with the receipt; 200 with the same receipt for a retry of the same
    submission id; 422 naming every problem (nothing stored). Sent with the console's session
    cookie (the phone page), the header `X-CSRF-Token` must repeat the `zhiyun_csrf` cookie
    (403 otherwise, before the body is read); a bearer token needs none."""
    if "authorization" not in request.headers and not tokens_match(
        request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    ):
        raise PermissionDenied("请求缺少有效的 CSRF 令牌：请刷新巡查页面后重试")
    try:
        form = await request.form(max_files=PHOTOS_PER_VISIT, max_fields=4, max_part_size=VISIT_JSON_MAX)
    except (MultiPartException, AssertionError) as exc:
        raise ValidationFailed(f"提交内容格式不正确：{exc}", field="visit") from None
    try:
        submission = _parse_visit(form.get("visit"))
        uploads = [f for f in form.getlist("photos") if isinstance(f, UploadFile)]
        photos = [PhotoUpload(_photo_id(f), f.filename or "", f.file) for f in uploads]
        receipt = await run_in_threadpool(patrols.submit, actor, submission, photos)
    finally:
        await form.close()
    return JSONResponse(receipt.as_json(), status_code=201 if receipt.created else 200)


@router.get("/visits/{submission_id}", summary="一次巡查的回执")
def visit_receipt(
    submission_id: Annotated[str, Path(min_length=1, max_length=64)], actor: Patroller, patrols: PatrolDep
) -> dict[str, Any]:
    """The receipt of one of the worker's own submissions (404 for anyone else's)."""
    return patrols.visit(actor, submission_id).as_json()


__all__ = ["router"]
