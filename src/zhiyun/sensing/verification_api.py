"""Verification (核实) over REST: the grid worker's tasks and answers from the phone, the
dispatchers' list of late tasks and reassignment, and the events' evidence images.

- `GET /sensing/verifications/mine`: the grid worker's pending tasks (403 for anyone else: the
  patrol page hides its 核实 tab then).
- `POST /sensing/verifications/{id}/answer`: multipart (`answer`, `note`, `submission_id`,
  `photos`). Idempotent by `submission_id`: the first answers 201, a retry 200 with the same
  result. The caller is authenticated, and a cookie's CSRF token checked, before the body is
  read; the edge limits the body (`kernel.http_guard`).
- `GET /sensing/verifications`: a dispatcher's list (their villages' late tasks and those owed
  by nobody; `all=true`: every pending one).
- `POST /sensing/verifications/{id}/reassign`: give a task to another grid worker of its village.
- `GET /sensing/evidence/{id}`: an evidence image, inline, for those who may see its event.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import PermissionDenied, ValidationFailed
from zhiyun.domain.sensing_alarms import VerificationAnswer
from zhiyun.domain.sensing_verification import NOTE_MAX, PHOTOS_MAX, VERIFICATION_DISPATCHERS
from zhiyun.kernel.csrf import CSRF_COOKIE, CSRF_HEADER, tokens_match
from zhiyun.sensing.verification import VerificationService

router = APIRouter(
    prefix="/sensing",
    tags=["sensing verification 告警核实"],
    responses={401: ERROR_RESPONSES[401], 403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404]},
)

TaskId = Annotated[int, Path(ge=1, le=2**62, description="核实任务 id")]
FIELD_MAX = 4 * 1024  # answer, note, submission id: short text fields
PHOTO_MAX = 8 * 1024 * 1024  # one photo, downscaled by the phone


def verification_service(services: ServicesDep) -> VerificationService:
    return services.get(VerificationService)


VerificationDep = Annotated[VerificationService, Depends(verification_service)]


def _csrf(request: Request) -> None:
    """A cookie-authenticated write must repeat the CSRF cookie in the header (a bearer token
    needs none), checked before the body is read."""
    if "authorization" not in request.headers and not tokens_match(
        request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)
    ):
        raise PermissionDenied("请求缺少有效的 CSRF 令牌：请刷新页面后重试")


def _worker_or_dispatcher(actor: ActorDep) -> Actor:
    if actor.role is not Role.GRID_WORKER and actor.role not in VERIFICATION_DISPATCHERS:
        raise PermissionDenied("只有网格员或调度员可以核实")
    return actor


Verifier = Annotated[Actor, Depends(_worker_or_dispatcher)]


@router.get("/verifications/mine", summary="网格员待核实的告警任务")
def my_tasks(actor: ActorDep, verification: VerificationDep) -> dict[str, Any]:
    """The grid worker's pending tasks (核实 and 到场通知), the most urgent first, with the
    worker's id (the phone keeps a copy offline and shows it to that worker only)."""
    tasks = verification.mine(actor)
    return {"worker": {"id": actor.user_id}, "tasks": [t.as_json() for t in tasks]}


def _text(value: object, name: str, *, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(f"字段 {name} 应为文本", field=name)
    if len(value) > limit:
        raise ValidationFailed(f"字段 {name} 过长（不超过 {limit} 字）", field=name)
    return value


@router.post(
    "/verifications/{task_id}/answer",
    summary="提交核实结果（属实、误报、已消失；到场通知：已到场）",
    status_code=201,
    responses={k: ERROR_RESPONSES[k] for k in (409, 413, 422)},
)
async def answer_task(
    task_id: TaskId, request: Request, actor: Verifier, verification: VerificationDep
) -> JSONResponse:
    """multipart/form-data: `answer` (confirmed | false_alarm | gone), `note`, `submission_id`
    (the phone's id of this answer, 8–64 characters) and up to 6 parts `photos`. 201 with the
    result; 200 with the same result for a retry of the same submission id; 404 for a task the
    caller may not answer."""
    _csrf(request)
    try:
        form = await request.form(max_files=PHOTOS_MAX, max_fields=3, max_part_size=PHOTO_MAX)
    except (MultiPartException, AssertionError) as exc:
        raise ValidationFailed(f"提交内容格式不正确：{exc}", field="photos") from None
    try:
        raw_answer = _text(form.get("answer"), "answer", limit=FIELD_MAX).strip()
        try:
            answer = VerificationAnswer(raw_answer)
        except ValueError:
            raise ValidationFailed("核实结果应为 confirmed、false_alarm 或 gone", field="answer") from None
        note = _text(form.get("note"), "note", limit=NOTE_MAX)
        submission_id = _text(form.get("submission_id"), "submission_id", limit=FIELD_MAX)
        photos = []
        for part in form.getlist("photos"):
            if not isinstance(part, UploadFile):
                raise ValidationFailed("照片应以文件上传", field="photos")
            data = await part.read(PHOTO_MAX + 1)
            if len(data) > PHOTO_MAX:
                raise ValidationFailed(f"照片超过 {PHOTO_MAX // (1024 * 1024)} MB", field="photos")
            photos.append((part.filename or "photo.jpg", data))
        result = await run_in_threadpool(
            verification.answer, actor, task_id, answer, note, photos, submission_id
        )
    finally:
        await form.close()
    return JSONResponse(result.as_json(), status_code=201 if result.created else 200)


@router.get("/verifications", summary="调度员的核实任务（超时升级、无人核实）")
def unit_tasks(
    actor: ActorDep,
    verification: VerificationDep,
    all_pending: Annotated[bool, Query(alias="all", description="true：本辖区全部待核实任务")] = False,
) -> dict[str, Any]:
    """The pending tasks of the villages in the dispatcher's unit: late and escalated ones, and
    those owed by nobody (every pending one with `all=true`); the escalated first."""
    return {"tasks": [t.as_json() for t in verification.pending_for_unit(actor, all_pending=all_pending)]}


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    worker_id: int = Field(ge=1, le=2**31 - 1, description="改派给的网格员（用户 id）")


@router.post(
    "/verifications/{task_id}/reassign",
    summary="改派核实任务给本村居的另一名网格员",
    responses={k: ERROR_RESPONSES[k] for k in (409, 422)},
)
def reassign_task(
    task_id: TaskId, body: ReassignIn, request: Request, actor: ActorDep, verification: VerificationDep
) -> dict[str, Any]:
    _csrf(request)
    return verification.reassign(actor, task_id, body.worker_id).as_json()


def _disposition(filename: str, evidence_id: int) -> str:
    if filename.isascii() and filename.isprintable():
        fallback = filename.replace("\\", "_").replace('"', "_")
    else:
        fallback = f"evidence-{evidence_id}"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get(
    "/evidence/{evidence_id}",
    response_class=FileResponse,
    summary="告警证据图片",
    responses={200: {"content": {"image/jpeg": {}}, "description": "图片内容"}},
)
def evidence_image(
    evidence_id: Annotated[int, Path(ge=1, le=2**62, description="证据 id")],
    actor: ActorDep,
    verification: VerificationDep,
) -> FileResponse:
    """The image, inline, to those who may see its event (the grid worker of its grid, staff of
    its village, town or district, the device's owner unit); 404 for anyone else."""
    found = verification.evidence(actor, evidence_id)
    return FileResponse(
        found.path,
        media_type=found.content_type,
        headers={
            "Content-Disposition": _disposition(found.filename, evidence_id),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


__all__ = ["router"]
