"""The console's forms of the grid hazards' panel on the order page: 就地解决 with a rectification
deadline (整改期限), and the deadline alone. Each goes through `GridHazardService`, which asks
the life cycle and `may_set_rectification` itself; a refusal shows the console's error page
with the Chinese message, a success returns to the order page."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.grid.hazards import GridHazardService
from zhiyun.web.deps import CsrfChecked, PageActor, PageUser, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(prefix="/grid/hazards", include_in_schema=False)

MAX_NOTE = 2000


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(form: FormData) -> date:
    text = _text(form, "rectify_by")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed("请填写整改期限（日期）", field="rectify_by") from None


@router.post("/orders/{key}", dependencies=[CsrfChecked])
async def order_hazards(
    key: str, request: Request, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    """`op=resolve`: 就地解决 with a deadline and a note; `op=rectify`: the deadline alone."""
    hazards = services.get(GridHazardService)
    op = _text(form, "op")
    try:
        rectify_by = _date(form)
        if op == "resolve":
            note = _text(form, "note")[:MAX_NOTE]
            await run_in_threadpool(hazards.resolve_locally, actor, key, note, rectify_by)
        elif op == "rectify":
            await run_in_threadpool(hazards.set_rectification, actor, key, rectify_by)
        else:
            raise ValidationFailed("不支持的操作", field="op")
    except NotFound:
        return render(
            request,
            "error.html",
            {"title": "工单不存在", "message": "工单不存在或您无权查看"},
            status_code=404,
        )
    except DomainError as exc:
        return _error(request, exc)
    done = "resolve_on_intake" if op == "resolve" else ""
    return RedirectResponse(f"/orders/{quote(key)}" + (f"?done={done}" if done else ""), status_code=303)


def _error(request: Request, exc: DomainError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"title": "操作未完成", "message": exc.message},
        status_code=exc.http_status,
    )


__all__ = ["router"]
