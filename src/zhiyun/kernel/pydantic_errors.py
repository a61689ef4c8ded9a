"""Pydantic validation errors as one Chinese message per field, for every face and service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Chinese for the pydantic error types people meet most; others keep pydantic's message.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "必填",
    "string_type": "须为字符串",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "date_parsing": "日期格式不正确（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（YYYY-MM-DD）",
    "datetime_parsing": "时间格式不正确（ISO 8601）",
    "datetime_from_date_parsing": "时间格式不正确（ISO 8601）",
    "json_invalid": "JSON 格式错误",
    "extra_forbidden": "不认识的字段",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_attributes_type": "须为对象",
}


_UNION_MEMBER_TAGS = frozenset({"int", "str", "float", "bool", "date", "datetime", "none"})


def _field_name(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    # pydantic names the member of a union that failed ("master.int"): the field is what matters
    while len(parts) > 1 and (parts[-1] in _UNION_MEMBER_TAGS or "[" in parts[-1]):
        parts.pop()
    return ".".join(parts) or "body"


def _field_message(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    if kind == "enum":
        expected = (err.get("ctx") or {}).get("expected")
        return f"取值须为 {expected}" if expected else "取值无效"
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected")
        return f"取值须为 {expected}" if expected else "取值无效"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"超出允许范围（{err.get('msg', '')}）"
    if kind == "value_error":
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return _PYDANTIC_MESSAGES.get(kind, str(err.get("msg", "取值无效")))


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in errors:
        name = _field_name(err.get("loc", ()))
        fields.setdefault(name, _field_message(err))
    return fields
