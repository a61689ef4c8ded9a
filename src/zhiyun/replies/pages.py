"""The console's quick replies (常用语): every user's own set at /replies (我的常用语), and the
admin section 系统管理 → 常用语 where admins keep the sets of their unit and the units below.

Both pages are plain forms (add, change, delete) that go through `QuickReplyService`, which
asks the policies itself. The snippets are inserted into the note fields by
`static/js/quick-replies.js` (type “/” and a keyword), which reads them from the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.replies.placeholders import PLACEHOLDERS
from zhiyun.replies.service import QuickReplyInput, QuickReplyService, Scope
from zhiyun.web.admin import AdminPage, FormDep, Outcome, operation, text
from zhiyun.web.deps import CsrfChecked, PageActor, PageUser, ServicesDep
from zhiyun.web.templating import render

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

router = APIRouter(include_in_schema=False)

DONE = {"add": "已添加常用语", "update": "已保存常用语", "delete": "已删除常用语"}


def _service(services: Services) -> QuickReplyService:
    return services.get(QuickReplyService)


def _id(form: FormData, name: str = "id") -> int:
    value = text(form, name)
    if not value.isdigit() or not 0 < int(value) < 2**31:
        raise ValidationFailed("常用语编号不正确", field=name)
    return int(value)


def _input(form: FormData) -> QuickReplyInput:
    """A snippet from a posted form (the text keeps its lines)."""
    raw = form.get("text")
    order = text(form, "sort_order") or "0"
    try:
        sort_order = int(order)
    except ValueError:
        raise ValidationFailed("排序须为整数", field="sort_order") from None
    return QuickReplyInput(
        title=text(form, "title"),
        text=raw if isinstance(raw, str) else "",
        sort_order=sort_order,
        active=text(form, "active") == "yes",
    )


def _change(services: Services, actor: Actor, form: FormData, scope: Scope) -> str:
    """Apply a posted add, update or delete; the message to show."""
    replies = _service(services)
    op = operation(form)
    if op == "add":
        unit_id = _id(form, "unit_id") if scope is Scope.UNIT else None
        created = replies.create(actor, scope, _input(form), unit_id=unit_id)
        return f"已添加常用语“{created.title}”"
    if op == "update":
        changed = replies.update(actor, _id(form), _input(form))
        return f"已保存常用语“{changed.title}”"
    if op == "delete":
        gone = replies.delete(actor, _id(form))
        return f"已删除常用语“{gone.title}”"
    raise ValidationFailed("未知的操作")


# -- 我的常用语: /replies ----------------------------------------------------------------------


def _personal_page(
    request: Request,
    services: Services,
    actor: Actor,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    replies = _service(services)
    shared = [e.reply for e in replies.usable(actor) if e.reply.scope is Scope.UNIT]
    context: dict[str, Any] = {
        "title": "我的常用语",
        "mine": replies.personal(actor),
        "shared": shared,
        "placeholders": PLACEHOLDERS,
        "message": message,
        "error": error,
    }
    return render(request, "replies.html", context, status_code=status_code)


@router.get("/replies", response_class=HTMLResponse)
def personal_page(request: Request, user: PageUser, actor: PageActor, services: ServicesDep) -> HTMLResponse:
    return _personal_page(request, services, actor, message=DONE.get(request.query_params.get("done", "")))


@router.post("/replies", dependencies=[CsrfChecked])
def personal_post(
    request: Request, user: PageUser, actor: PageActor, services: ServicesDep, form: FormDep
) -> Response:
    try:
        _change(services, actor, form, Scope.PERSONAL)
    except DomainError as exc:
        return _personal_page(request, services, actor, error=exc.message, status_code=exc.http_status)
    return RedirectResponse(f"/replies?done={operation(form)}", status_code=303)


# -- 系统管理 → 常用语 ---------------------------------------------------------------------------


def _admin_context(services: Services, actor: Actor) -> dict[str, Any]:
    replies = _service(services)
    return {
        "sets": replies.kept_sets(actor),
        "units": replies.kept_units(actor),
        "placeholders": PLACEHOLDERS,
    }


def _admin_post(services: Services, actor: Actor, form: FormData) -> Outcome:
    message = _change(services, actor, form, Scope.UNIT)
    if operation(form) == "add":  # the next snippet most likely goes to the same unit
        return message, {"selected_unit": _id(form, "unit_id")}
    return message


QUICK_REPLIES = AdminPage(context=_admin_context, post=_admin_post)
