"""The order page: every field, the map, the timeline, attachments, duplicates and the action forms.

Every action is a plain form (works without JavaScript and from the keyboard) posted to
/orders/{key}/actions/{action}; it goes through WorkOrderService.act like the API's, and a
refused action (409 conflict, 403, 422) shows the page again with the Chinese message.

An order opened from a workbench list carries that list in its address (`?queue=to_sign&…`,
the list's filters and sort): the page offers 下一件 (GET /orders/{key}/next, the next order
of that list by its sort) and 返回, and every form keeps the list through its redirect.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import DomainError, NotFound, ValidationFailed
from zhiyun.domain.order_query import QUEUE_BY_KEY, OrderQuery
from zhiyun.domain.org import OrgTree
from zhiyun.domain.workorder import Action
from zhiyun.orders.pages.actions import CANCEL_REASONS, SATISFACTIONS, attachment_ids, command_of, forms_for
from zhiyun.orders.pages.forms import LIST_FIELDS, list_query, query_string
from zhiyun.orders.pages.printing import center_name
from zhiyun.orders.pages.stored import channel_facts, photo_groups
from zhiyun.web.deps import CsrfChecked, PageActor, PageUser, ServicesDep, page_user
from zhiyun.web.templating import local_time, render
from zhiyun.web.views import unit_label, with_manual

router = APIRouter(include_in_schema=False)

DONE_MESSAGES = {a.value: f"已{a.label}" for a in Action} | {
    "hand_up": "已上报",
    "attach": "附件已上传",
    "merge_duplicate": "已合并为重复件",
    "dismiss_duplicate": "已排除疑似重复",
    # the seat (受理登记, hotline/pages.py)
    "registered_resolve": "已受理并即时办结",
    "registered_dispatch": "已受理并派单",
    "registered_hold": "已受理登记，暂存待分拨",
    "registered_files_failed": "已受理登记，但有附件未能上传：请在本页重新上传",
    "repeat_call": "已记录重复来电，工单催办次数加一",
}
INLINE_TYPES = ("image/", "application/pdf", "text/plain", "audio/", "video/")
ROLE_LABELS = {r.value: r.label for r in Role}


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def _from_list(services: ServicesDep, actor: Actor, request: Request) -> tuple[OrderQuery, str] | None:
    """The workbench list the order was opened from (its queue, filters and sort, from the
    address) and that list's query string; None when the address names no list of the user's."""
    params = request.query_params
    if not params.get("queue"):
        return None
    query, errors = list_query(params)
    if errors or query.queue not in {q.key for q in services.worklists.queues(actor)}:
        return None
    return query, query_string(params)


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
    from_list = _from_list(services, actor, request)
    list_qs = from_list[1] if from_list else ""
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
        "grid_hazards": page.panels.get("grid_hazards"),  # the grid capability's (a grid order)
        "knowledge_answers": page.panels.get("knowledge_answers"),  # the knowledge base's (a consultation)
        "error": error,
        "error_action": error_action,
        "done": DONE_MESSAGES.get(request.query_params.get("done", "")),
        "unit_path": org.path_names(current.id) if current else "",
        "category_name": page.panels.get("category_name"),
        "list_qs": list_qs,
        "list_suffix": f"?{list_qs}" if list_qs else "",
        "queue_label": QUEUE_BY_KEY[from_list[0].queue].label if from_list else "",
        "end_of_queue": bool(from_list) and request.query_params.get("end") == "1",
        "photos": photo_groups(detail.attachments, page.transitions, local_time),
        "facts": channel_facts(page.transitions, services.settings.recording_url),
        "center_name": center_name(org),
        "printed_at": services.clock(),
    }
    return render(request, "order.html", context, status_code=status_code)


@router.get("/orders/{key}", response_class=HTMLResponse)
def order_page(
    key: str, request: Request, user: PageUser, actor: PageActor, services: ServicesDep
) -> HTMLResponse:
    return _page(request, services, actor, key)


@router.get("/orders/{key}/next")
def next_order(
    key: str, request: Request, user: PageUser, actor: PageActor, services: ServicesDep
) -> Response:
    """下一件: the order after this one in the list it was opened from (by the list's sort,
    from the top again after the last); this order again with a note when the list holds no
    other."""
    from_list = _from_list(services, actor, request)
    if from_list is None:
        return RedirectResponse(f"/orders/{quote(key)}", status_code=303)
    query, list_qs = from_list
    try:
        number = services.live.next_in_queue(actor, key, query)
    except NotFound:
        return _page(request, services, actor, key, status_code=404)
    except DomainError as exc:
        return _page(request, services, actor, key, error=exc.message, status_code=exc.http_status)
    if number is None:
        return RedirectResponse(f"/orders/{quote(key)}?{list_qs}&end=1", status_code=303)
    return RedirectResponse(f"/orders/{quote(number)}?{list_qs}", status_code=303)


def _done(number: str, what: str, request: Request | None = None) -> RedirectResponse:
    """Back to the order after a change, keeping the list it was opened from."""
    kept = {k: v for k in LIST_FIELDS if (v := request.query_params.get(k))} if request else {}
    return RedirectResponse(f"/orders/{quote(number)}?{urlencode({**kept, 'done': what})}", status_code=303)


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
    return _done(detail.summary.number, "hand_up" if hands_up else chosen.value, request)


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
    return _done(number, "attach", request)


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
    return _done(detail.summary.number, f"{decision}_duplicate", request)
