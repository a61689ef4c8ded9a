"""What a request asks for, checked: the format, the jurisdiction, the optional arguments
(empty counts as absent), comma lists and W3C dates; and the endpoint's settings
(ZHIYUN_OPEN311_…)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import Request

from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.normalize import to_utc
from zhiyun.open311 import catalog as spec
from zhiyun.open311.api.errors import Open311Error
from zhiyun.open311.api.rendering import MEDIA_TYPES

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def checked_format(fmt: str) -> str:
    """The format asked for: xml or json (404 for any other)."""
    if fmt not in MEDIA_TYPES:
        raise Open311Error(404, (404, f"不支持的格式 .{fmt[:20]}：请使用 .xml 或 .json"))
    return fmt


def site_setting(services: Services, name: str, default: str) -> str:
    value = getattr(services.settings, name, None)
    return str(value) if value else default


def site_jurisdiction(services: Services) -> str:
    return site_setting(services, "open311_jurisdiction_id", spec.DEFAULT_JURISDICTION_ID)


def check_jurisdiction(services: Services, value: str | None) -> None:
    """One endpoint, one jurisdiction: jurisdiction_id is optional, and another one is not found (404)."""
    given = (value or "").strip()
    if given and given.lower() != site_jurisdiction(services).lower():
        raise Open311Error(
            404, (404, f"jurisdiction_id {given[:60]} 不存在（本接口为 {site_jurisdiction(services)}）")
        )


def param(request: Request, name: str) -> str | None:
    """A query parameter; empty counts as absent (the spec's "Optional Arguments")."""
    values = [v.strip() for v in request.query_params.getlist(name)]
    values = [v for v in values if v]
    return ",".join(values) if values else None


def comma_list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def w3c_param(value: str | None, name: str) -> datetime | None:
    """start_date / end_date: a W3C date-time (2010-01-01T00:00:00Z), or a date, month or year."""
    if value is None:
        return None
    text = value.strip().replace(" ", "+") if "T" in value else value.strip()
    if re.fullmatch(r"\d{4}", text):
        text += "-01-01"
    elif re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        return to_utc(text, field=name)
    except (ValidationFailed, OverflowError, ValueError):  # 0001-01-01, 9999-12-31T23:59:59-23:59
        raise Open311Error(
            400, (400, f"{name} 须为 W3C 日期时间格式，如 2010-01-01T00:00:00Z 或 2026-11-26T09:00:00+08:00")
        ) from None
