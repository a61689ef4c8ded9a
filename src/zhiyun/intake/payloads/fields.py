"""What every channel payload is made of: the base model, checked text, identifiers, coordinates,
request types, and a title taken from the text when the channel sends none."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhiyun.domain.workorder import OrderType

MAX_TEXT = 20_000
# Markup in a channel's text: script-bearing tags, an event handler inside any tag (quoted or
# not, `<svg/onload=…>` too) and `javascript:` URLs. A second wall only: what protects the
# console is that every page and script shows text as text (docs/security.md).
_SCRIPT = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|svg|math|style|link|meta|base|form)\b"
    r"|<[^>]*[\s/\"'`]on[a-z]+\s*="
    r"|javascript\s*:",
    re.I,
)


def _no_markup(value: str) -> str:
    if _SCRIPT.search(value):
        raise ValueError("内容含有不允许的脚本或标记")
    return value


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_no_markup)]
ShortText = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_no_markup)]
OptText = Annotated[
    str | None, Field(default=None, max_length=500), AfterValidator(lambda v: v and _no_markup(v))
]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/#]+$")]
Latitude = Annotated[float | None, Field(default=None, ge=-90, le=90)]
Longitude = Annotated[float | None, Field(default=None, ge=-180, le=180)]

TYPE_WORDS: dict[str, OrderType] = {
    "咨询": OrderType.CONSULT,
    "求助": OrderType.HELP,
    "投诉": OrderType.COMPLAINT,
    "举报": OrderType.REPORT,
    "建议": OrderType.SUGGESTION,
    "表扬": OrderType.PRAISE,
    **{t.value: t for t in OrderType},
}
RequestType = Literal[
    "咨询",
    "求助",
    "投诉",
    "举报",
    "建议",
    "表扬",
    "consult",
    "help",
    "complaint",
    "report",
    "suggestion",
    "praise",
]


class Payload(BaseModel):
    """Base of every channel payload: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def title_from(text: str, prefix: str = "", limit: int = 40) -> str:
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0].strip() or text.strip()
    title = first if len(first) <= limit else first[: limit - 1] + "…"
    return f"{prefix}{title}"
