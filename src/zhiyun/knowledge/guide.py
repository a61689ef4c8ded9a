"""The Guangdong government-service guide (广东政务服务事项办事指南, MIT; ../shared/data/gd_service_guide,
shipped in `knowledge/data/gd_service_guide` for the demo): one knowledge item per service.

`policy.jsonl` (or `policy.jsonl.gz`) holds one JSON object per line: TASK_NAME is the title,
DEPT_NAME the owner department, URL the source, theme_category the category, TASK_CODE the
record's id; the answer is written from the conditions (accept_standard), the materials
(material_intro), where (handle_location), how long (handle_time), the fee (charge) and the
phone (consult_phone).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.knowledge import ANSWER_MAX, CATEGORY_MAX, ItemInput
from zhiyun.knowledge.retrieval import Document

__all__ = ["GuideRecord", "answer_text", "documents", "guide_records", "shipped_guide"]

EMPTY = {"", "无", "null", "None"}


def shipped_guide() -> Path:
    """The guide the package ships (the demo's knowledge base)."""
    return Path(str(resources.files("zhiyun.knowledge").joinpath("data", "gd_service_guide")))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "；".join(t for t in (_text(v) for v in value) if t)
    text = str(value).strip()
    return "" if text in EMPTY else text


def answer_text(record: dict[str, Any]) -> str:
    """The answer a citizen reads: what the guide says about conditions, materials, place, time,
    fee and phone, one line each, those it says nothing about left out."""
    lines: list[str] = []
    kind = _text(record.get("TASK_TYPE_TEXT"))
    if kind:
        lines.append(f"事项类型：{kind}")
    for key, label in (
        ("accept_standard", "办理条件"),
        ("material_intro", "所需材料"),
        ("handle_location", "办理地点"),
        ("handle_time", "办理时限"),
        ("charge", "收费标准"),
        ("consult_phone", "咨询电话"),
    ):
        value = _text(record.get(key))
        if not value:
            continue
        value = value.removeprefix(f"{label}：").removeprefix("办理地点：")
        if key == "handle_time":
            value = value.replace("(工作日)", "个工作日").replace("(自然日)", "个自然日")
        lines.append(f"{label}：{value}")
    return "\n".join(lines)[:ANSWER_MAX]


class GuideRecord:
    """One service of the guide as an item to import."""

    __slots__ = ("code", "data")

    def __init__(self, code: str, data: ItemInput) -> None:
        self.code = code
        self.data = data


def _lines(path: Path) -> Iterator[str]:
    folder = path if path.is_dir() else path.parent
    file = path if path.is_file() else None
    if file is None:
        for name in ("policy.jsonl", "policy.jsonl.gz"):
            if (folder / name).is_file():
                file = folder / name
                break
    if file is None:
        raise ValidationFailed(f"找不到办事指南文件 policy.jsonl：{path}", field="path")
    opener = gzip.open if file.suffix == ".gz" else open
    with opener(file, "rt", encoding="utf-8") as handle:
        yield from handle


def guide_records(path: Path | None = None) -> Iterator[GuideRecord]:
    """The guide's services, in the file's order (`path`: the folder or the file)."""
    for n, line in enumerate(_lines(path or shipped_guide()), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ValidationFailed(f"办事指南第 {n} 行不是 JSON") from None
        title = _text(record.get("TASK_NAME"))
        code = _text(record.get("TASK_CODE")) or f"line-{n}"
        categories = record.get("theme_category") or []
        category = _text(categories[0] if isinstance(categories, list) and categories else categories)
        yield GuideRecord(
            code,
            ItemInput(
                title=title[:200],
                answer=answer_text(record),
                category=category[:CATEGORY_MAX],
                department=_text(record.get("DEPT_NAME"))[:100],
                source=_text(record.get("URL"))[:500],
                policy_ref=_text(record.get("matter_type"))[:300],
            ),
        )


def documents(path: Path | None = None) -> list[Document]:
    """The guide as retrieval documents keyed by TASK_CODE (the evaluation's in-memory KB)."""
    return [
        Document(
            key=r.code,
            title=r.data.title,
            answer=r.data.answer,
            category=r.data.category,
            department=r.data.department,
            source=r.data.source,
        )
        for r in guide_records(path)
    ]
