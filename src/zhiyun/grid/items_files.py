"""The catalogue's file forms (入格事项 import and export): a JSON document, and an XLSX sheet with
one row per question and the item's columns repeated on each of its rows.

Reading a file never stops at the first problem: every rejected row (XLSX) or item (JSON) is
reported with its number, the column or field, and the reason in Chinese (`Reject`), as the
order importer's rejects file does. The service imports nothing from a file with any reject.

JSON::

    {"format": "zhiyun.grid-items", "version": 1,
     "items": [{"code": "XF-001", "name": "…", "department": "…", "object_kinds": ["shop"],
                "frequency": "monthly", "questions": [{"id": "exits", "text": "…", "type": "yes_no",
                "hazards": [{"answers": ["no"], "level": "general"}]}]}]}

(a bare list of items is read too). The XLSX columns are `ITEM_COLUMNS` + `QUESTION_COLUMNS`,
headed by their Chinese labels (the English keys are accepted as headers too); the cell forms
are in docs/grid-items.md.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.grid_items import (
    AnswerType,
    Frequency,
    GridItem,
    HazardLevel,
    PhotoRule,
    Question,
    item_from_json,
    item_to_json,
)
from zhiyun.kernel.json_limits import JsonRefused, loads_checked

FORMAT = "zhiyun.grid-items"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_ITEMS = 1000
SHEET = "入格事项"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (key, header) of the item's columns, repeated on every row of its questions
ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "事项编码"),
    ("name", "事项名称"),
    ("department", "责任部门"),
    ("object_kinds", "适用对象"),
    ("min_risk", "最低风险等级"),
    ("tags", "适用标签"),
    ("frequency", "频次"),
    ("risk_frequencies", "按风险频次"),
    ("season", "时段"),
    ("legal_basis", "法律依据"),
)
# (key, header) of one question's columns
QUESTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("question_id", "问题编号"),
    ("question", "问题内容"),
    ("type", "答案类型"),
    ("required", "必答"),
    ("photo", "拍照要求"),
    ("unit", "单位"),
    ("min", "最小值"),
    ("max", "最大值"),
    ("options", "选项"),
    ("hazards", "隐患条件"),
    ("help", "提示"),
)
COLUMNS = ITEM_COLUMNS + QUESTION_COLUMNS
HEADER = {key: label for key, label in COLUMNS}
REQUIRED_COLUMNS = (
    "code",
    "name",
    "department",
    "object_kinds",
    "frequency",
    "question_id",
    "question",
    "type",
)
# what each column holds, for the sheet 说明 of an export
COLUMN_HELP: dict[str, str] = {
    "code": "如 XF-001；同一事项的各行编码相同，每行一个问题",
    "name": "事项名称（同一事项只需在第一行填写，其余行可留空或相同）",
    "department": "责任部门：单位编码或名称",
    "object_kinds": "楼栋、出租屋、三小场所、企业、部件设施，多个用“、”分隔",
    "min_risk": "留空为全部；低、中、高、重大：只适用于该等级及以上的对象",
    "tags": "对象须带有的标签，如 餐饮、独居老人，多个用“、”分隔",
    "frequency": "每周、每月、每季度、每年，或 每N天（如 每14天）",
    "risk_frequencies": "风险更高的对象更频繁，如 高:每14天；重大:每周",
    "season": "只在这些月份检查，如 3-4月；留空为全年",
    "legal_basis": "法律法规依据",
    "question_id": "问题编号：字母、数字、下划线或短横线，在事项内固定不变",
    "question": "问题内容",
    "type": "是/否、数值、单选、多选、文字、拍照",
    "required": "是 或 否（留空为是）",
    "photo": "无需拍照、必须拍照、发现隐患时拍照（留空为无需拍照）",
    "unit": "数值题的单位，如 具、人、㎡",
    "min": "数值题可接受的最小值",
    "max": "数值题可接受的最大值",
    "options": "选择题的选项，用 | 分隔",
    "hazards": "表示隐患的答案：[等级:]条件，多条用“；”分隔。如 一般:否、重大:<1、一般:>30、重大:选项甲|选项乙",
    "help": "回答时显示的提示",
}


@dataclass(frozen=True)
class Reject:
    """One refused row (XLSX: the sheet's row number) or item (JSON: its place in the list)."""

    row: int
    column: str  # the column's header or the field; "" for the whole row or item
    reason: str
    code: str = ""


@dataclass(frozen=True)
class ParsedItem:
    """An item read from a file, and where it was (the rows of its questions, or its place)."""

    item: GridItem
    rows: tuple[int, ...]

    @property
    def row(self) -> int:
        return self.rows[0]


@dataclass
class ParsedFile:
    format: str  # "json" or "xlsx"
    items: list[ParsedItem] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def unit(self) -> str:
        """What `Reject.row` counts: 行 (XLSX rows) or 项 (JSON items)."""
        return "行" if self.format == "xlsx" else "项"


def file_format(filename: str, data: bytes, given: str | None = None) -> str:
    """ "json" or "xlsx": `given`, else the file name's extension, else the content."""
    if given:
        if given not in ("json", "xlsx"):
            raise ValidationFailed(f"文件格式「{given[:10]}」不支持；可用 json、xlsx", field="format")
        return given
    name = filename.lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".json"):
        return "json"
    if data.startswith(b"PK"):
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    raise ValidationFailed("无法判断文件格式：请导入 .json 或 .xlsx 文件", field="file")


