"""Rendering a document in the format the client asked for: XML (the spec's required format) or
JSON (the Spark convention: the XML's container elements become arrays, the root list is the
document), UTF-8."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Response

MEDIA_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# Spark convention: a container element holds repeated children of one name; in JSON it is an array.
_ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "errors": "error",
}
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_INVALID.sub("", str(value))


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, Mapping):
        for key, child in value.items():
            node.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = _ITEM_TAGS[tag]
        for child in value:
            node.append(_element(item_tag, child))
    else:
        node.text = _text(value)
    return node


def to_xml(root: str, data: Any) -> bytes:
    """The document as UTF-8 XML with the declaration, no namespace (as the spec's examples)."""
    body = ET.tostring(_element(root, data), encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _clean_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, str):
        return _XML_INVALID.sub("", value)
    return value


def render(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    if fmt == "json":
        content = json.dumps(_clean_json(data), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        content = to_xml(root, data)
    return Response(content=content, status_code=status, media_type=MEDIA_TYPES[fmt])
