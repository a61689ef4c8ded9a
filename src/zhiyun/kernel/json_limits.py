"""Limits on JSON a client sends: nesting depth, numbers that JSON cannot carry, NUL characters.

Python's json module accepts `NaN`, `Infinity` and `1e400` (read as infinity), which no
database column or JSON reply can carry, and it recurses once per nesting level, so a body
nested a hundred thousand levels deep raises RecursionError. These checks turn each of those
into a reason a client can read, before anything else looks at the body.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_JSON_DEPTH = 32

# A JSON string literal, or one structural bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
# The escape \u0000 in a JSON text, not preceded by an escaping backslash.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class JsonRefused(ValueError):
    """A JSON text that is well formed but exceeds a limit (the message says which, in Chinese)."""


def json_depth_exceeds(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in `body` nest deeper than `max_depth` (brackets inside strings
    do not count). Cheap for ordinary bodies: only a body with more brackets than the limit is scanned."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def has_nul(body: bytes) -> bool:
    """Whether a JSON (or any text) body carries a NUL character, raw or as the escape \\u0000."""
    return b"\x00" in body or (b"\\u0000" in body and _NUL_ESCAPE.search(body) is not None)


def _no_constant(name: str) -> Any:
    raise JsonRefused(f"JSON 中不允许 {name}（数值须为有限数）")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonRefused(f"数值 {text[:40]} 超出范围")
    return value


def check_json(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonRefused when `body` nests too deep, carries NUL, NaN, Infinity or an infinite
    number. A body that is not JSON at all passes: the parser that follows reports it."""
    try:
        loads_checked(body, max_depth)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return


def loads_checked(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`body` parsed as JSON under the limits above (JsonRefused) — json.JSONDecodeError and
    UnicodeDecodeError for a body that is not JSON."""
    if json_depth_exceeds(body, max_depth):
        raise JsonRefused(f"JSON 嵌套层数过多（最多 {max_depth} 层）")
    if has_nul(body):
        raise JsonRefused("文本中不允许包含 NUL 字符（\\u0000）")
    return json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
