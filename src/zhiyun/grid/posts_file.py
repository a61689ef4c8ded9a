"""A file of grid workers' posts (网格员岗位表) for `zhiyun grid post`: CSV (UTF-8, with or
without a BOM; GBK as the spreadsheet programs of the district save it) or XLSX.

One row per post, the header naming the columns in Chinese or English:

| column | aliases | what |
|---|---|---|
| 用户名 | username, 账号 | the worker's account (role grid_worker) |
| 村居 | village, 村居编码 | the village/community unit's code |
| 类型 | kind, 岗位 | 专职网格员 / 兼职网格员 / 网格长 (or full_time, part_time, chief) |
| 网格编码 | grid, 网格 | the 15-digit grid code; empty for a 网格长 |
| 起始日期 | since | YYYY-MM-DD; empty: today |

Every problem of the file is reported at once with its row number, and nothing is posted when
there is one (`read_posts` refuses the file's form; `GridWorkerService.add_posts` its content).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid import WorkerKind
from zhiyun.grid.workers import NewPost

MAX_ROWS = 50_000
MAX_PROBLEMS = 20
COLUMNS: dict[str, tuple[str, ...]] = {
    "username": ("用户名", "username", "账号"),
    "village": ("村居", "village", "村居编码"),
    "kind": ("类型", "kind", "岗位"),
    "grid": ("网格编码", "grid", "网格"),
    "since": ("起始日期", "since"),
}
REQUIRED = ("username", "village", "kind")


def _rows(path: Path) -> Iterator[list[str]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ValidationFailed(f"无法读取 XLSX 文件：{exc}", field="file") from None
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield [
                    "" if v is None else (v.date().isoformat() if isinstance(v, datetime) else str(v))
                    for v in values
                ]
        finally:
            book.close()
        return
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed("文件编码无法识别：请保存为 UTF-8 或 GBK 的 CSV", field="file")
    yield from csv.reader(io.StringIO(text))


def _header(cells: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        for key, aliases in COLUMNS.items():
            if name in (a.lower() for a in aliases) and key not in found:
                found[key] = index
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in found]
    if missing:
        raise ValidationFailed(f"表头缺少列：{'、'.join(missing)}", field="file")
    return found


def read_posts(path: Path) -> list[NewPost]:
    """The posts of the file; ValidationFailed naming every problem (row numbers as a
    spreadsheet shows them, the header being row 1)."""
    if not path.is_file():
        raise ValidationFailed(f"文件不存在：{path}", field="file")
    rows = _rows(path)
    header = next(rows, None)
    if header is None:
        raise ValidationFailed("文件为空", field="file")
    columns = _header(header)
    posts: list[NewPost] = []
    problems: list[str] = []
    for number, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(posts) >= MAX_ROWS:
            raise ValidationFailed(f"一次最多导入 {MAX_ROWS:,} 条岗位", field="file")

        def cell(key: str, cells: Sequence[str] = cells) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        try:
            kind = WorkerKind.parse(cell("kind"))
        except ValidationFailed as exc:
            problems.append(f"第 {number} 行：{exc.message}")
            continue
        username, village, grid, since_text = cell("username"), cell("village"), cell("grid"), cell("since")
        if not username or not village:
            problems.append(f"第 {number} 行：须填写用户名和村居")
            continue
        since: date | None = None
        if since_text:
            try:
                since = date.fromisoformat(since_text[:10])
            except ValueError:
                problems.append(f"第 {number} 行：起始日期「{since_text[:20]}」应为 YYYY-MM-DD")
                continue
        posts.append(NewPost(username, village, kind, grid or None, since))
    if problems:
        shown = "；".join(problems[:MAX_PROBLEMS])
        more = f"；另有 {len(problems) - MAX_PROBLEMS} 处" if len(problems) > MAX_PROBLEMS else ""
        raise ValidationFailed(f"岗位表有 {len(problems)} 处问题：{shown}{more}", problems=problems)
    if not posts:
        raise ValidationFailed("岗位表没有数据行", field="file")
    return posts


__all__ = ["COLUMNS", "read_posts"]
