"""`zhiyun dedupe …`: duplicate detection from the command line.

    zhiyun dedupe evaluate pairs.jsonl [--high 0.55] [--low 0.35] [--radius-m 300] [--window-days 7]

The file holds labelled pairs of reports, as JSON lines::

    {"a": {"title": …, "content": …, "category": …, "lat": …, "lon": …, "phone": …,
           "registered_at": "2026-11-26T10:00:00+08:00"},
     "b": {…}, "duplicate": true}

or as CSV with the same fields flattened (a_title, a_content, a_category, a_lat, a_lon,
a_phone, a_registered_at, b_…, duplicate). Only title or content is required on each side;
times without a zone are Asia/Shanghai. An optional "kind" (a column in CSV) groups the
pairs in the report. Side b is scored as the new report against a as the earlier order.

It prints precision, recall and F1 for the "merge" decision and for "merge or flag", and,
last, one JSON line: {"precision", "recall", "f1", "pairs"} of the merge decision, with
the merge-or-flag figures and the policy. A file that cannot be read or a malformed pair
prints a message and exits with 1. Nothing runs at import time.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from zhiyun.cli.support import ZhiyunGroup, console, fail
from zhiyun.dedupe.evaluation import Confusion, Evaluation, LabelledPair, evaluate_pairs
from zhiyun.dedupe.item import DedupeItem
from zhiyun.dedupe.policy import DedupePolicy
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.kernel.normalize import to_utc

dedupe_app = typer.Typer(cls=ZhiyunGroup, help="重复工单检测（合并与疑似重复）。", no_args_is_help=True)

SIDE_FIELDS = ("title", "content", "category", "lat", "lon", "phone", "registered_at")
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "t", "是", "重复"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "f", "否", "不重复"})
MAX_PAIRS = 1_000_000


@dedupe_app.callback()
def _dedupe() -> None:
    """重复工单检测（合并与疑似重复）。"""


# --------------------------------------------------------------------------- reading pairs


def _bad(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{where}：{message}")


def _number(value: Any, where: str, name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _bad(where, f"{name} 必须是数字")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _bad(where, f"{name} 必须是数字：{value!r}") from None
    if not math.isfinite(number):
        raise _bad(where, f"{name} 不是有效数字")
    return number


def _text(value: Any, where: str, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(where, f"{name} 必须是文本")


def _side(data: Any, where: str, side: str) -> DedupeItem:
    if not isinstance(data, Mapping):
        raise _bad(where, f"缺少 {side}（应为包含 title、content 等字段的对象）")
    title = _text(data.get("title"), where, f"{side}.title")
    content = _text(data.get("content"), where, f"{side}.content")
    if not title.strip() and not content.strip():
        raise _bad(where, f"{side} 的 title 和 content 不能都为空")
    lat = _number(data.get("lat"), where, f"{side}.lat")
    lon = _number(data.get("lon"), where, f"{side}.lon")
    if (lat is None) != (lon is None):
        raise _bad(where, f"{side}.lat 与 {side}.lon 必须同时提供")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad(where, f"{side} 的经纬度超出范围")
    raw_time = data.get("registered_at")
    registered_at = None
    if raw_time not in (None, ""):
        try:
            registered_at = to_utc(raw_time, field=f"{side}.registered_at")
        except ValidationFailed as exc:
            raise _bad(where, f"{side}.registered_at {exc.message}") from None
    category = _text(data.get("category"), where, f"{side}.category").strip() or None
    phone = _text(data.get("phone"), where, f"{side}.phone").strip() or None
    return DedupeItem.from_text(
        None,
        title,
        content,
        category_code=category,
        phone=phone,
        lat=lat,
        lon=lon,
        registered_at=registered_at,
    )


def _label(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise _bad(where, f"duplicate 必须是 true 或 false，而不是 {value!r}")


def _pair(record: Any, where: str) -> LabelledPair:
    if not isinstance(record, Mapping):
        raise _bad(where, "每一行应为一个 JSON 对象")
    if "duplicate" not in record:
        raise _bad(where, "缺少 duplicate（true 或 false）")
    kind = record.get("kind")
    return LabelledPair(
        a=_side(record.get("a"), where, "a"),
        b=_side(record.get("b"), where, "b"),
        duplicate=_label(record.get("duplicate"), where),
        kind=str(kind) if kind not in (None, "") else None,
    )


def _json_lines(text: str, name: str) -> Iterator[LabelledPair]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{name} 第 {number} 行"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _bad(where, f"不是有效的 JSON（{exc.msg}）") from None
        yield _pair(record, where)


def _csv_rows(text: str, name: str) -> Iterator[LabelledPair]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    required = {"a_title", "a_content", "b_title", "b_content", "duplicate"}
    absent = sorted(required - set(header))
    if absent:
        raise ValidationFailed(f"{name}：CSV 缺少列 {', '.join(absent)}")
    reader.fieldnames = header
    for row in reader:
        where = f"{name} 第 {reader.line_num} 行"
        if None in row:
            raise _bad(where, "列数多于表头")
        record: dict[str, Any] = {
            side: {f: row.get(f"{side}_{f}") for f in SIDE_FIELDS} for side in ("a", "b")
        }
        record["duplicate"] = row.get("duplicate")
        record["kind"] = row.get("kind")
        yield _pair(record, where)


def read_pairs(path: Path) -> list[LabelledPair]:
    """The labelled pairs of a JSON-lines or CSV file; ValidationFailed names the bad line."""
    if not path.exists():
        raise ValidationFailed(f"文件不存在：{path}")
    if path.is_dir():
        raise ValidationFailed(f"这是一个目录，不是文件：{path}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{path.name}：不是 UTF-8 编码的文本文件") from None
    except OSError as exc:
        raise ValidationFailed(f"无法读取 {path}：{exc.strerror or exc}") from None
    suffix = path.suffix.lower()
    stripped = text.lstrip()
    is_csv = suffix == ".csv" or (
        suffix not in (".jsonl", ".json", ".ndjson") and not stripped.startswith("{")
    )
    pairs: list[LabelledPair] = []
    for pair in (_csv_rows if is_csv else _json_lines)(text, path.name):
        pairs.append(pair)
        if len(pairs) > MAX_PAIRS:
            raise ValidationFailed(f"{path.name}：标注样本超过 {MAX_PAIRS} 对")
    if not pairs:
        raise ValidationFailed(f"{path.name}：没有任何标注样本")
    return pairs


# --------------------------------------------------------------------------- report


def evaluation_json(result: Evaluation) -> dict[str, Any]:
    """The last line of `evaluate`: the merge decision's figures, then merge-or-flag and the policy."""
    m, e, p = result.merge, result.merge_or_flag, result.policy
    return {
        "precision": round(m.precision, 4),
        "recall": round(m.recall, 4),
        "f1": round(m.f1, 4),
        "pairs": result.pairs,
        "positives": m.tp + m.fn,
        "decision": "merge",
        "merge_or_flag": {
            "precision": round(e.precision, 4),
            "recall": round(e.recall, 4),
            "f1": round(e.f1, 4),
        },
        "policy": {"high": p.high, "low": p.low, "radius_m": p.radius_m, "window_days": p.window_days},
    }


