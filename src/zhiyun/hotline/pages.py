"""The seat's console pages: `/orders/new` (受理登记) and its live panels.

One form, usable with the keyboard alone while on the phone: the caller (phone prefilled from
the telephony system's `?phone=…&call_id=…`), the matter, the place, files, and three submit
buttons for the outcome. As the agent types, htmx fetches the caller's history
(`/hotline/history`), the suggestions (`/hotline/suggest`: category, responsible unit with the
reason, place, possible duplicates) and place names (`/hotline/places`). A repeat of an open
order is one button in the history (`/hotline/repeat`). Every post goes through SeatService,
which asks `may_take_calls` itself; a refusal shows the form again with the message and
everything typed kept.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor, may_take_calls
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.hotline.service import GENDERS, Call, Draft, Outcome, SeatService
from zhiyun.orders.service import NewOrder
from zhiyun.web.deps import CsrfChecked, PageActor, PageForbidden, ServicesDep
from zhiyun.web.templating import render
from zhiyun.web.views import category_choices, dispatch_targets

router = APIRouter(include_in_schema=False)

ORDER_TYPES = [(t.value, t.label) for t in OrderType]
URGENCIES = [(u.value, u.label) for u in Urgency]
OUTCOMES = [(o.value, o.label) for o in Outcome]


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def _seat(services: ServicesDep) -> SeatService:
    return services.get(SeatService)


SeatDep = Annotated[SeatService, Depends(_seat)]


def _agent(actor: PageActor) -> Actor:
    if not may_take_calls(actor):
        raise PageForbidden("受理登记仅供话务员、派单员和管理员使用")
    return actor


AgentActor = Annotated[Actor, Depends(_agent)]


def _text(form: FormData | dict[str, Any], name: str, limit: int = 5000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _choice(value: str, allowed: type[OrderType] | type[Urgency], default: Any) -> Any:
    try:
        return allowed(value) if value else default
    except ValueError:
        raise ValidationFailed("选项不正确") from None


def _coordinate(form: FormData, name: str) -> float | None:
    text = _text(form, name, 32)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationFailed("坐标须为数字", field=name) from None


def _form_page(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    values: dict[str, str],
    *,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "受理登记",
        "v": values,
        "order_types": ORDER_TYPES,
        "urgencies": URGENCIES,
        "genders": list(GENDERS.items()),
        "outcomes": OUTCOMES,
        "targets": dispatch_targets(services, actor),
        "categories": category_choices(services),
        "error": error,
        "field_errors": fields or {},
    }
    return render(request, "hotline/new.html", context, status_code=status_code)


@router.get("/orders/new", response_class=HTMLResponse)
def new_call(request: Request, actor: AgentActor, services: ServicesDep) -> HTMLResponse:
    """The registration form; `?phone=` and `?call_id=` come from the telephony system."""
    params = request.query_params
    values = {
        "citizen_phone": (params.get("phone") or "")[:32],
        "call_id": (params.get("call_id") or "")[:64],
        "recording_id": (params.get("recording_id") or "")[:64],
    }
    return _form_page(request, services, actor, values)


@router.post("/orders/new", dependencies=[CsrfChecked])
def register_call(
    request: Request, actor: AgentActor, services: ServicesDep, seat: SeatDep, form: FormDep
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    try:
        call = _call_of(form)
        result = seat.register_call(actor, call)
    except ValidationFailed as exc:
        fields = exc.details.get("fields")
        named = {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else {}
        field = exc.details.get("field")
        if isinstance(field, str) and field not in named:
            named[field] = exc.message
        return _form_page(request, services, actor, values, error=exc.message, fields=named, status_code=422)
    except DomainError as exc:
        return _form_page(request, services, actor, values, error=exc.message, status_code=exc.http_status)
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    problems: list[str] = []
    for upload in uploads:
        try:
            services.attachments.add(actor, result.order_id, upload.filename or "file", upload.file)
        except DomainError as exc:
            problems.append(f"{upload.filename}：{exc.message}")
    done = "registered_files_failed" if problems else f"registered_{result.outcome.value}"
    return RedirectResponse(f"/orders/{quote(result.number)}?done={done}", status_code=303)


def _call_of(form: FormData) -> Call:
    outcome_text = _text(form, "outcome", 16) or Outcome.HOLD.value
    try:
        outcome = Outcome(outcome_text)
    except ValueError:
        raise ValidationFailed("请选择办理方式：即时办结、派单或暂存", field="outcome") from None
    target_text = _text(form, "target_unit_id", 16)
    if target_text and (not target_text.isdigit() or int(target_text) >= 2**31):
        raise ValidationFailed("承办单位不正确", field="target_unit_id")
    gender = _text(form, "gender", 16) or None
    item_text = _text(form, "knowledge_item_id", 16)
    if item_text and (not item_text.isdigit() or int(item_text) >= 2**31):
        raise ValidationFailed("知识点不正确", field="knowledge_item_id")
    order = NewOrder(
        title=_text(form, "title", 300),
        content=_text(form, "content"),
        order_type=_choice(_text(form, "order_type", 20), OrderType, OrderType.HELP),
        urgency=_choice(_text(form, "urgency", 10), Urgency, Urgency.NORMAL),
        citizen_name=_text(form, "citizen_name", 100) or None,
        citizen_phone=_text(form, "citizen_phone", 32) or None,
        category_code=_text(form, "category_code", 64) or None,
        address=_text(form, "address", 500) or None,
        latitude=_coordinate(form, "latitude"),
        longitude=_coordinate(form, "longitude"),
        confidential=_text(form, "confidential", 8) in ("on", "1", "true", "yes"),
    )
    return Call(
        order=order,
        outcome=outcome,
        reply=_text(form, "reply"),
        target_unit_id=int(target_text) if target_text else None,
        call_id=_text(form, "call_id", 64) or None,
        recording_id=_text(form, "recording_id", 64) or None,
        gender=gender,
        # the item is recorded with 即时办结 only (filled in, then dispatched: a dispatch note)
        knowledge_item_id=int(item_text) if item_text and outcome is Outcome.RESOLVE else None,
    )


# -- live panels (htmx partials) -------------------------------------------------------------


@router.get("/hotline/history", response_class=HTMLResponse)
def caller_history(
    request: Request, actor: AgentActor, seat: SeatDep, citizen_phone: str = ""
) -> HTMLResponse:
    """The caller's earlier orders beside the form; an open one offers 重复来电 in one click."""
    phone = citizen_phone[:32]
    context: dict[str, Any] = {"history": None, "error": None, "phone": phone}
    if phone.strip():
        try:
            context["history"] = seat.caller_history(actor, phone)
        except ValidationFailed as exc:
            context["error"] = exc.message
    return render(request, "hotline/_history.html", context)


