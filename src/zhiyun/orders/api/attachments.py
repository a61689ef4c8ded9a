"""Attachments of orders: upload (multipart), list, download."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import AttachmentOut
from zhiyun.domain.errors import ValidationFailed

router = APIRouter(tags=["attachments 附件"], responses={k: ERROR_RESPONSES[k] for k in (401, 404)})

INLINE_TYPES = ("image/", "application/pdf")
AttachmentId = Annotated[int, Path(ge=1, le=2**63 - 1, description="附件 id")]


def content_disposition(filename: str, attachment_id: int, *, inline: bool) -> str:
    """`inline|attachment; filename="ascii"; filename*=UTF-8''…` (RFC 6266 / RFC 5987)."""
    kind = "inline" if inline else "attachment"
    if filename.isascii() and filename.isprintable():
        fallback = filename.replace("\\", "_").replace('"', "_")
    else:
        suffix = PurePath(filename).suffix
        fallback = f"attachment-{attachment_id}{suffix if suffix.isascii() else ''}"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "图片、PDF、音视频、Office 文档或文本",
                    }
                },
            }
        }
    },
}


@router.post(
    "/orders/{key}/attachments",
    response_model=AttachmentOut,
    status_code=status.HTTP_201_CREATED,
    summary="上传附件",
    responses={k: ERROR_RESPONSES[k] for k in (403, 413, 422)},
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def upload_attachment(
    key: Annotated[str, Path(description="工单 id 或编号", max_length=64)],
    request: Request,
    actor: ActorDep,
    services: ServicesDep,
) -> AttachmentOut:
    """Stores a file on the order. Its type is judged by its bytes; a type that is not
    allowed, or a file over the size limit, answers 422 and nothing is stored.

    The caller is authenticated before the multipart body is read (the body is not a
    parameter FastAPI would parse first)."""
    file = await uploaded_file(request)
    view = await run_in_threadpool(services.attachments.add, actor, key, file.filename or "", file.file)
    return AttachmentOut.of(view)


async def uploaded_file(request: Request) -> UploadFile:
    """The one file of a multipart upload (field `file`); 422 when there is none."""
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except (MultiPartException, AssertionError) as exc:
        raise ValidationFailed(f"上传内容格式不正确：{exc}", field="file") from None
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValidationFailed("请以 multipart/form-data 上传字段 file", field="file")
    return file


@router.get("/orders/{key}/attachments", response_model=list[AttachmentOut], summary="工单的附件")
def list_attachments(
    key: Annotated[str, Path(description="工单 id 或编号")], actor: ActorDep, services: ServicesDep
) -> list[AttachmentOut]:
    return [AttachmentOut.of(a) for a in services.orders.get(actor, key).attachments]


@router.get(
    "/attachments/{attachment_id}",
    response_class=FileResponse,
    summary="下载附件",
    responses={200: {"content": {"application/octet-stream": {}}, "description": "文件内容"}},
)
def download_attachment(attachment_id: AttachmentId, actor: ActorDep, services: ServicesDep) -> FileResponse:
    stored = services.attachments.open(actor, attachment_id)
    view = stored.view
    inline = view.content_type.startswith(INLINE_TYPES)
    return FileResponse(
        stored.path,
        media_type=view.content_type,
        headers={
            "Content-Disposition": content_disposition(view.filename, view.id, inline=inline),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )
