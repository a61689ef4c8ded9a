"""Admin pages (系统管理, admin role only): users, org units, channels and keys, time limits,
calendar overrides, the taxonomy and the responsibility list.

Each page lists what there is and offers its forms; a form posts to the same path with an
`op` field, goes through the capability's service, and the page comes back with the result
or the service's Chinese message. A new channel key is shown once, on the page that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from zhiyun.domain.access import (
    STAFF_ROLES,
    Actor,
    may_administer_calendar,
    may_administer_catalog,
    may_administer_channels,
    may_administer_org,
    may_administer_users,
)
from zhiyun.domain.deadlines import LimitUnit
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.domain.org import UnitKind
from zhiyun.org.service import UnitRecord, parse_units
from zhiyun.web.deps import AdminPageActor, CsrfChecked, PageForbidden, ServicesDep
from zhiyun.web.templating import render
from zhiyun.web.views import org_tree

router = APIRouter(prefix="/admin", include_in_schema=False)

SECTIONS = (
    ("users", "用户"),
    ("units", "组织机构"),
    ("channels", "渠道与密钥"),
    ("time-limits", "办理时限"),
    ("calendar", "工作日历"),
    ("taxonomy", "事项分类"),
    ("responsibility", "权责清单"),
)
# Who may open each page and post its forms: the policy its service asks too.
SECTION_POLICIES: dict[str, Callable[[Actor], bool]] = {
    "users": may_administer_users,
    "units": may_administer_org,
    "channels": may_administer_channels,
    "time-limits": may_administer_calendar,
    "calendar": may_administer_calendar,
    "taxonomy": may_administer_catalog,
    "responsibility": may_administer_catalog,
}
LIMIT_UNITS = [(LimitUnit.WORKDAYS.value, "工作日"), (LimitUnit.HOURS.value, "小时")]


async def posted_form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _upload_text(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, UploadFile):
        raise ValidationFailed("请选择要导入的文件", field=name)
    data = value.file.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("文件须为 UTF-8 编码的 CSV", field=name) from exc


def _section_context(section: str, services: ServicesDep) -> dict[str, Any]:
    """What each admin page lists."""
    if section == "users":
        org = org_tree(services)
        return {
            "users": services.accounts.list_users(),
            "tokens": services.accounts.live_tokens_by_user(),
            "roles": [(r.value, r.label) for r in STAFF_ROLES],
            "units": sorted(((u.code, u.name) for u in org.units.values()), key=lambda x: x[0]),
        }
    if section == "units":
        org = org_tree(services)
        rows = []
        for record in services.org.records():
            rows.append(record)
        return {
            "records": rows,
            "kinds": [(k.value, k.label) for k in UnitKind],
            "kind_labels": {k.value: k.label for k in UnitKind},
            "names": {u.code: u.name for u in org.units.values()},
        }
    if section == "channels":
        return {"channels": services.channels.channels(with_activity=True)}
    if section == "time-limits":
        return {
            "limits": services.policy.time_limits(),
            "limit_units": LIMIT_UNITS,
            "unit_labels": dict(LIMIT_UNITS),
        }
    if section == "calendar":
        return {"overrides": services.policy.overrides(), "years": services.policy.known_years()}
    if section == "taxonomy":
        taxonomy = getattr(services, "taxonomy", None)
        return {"available": taxonomy is not None, "categories": taxonomy.categories() if taxonomy else []}
    if section == "responsibility":
        rules = getattr(services, "responsibility", None)
        return {"available": rules is not None, "rules": rules.rules() if rules else []}
    return {}


def _sections(actor: Actor) -> list[tuple[str, str]]:
    """The admin pages `actor` may open (the menu shows only those)."""
    return [(key, label) for key, label in SECTIONS if SECTION_POLICIES[key](actor)]


def _allowed(actor: Actor, section: str) -> None:
    if not SECTION_POLICIES[section](actor):
        raise PageForbidden("您没有权限访问此管理页面")


def _render(
    request: Request,
    services: ServicesDep,
    actor: Actor,
    section: str,
    *,
    message: str | None = None,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "title": "系统管理",
        "sections": _sections(actor),
        "section": section,
        "message": message,
        "error": error,
        **_section_context(section, services),
        **(extra or {}),
    }
    return render(request, f"admin/{section}.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def admin_home(request: Request, actor: AdminPageActor, services: ServicesDep) -> HTMLResponse:
    sections = _sections(actor)
    if not sections:
        raise PageForbidden("您没有权限访问管理页面")
    return _render(request, services, actor, sections[0][0])


@router.get("/{section}", response_class=HTMLResponse)
def admin_page(section: str, request: Request, actor: AdminPageActor, services: ServicesDep) -> Response:
    if section not in dict(SECTIONS):
        return render(
            request, "error.html", {"title": "页面不存在", "message": "没有这个管理页面"}, status_code=404
        )
    _allowed(actor, section)
    return _render(request, services, actor, section)


# -- operations ---------------------------------------------------------------------------------

Op = Callable[[ServicesDep, Actor, FormData], "str | tuple[str, dict[str, Any]]"]


def _users(services: ServicesDep, actor: Actor, form: FormData) -> str:
    op = _text(form, "op")
    if op == "add":
        created = services.accounts.add_user(
            actor,
            username=_text(form, "username"),
            password=_text(form, "password"),
            role=_text(form, "role"),
            unit_code=_text(form, "unit_code") or None,
            display_name=_text(form, "display_name") or None,
            phone=_text(form, "phone") or None,
        )
        return f"已添加用户 {created.username}"
    if op in ("disable", "enable"):
        username = _text(form, "username")
        services.accounts.set_active(actor, username, op == "enable")
        if op == "disable":
            return f"已停用用户 {username}，其登录会话和 API 令牌已失效"
        return f"已启用用户 {username}"
    if op == "password":
        services.accounts.set_password(actor, _text(form, "username"), _text(form, "password"))
        return f"已重置 {_text(form, 'username')} 的密码，其登录会话和 API 令牌已失效"
    if op == "revoke_token":
        owner = services.accounts.user_by_name(_text(form, "username"))
        token_id = _text(form, "token_id")
        if not token_id.isdigit() or not 0 < int(token_id) < 2**31:
            raise ValidationFailed("令牌编号不正确", field="token_id")
        token = services.accounts.revoke_token(actor, owner.id, int(token_id))
        return f"已吊销 {owner.username} 的令牌「{token.name}」（{token.prefix}…）"
    raise ValidationFailed("未知的操作")


def _units(services: ServicesDep, actor: Actor, form: FormData) -> str:
    op = _text(form, "op")
    if op == "save":
        aliases = tuple(a.strip() for a in _text(form, "aliases").replace("，", ",").split(",") if a.strip())
        record = UnitRecord(
            code=_text(form, "code"),
            name=_text(form, "name"),
            kind=_text(form, "kind"),
            parent_code=_text(form, "parent_code") or None,
            aliases=aliases,
        )
        current = [r for r in services.org.records() if r.code != record.code]
        report = services.org.import_records(actor, [*current, record])
    elif op == "import":
        report = services.org.import_records(actor, parse_units(_upload_text(form, "file"), "csv"))
    else:
        raise ValidationFailed("未知的操作")
    if report.problems:
        raise ValidationFailed("；".join(report.problems))
    return f"新增 {report.created} 个，更新 {report.updated} 个，未变 {report.unchanged} 个"


def _channels(services: ServicesDep, actor: Actor, form: FormData) -> str | tuple[str, dict[str, Any]]:
    op, code = _text(form, "op"), _text(form, "code")
    if op == "key":
        issued = services.channels.issue_key(actor, code)
        return f"已为渠道 {code} 生成新密钥", {"new_key": issued}
    if op == "revoke":
        count = services.channels.revoke_keys(actor, code, _text(form, "prefix") or None)
        return f"已吊销 {count} 个密钥"
    if op in ("enable", "disable"):
        services.channels.configure(actor, code, enabled=op == "enable")
        return f"已{'启用' if op == 'enable' else '停用'}渠道 {code}"
    raise ValidationFailed("未知的操作")


def _amount(form: FormData, name: str, label: str) -> int:
    value = _text(form, name)
    if not value.isdigit() or not 0 < int(value) <= 3650:
        raise ValidationFailed(f"{label}须为 1–3650 的整数", field=name)
    return int(value)


def _time_limits(services: ServicesDep, actor: Actor, form: FormData) -> str:
    view = services.policy.set_time_limit(
        actor,
        _text(form, "order_type"),
        _text(form, "urgency"),
        (_amount(form, "sign_amount", "签收时限"), _text(form, "sign_unit")),
        (_amount(form, "reply_amount", "办理时限"), _text(form, "reply_unit")),
    )
    return f"已更新「{view.order_type_label}·{view.urgency_label}」的时限"


def _calendar(services: ServicesDep, actor: Actor, form: FormData) -> str:
    op = _text(form, "op")
    if op == "set":
        try:
            day = date.fromisoformat(_text(form, "day"))
        except ValueError as exc:
            raise ValidationFailed("日期格式须为 YYYY-MM-DD", field="day") from exc
        kind = _text(form, "kind")
        if kind not in ("workday", "holiday", "default"):
            raise ValidationFailed("请选择上班、休息或恢复法定安排", field="kind")
        services.policy.set_day(actor, day, kind, _text(form, "note"))
        return f"已设置 {day.isoformat()}"
    if op == "confirm":
        year = _text(form, "year")
        if not year.isdigit():
            raise ValidationFailed("年份须为数字", field="year")
        services.policy.confirm_year(actor, int(year))
        return f"已确认 {year} 年的节假日安排"
    raise ValidationFailed("未知的操作")


def _taxonomy(services: ServicesDep, actor: Actor, form: FormData) -> str:
    taxonomy = getattr(services, "taxonomy", None)
    if taxonomy is None:
        raise ValidationFailed("事项分类服务尚未启用")
    report = taxonomy.import_csv(actor, _upload_text(form, "file"), replace=_text(form, "replace") == "yes")
    return f"新增 {report.created} 个，更新 {report.updated} 个，未变 {report.unchanged} 个，删除 {report.removed} 个"


def _responsibility(services: ServicesDep, actor: Actor, form: FormData) -> str:
    rules = getattr(services, "responsibility", None)
    if rules is None:
        raise ValidationFailed("权责清单服务尚未启用")
    counts = rules.import_csv(actor, _upload_text(form, "file"), replace=_text(form, "replace") == "yes")
    return "导入完成：" + "，".join(str(n) for n in counts) + "（新增，更新，未变，删除）"


OPS: dict[str, Op] = {
    "users": _users,
    "units": _units,
    "channels": _channels,
    "time-limits": _time_limits,
    "calendar": _calendar,
    "taxonomy": _taxonomy,
    "responsibility": _responsibility,
}


@router.post("/{section}", response_class=HTMLResponse, dependencies=[CsrfChecked])
def admin_post(
    section: str, request: Request, actor: AdminPageActor, services: ServicesDep, form: FormDep
) -> Response:
    op = OPS.get(section)
    if op is None:
        return render(
            request, "error.html", {"title": "页面不存在", "message": "没有这个管理页面"}, status_code=404
        )
    _allowed(actor, section)
    try:
        outcome = op(services, actor, form)
    except DomainError as exc:
        return _render(request, services, actor, section, error=exc.message, status_code=exc.http_status)
    message, extra = outcome if isinstance(outcome, tuple) else (outcome, {})
    return _render(request, services, actor, section, message=message, extra=extra)


@router.get("/{section}/export.csv")
def admin_export(section: str, actor: AdminPageActor, services: ServicesDep) -> Response:
    service = {"taxonomy": "taxonomy", "responsibility": "responsibility"}.get(section)
    target = getattr(services, service, None) if service else None
    if target is None:
        return Response("没有可导出的内容", status_code=404, media_type="text/plain; charset=utf-8")
    _allowed(actor, section)
    return Response(
        "\ufeff" + target.export_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{section}.csv"'},
    )
