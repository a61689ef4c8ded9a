"""The Open311 POST Service Request form, turned into an intake draft.

Pure: no I/O. `draft_from_form` turns the form of a POST Service Request (the
`application/x-www-form-urlencoded` fields, `attribute[code]=value` and repeated
`attribute[code][]=value` for multi-value lists) into an IntakeDraft, checking what the
specification requires: a known service_code, a location (lat & long, or address_string, or
address_id), the service definition's required attributes and list values, a description of
at most 4,000 characters without markup. Errors: NotFound for an unknown service_code (the
spec answers 404), ValidationFailed with a message per field for the rest (400).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.intake.draft import IntakeDraft
from zhiyun.kernel.geo import CoordSystem, validate_coordinates
from zhiyun.kernel.normalize import SHANGHAI, to_utc
from zhiyun.open311.catalog import MAX_DESCRIPTION, Attribute, Datatype, service

MAX_NAME = 50
MAX_STRING_ATTRIBUTE = 200
MAX_EXTRA_ATTRIBUTES = 50
MAX_EXTRA_VALUE = 1000
MAX_MEDIA_URLS = 10
MAX_IDENT = 128
MARKUP = re.compile(r"<\s*/?\s*[a-z!][^>]*>|javascript\s*:|\bon[a-z]+\s*=\s*[\"']", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]{1,255}\.[^@\s<>]{2,}$")
URL = re.compile(r"^https?://[^\s<>\"]{1,990}$", re.IGNORECASE)
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")
ATTRIBUTE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

# --------------------------------------------------------------------------- the POST form


FormValue = str | Sequence[str]


def _values(form: Mapping[str, FormValue], key: str) -> list[str]:
    raw = form.get(key)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [str(v) for v in items]


def _scalar(form: Mapping[str, FormValue], key: str) -> str | None:
    """A single-valued field: the last value sent (as PHP and most servers read a repeat), trimmed.

    Empty counts as absent: the spec's "Optional Arguments" treat an empty parameter as one not sent.
    """
    values = [v.strip() for v in _values(form, key)]
    values = [v for v in values if v]
    return values[-1] if values else None


def _has_markup(text: str) -> bool:
    return bool(MARKUP.search(text))


def _attribute_values(form: Mapping[str, FormValue]) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2, as code -> values."""
    found: dict[str, list[str]] = {}
    for key in form:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        values = [v.strip() for v in _values(form, key)]
        found.setdefault(match.group(1), []).extend(v for v in values if v)
    return found


def _check_attribute(attr: Attribute, values: list[str], errors: dict[str, str]) -> Any:
    """The attribute's value as kept (a string, a number, a list of keys); records errors."""
    field = f"attribute[{attr.code}]"
    if attr.datatype is Datatype.MULTIVALUELIST:
        keys = {k for k, _ in attr.values}
        unknown = [v for v in values if v not in keys]
        if unknown:
            errors[field] = f"取值 {', '.join(unknown[:5])} 不在可选值中（{', '.join(sorted(keys))}）"
            return None
        return list(dict.fromkeys(values))
    if len(values) > 1:
        errors[field] = "只能填写一个值"
        return None
    value = values[0]
    if attr.datatype is Datatype.SINGLEVALUELIST:
        options = [k for k, _ in attr.values]
        if value not in options:
            errors[field] = f"取值 {value[:40]} 不在可选值中（{', '.join(options)}）"
            return None
        return value
    if attr.datatype is Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            errors[field] = "须为数字"
            return None
        return int(number) if number.is_integer() else number
    if attr.datatype is Datatype.DATETIME:
        try:
            return to_utc(value, field=field).astimezone(SHANGHAI).isoformat()
        except ValidationFailed:
            errors[field] = "须为 ISO 8601 时间，如 2026-11-26T09:30:00+08:00"
            return None
    if attr.datatype is Datatype.STRING and ("\n" in value or "\r" in value):
        errors[field] = "不能含换行"
        return None
    limit = MAX_STRING_ATTRIBUTE if attr.datatype is Datatype.STRING else MAX_DESCRIPTION
    if len(value) > limit:
        errors[field] = f"不能超过 {limit} 个字符"
        return None
    if _has_markup(value):
        errors[field] = "不能含 HTML 或代码"
        return None
    return value


def _render_value(attr: Attribute, value: Any) -> str:
    if isinstance(value, list):
        return "、".join(attr.value_name(v) for v in value)
    if attr.datatype is Datatype.SINGLEVALUELIST:
        return attr.value_name(str(value))
    return str(value)


def _short(text: str, limit: int = 30) -> str:
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0].strip() or text.strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _person_name(first: str | None, last: str | None) -> str | None:
    parts = [p for p in (last, first) if p]
    if not parts:
        return None
    # 陈 + 小明 → 陈小明; John + Smith → John Smith (given name first, as written in Latin script)
    if all(p.isascii() for p in parts):
        return " ".join(p for p in (first, last) if p)
    return "".join(parts)