def read_file(filename: str, data: bytes, given: str | None = None) -> ParsedFile:
    """The items of an import file, and every row or item refused with its reason."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", field="file")
    if not data.strip():
        raise ValidationFailed("文件为空", field="file")
    fmt = file_format(filename, data, given)
    parsed = read_json(data) if fmt == "json" else read_xlsx(data)
    _refuse_repeated_codes(parsed)
    return parsed


def _refuse_repeated_codes(parsed: ParsedFile) -> None:
    seen: dict[str, int] = {}
    kept: list[ParsedItem] = []
    for entry in parsed.items:
        first = seen.setdefault(entry.item.code, entry.row)
        if first != entry.row:
            parsed.rejects.append(
                Reject(
                    entry.row,
                    "code",
                    f"事项编码 {entry.item.code} 与第 {first} {parsed.unit}重复",
                    entry.item.code,
                )
            )
        else:
            kept.append(entry)
    parsed.items = kept


# -- JSON ---------------------------------------------------------------------------------------------


def read_json(data: bytes) -> ParsedFile:
    parsed = ParsedFile("json")
    try:
        document = loads_checked(data.removeprefix(b"\xef\xbb\xbf"))
    except JsonRefused as exc:
        raise ValidationFailed(f"JSON 文件有误：{exc}", field="file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列：" if isinstance(exc, json.JSONDecodeError) else ""
        raise ValidationFailed(
            f"不是有效的 JSON 文件（{where}{exc.args[0] if exc.args else ''}）", field="file"
        ) from None
    if isinstance(document, dict):
        if document.get("format", FORMAT) != FORMAT:
            raise ValidationFailed(f"JSON 文件的 format 应为 {FORMAT}", field="format")
        if document.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise ValidationFailed(f"JSON 文件的 version 应为 {FORMAT_VERSION}", field="version")
        items = document.get("items")
    else:
        items = document
    if not isinstance(items, list):
        raise ValidationFailed("JSON 文件应包含入格事项列表 items", field="items")
    if not items:
        raise ValidationFailed("文件中没有入格事项", field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationFailed(f"一次最多导入 {MAX_ITEMS} 个入格事项", field="items")
    for index, raw in enumerate(items, start=1):
        code = str(raw.get("code", "")).strip().upper()[:40] if isinstance(raw, dict) else ""
        try:
            parsed.items.append(ParsedItem(item_from_json(raw), (index,)))
        except ValidationFailed as exc:
            for problem in _problems(exc):
                parsed.rejects.append(Reject(index, "", problem, code))
    return parsed


def _problems(exc: ValidationFailed) -> list[str]:
    problems = exc.details.get("problems")
    if isinstance(problems, list) and problems:
        return [str(p) for p in problems]
    return [exc.message]


def document(items: Iterable[GridItem]) -> dict[str, Any]:
    return {"format": FORMAT, "version": FORMAT_VERSION, "items": [item_to_json(i) for i in items]}


def write_json(items: Iterable[GridItem]) -> str:
    return json.dumps(document(items), ensure_ascii=False, indent=2) + "\n"


# -- XLSX: the cells ------------------------------------------------------------------------------------

_LIST_SPLIT = re.compile(r"[、,，;；|\s]+")
_RULES_SPLIT = re.compile(r"[；;\n]+")
_LEVEL_PREFIX = re.compile(r"^(一般隐患|重大隐患|一般|重大|general|major)\s*[:：]\s*(.*)$", re.IGNORECASE)
_BOUND = re.compile(r"^([<>])\s*(-?\d+(?:\.\d+)?)$")


def _words(cell: str, split: re.Pattern[str] = _LIST_SPLIT) -> list[str]:
    return [w.strip() for w in split.split(cell) if w.strip()]


def kinds_cell(kinds: Iterable[ObjectKind]) -> str:
    return "、".join(k.label for k in kinds)


def risk_frequencies_cell(item: GridItem) -> str:
    return "；".join(f"{level.label}:{f.label}" for level, f in item.risk_frequencies)


def hazards_cell(question: Question) -> str:
    """隐患条件: 一般:否；重大:<1 …"""
    parts = []
    for rule in question.hazards:
        if rule.answers:
            condition = "|".join({"yes": "是", "no": "否"}.get(a, a) for a in rule.answers)
        else:
            bounds = []
            if rule.below is not None:
                bounds.append(f"<{_number(rule.below)}")
            if rule.above is not None:
                bounds.append(f">{_number(rule.above)}")
            condition = "|".join(bounds)
        parts.append(f"{rule.level.label[:2]}:{condition}")
    return "；".join(parts)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _hazards_json(cell: str, kind: AnswerType | None) -> list[dict[str, Any]]:
    """The hazard rules of a 隐患条件 cell (ValidationFailed naming what is wrong)."""
    rules: list[dict[str, Any]] = []
    for part in _words(cell, _RULES_SPLIT):
        match = _LEVEL_PREFIX.match(part)
        level, condition = (match.group(1), match.group(2).strip()) if match else ("一般", part)
        rule: dict[str, Any] = {"level": HazardLevel.parse(level).value}
        words = [w.strip() for w in condition.split("|") if w.strip()]
        if not words:
            raise ValidationFailed(f"隐患条件「{part[:20]}」缺少条件")
        bounds = [_BOUND.match(w) for w in words]
        if kind is AnswerType.NUMBER or all(bounds):
            for bound in bounds:
                if bound is None:
                    raise ValidationFailed(f"数值题的隐患条件应为 <数值 或 >数值（收到「{condition[:20]}」）")
                rule["below" if bound.group(1) == "<" else "above"] = float(bound.group(2))
        else:
            rule["answers"] = [{"是": "yes", "否": "no"}.get(w, w) for w in words]
        rules.append(rule)
    return rules


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_number(value: object, label: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationFailed(f"{label}应为数值")
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except ValueError:
        raise ValidationFailed(f"{label}「{str(value)[:20]}」不是数值") from None
    if not math.isfinite(number):
        raise ValidationFailed(f"{label}应为有限数")
    return number


def _cell_bool(value: object) -> bool:
    text = _cell_text(value).lower()
    if text in ("", "是", "必答", "yes", "true", "1", "y"):
        return True
    if text in ("否", "选答", "no", "false", "0", "n"):
        return False
    raise ValidationFailed(f"「{text[:10]}」应为 是 或 否")


# -- XLSX: reading --------------------------------------------------------------------------------------


def _locate(header: Sequence[object]) -> dict[str, int]:
    """Column index by key, from a header of Chinese labels or English keys."""
    by_name = {label: key for key, label in COLUMNS} | {key: key for key, _ in COLUMNS}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = by_name.get(_cell_text(cell))
        if key is not None and key not in found:
            found[key] = index
    missing = [HEADER[k] for k in REQUIRED_COLUMNS if k not in found]
    if missing:
        raise ValidationFailed(f"表头缺少列：{'、'.join(missing)}（第 1 行应为列名）", field="file")
    return found


def _sheet_rows(data: bytes) -> Generator[tuple[int, tuple[object, ...]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ValidationFailed(f"无法读取 Excel 文件：{str(exc)[:100]}", field="file") from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        if not hasattr(sheet, "iter_rows"):  # a chart sheet holds no rows
            raise ValidationFailed("第一个工作表不是数据表", field="file")
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                raise ValidationFailed(f"一次最多导入 {MAX_ROWS} 行", field="file")
            yield number, tuple(row)
    finally:
        book.close()


@dataclass
class _Group:
    """The rows of one item code as read: its columns from the first row, its questions."""

    code: str
    first_row: int
    columns: dict[str, str]
    questions: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    broken: bool = False  # a row of it was refused: the item is not read


def read_xlsx(data: bytes) -> ParsedFile:
    with contextlib.closing(_sheet_rows(data)) as rows:  # the workbook closes even on a refusal
        return _read_rows(rows)


def _read_rows(rows: Iterator[tuple[int, tuple[object, ...]]]) -> ParsedFile:
    parsed = ParsedFile("xlsx")
    first = next(rows, None)
    if first is None:
        raise ValidationFailed("工作表为空", field="file")
    where = _locate(first[1])
    groups: dict[str, _Group] = {}
    last_code = ""
    for number, cells in rows:
        values = {key: cells[i] if i < len(cells) else None for key, i in where.items()}
        if all(_cell_text(v) == "" for v in values.values()):
            continue
        code = _cell_text(values.get("code")).upper() or last_code  # merged cells: the code above
        if not code:
            parsed.rejects.append(Reject(number, HEADER["code"], "缺少事项编码"))
            continue
        last_code = code
        group = groups.get(code)
        item_cells = {key: _cell_text(values.get(key)) for key, _ in ITEM_COLUMNS if key in where}
        if group is None:
            group = groups[code] = _Group(code, number, item_cells)
        else:
            clash = [
                HEADER[key]
                for key, text in item_cells.items()
                if text and key != "code" and group.columns.get(key) and text != group.columns[key]
            ]
            if clash:
                parsed.rejects.append(
                    Reject(number, "、".join(clash), f"与该事项第 {group.first_row} 行的值不一致", code)
                )
                group.broken = True
                continue
            for key, text in item_cells.items():
                if text and not group.columns.get(key):
                    group.columns[key] = text
        try:
            group.questions.append((number, _question_cells(values)))
        except _CellProblem as exc:
            parsed.rejects.append(Reject(number, exc.column, exc.message, code))
            group.broken = True
    if not groups and not parsed.rejects:
        raise ValidationFailed("文件中没有入格事项", field="file")
    for group in groups.values():
        _item_of_group(group, parsed)
    return parsed


class _CellProblem(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _question_cells(values: dict[str, object]) -> dict[str, Any]:
    """One row's question as its JSON form; _CellProblem naming the column of a bad cell."""

    def text(key: str) -> str:
        return _cell_text(values.get(key))

    def parse(key: str, reader: Any) -> Any:
        try:
            return reader(values.get(key))
        except ValidationFailed as exc:
            raise _CellProblem(HEADER[key], exc.message) from None

    kind_text = text("type")
    kind = parse("type", lambda v: AnswerType.parse(_cell_text(v))) if kind_text else None
    question: dict[str, Any] = {"id": text("question_id"), "text": text("question"), "type": kind_text}
    question["required"] = parse("required", _cell_bool)
    if text("photo"):
        question["photo"] = parse("photo", lambda v: PhotoRule.parse(_cell_text(v)).value)
    if text("unit"):
        question["unit"] = text("unit")
    for key, label in (("min", "最小值"), ("max", "最大值")):
        number = parse(key, lambda v, label=label: _cell_number(v, label))
        if number is not None:
            question[key] = number
    if text("options"):
        question["options"] = [o.strip() for o in text("options").split("|") if o.strip()]
    if text("hazards"):
        question["hazards"] = parse("hazards", lambda v: _hazards_json(_cell_text(v), kind))
    if text("help"):
        question["help"] = text("help")
    return question


