"""The admin area (系统管理): `/admin/<section>`, one section per thing a capability lets
administrators manage (users, org units, channels and keys, time limits, …).

The sections come from the installed capabilities (`Capability.admin`): each names an
`AdminPage` — what its page lists, what its forms do and, if it has one, its CSV export.
A form posts to the section's path with an `op` field, goes through the capability's
service (which asks the acting user's policy itself), and the page comes back with the
result or the service's Chinese message. Every section's policy also decides whether the
menu shows it and whether its page opens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.kernel.capability import AdminSection, resolve
from zhiyun.web.deps import AdminPageActor, CsrfChecked, PageForbidden, ServicesDep
from zhiyun.web.templating import render

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

router = APIRouter(prefix="/admin", include_in_schema=False)

Outcome = str | tuple[str, dict[str, Any]]  # the message shown, and what the page shows once


@dataclass(frozen=True)
class AdminPage:
    """What one admin section does: `context` lists, `post` changes (returns the message),
    `export` answers `/admin/<key>/export.csv` with (file name, CSV text)."""

    context: Callable[[Services, Actor], dict[str, Any]]
    post: Callable[[Services, Actor, FormData], Outcome]
    export: Callable[[Services, Actor], tuple[str, str]] | None = None
    # A section whose list needs the page's query (filters, a search) lists with this instead.
    filtered: Callable[[Services, Actor, Mapping[str, str]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class InstalledSection:
    declared: AdminSection
    page: AdminPage


def install_sections(sections: list[AdminSection]) -> dict[str, InstalledSection]:
    """The admin sections of the installed capabilities, in menu order, their pages resolved."""
    ordered = sorted(enumerate(sections), key=lambda pair: (pair[1].order, pair[0]))
    installed: dict[str, InstalledSection] = {}
    for _, section in ordered:
        page = resolve(section.ref)
        if not isinstance(page, AdminPage):
            raise TypeError(f"admin section {section.key!r}: {section.ref} is no AdminPage")
        if section.key in installed:
            raise ValueError(f"two admin sections are called {section.key!r}")
        installed[section.key] = InstalledSection(section, page)
    return installed


def _installed(request: Request) -> dict[str, InstalledSection]:
    sections: dict[str, InstalledSection] = request.app.state.admin_sections
    return sections


# -- form helpers for the sections ---------------------------------------------------------------


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def text(form: FormData, name: str) -> str:
    """A form field's text, stripped; '' when it is missing or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def upload_text(form: FormData, name: str) -> str:
    """An uploaded UTF-8 CSV file's text (a BOM is dropped)."""
    value = form.get(name)
    if not isinstance(value, UploadFile):
        raise ValidationFailed("请选择要导入的文件", field=name)
    data = value.file.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("文件须为 UTF-8 编码的 CSV", field=name) from exc


def operation(form: FormData) -> str:
    return text(form, "op")


# -- routes --------------------------------------------------------------------------------------


def _menu(request: Request, actor: Actor) -> list[tuple[str, str]]:
    """The admin sections `actor` may open (the menu shows only those)."""
    return [(key, s.declared.label) for key, s in _installed(request).items() if s.declared.shows(actor)]


def _section(request: Request, actor: Actor, key: str) -> InstalledSection | None:
    section = _installed(request).get(key)
    if section is not None and not section.declared.shows(actor):
        raise PageForbidden("您没有权限访问此管理页面")
    return section


def _not_found(request: Request) -> HTMLResponse:
    return render(
        request, "error.html", {"title": "页面不存在", "message": "没有这个管理页面"}, status_code=404
    )


def _render(
    request: Request,
    services: Services,
    actor: Actor,
    key: str,
    section: InstalledSection,
    *,
    message: str | None = None,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "系统管理",
        "sections": _menu(request, actor),
        "section": key,
        "message": message,
        "error": error,
        **(
            section.page.filtered(services, actor, dict(request.query_params))
            if section.page.filtered is not None
            else section.page.context(services, actor)
        ),
        **(extra or {}),
    }
    return render(request, f"admin/{key}.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def admin_home(request: Request, actor: AdminPageActor, services: ServicesDep) -> HTMLResponse:
    menu = _menu(request, actor)
    if not menu:
        raise PageForbidden("您没有权限访问管理页面")
    key = menu[0][0]
    return _render(request, services, actor, key, _installed(request)[key])


@router.get("/{key}", response_class=HTMLResponse)
def admin_page(key: str, request: Request, actor: AdminPageActor, services: ServicesDep) -> Response:
    section = _section(request, actor, key)
    if section is None:
        return _not_found(request)
    return _render(request, services, actor, key, section)


@router.post("/{key}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def admin_post(
    key: str, request: Request, actor: AdminPageActor, services: ServicesDep, form: FormDep
) -> Response:
    section = _section(request, actor, key)
    if section is None:
        return _not_found(request)
    try:
        outcome = section.page.post(services, actor, form)
    except DomainError as exc:
        return _render(request, services, actor, key, section, error=exc.message, status_code=exc.http_status)
    message, extra = outcome if isinstance(outcome, tuple) else (outcome, {})
    return _render(request, services, actor, key, section, message=message, extra=extra)


@router.get("/{key}/export.csv")
def admin_export(key: str, request: Request, actor: AdminPageActor, services: ServicesDep) -> Response:
    section = _section(request, actor, key)
    if section is None or section.page.export is None:
        return Response("没有可导出的内容", status_code=404, media_type="text/plain; charset=utf-8")
    filename, content = section.page.export(services, actor)
    return Response(
        "\ufeff" + content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
