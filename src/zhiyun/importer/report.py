"""What an import reports: counts, the rejected rows with their reasons (a rejects CSV), progress."""

from __future__ import annotations

import csv
import os
import stat
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from zhiyun.domain.errors import ValidationFailed

# --------------------------------------------------------------------------- report


@dataclass
class Rejection:
    rownum: int
    field: str
    message: str


@dataclass
class ImportProgress:
    """Where an import is: rows read and what became of them, and how far into the file."""

    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    position: int = 0
    size: int | None = None


@dataclass
class ImportReport:
    """What an import did. `examples`: the first rejections, for the summary."""

    file: str
    read: int = 0
    imported: int = 0
    already_imported: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    # the default place of the rejects file (next to the input) when it could not be written
    # there and the file went to the working directory instead
    rejects_moved_from: Path | None = None
    seconds: float = 0.0
    rejected_by_field: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)

    @property
    def orders_per_s(self) -> float:
        return self.imported / self.seconds if self.seconds > 0 else 0.0


class RejectsFile:
    """The rejected rows as CSV (UTF-8 with BOM, for Excel): 行号, 字段, 原因, then the row as read."""

    MAX_EXAMPLES = 20

    def __init__(
        self,
        path: Path,
        header: list[str],
        report: ImportReport,
        *,
        fallback: Path | None = None,
        moved_from: Path | None = None,
    ) -> None:
        """`fallback`: where to write when `path` cannot be opened (the default place next to
        the input only); `moved_from`: the default place, when `path` is already the fallback."""
        self.path = path
        self.header = header
        self.report = report
        self.fallback = fallback
        self.moved_from = moved_from
        self.lock = threading.Lock()
        self._file: IO[str] | None = None
        self._writer: Any = None

    def _open(self) -> IO[str]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self.path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            if self.fallback is None or self.fallback == self.path:
                raise ValidationFailed(
                    f"无法写入拒绝文件 {self.path}（{exc.strerror or exc}）：请用 --rejects 指定一个可写的位置",
                    field="rejects",
                ) from None
            self.moved_from, self.path, self.fallback = self.path, self.fallback, None
            return self._open()

    def add(self, rownum: int, errors: Sequence[tuple[str, str]], cells: list[str]) -> None:
        with self.lock:
            if self._writer is None:
                self._file = self._open()
                self._writer = csv.writer(self._file)
                self._writer.writerow(["行号", "字段", "原因", *self.header])
                self.report.rejects_path = self.path
                self.report.rejects_moved_from = self.moved_from
            fields = "；".join(dict.fromkeys(f for f, _ in errors))
            self._writer.writerow([rownum, fields, "；".join(m for _, m in errors), *cells])
            report = self.report
            report.rejected += 1
            for f, message in errors:
                report.rejected_by_field[f] += 1
                if len(report.examples) < self.MAX_EXAMPLES:
                    report.examples.append(Rejection(rownum, f, message))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        elif self._stale():
            # the rejects of an earlier run, all of them fixed or imported since
            self.path.unlink(missing_ok=True)

    def _stale(self) -> bool:
        """Whether the path holds a rejects file this importer wrote (its header says so)."""
        try:
            with self.path.open(encoding="utf-8-sig") as f:
                return f.readline().startswith("行号,字段,原因")
        except (OSError, UnicodeDecodeError):
            return False


def default_rejects_path(path: Path) -> Path:
    """Next to the input: orders.csv → orders.rejects.csv."""
    return path.with_name(f"{path.stem}.rejects.csv")


def writable_folder(folder: Path) -> bool:
    """Whether files may be written in `folder`: this process may write there, the folder is not
    read-only for everyone (no write bit at all, as shared data folders are: root honours that
    too, although the system would let it write) and its file system is not mounted read-only."""
    try:
        mode = folder.stat().st_mode
        if not stat.S_ISDIR(mode) or not mode & 0o222 or not os.access(folder, os.W_OK):
            return False
        return not os.statvfs(folder).f_flag & os.ST_RDONLY
    except OSError:
        return False


def rejects_location(path: Path, *, cwd: Path | None = None) -> tuple[Path, Path | None]:
    """Where the rejects of `path` go without --rejects: (the file, the default place passed over).

    Next to the input when its folder is writable; else in the working directory (a data folder
    may be read-only), and the second item names the default place so that the caller can say so.
    """
    default = default_rejects_path(path)
    elsewhere = (cwd or Path.cwd()) / default.name
    if writable_folder(default.parent) or elsewhere.resolve() == default.resolve():
        return default, None
    return elsewhere, default