_QUESTION_PROBLEM = re.compile(r"^问题 ([^：]+)：")


def _item_of_group(group: _Group, parsed: ParsedFile) -> None:
    columns = group.columns
    data: dict[str, Any] = {
        "code": group.code,
        "name": columns.get("name", ""),
        "department": columns.get("department", ""),
        "frequency": columns.get("frequency", ""),
        "questions": [q for _, q in group.questions],
    }
    problems: list[tuple[int, str, str]] = []  # (row, column, reason)
    try:
        data["object_kinds"] = [ObjectKind.parse(w).value for w in _words(columns.get("object_kinds", ""))]
    except ValidationFailed as exc:
        problems.append((group.first_row, HEADER["object_kinds"], exc.message))
    if columns.get("min_risk"):
        data["min_risk"] = columns["min_risk"]
    if columns.get("tags"):
        data["tags"] = _words(columns["tags"])
    if columns.get("season"):
        data["season"] = columns["season"]
    if columns.get("legal_basis"):
        data["legal_basis"] = columns["legal_basis"]
    if columns.get("risk_frequencies"):
        try:
            data["risk_frequencies"] = _risk_frequencies(columns["risk_frequencies"])
        except ValidationFailed as exc:
            problems.append((group.first_row, HEADER["risk_frequencies"], exc.message))
    if not problems:
        try:
            item = item_from_json(data)
        except ValidationFailed as exc:
            rows_by_id = {str(q.get("id")): row for row, q in group.questions}
            for problem in _problems(exc):
                match = _QUESTION_PROBLEM.match(problem)
                row = rows_by_id.get(match.group(1), group.first_row) if match else group.first_row
                problems.append((row, "", problem))
        else:
            if not group.broken:
                parsed.items.append(ParsedItem(item, tuple(row for row, _ in group.questions)))
            return
    for row, column, reason in problems:
        parsed.rejects.append(Reject(row, column, reason, group.code))


