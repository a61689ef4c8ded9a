"""Bulk import of historical work orders from CSV, XLSX or JSON lines (`zhiyun import orders`).

A mapping file (JSON, see docs/import.md) says which source column holds which order
field, gives constants and value maps (投诉 → complaint). The file is read as a stream
(csv reader, openpyxl read-only, one JSON line at a time); each row is validated and
normalized (text, phone, coordinates, times, units); bad rows go to a rejects CSV with
their reasons and the good ones are stored in batches by `zhiyun.importer.writers`, one
transaction per batch. The calling thread reads and validates while writer threads (two
connections on PostgreSQL) store the batches before.

Idempotent: a row whose (channel, external id) is stored already is skipped, so a second
run stores nothing twice and a run cut short resumes. Without an external id column the
id is a hash of the row's content ("h:" + 32 hex digits).
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zhiyun.domain.errors import ValidationFailed
from zhiyun.importer.mapping import (
    DEFAULT_BATCH,
    DEFAULT_PG_WRITERS,
    FIELDS,
    IMPORT_SWITCH_INTERVAL,
    ImportMapping,
)
from zhiyun.importer.report import ImportProgress, ImportReport, RejectsFile, rejects_location
from zhiyun.importer.sources import Source, open_source
from zhiyun.importer.staged_row import I_CHANNEL, I_EXTERNAL_ID, I_NUMBER, I_ROWNUM
from zhiyun.importer.validate import Locate, RowErrors, RowValidator
from zhiyun.importer.writers import bulk_writer
from zhiyun.importer.writers.batch import BatchResult, BulkOrderWriter
from zhiyun.kernel.gil import short_gil_slices
from zhiyun.reference.repo import load_org
from zhiyun.store.db import Database

# --------------------------------------------------------------------------- the import


@dataclass
class _Batch:
    rows: list[list[Any]]
    raws: list[Any]
    read: int  # rows read up to the end of this batch
    position: int
    repeated: int  # rows whose order came earlier in the same batch (counted as already imported)


_DONE = object()


class BulkImporter:
    """Imports a file of historical orders into one database (the use case behind `zhiyun import orders`).

    The calling thread reads and validates; `writers` threads (default: 2 on PostgreSQL,
    each with a connection of its own, so that the server works on two batches while
    Python parses the next; 1 on SQLite, which has a single writer) store the batches.
    """

    def __init__(
        self,
        db: Database,
        *,
        prefix: str = "NH",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        locate: Locate | None = None,
        writers: int | None = None,
    ) -> None:
        self.db = db
        self.prefix = prefix
        self.clock = clock
        self.locate = locate
        self.writers = 1 if db.is_sqlite else max(1, writers or DEFAULT_PG_WRITERS)

    def run(
        self,
        path: str | Path,
        mapping: ImportMapping,
        *,
        channel: str | None = None,
        batch_size: int = DEFAULT_BATCH,
        rejects_path: str | Path | None = None,
        progress: Callable[[ImportProgress], None] | None = None,
    ) -> ImportReport:
        """Import `path`; the good rows are stored, the bad ones written to the rejects file."""
        path = Path(path)
        if not path.is_file():
            raise ValidationFailed(f"文件不存在：{path}", field="file")
        if batch_size < 1:
            raise ValidationFailed("批次大小必须是正整数", field="batch")
        mapping = mapping.with_channel(channel)
        mapping.require_channel()
        started = time.perf_counter()
        with self.db.reading() as session:
            org = load_org(session)
        if not org.units:
            raise ValidationFailed("数据库中还没有组织架构：请先运行 `zhiyun org import`")
        fields = tuple(f for f in FIELDS if f in mapping.columns)
        validator = RowValidator(mapping, fields, org, now=self.clock(), locate=self.locate)
        source = open_source(path, mapping, fields)
        report = ImportReport(file=path.name)
        if rejects_path:
            rejects = RejectsFile(Path(rejects_path), source.header, report)
        else:
            target, passed_over = rejects_location(path)
            rejects = RejectsFile(
                target,
                source.header,
                report,
                fallback=None if passed_over else Path.cwd() / target.name,
                moved_from=passed_over,
            )
        writers: list[BulkOrderWriter] = []
        try:
            for _ in range(self.writers):
                writers.append(bulk_writer(self.db, prefix=self.prefix, clock=self.clock))
            self._pipeline(source, validator, writers, rejects, report, batch_size, progress, path.name)
        finally:
            for writer in writers:
                writer.close()
            source.close()
            rejects.close()
            report.seconds = time.perf_counter() - started
        return report

    def _pipeline(
        self,
        source: Source,
        validator: RowValidator,
        writers: list[BulkOrderWriter],
        rejects: RejectsFile,
        report: ImportReport,
        batch_size: int,
        progress: Callable[[ImportProgress], None] | None,
        label: str,
    ) -> None:
        """Read and validate here, store in the writer threads: the database works while Python parses."""
        batches: queue.Queue[Any] = queue.Queue(maxsize=len(writers) + 1)
        failed = threading.Event()  # a writer failed, or reading did: store nothing more
        errors: list[BaseException] = []
        lock = threading.Lock()
        state = ImportProgress(size=source.size)

        def store(writer: BulkOrderWriter) -> None:
            while True:
                item = batches.get()
                if item is _DONE:
                    return
                if failed.is_set():
                    continue
                try:
                    outcome = writer.write(item.rows, label)
                    with lock:
                        self._account(outcome, item, source, rejects, report)
                        state.read = max(state.read, item.read)
                        state.position = max(state.position, item.position)
                        state.imported, state.already_imported = report.imported, report.already_imported
                        state.rejected = report.rejected
                        if progress is not None:
                            progress(state)
                except BaseException as exc:
                    errors.append(exc)
                    failed.set()

        threads = [
            threading.Thread(target=store, args=(w,), name=f"zhiyun-import-writer-{i}", daemon=True)
            for i, w in enumerate(writers)
        ]
        with short_gil_slices(IMPORT_SWITCH_INTERVAL):
            for thread in threads:
                thread.start()
            try:
                self._feed(self._batches(source, validator, rejects, batch_size), batches, failed, report)
            except BaseException:
                failed.set()
                raise
            finally:
                for _ in threads:
                    batches.put(_DONE)
                for thread in threads:
                    thread.join()
        if errors:
            raise errors[0]

    @staticmethod
    def _feed(
        source: Iterator[_Batch], batches: queue.Queue[Any], failed: threading.Event, report: ImportReport
    ) -> None:
        """Hand the batches to the writers, unless one of them failed."""
        for batch in source:
            while not failed.is_set():
                try:
                    batches.put(batch, timeout=0.2)
                    break
                except queue.Full:
                    continue
            if failed.is_set():
                return
            report.read = batch.read

    @staticmethod
    def _account(
        outcome: BatchResult, batch: _Batch, source: Source, rejects: RejectsFile, report: ImportReport
    ) -> None:
        report.imported += outcome.imported
        report.already_imported += outcome.already_imported + batch.repeated
        if outcome.rejected:
            raw_of = {row[I_ROWNUM]: raw for row, raw in zip(batch.rows, batch.raws, strict=True)}
            for rownum, name, message in outcome.rejected:
                rejects.add(rownum, [(name, message)], source.raw_cells(raw_of[rownum]))

    @staticmethod
    def _batches(
        source: Source, validator: RowValidator, rejects: RejectsFile, batch_size: int
    ) -> Iterator[_Batch]:
        validate = validator.validate
        rows: list[list[Any]] = []
        raws: list[Any] = []
        keys: dict[tuple[str, str], int] = {}
        numbers: dict[str, int] = {}
        read = repeated = 0
        raw_cells = source.raw_cells

        def content_key(raw: Any) -> str:
            cells = raw_cells(raw)
            while cells and cells[-1] == "":
                cells.pop()
            return "\x1f".join(cells)

        for rownum, values, raw in source.records():
            read += 1
            checked = validate(rownum, values, functools.partial(content_key, raw))
            if isinstance(checked, RowErrors):
                rejects.add(rownum, checked, raw_cells(raw))
                continue
            staged: list[Any] = checked
            key = (staged[I_CHANNEL], staged[I_EXTERNAL_ID])
            if key in keys:  # the same order twice in one batch: the first stands
                repeated += 1
                continue
            keys[key] = rownum
            number = staged[I_NUMBER]
            if number is not None:
                first = numbers.get(number)
                if first is not None:
                    rejects.add(rownum, [("number", f"工单编号与第 {first} 行重复")], raw_cells(raw))
                    continue
                numbers[number] = rownum
            rows.append(staged)
            raws.append(raw)
            if len(rows) >= batch_size:
                yield _Batch(rows, raws, read, source.position(), repeated)
                rows, raws, keys, numbers, repeated = [], [], {}, {}, 0
        yield _Batch(rows, raws, read, source.position(), repeated)
