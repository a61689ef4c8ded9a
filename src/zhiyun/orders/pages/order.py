"""The order page: every field, the map, the timeline, attachments, duplicates and the action forms.

Every action is a plain form (works without JavaScript and from the keyboard) posted to
/orders/{key}/actions/{action}; it goes through WorkOrderService.act like the API's, and a
refused action (409 conflict, 403, 422) shows the page again with the Chinese message.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import Action
from zhiyun.orders.pages.actions import CANCEL_REASONS, SATISFACTIONS, attachment_ids, command_of, forms_for
from zhiyun.web.deps import CsrfChecked, PageActor, PageUser, ServicesDep, page_user
from zhiyun.web.templating import render
from zhiyun.web.views import unit_label, with_manual

router = APIRouter(include_in_schema=False)

DONE_MESSAGES = {a.value: f"已{a.label}" for a in Action} | {
    "hand_up": "已上报",
    "attach": "附件已上传",
    "merge_duplicate": "已合并为重复件",
    "dismiss_duplicate": "已排除疑似重复",
}
INLINE_TYPES = ("image/", "application/pdf", "text/plain", "audio/", "video/")
ROLE_LABELS = {r.value: r.label for r in Role}


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def _targets_below(org: OrgTree, unit_id: int) -> list[tuple[int, str]]:
    return [(u.id, unit_label(org, u.id)) for u in org.dispatch_targets(unit_id)]


def _page(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    key: str,
    *,
    error: str | None = None,
    error_action: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        page = services.pages.page(actor, key)  # one session: the order, its trail and every panel
    except NotFound:
        return render(
            request,
            "error.html",
            {"title": "工单不存在", "message": "工单不存在或您无权查看"},
            status_code=404,
        )
    detail, org = page.detail, page.org
    current = detail.summary.current_unit
    redispatch_from = actor.unit_id if actor.unit_id is not None else org.root().id
    names = page.panels.get("channel_names")
    channels = with_manual(names if isinstance(names, dict) else {})
    context = {
        "title": f"工单 {detail.summary.number}",
        "o": detail,
        "s": detail.summary,
        "transitions": page.transitions,
        "forms": forms_for(detail.allowed_actions, at_registering_center=len(detail.chain) == 1),
        "dispatch_targets": _targets_below(org, current.id) if current else [],
        "redispatch_targets": _targets_below(org, redispatch_from),
        "satisfactions": SATISFACTIONS,
        "cancel_reasons": CANCEL_REASONS,
        "channels": channels,
        "role_labels": ROLE_LABELS,
        "candidates": page.panels.get("candidates") or [],
        "suggestions": page.panels.get("suggestion"),
        "error": error,
        "error_action": error_action,
        "done": DONE_MESSAGES.get(request.query_params.get("done", "")),
        "unit_path": org.path_names(current.id) if current else "",
        "category_name": page.panels.get("category_name"),
    }
    return render(request, "order.html", context, status_code=status_code)


@router.get("/orders/{key}", response_class=HTMLResponse)
def order_page(
    key: str, request: Request, user: PageUser, actor: PageActor, services: ServicesDep
) -> HTMLResponse:
    return _page(request, services, actor, key)


def _done(number: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/orders/{quote(number)}?done={what}", status_code=303)


@router.post("/orders/{key}/actions/{action}", dependencies=[CsrfChecked])
def take_action(
    key: str,
    action: str,
    request: Request,
    user: PageUser,
    actor: PageActor,
    services: ServicesDep,
    form: FormDep,
) -> Response:
    try:
        chosen = Action(action)
    except ValueError:
        return _page(request, services, actor, key, error="不支持的操作", status_code=404)

    def order_id(master_key: str) -> int:
        try:
            return services.orders.get(actor, master_key).summary.id
        except NotFound as exc:
            raise ValidationFailed("主工单不存在", field="master") from exc

    version_text = form.get("version")
    version = int(version_text) if isinstance(version_text, str) and version_text.isdigit() else None
    try:
        command = command_of(chosen, form, order_id)
        # a return from the registering center hands the order up (上报): say so when done
        hands_up = chosen is Action.RETURN and len(services.orders.get(actor, key).chain) == 1
        detail = services.orders.act(
            actor, key, command, expected_version=version, attachment_ids=attachment_ids(form)
        )
    except NotFound:
        return _page(request, services, actor, key, status_code=404)
    except DomainError as exc:
        return _page(
            request, services, actor, key, error=exc.message, error_action=action, status_code=exc.http_status
        )
    return _done(detail.summary.number, "hand_up" if hands_up else chosen.value)


# The session is checked before the CSRF check reads the multipart body: nobody's file is
# read, let alone spooled to disk, before we know who sends it.
@router.post("/orders/{key}/attachments", dependencies=[Depends(page_user), CsrfChecked])
async def upload(
    key: str,
    request: Request,
    user: PageUser,
    actor: PageActor,
    services: ServicesDep,
) -> Response:
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _page(request, services, actor, key, error="请选择要上传的文件", status_code=422)
    try:
        await run_in_threadpool(services.attachments.add, actor, key, file.filename, file.file)
        number = (await run_in_threadpool(services.orders.get, actor, key)).summary.number
    except NotFound:
        return _page(request, services, actor, key, status_code=404)
    except DomainError as exc:
        return _page(request, services, actor, key, error=exc.message, status_code=exc.http_status)
    return _done(number, "attach")


@router.get("/attachments/{attachment_id}")
def attachment(
    attachment_id: int, request: Request, user: PageUser, actor: PageActor, services: ServicesDep
) -> Response:
    try:
        stored = services.attachments.open(actor, attachment_id)
    except DomainError as exc:
        return render(request, "error.html", {"title": "附件", "message": exc.message}, status_code=404)
    view = stored.view
    disposition = "inline" if view.content_type.startswith(INLINE_TYPES) else "attachment"
    return FileResponse(
        stored.path,
        media_type=view.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="attachment-{view.id}"; '
            f"filename*=UTF-8''{quote(view.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
    )


@router.post("/orders/{key}/duplicate", dependencies=[CsrfChecked])
def duplicate_decision(
    key: str,
    request: Request,
    user: PageUser,
    actor: PageActor,
    services: ServicesDep,
    decision: Annotated[str, Form()] = "",
    master: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        if decision not in ("merge", "dismiss"):
            raise ValidationFailed("请选择合并或排除", field="decision")
        if decision == "merge" and not master.strip():
            raise ValidationFailed("合并时须指定主工单", field="master")
        detail = services.duplicates.decide(
            actor, key, merge_into=master.strip() if decision == "merge" else None, note=note.strip()
        )
    except NotFound:
        return _page(request, services, actor, key, status_code=404)
    except DomainError as exc:
        return _page(request, services, actor, key, error=exc.message, status_code=exc.http_status)
    return _done(detail.summary.number, f"{decision}_duplicate")