@router.post("/hotline/suggest", response_class=HTMLResponse, dependencies=[CsrfChecked])
def suggest(request: Request, actor: AgentActor, seat: SeatDep, form: FormDep) -> HTMLResponse:
    """Category, responsible unit with the reason, place and possible duplicates for the draft."""
    try:
        draft = Draft(
            title=_text(form, "title", 300),
            content=_text(form, "content"),
            address=_text(form, "address", 500),
            phone=_text(form, "citizen_phone", 32),
            order_type=_choice(_text(form, "order_type", 20), OrderType, OrderType.HELP),
            urgency=_choice(_text(form, "urgency", 10), Urgency, Urgency.NORMAL),
            latitude=_coordinate(form, "latitude"),
            longitude=_coordinate(form, "longitude"),
        )
        suggestions = seat.suggest(actor, draft)
    except ValidationFailed as exc:
        return render(request, "hotline/_suggest.html", {"s": None, "error": exc.message})
    return render(request, "hotline/_suggest.html", {"s": suggestions, "error": None})


@router.get("/hotline/places", response_class=HTMLResponse)
def places(request: Request, actor: AgentActor, seat: SeatDep, address: str = "") -> HTMLResponse:
    """`<option>`s of place names for the address field's datalist."""
    return render(request, "hotline/_places.html", {"places": seat.places(actor, address[:100])})


@router.post("/hotline/repeat", dependencies=[CsrfChecked])
def repeat_call(request: Request, actor: AgentActor, seat: SeatDep, form: FormDep) -> Response:
    """This call repeats an open order: recorded on it (重复来电), no new order."""
    key = _text(form, "order", 64)
    try:
        number = seat.repeat_call(actor, key, _text(form, "note"))
    except DomainError as exc:
        return render(
            request,
            "error.html",
            {"title": "无法记录重复来电", "message": exc.message},
            status_code=exc.http_status,
        )
    return RedirectResponse(f"/orders/{quote(number)}?done=repeat_call", status_code=303)
