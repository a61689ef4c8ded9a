"""POST requests.{fmt}: the form read (form-urlencoded, multipart or JSON, over the query), the
api_key checked and the request registered as a work order of the open311 channel."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from fastapi import Request

from zhiyun.intake.draft import IntakeDraft
from zhiyun.open311 import catalog as spec
from zhiyun.open311.api.errors import Open311Error
from zhiyun.open311.api.parameters import check_jurisdiction
from zhiyun.open311.form import draft_from_form

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

MAX_BODY = 256 * 1024


async def read_form(request: Request) -> dict[str, str | list[str]]:
    """The POST's fields: the form (the spec's x-www-form-urlencoded, or a JSON object), over the query.

    A repeated field (media_url, attribute[code][]) keeps all its values; in a JSON body
    `"attribute": {"code": "v" | ["v1", "v2"]}` is accepted as well as "attribute[code]" keys.
    """
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Open311Error(400, (400, f"请求内容过大（最多 {MAX_BODY // 1024} KB）"))
    pairs: list[tuple[str, str]] = list(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            raise Open311Error(400, (400, "JSON 格式错误")) from None
        if not isinstance(data, dict):
            raise Open311Error(400, (400, "JSON 请求体须为对象"))
        for key, value in data.items():
            if key == "attribute" and isinstance(value, dict):
                for code, answer in value.items():
                    for item in answer if isinstance(answer, list) else [answer]:
                        pairs.append((f"attribute[{code}][]", _json_scalar(item)))
            else:
                for item in value if isinstance(value, list) else [value]:
                    pairs.append((str(key), _json_scalar(item)))
    elif content_type == "multipart/form-data":
        multipart = await request.form()
        pairs.extend((k, v) for k, v in multipart.multi_items() if isinstance(v, str))
    else:  # application/x-www-form-urlencoded, or a client that sends none
        try:
            pairs.extend(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000))
        except (UnicodeDecodeError, ValueError):
            raise Open311Error(
                400, (400, "请求体须为 UTF-8 编码的 application/x-www-form-urlencoded")
            ) from None
    fields: dict[str, list[str]] = {}
    body_keys: set[str] = set()
    query_count = len(request.query_params.multi_items())
    for index, (key, value) in enumerate(pairs):
        if index >= query_count and key not in body_keys:
            body_keys.add(key)
            fields[key] = []  # a field in the body replaces the same field in the query string
        fields.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in fields.items()}


def _json_scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        raise Open311Error(400, (400, "JSON 字段值须为字符串或数字"))
    return str(value)


@dataclass(frozen=True)
class Accepted:
    """The order a POST became, and the master it was merged into at intake (if any)."""

    number: str
    duplicate_of: str | None


def _authenticate(services: Services, key: str) -> None:
    """403 for a key that is not a live key of the open311 channel, before the form is checked."""
    with services.db.transaction() as session:
        services.channels.authenticate(session, spec.CHANNEL_CODE, key)


def _accept(services: Services, draft: IntakeDraft, raw: dict[str, Any], key: str) -> Accepted:
    """Register the draft as an order of the open311 channel: normalized, located, checked for
    duplicates, in one transaction (the intake use case)."""
    result = services.intake.accept(spec.CHANNEL_CODE, draft, raw, key=key)
    return Accepted(result.order.number, result.duplicate_of)


def post_request(services: Services, form: Mapping[str, str | list[str]]) -> list[dict[str, Any]]:
    def one(name: str) -> str | None:
        value = form.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return value.strip() or None if isinstance(value, str) else None

    check_jurisdiction(services, one("jurisdiction_id"))
    key = one("api_key")
    if key is None:
        raise Open311Error(403, (403, "缺少 api_key：请向平台管理员申请 open311 渠道密钥"))
    _authenticate(services, key)
    draft = draft_from_form(form)
    svc = spec.service(draft.category_code or "")
    raw = {k: v for k, v in form.items() if k not in ("api_key",)}
    accepted = _accept(services, draft, raw, key)
    notice = svc.notice
    if accepted.duplicate_of and accepted.duplicate_of != accepted.number:
        notice += f"该问题已有市民反映（工单 {accepted.duplicate_of}），将合并办理。"
    item: dict[str, Any] = (
        {"token": draft.external_id}
        if svc.type is spec.ServiceType.BATCH
        else {"service_request_id": accepted.number}
    )
    item["service_notice"] = notice
    item["account_id"] = one("account_id")
    return [item]