def _risk_frequencies(cell: str) -> dict[str, str]:
    """按风险频次 "高:每14天；重大:每周" → {"high": "every 14 days", "major": "weekly"}."""
    out: dict[str, str] = {}
    for part in _words(cell, _RULES_SPLIT):
        level_text, sep, frequency_text = part.replace("：", ":").partition(":")
        if not sep:
            raise ValidationFailed(f"按风险频次「{part[:20]}」应写作 等级:频次，如 高:每周")
        level = RiskLevel.parse(level_text)
        out[level.value] = str(Frequency.parse(frequency_text))
    return out


# -- XLSX: writing --------------------------------------------------------------------------------------


def _row_cells(item: GridItem, question: Question) -> list[object]:
    cells: dict[str, object] = {
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "object_kinds": kinds_cell(item.object_kinds),
        "min_risk": item.min_risk.label if item.min_risk else "",
        "tags": "、".join(item.tags),
        "frequency": item.frequency.label,
        "risk_frequencies": risk_frequencies_cell(item),
        "season": item.season.label if item.season else "",
        "legal_basis": item.legal_basis,
        "question_id": question.id,
        "question": question.text,
        "type": question.type.label,
        "required": "是" if question.required else "否",
        "photo": question.photo.label,
        "unit": question.unit,
        "min": question.minimum,
        "max": question.maximum,
        "options": "|".join(question.options),
        "hazards": hazards_cell(question),
        "help": question.help,
    }
    return [cells[key] for key, _ in COLUMNS]


def write_xlsx(items: Iterable[GridItem]) -> bytes:
    """The items as a workbook: sheet 入格事项 (one row per question) and sheet 说明.

    Every text cell is stored as text: a cell starting with "=" is never run as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append([label for _, label in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for item in items:
        for question in item.questions:
            sheet.append(_row_cells(item, question))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even "=…": no formula
    sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJKLMNOPQRSTU", (10, 22, 18, 12, 10, 10, 10, 18, 8, 30, 12, 40), strict=False
    ):
        sheet.column_dimensions[letter].width = width
    notes = book.create_sheet("说明")
    notes.append(["列名", "说明"])
    for key, label in COLUMNS:
        notes.append([label, COLUMN_HELP[key]])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


__all__ = [
    "COLUMNS",
    "FORMAT",
    "XLSX_MEDIA_TYPE",
    "ParsedFile",
    "ParsedItem",
    "Reject",
    "document",
    "file_format",
    "read_file",
    "read_json",
    "read_xlsx",
    "write_json",
    "write_xlsx",
]
