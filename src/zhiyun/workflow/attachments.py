"""Attachments: files on an order (photos, recordings, documents), checked and stored by content hash.

The file type is judged by its first bytes, not by what the client claims; a file whose
bytes do not match an allowed type, or that is larger than the limit, is refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhiyun.config import Settings
from zhiyun.domain.access import Actor, Role, can_view
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import OrderStatus, TransitionRecord
from zhiyun.store import orders as repo
from zhiyun.store.db import Database
from zhiyun.store.tables import AttachmentRow
from zhiyun.workflow.reference import Clock, ReferenceCache, system_clock
from zhiyun.workflow.views import AttachmentView, attachment_view

CHUNK = 1024 * 1024

# (magic prefix, offset, content type)
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"ftyp", 4, "video/mp4"),
)


def sniff(head: bytes, filename: str) -> str | None:
    """The content type that a file's first bytes show, or None when unrecognised."""
    for magic, offset, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    suffix = Path(filename).suffix.lower()
    if head[:4] == b"PK\x03\x04":
        return {
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }.get(suffix)
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}.get(suffix)
    if suffix == ".txt":
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            # a multi-byte character may be cut at the end of the sniffed head
            try:
                head[:-3].decode("utf-8")
            except UnicodeDecodeError:
                return None
        return "text/plain"
    return None


def safe_filename(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    return base[:200] or "附件"


@dataclass(frozen=True)
class StoredFile:
    view: AttachmentView
    path: Path


class AttachmentService:
    """Upload and read attachments of orders the actor may see."""

    def __init__(
        self,
        db: Database,
        settings: Settings | None = None,
        *,
        clock: Clock = system_clock,
        reference: ReferenceCache | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock
        self.reference = reference or ReferenceCache()

    @property
    def root(self) -> Path:
        return Path(self.settings.attachment_dir)

    def _write_temp(self, stream: BinaryIO) -> tuple[Path, str, int, bytes]:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.settings.attachment_max_bytes:
                        raise ValidationFailed(
                            f"附件超过大小上限 {self.settings.attachment_max_bytes // (1024 * 1024)} MB",
                            field="file",
                        )
                    if len(head) < 512:
                        head += chunk[: 512 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp), digest.hexdigest(), size, head

    def add(self, actor: Actor, order_key: str | int, filename: str, stream: BinaryIO) -> AttachmentView:
        """Store a file on an order; its type is checked against the allowed list by its bytes."""
        if actor.role is Role.LEADER:
            raise PermissionDenied("领导账号不能上传附件")
        name = safe_filename(filename)
        tmp, sha, size, head = self._write_temp(stream)
        try:
            if size == 0:
                raise ValidationFailed("附件为空", field="file")
            kind = sniff(head, name)
            if kind is None or kind not in self.settings.attachment_types:
                raise ValidationFailed(
                    "不支持的附件类型（允许图片、PDF、音视频、Office 文档、文本）", field="file"
                )
            now = self.clock()
            with self.db.transaction() as session:
                snap = self.reference.get(session)
                row = repo.find_order(session, order_key)
                if row is None or not can_view(actor, repo.involved_units(session, row.id), snap.org):
                    raise NotFound("工单不存在")
                if OrderStatus(row.status).is_terminal:
                    raise ValidationFailed("已归档或撤销的工单不能再上传附件", field="file")
                key = f"{sha[:2]}/{sha}"
                target = self.root / key
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    tmp.unlink()
                else:
                    tmp.replace(target)
                record = TransitionRecord(
                    action="attach",
                    from_status=OrderStatus(row.status),
                    to_status=OrderStatus(row.status),
                    from_unit_id=row.current_unit_id,
                    to_unit_id=row.current_unit_id,
                    note=name,
                    details={"sha256": sha, "size": size, "content_type": kind},
                )
                transition = repo.transition_row(row.id, record, actor, now)
                session.add(transition)
                session.flush()
                attachment = AttachmentRow(
                    order_id=row.id,
                    transition_id=transition.id,
                    filename=name,
                    content_type=kind,
                    size=size,
                    sha256=sha,
                    storage_key=key,
                    uploaded_by=actor.user_id,
                    created_at=now,
                )
                session.add(attachment)
                session.flush()
                return attachment_view(attachment)
        finally:
            tmp.unlink(missing_ok=True)

    def open(self, actor: Actor, attachment_id: int) -> StoredFile:
        with self.db.reading() as session:
            snap = self.reference.get(session)
            row = session.get(AttachmentRow, attachment_id)
            if row is None or not can_view(actor, repo.involved_units(session, row.order_id), snap.org):
                raise NotFound("附件不存在")
            path = self.root / row.storage_key
            if not path.is_file():
                raise NotFound("附件文件已丢失，请联系管理员")
            return StoredFile(attachment_view(row), path)