def draft_from_form(form: Mapping[str, FormValue], *, external_id: str | None = None) -> IntakeDraft:
    """The IntakeDraft of one POST Service Request; NotFound or ValidationFailed when it is invalid.

    `form` maps each field to its value, or to its values when repeated (media_url,
    attribute[code][]). `api_key` and `jurisdiction_id` are the caller's business. Every
    POST is a new request (the spec has no client-side id), so the draft's external id is a
    fresh UUID unless `external_id` is given; for services of type batch it is the token.
    """
    errors: dict[str, str] = {}
    code = _scalar(form, "service_code")
    if code is None:
        raise ValidationFailed("缺少 service_code", fields={"service_code": "必填"})
    svc = service(code)

    # location: lat & long, or address_string, or address_id (one of them is required)
    lat_raw, long_raw = _scalar(form, "lat"), _scalar(form, "long")
    address = _scalar(form, "address_string")
    address_id = _scalar(form, "address_id")
    latitude = longitude = None
    if (lat_raw is None) != (long_raw is None):
        errors["lat" if lat_raw is None else "long"] = "lat 和 long 必须同时提供"
    elif lat_raw is not None:
        try:
            latitude, longitude = validate_coordinates(lat_raw, long_raw)
        except ValidationFailed as exc:
            errors["lat"] = exc.message
    if lat_raw is None and long_raw is None and address is None and address_id is None:
        errors["location"] = "须提供位置：lat 和 long，或 address_string，或 address_id"
    if address is not None:
        if len(address) > 500:
            errors["address_string"] = "不能超过 500 个字符"
        elif _has_markup(address):
            errors["address_string"] = "不能含 HTML 或代码"
    if address_id is not None and len(address_id) > MAX_IDENT:
        errors["address_id"] = f"不能超过 {MAX_IDENT} 个字符"

    description = (_scalar(form, "description") or "").replace("\r\n", "\n")
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = f"不能超过 {MAX_DESCRIPTION} 个字符"
    elif _has_markup(description):
        errors["description"] = "不能含 HTML 或代码"

    first_name, last_name = _scalar(form, "first_name"), _scalar(form, "last_name")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if value is not None and (len(value) > MAX_NAME or _has_markup(value)):
            errors[field] = f"须为不超过 {MAX_NAME} 个字符的姓名"
    phone = _scalar(form, "phone")
    if phone is not None and len(phone) > 32:
        errors["phone"] = "电话号码过长"
    email = _scalar(form, "email")
    if email is not None and not EMAIL.match(email):
        errors["email"] = "电子邮箱格式不正确"
    idents: dict[str, str] = {}
    for field in ("device_id", "account_id"):
        value = _scalar(form, field)
        if value is not None:
            if len(value) > MAX_IDENT or _has_markup(value):
                errors[field] = f"须为不超过 {MAX_IDENT} 个字符的编号"
            idents[field] = value
    media_urls = [v.strip() for v in _values(form, "media_url") if v.strip()]
    if len(media_urls) > MAX_MEDIA_URLS:
        errors["media_url"] = f"最多 {MAX_MEDIA_URLS} 个"
    elif any(not URL.match(u) for u in media_urls):
        errors["media_url"] = "须为 http:// 或 https:// 开头的网址"

    # attributes, against the service definition; others (clients such as FixMyStreet send
    # their own: fixmystreet_id, title, report_url, …) are kept as they came
    given = _attribute_values(form)
    answers: dict[str, Any] = {}
    defined = {a.code: a for a in svc.attributes if a.variable}
    for attr in svc.attributes:
        if not attr.variable:
            continue
        values = given.get(attr.code, [])
        if not values:
            if attr.required:
                errors[f"attribute[{attr.code}]"] = f"必填：{attr.description}"
            continue
        value = _check_attribute(attr, values, errors)
        if value is not None:
            answers[attr.code] = value
    extras: dict[str, Any] = {}
    for attr_code, values in given.items():
        if attr_code in defined or not values:
            continue
        if not ATTRIBUTE_CODE.match(attr_code):
            errors[f"attribute[{attr_code[:20]}]"] = "属性代码只能含字母、数字和 _ . -"
            continue
        if any(len(v) > MAX_EXTRA_VALUE for v in values):
            errors[f"attribute[{attr_code}]"] = f"不能超过 {MAX_EXTRA_VALUE} 个字符"
            continue
        extras[attr_code] = values[0] if len(values) == 1 else values
    if len(extras) > MAX_EXTRA_ATTRIBUTES:
        errors["attribute"] = f"属性过多（最多 {MAX_EXTRA_ATTRIBUTES} 个未定义的属性）"

    if errors:
        summary = "；".join(f"{k}: {v}" for k, v in errors.items())
        raise ValidationFailed(f"请求参数有误：{summary}", fields=errors)

    rendered = "；".join(
        f"{a.short_label}：{_render_value(a, answers[a.code])}" for a in svc.attributes if a.code in answers
    )
    where = address or (f"地址编号 {address_id}" if address_id else None)
    if description:
        title = f"{svc.name}：{_short(description)}"
        content = description + (f"\n【补充信息】{rendered}" if rendered else "")
    else:
        title = f"{svc.name}：{_short(where)}" if where else svc.name
        content = "；".join(x for x in (f"{svc.name}（{where}）" if where else svc.name, rendered) if x)

    attributes: dict[str, Any] = {"service_code": svc.code, "service_name": svc.name}
    if answers:
        attributes["attributes"] = answers
    if extras:
        attributes["extra_attributes"] = extras
    if address_id:
        attributes["address_id"] = address_id
    if email:
        attributes["email"] = email
    if media_urls:
        attributes["media_url"] = media_urls
    attributes.update(idents)
    return IntakeDraft(
        external_id=external_id or str(uuid.uuid4()),
        title=title,
        content=content,
        order_type=svc.order_type,
        urgency=svc.urgency,
        citizen_name=_person_name(first_name, last_name),
        citizen_phone=phone,
        address=address,
        latitude=latitude,
        longitude=longitude,
        coord_system=CoordSystem.WGS84,  # the spec: WGS-84
        category_code=svc.code,
        attributes=attributes,
    )


__all__ = [
    "draft_from_form",
]