def _confusion_row(name: str, c: Confusion) -> list[str]:
    return [name, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", *map(str, (c.tp, c.fp, c.fn, c.tn))]


def print_evaluation(result: Evaluation) -> None:
    p = result.policy
    positives = result.merge.tp + result.merge.fn
    console.print(
        f"标注样本 {result.pairs} 对：重复 {positives}，不重复 {result.pairs - positives}；"
        f"合并阈值 high={p.high:g}，疑似阈值 low={p.low:g}，"
        f"距离 {p.radius_m:g} 米，时间窗 {p.window_days:g} 天"
    )
    table = Table(title="判定效果")
    for column in ("判定为重复", "precision", "recall", "F1", "TP", "FP", "FN", "TN"):
        table.add_column(column, justify="left" if column == "判定为重复" else "right")
    table.add_row(*_confusion_row("merge 自动合并", result.merge))
    table.add_row(*_confusion_row("merge+flag 含疑似", result.merge_or_flag))
    console.print(table)
    kinds = {k: v for k, v in result.decisions_by_kind.items() if k}
    if kinds:
        by_kind = Table(title="按样本类型")
        for column in ("类型", "标注", "对数", "merge", "flag", "none"):
            by_kind.add_column(column, justify="left" if column in ("类型", "标注") else "right")
        for kind in sorted(kinds):
            counts = kinds[kind]
            for label in ("duplicate", "distinct"):
                row = [counts[f"{label}:{d}"] for d in ("merge", "flag", "none")]
                if sum(row):
                    by_kind.add_row(
                        kind, "重复" if label == "duplicate" else "不重复", str(sum(row)), *map(str, row)
                    )
        console.print(by_kind)


@dedupe_app.command("evaluate")
def evaluate(
    file: Annotated[Path, typer.Argument(help="标注样本：JSON lines 或 CSV（a_title, …, duplicate）")],
    high: Annotated[float | None, typer.Option("--high", help="自动合并阈值（0～1）")] = None,
    low: Annotated[float | None, typer.Option("--low", help="疑似重复阈值（0～1）")] = None,
    radius_m: Annotated[float | None, typer.Option("--radius-m", help="距离范围（米）")] = None,
    window_days: Annotated[float | None, typer.Option("--window-days", help="时间窗口（天）")] = None,
) -> None:
    """在标注样本上评估重复检测：打印 precision、recall、F1，最后一行为 JSON。"""
    try:
        defaults = DedupePolicy()
        high = defaults.high if high is None else high
        policy = DedupePolicy(
            radius_m=defaults.radius_m if radius_m is None else radius_m,
            window_days=defaults.window_days if window_days is None else window_days,
            high=high,
            low=min(defaults.low, high) if low is None else low,  # --high alone may go below the default low
        )
        pairs = read_pairs(file)
        result = evaluate_pairs(pairs, policy)
    except DomainError as exc:
        fail(exc.message)
        return
    print_evaluation(result)
    typer.echo(json.dumps(evaluation_json(result), ensure_ascii=False))


__all__ = ["dedupe_app", "evaluation_json", "read_pairs"]
