"""The citizens' pages at /portal: public, no login, phone-sized, simplified Chinese.

    GET  /portal                     home: 反映问题, 查询进度, and the place of 小南's chat
    GET  /portal/report              the report form (category, words, map click or address,
                                     photos from the camera, name and phone)
    POST /portal/report              register it (multipart) → the receipt with the order number
    GET  /portal/track               the look-up form (order number + last four phone digits)
    POST /portal/track               the order's progress, and the rating form when it is due
    POST /portal/rate                the rating (its callback) → what became of the order
    GET  /portal/boundaries.geojson  the towns' and villages' outlines for the map (public)

Forms carry the console's double-submit CSRF token (`web.deps.check_csrf`, the cookie set
by `render`). Look-ups are POSTed so that phone digits never appear in an address or a log.
The request guard (`kernel.http_guard`) limits the bodies before a route reads them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from zhiyun.accounts.client_address import client_address
from zhiyun.domain import portal as rules
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError, TooManyAttempts, ValidationFailed
from zhiyun.portal.service import Photo, PortalService, Report
from zhiyun.web.deps import CsrfChecked, ServicesDep
from zhiyun.web.templating import render

router = APIRouter(include_in_schema=False)

# Who acts on the portal: a member of the public without an account.
CITIZEN = Actor.citizen(None, "市民")
HONEYPOT_FIELD = "website"  # hidden from people (CSS and aria-hidden), filled by form robots
MAX_TEXT_FIELD = 8 * 1024  # characters of one text field read from the form


def _client(request: Request, services: ServicesDep) -> str:
    return client_address(request, services.settings.trusted_proxies)


def _portal(services: ServicesDep) -> PortalService:
    return services.get(PortalService)


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    headers = {}
    retry = context.pop("retry_after", None)
    if retry:
        headers["Retry-After"] = str(retry)
    return render(request, name, {"portal": True, **context}, status_code=status_code, headers=headers)


def _error_context(exc: DomainError) -> dict[str, Any]:
    fields = exc.details.get("fields") if isinstance(exc.details.get("fields"), dict) else None
    context: dict[str, Any] = {"error": exc.message, "fields": fields or {}}
    if isinstance(exc, TooManyAttempts):
        context["retry_after"] = exc.retry_after
    return context


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, "portal/home.html", {"title": "市民服务"})


# -- report ---------------------------------------------------------------------------------


def _report_form(
    request: Request, services: ServicesDep, values: dict[str, Any], **more: Any
) -> dict[str, Any]:
    return {
        "title": "反映问题",
        "groups": _portal(services).categories(),
        "v": values,
        "limits": {
            "photos": rules.MAX_PHOTOS,
            "photo_mb": rules.MAX_PHOTO_BYTES // (1024 * 1024),
            "total_mb": rules.MAX_PHOTOS_BYTES // (1024 * 1024),
        },
        "honeypot": HONEYPOT_FIELD,
        **more,
    }


@router.get("/portal/report", response_class=HTMLResponse)
def report_form(request: Request, services: ServicesDep) -> HTMLResponse:
    return _page(request, "portal/report.html", _report_form(request, services, {}))


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value[:MAX_TEXT_FIELD] if isinstance(value, str) else ""


def _coordinate(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValidationFailed("地图位置有误，请重新点选", field="location") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValidationFailed("地图位置有误，请重新点选", field="location")
    return value


async def _photos(form: Any) -> tuple[Photo, ...]:
    """The photos of the form, each read up to one byte past the per-photo limit (the service
    refuses it then), at most one more than the limit of photos."""
    photos: list[Photo] = []
    for item in form.getlist("photos"):
        if not isinstance(item, UploadFile):
            continue
        data = await item.read(rules.MAX_PHOTO_BYTES + 1)
        if data:
            photos.append(Photo((item.filename or "photo")[:120], data))
        if len(photos) > rules.MAX_PHOTOS:
            break
    return tuple(photos)


@router.post("/portal/report", response_class=HTMLResponse, dependencies=[CsrfChecked])
async def report(request: Request, services: ServicesDep) -> HTMLResponse:
    form = await request.form()  # parsed once already by the CSRF check, within the guard's limit
    values = {
        name: _text(form, name)
        for name in (
            "category_code",
            "content",
            "address",
            "latitude",
            "longitude",
            "citizen_name",
            "citizen_phone",
        )
    }
    try:
        submitted = Report(
            content=values["content"],
            citizen_phone=values["citizen_phone"],
            citizen_name=values["citizen_name"] or None,
            category_code=values["category_code"] or None,
            address=values["address"] or None,
            latitude=_coordinate(values["latitude"]),
            longitude=_coordinate(values["longitude"]),
            photos=await _photos(form),
            honeypot=_text(form, HONEYPOT_FIELD),
        )
        receipt = await run_in_threadpool(
            _portal(services).report, CITIZEN, submitted, client=_client(request, services)
        )
    except DomainError as exc:
        context = await run_in_threadpool(_report_form, request, services, values, **_error_context(exc))
        return _page(request, "portal/report.html", context, status_code=exc.http_status)
    finally:
        await form.close()
    return _page(request, "portal/receipt.html", {"title": "提交成功", "receipt": receipt})


# -- track and rate ---------------------------------------------------------------------------


@router.get("/portal/track", response_class=HTMLResponse)
def track_form(request: Request, number: str = "") -> HTMLResponse:
    return _page(request, "portal/track.html", {"title": "查询进度", "number": number[:40]})


@router.post("/portal/track", response_class=HTMLResponse, dependencies=[CsrfChecked])
def track(
    request: Request,
    services: ServicesDep,
    number: Annotated[str, Form(max_length=64)] = "",
    digits: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    try:
        progress = _portal(services).track(CITIZEN, number, digits, client=_client(request, services))
    except DomainError as exc:
        context = {"title": "查询进度", "number": number, **_error_context(exc)}
        return _page(request, "portal/track.html", context, status_code=exc.http_status)
    return _page(
        request,
        "portal/progress.html",
        {"title": "办理进度", "p": progress, "digits": digits, "ratings": rules.RATINGS},
    )


@router.post("/portal/rate", response_class=HTMLResponse, dependencies=[CsrfChecked])
def rate(
    request: Request,
    services: ServicesDep,
    number: Annotated[str, Form(max_length=64)] = "",
    digits: Annotated[str, Form(max_length=16)] = "",
    satisfaction: Annotated[str, Form(max_length=32)] = "",
    words: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    portal = _portal(services)
    client = _client(request, services)
    try:
        rated = portal.rate(CITIZEN, number, digits, rules.rating_of(satisfaction), words, client=client)
    except DomainError as exc:
        context = {"title": "评价", "number": number, **_error_context(exc)}
        return _page(request, "portal/rated.html", context, status_code=exc.http_status)
    return _page(request, "portal/rated.html", {"title": "评价", "number": number, "rated": rated})


@router.get("/portal/boundaries.geojson")
def boundaries(services: ServicesDep) -> JSONResponse:
    """The towns' and villages' outlines (public geography, no person's data) for the map."""
    return JSONResponse(services.geo.export_geojson(), media_type="application/geo+json")
