"""What a writer is: it stores batches of validated rows and says what became of each row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

NUMBER_TAKEN = "工单编号已被另一张工单使用"
GENERATED_NUMBER_TAKEN = (
    "生成的工单编号已被另一张工单使用（文件中的历史编号与自动编号冲突），重新导入即可为该行另取编号"
)


@dataclass
class BatchResult:
    """What became of one batch: stored, skipped as already imported, refused (row, field, reason)."""

    imported: int = 0
    already_imported: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)


class BulkOrderWriter(Protocol):
    """Stores batches of validated rows, one transaction per batch."""

    def write(self, rows: Sequence[list[Any]], source: str) -> BatchResult: ...

    def close(self) -> None: ...
