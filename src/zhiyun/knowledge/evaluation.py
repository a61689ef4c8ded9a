"""Evaluating the retrieval (`zhiyun assistant evaluate`, docs/knowledge.md): a knowledge base
and questions from CSV or XLSX files, every question asked of a temporary in-memory index, and
the figures — top-1, top-3, MRR over the questions with an expected item, and the share of the
questions without one (out of scope) that are handed over (scored below the threshold).

The expected column may name several acceptable items separated by "|" (the guide lists some
services twice, once for the province and once for Guangzhou); the first one found counts.

The shipped evaluation set for the service guide is `knowledge/evaluation/` (tune.csv, the half
the threshold and the synonyms were chosen on; locked.csv, written first and never tuned on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from zhiyun.domain.assistant import rule_handover
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.knowledge import EvaluationFigures, Outcome, choose_threshold, figures
from zhiyun.kernel.csv_text import read_csv
from zhiyun.kernel.files import detect_encoding
from zhiyun.knowledge.retrieval import Analyzer, Document, FieldWeights, RetrievalIndex

__all__ = [
    "Evaluation",
    "Question",
    "column",
    "evaluate",
    "read_table",
    "shipped_set",
]

MAX_ROWS = 200_000
LISTED = 10  # ranks looked at for MRR


def shipped_set(name: str) -> Path:
    """A file of the shipped evaluation set (tune.csv, locked.csv, guide_kb.csv is made from the guide)."""
    return Path(str(resources.files("zhiyun.knowledge").joinpath("evaluation", name)))


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows) of a CSV (any common encoding) or XLSX file, cells as trimmed text."""
    if not path.is_file():
        raise ValidationFailed(f"文件不存在：{path}", field="file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ValidationFailed(f"无法读取 Excel 文件 {path.name}：{exc}", field="file") from None
        try:
            ws = book[sheet] if sheet else book.worksheets[0]
            rows_iter = ws.iter_rows(values_only=True)
            first = next(rows_iter, None)
            if first is None:
                return [], []
            header = ["" if v is None else str(v).strip() for v in first]
            rows: list[dict[str, str]] = []
            for values in rows_iter:
                if len(rows) >= MAX_ROWS:
                    raise ValidationFailed(f"行数超过 {MAX_ROWS}", field="file")
                cells = ["" if v is None else str(v).strip() for v in values]
                if any(cells):
                    rows.append(dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False)))
            return header, rows
        finally:
            book.close()
    text = path.read_text(encoding=detect_encoding(path), errors="replace")
    header, raw = read_csv(text)
    if len(raw) > MAX_ROWS:
        raise ValidationFailed(f"行数超过 {MAX_ROWS}", field="file")
    return [h.strip() for h in header], [
        {(k or "").strip(): (v or "").strip() for k, v in r.items() if isinstance(v, str) or v is None}
        for r in raw
    ]


def column(header: Sequence[str], name: str | None, what: str, *, required: bool = True) -> str | None:
    """The column `name` of `header` (ValidationFailed listing the columns when absent)."""
    if name is None:
        if required:
            raise ValidationFailed(f"请指定{what}列", field=what)
        return None
    if name not in header:
        raise ValidationFailed(f"{what}列「{name}」不存在（文件中有：{'、'.join(header)}）", field=what)
    return name


@dataclass(frozen=True)
class Question:
    text: str
    expected: tuple[str, ...]  # acceptable item ids; empty: out of scope


@dataclass(frozen=True)
class Evaluation:
    outcomes: list[Outcome]
    figures: EvaluationFigures
    threshold: float
    chosen: float  # the threshold that would decide these questions best


def kb_documents(
    path: Path,
    id_col: str,
    title_col: str,
    text_col: str,
    dept_col: str | None = None,
    questions_col: str | None = None,
) -> list[Document]:
    """A knowledge base from a table file: one document per row."""
    header, rows = read_table(path)
    for name, what in ((id_col, "编号"), (title_col, "标题"), (text_col, "内容")):
        column(header, name, what)
    column(header, dept_col, "部门", required=False)
    column(header, questions_col, "相似问法", required=False)
    docs: list[Document] = []
    for row in rows:
        key = row.get(id_col, "")
        if not key:
            continue
        docs.append(
            Document(
                key=key,
                title=row.get(title_col, ""),
                answer=row.get(text_col, ""),
                department=row.get(dept_col, "") if dept_col else "",
                questions=tuple(q for q in row.get(questions_col, "").split("|") if q)
                if questions_col
                else (),
            )
        )
    if not docs:
        raise ValidationFailed("知识库文件没有数据", field="kb")
    return docs


def questions_of(path: Path, question_col: str, expect_col: str) -> list[Question]:
    header, rows = read_table(path)
    column(header, question_col, "问题")
    column(header, expect_col, "预期编号")
    found = [
        Question(r[question_col], tuple(e.strip() for e in r.get(expect_col, "").split("|") if e.strip()))
        for r in rows
        if r.get(question_col)
    ]
    if not found:
        raise ValidationFailed("问题文件没有数据", field="questions")
    return found


def outcomes_of(index: RetrievalIndex, questions: Sequence[Question]) -> list[Outcome]:
    """Every question asked, and whether 小南's rules hand it over whatever its score; an outcome's expected id is the acceptable one ranked first (or the
    first acceptable one when none was ranked)."""
    outcomes: list[Outcome] = []
    for q in questions:
        found = index.search(q.text, LISTED)
        ranked = tuple(d.key for d, _ in found)
        expected: str | None = None
        if q.expected:
            expected = next((k for k in ranked if k in q.expected), q.expected[0])
        handed = rule_handover(q.text) is not None  # as 小南 decides (domain/assistant.py)
        outcomes.append(Outcome(expected, ranked, found[0][1] if found else 0.0, handed))
    return outcomes


def evaluate(
    documents: Sequence[Document],
    questions: Sequence[Question],
    threshold: float,
    *,
    analyzer: Analyzer | None = None,
    weights: FieldWeights | None = None,
) -> Evaluation:
    index = RetrievalIndex(documents, analyzer, weights or FieldWeights())
    outcomes = outcomes_of(index, questions)
    return Evaluation(outcomes, figures(outcomes, threshold), threshold, choose_threshold(outcomes))
