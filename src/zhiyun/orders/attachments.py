"""Attachments: files on an order (photos, recordings, documents), checked and stored by content hash.

What a file must be to be stored (each refusal is a ValidationFailed, 422, naming the reason):

- **Its type is judged by its bytes**, not by what the client claims: the first bytes must
  show one of the types in `FILE_TYPES` that the site allows (`Settings.attachment_types`).
  Text (UTF-8) is recognised in a `.txt` file or a file without an extension; HEIC and AVIF
  photos are recognised but refused unless the site allows them. Files over the size limit
  and empty files are refused.
- **Its name must say the same**: the name's extension must be one of the detected type's
  (`FILE_TYPES[...].extensions`: a JPEG may be `.jpg .jpeg .jfif .jpe`), so `evil.exe` and
  `photo.jpg.exe` holding a JPEG are refused. A name without an extension (nothing after the
  last dot, or no plausible extension: `现场.照片`, `报告.2024`) gets the type's canonical
  extension appended (`现场照片` → `现场照片.jpg`), so that the stored name, which is also
  the download name, always carries the right one. Files stored before this rule are
  served under their name with the right extension appended (`download_name`).
- **No programs**: Windows (PE, `MZ`), Linux (ELF), macOS (Mach-O) executables, Java classes,
  Windows shortcuts and `#!` scripts are refused whatever they are named.
- **No archives**: RAR, 7z, gzip, bzip2, xz, zstd, tar and CAB files are refused, and so is
  a ZIP unless it really is a Word or Excel 2007+ document (below).
- **No markup posing as something else**: `<html`, `<script`, `<svg`, `<!doctype`, `<iframe`,
  `<body`, `<object`, `<embed` or `<?php` (any letter case, NUL bytes ignored) in the first
  KiB of any file, text files included, is refused (a GIF/HTML polyglot, a page named .txt).
- **Word and Excel 2007+ (.docx, .xlsx) are ZIP containers**, checked with `zipfile` and with
  bounds against ZIP bombs: at most `ZIP_MAX_MEMBERS` members and `ZIP_MAX_TOTAL` bytes in
  all once unpacked (as declared in the central directory, checked before anything is
  unpacked; reading never goes past a member's declared size), no member over 1 MiB packed
  more than `ZIP_MAX_RATIO` to 1; only the first KiB of each member is unpacked, and whole
  members only for `[Content_Types].xml`, embedded Office files and OLE objects. The ZIP must hold `[Content_Types].xml` declaring the main part
  of the kind its content shows (`word/` for a docx, `xl/` for an xlsx), no macros
  (`vbaProject.bin`, macro-enabled content types), no member that is a program or an
  archive by its name (.exe .dll .js .vbs .bat .cmd .scr .ps1 .jar .msi .zip .rar …) or by
  its first bytes (a PE, ELF or Mach-O header, an archive's signature), no embedded OLE package (an `Ole10Native` stream: how a program is
  hidden inside an Office file). Office files embedded in it (a chart's data) are checked
  the same way, one level deep. Encrypted or damaged ZIPs are refused.
- Word and Excel 97-2003 (.doc, .xls, OLE2 containers) are accepted by their signature and
  extension, as before; their content is not inspected.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from sqlalchemy.orm import Session

from zhiyun.config import Settings
from zhiyun.domain.access import Actor, can_view
from zhiyun.domain.errors import NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.order_access import may_attach, may_attach_to_report, may_upload
from zhiyun.domain.workorder import Attach, OrderStatus
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.orders import repo
from zhiyun.orders.service import WorkOrderService
from zhiyun.orders.views import AttachmentView, attachment_view
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import AttachmentRow, WorkOrderRow

CHUNK = 1024 * 1024
HEAD_BYTES = 1024  # the first bytes kept for judging the type and looking for markup
# An uploaded file is recorded even when someone changes the order at the same moment (see
# WorkOrderService.record_in: a lost race is retried once, on the order locked).
ATTACH_RETRIES = 1

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"


@dataclass(frozen=True)
class FileType:
    """A type of attachment: what people call it and the extensions its name may end with
    (the first is the one appended to a name without any)."""

    label: str
    extensions: tuple[str, ...]


FILE_TYPES: dict[str, FileType] = {
    "image/jpeg": FileType("JPEG 图片", (".jpg", ".jpeg", ".jfif", ".jpe")),
    "image/png": FileType("PNG 图片", (".png",)),
    "image/gif": FileType("GIF 图片", (".gif",)),
    "image/webp": FileType("WebP 图片", (".webp",)),
    "image/heic": FileType("HEIC 图片", (".heic", ".heif")),
    "image/avif": FileType("AVIF 图片", (".avif",)),
    "application/pdf": FileType("PDF 文档", (".pdf",)),
    "audio/mpeg": FileType("MP3 音频", (".mp3",)),
    "audio/wav": FileType("WAV 音频", (".wav",)),
    "video/mp4": FileType("MP4 音视频", (".mp4", ".m4v", ".mov", ".3gp", ".m4a")),
    "text/plain": FileType("文本", (".txt",)),
    DOCX: FileType("Word 文档", (".docx",)),
    XLSX: FileType("Excel 表格", (".xlsx",)),
    DOC: FileType("Word 97-2003 文档", (".doc",)),
    XLS: FileType("Excel 97-2003 表格", (".xls",)),
}

# (magic prefix, offset, content type)
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
)
_ISO_IMAGE_BRANDS = {
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heic",
    b"msf1": "image/heic",
}
_ISO_IMAGE_BRANDS[b"avif"] = "image/avif"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

# (magic prefix, what it is): programs, refused whatever their name
_EXECUTABLES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行程序（EXE/DLL）"),
    (b"\x7fELF", "Linux 可执行程序（ELF）"),
    (b"\xfe\xed\xfa\xce", "macOS 可执行程序（Mach-O）"),
    (b"\xfe\xed\xfa\xcf", "macOS 可执行程序（Mach-O）"),
    (b"\xce\xfa\xed\xfe", "macOS 可执行程序（Mach-O）"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行程序（Mach-O）"),
    (b"\xca\xfe\xba\xbe", "macOS 通用程序或 Java 类文件"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "Windows 快捷方式（LNK）"),
    (b"#!", "脚本（#!）"),
)
# (magic prefix, offset, name): archives other than ZIP, refused
_ARCHIVES: tuple[tuple[bytes, int, str], ...] = (
    (b"Rar!\x1a\x07", 0, "RAR"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd"),
    (b"MSCF", 0, "CAB"),
    (b"ustar", 257, "tar"),
)
_MARKUP = re.compile(
    rb"<(?:html|script|svg|!doctype|iframe|body|object|embed|\?php)(?![a-z0-9_-])", re.IGNORECASE
)

# ZIP containers (Office 2007+ documents)
ZIP_MAX_MEMBERS = 2_000
ZIP_MAX_TOTAL = 100 * 1024 * 1024  # bytes once unpacked, as declared, embedded documents included
ZIP_MAX_RATIO = 100  # unpacked : packed, for members over ZIP_RATIO_FROM unpacked
ZIP_RATIO_FROM = 1024 * 1024
CONTENT_TYPES_MAX = 1024 * 1024
OLE_PACKAGE = "Ole10Native".encode("utf-16-le")  # the stream of an embedded "package" (any file)
# fmt: off
EXECUTABLE_SUFFIXES = frozenset({
    ".exe", ".dll", ".com", ".scr", ".pif", ".cpl", ".sys", ".drv", ".ocx", ".msi", ".msp",
    ".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta", ".bat", ".cmd", ".ps1", ".psm1",
    ".sh", ".jar", ".class", ".apk", ".lnk", ".reg", ".app", ".elf", ".so", ".dylib",
})
ARCHIVE_SUFFIXES = frozenset({
    ".zip", ".rar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".tar", ".cab", ".iso", ".arj", ".lzh",
})
# fmt: on
_OOXML_MAIN = {
    DOCX: ("word/", b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    XLSX: ("xl/", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
}
_EMBEDDED_OFFICE = (".docx", ".xlsx", ".pptx")
_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


def _refuse(reason: str) -> ValidationFailed:
    return ValidationFailed(reason, field="file")


def _unsupported() -> ValidationFailed:
    return _refuse("不支持的附件类型（允许图片、PDF、音视频、Office 文档、文本）")


def sniff(head: bytes, filename: str) -> str | None:
    """The content type that a file's first bytes show, or None when unrecognised.

    ZIP-based documents (docx, xlsx) are told apart by their content (`inspect_zip`), OLE2 ones
    (doc, xls) and text by the name's extension."""
    for magic, offset, kind in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return kind
    if head[4:8] == b"ftyp":
        return _ISO_IMAGE_BRANDS.get(head[8:12], "video/mp4")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    suffix = extension_of(filename)
    if head[:8] == OLE2:
        return {".doc": DOC, ".xls": XLS}.get(suffix or "")
    if suffix in (".txt", None) and head:
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
    """The base name only (no folders), without control characters and the characters Windows
    forbids in names; trailing dots and spaces dropped (Windows drops them: `evil.exe.`)."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join("_" if c in ':*?"<>|' else c for c in base if c.isprintable())
    return base.strip().rstrip(". ")[:200] or "附件"


def extension_of(filename: str) -> str | None:
    """The name's extension in lower case (`.jpg`), or None when it has none: nothing after the
    last dot, or something no extension looks like (`现场.照片`, `报告.2024`)."""
    stem, dot, last = filename.rpartition(".")
    if not dot or not stem:
        return None
    suffix = "." + last.lower()
    if not _EXTENSION.fullmatch(suffix) or suffix[1:].isdigit():
        return None
    return suffix


def named_for(filename: str, content_type: str) -> str:
    """The name to store for a file of `content_type`: as given when its extension is one of the
    type's, with the canonical extension appended when it has none; ValidationFailed when it
    has another."""
    expected = FILE_TYPES[content_type]
    suffix = extension_of(filename)
    if suffix is None:
        return filename[: 200 - len(expected.extensions[0])] + expected.extensions[0]
    if suffix not in expected.extensions:
        raise _refuse(
            f"文件扩展名 {suffix} 与文件内容（{expected.label}）不符：应为 {'、'.join(expected.extensions)}"
        )
    return filename


def download_name(filename: str, content_type: str) -> str:
    """The name to serve a stored file under: its name, with the type's extension appended when
    the name does not end with one (attachments stored before names were checked)."""
    expected = FILE_TYPES.get(content_type)
    if expected is None or extension_of(filename) in expected.extensions:
        return filename
    return filename + expected.extensions[0]


def _check_head(head: bytes) -> None:
    """Refuse programs, archives other than ZIP, and markup in the first bytes."""
    for magic, what in _EXECUTABLES:
        if head.startswith(magic):
            raise _refuse(f"不能上传可执行文件：文件内容是{what}")
    for magic, offset, what in _ARCHIVES:
        if head[offset : offset + len(magic)] == magic:
            raise _refuse(f"不能上传压缩包（{what}）：请解压后上传其中的图片或文档")
    found = _MARKUP.search(head.replace(b"\x00", b""))
    if found:
        tag = found.group(0).decode("ascii", "replace").lower()
        raise _refuse(f"文件开头含有网页或脚本标记（{tag}），可能是伪装成图片或文档的网页，不能上传")


class _Budget:
    """What the inspection of one upload may still unpack (embedded documents share it)."""

    def __init__(self) -> None:
        self.left = ZIP_MAX_TOTAL

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise _refuse(
                f"压缩内容解压后超过 {ZIP_MAX_TOTAL // (1024 * 1024)} MB，可能是 ZIP 炸弹，不能上传"
            )


def inspect_zip(source: str | Path | IO[bytes]) -> str:
    """The Office 2007+ type (DOCX or XLSX) of a ZIP file, checked as the module says; a
    ValidationFailed naming the reason for anything else."""
    return _inspect_zip(source, _Budget(), depth=0)


def _inspect_zip(source: str | Path | IO[bytes], budget: _Budget, *, depth: int) -> str:
    try:
        with zipfile.ZipFile(source) as archive:
            return _inspect_members(archive, budget, depth=depth)
    except ValidationFailed:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        OSError,
        zlib.error,
    ):
        raise _refuse("ZIP 文件已损坏、加密或无法读取，不能作为 Office 文档上传") from None


def _inspect_members(archive: zipfile.ZipFile, budget: _Budget, *, depth: int) -> str:
    members = archive.infolist()
    if len(members) > ZIP_MAX_MEMBERS:
        raise _refuse(
            f"压缩内容有 {len(members)} 个文件，超过 {ZIP_MAX_MEMBERS} 个，可能是 ZIP 炸弹，不能上传"
        )
    budget.take(sum(m.file_size for m in members))
    names = set()
    for member in members:
        name = member.filename
        names.add(name)
        if member.file_size > ZIP_RATIO_FROM and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise _refuse(f"压缩内容的压缩比异常（{name[:60]}），可能是 ZIP 炸弹，不能上传")
        if member.flag_bits & 0x1:
            raise _refuse("加密的压缩内容无法检查，不能上传")
        suffix = PurePosixPath(name.lower()).suffix
        if suffix in EXECUTABLE_SUFFIXES:
            raise _refuse(f"文档中夹带可执行文件（{name[:60]}），不能上传")
        if suffix in ARCHIVE_SUFFIXES:
            raise _refuse(f"文档中夹带压缩包（{name[:60]}），不能上传")
        if name.lower().rsplit("/", 1)[-1] == "vbaproject.bin":
            raise _refuse("含宏（VBA）的文档不能上传：请另存为不含宏的 .docx 或 .xlsx")
    if "[Content_Types].xml" not in names:
        raise _refuse("不能上传压缩包（ZIP）：它不是 Word 或 Excel 文档（缺少 [Content_Types].xml）")
    with archive.open("[Content_Types].xml") as f:
        declared = f.read(CONTENT_TYPES_MAX + 1)
    if len(declared) > CONTENT_TYPES_MAX:
        raise _refuse("Office 文档的 [Content_Types].xml 过大，不能上传")
    if b"macroenabled" in declared.lower():
        raise _refuse("含宏（VBA）的文档不能上传：请另存为不含宏的 .docx 或 .xlsx")
    kinds = [
        kind
        for kind, (folder, main) in _OOXML_MAIN.items()
        if main in declared and any(n.startswith(folder) for n in names)
    ]
    if depth > 0 and not kinds and b"presentationml" in declared and any(n.startswith("ppt/") for n in names):
        kinds = ["pptx"]  # a presentation embedded in a document: allowed, checked like the rest
    if len(kinds) != 1:
        raise _refuse("不能上传压缩包（ZIP）：它不是有效的 Word 或 Excel 文档")
    for member in members:
        if member.is_dir() or member.file_size == 0:
            continue
        _check_member(archive, member, budget, depth=depth)
    return kinds[0]


def _check_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: _Budget, *, depth: int) -> None:
    name = member.filename
    with archive.open(member) as f:
        head = f.read(HEAD_BYTES)
    if _is_program(head):
        raise _refuse(f"文档中夹带可执行文件（{name[:60]}），不能上传")
    if head.startswith(ZIP_MAGIC):
        if depth > 0 or not name.lower().endswith(_EMBEDDED_OFFICE):
            raise _refuse(f"文档中夹带压缩包（{name[:60]}），不能上传")
        with archive.open(member) as f:
            embedded = f.read(member.file_size)  # within the budget: its declared size was counted
        _inspect_zip(io.BytesIO(embedded), budget, depth=depth + 1)
        return
    for magic, offset, what in _ARCHIVES:
        if offset == 0 and head.startswith(magic):
            raise _refuse(f"文档中夹带压缩包（{name[:60]}：{what}），不能上传")
    if head.startswith(OLE2):
        with archive.open(member) as f:
            body = f.read(member.file_size)
        if OLE_PACKAGE in body:
            raise _refuse(f"文档中嵌入了文件包（{name[:60]}，可能藏有程序），不能上传")


def _is_program(head: bytes) -> bool:
    """Whether the first bytes of a part inside a document are a program's. Parts may be any
    binary (obfuscated fonts, images), so `MZ` counts only with the PE header it points to."""
    if head.startswith(b"MZ"):
        pe = int.from_bytes(head[0x3C:0x40], "little")
        return 0x40 <= pe <= len(head) - 4 and head[pe : pe + 4] == b"PE\x00\x00"
    return any(head.startswith(magic) for magic, _ in _EXECUTABLES if magic not in (b"MZ", b"#!"))


def check_upload(path: Path, head: bytes, filename: str, allowed: tuple[str, ...]) -> tuple[str, str]:
    """(content type, name to store) of an uploaded file, judged as the module says; a
    ValidationFailed naming the reason when it is refused."""
    _check_head(head)
    if head.startswith(ZIP_MAGIC):
        kind: str | None = inspect_zip(path)
    else:
        kind = sniff(head, filename)
        if kind is None and head[:8] == OLE2:
            raise _refuse("Office 97-2003 文件须以 .doc 或 .xls 为扩展名（其他类型不支持）")
    if kind is None or kind not in allowed or kind not in FILE_TYPES:
        if kind in ("image/heic", "image/avif"):
            raise _refuse(f"{FILE_TYPES[kind].label}暂不支持：请转换为 JPEG 后上传")
        raise _unsupported()
    return kind, named_for(filename, kind)


def spool_upload(
    root: Path, stream: BinaryIO, max_bytes: int, *, what: str = "附件"
) -> tuple[Path, str, int, bytes]:
    """Copy an upload into a temporary file in the store `root`: (its path, SHA-256, size, first
    bytes). Refused past `max_bytes` (ValidationFailed naming `what`, nothing left behind).
    The caller checks it (`check_upload`) and keeps it (`keep_spooled`) or deletes it."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed(
                        f"{what}超过大小上限 {max_bytes // (1024 * 1024)} MB", field="file"
                    )
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp), digest.hexdigest(), size, head


def keep_spooled(root: Path, tmp: Path, sha: str) -> str:
    """Move a spooled file to its place in the store, by content hash (a file already there is
    the same bytes: the spooled copy goes); its storage key."""
    key = f"{sha[:2]}/{sha}"
    target = root / key
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        tmp.unlink()
    else:
        tmp.replace(target)
    return key


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
        orders: WorkOrderService | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings()
        self.clock = clock
        self.reference = reference or ReferenceCache()
        # a file is a change of the order: recorded through the order use cases
        self.orders = orders or WorkOrderService(db, self.settings, clock=clock, reference=self.reference)

    @property
    def root(self) -> Path:
        return Path(self.settings.attachment_dir)

    def add(self, actor: Actor, order_key: str | int, filename: str, stream: BinaryIO) -> AttachmentView:
        """Store a file on an order; its bytes and its name are checked as the module says."""
        if not may_upload(actor):
            raise PermissionDenied("您的角色不能上传附件")
        with self.db.reading() as session:  # refused before a byte of the file is stored
            self._attachable(session, actor, order_key, self.clock())
        tmp, sha, size, head = spool_upload(self.root, stream, self.settings.attachment_max_bytes)
        try:
            kind, name = self._checked(tmp, size, head, filename)
            now = self.clock()
            with self.db.transaction() as session:
                row = self._attachable(session, actor, order_key, now)
                return self._store(session, actor, row, tmp, sha, size, kind, name, now)
        finally:
            tmp.unlink(missing_ok=True)

    def add_in(
        self, session: Session, actor: Actor, row: WorkOrderRow, filename: str, data: bytes, now: datetime
    ) -> AttachmentView:
        """Store a file (its bytes in hand: a photo of a grid worker's report) on a loaded order
        inside the caller's transaction, checked as `add` checks it: the same policies
        (`may_upload`, then `may_attach` on the order now) and the same rules for the file. A
        file written before the caller's transaction rolls back stays in the store unreferenced
        (files are stored by content hash, so a retry finds it there)."""
        if not may_upload(actor):
            raise PermissionDenied("您的角色不能上传附件")
        snap = self.reference.get(session)
        if OrderStatus(row.status).is_terminal:
            raise ValidationFailed("已归档或撤销的工单不能再上传附件", field="file")
        if not may_attach(actor, repo.state_of(row), snap.rule_context(now)):
            raise PermissionDenied("只有正在办理该工单的单位可以上传附件")
        tmp, sha, size, head = spool_upload(self.root, io.BytesIO(data), self.settings.attachment_max_bytes)
        try:
            kind, name = self._checked(tmp, size, head, filename)
            return self._store(session, actor, row, tmp, sha, size, kind, name, now)
        finally:
            tmp.unlink(missing_ok=True)

    def add_to_report_in(
        self, session: Session, actor: Actor, row: WorkOrderRow, filename: str, data: bytes, now: datetime
    ) -> AttachmentView:
        """Store a citizen's photo of the problem they report (the citizens' portal) on the order
        their report has just registered, inside the registration's transaction: the policy is
        `may_attach_to_report` (a citizen, the order still at intake), the file's rules are
        every upload's."""
        snap = self.reference.get(session)
        if not may_attach_to_report(actor, repo.state_of(row), snap.rule_context(now)):
            raise PermissionDenied("只能在反映问题时一并上传照片")
        tmp, sha, size, head = spool_upload(self.root, io.BytesIO(data), self.settings.attachment_max_bytes)
        try:
            kind, name = self._checked(tmp, size, head, filename)
            return self._store(session, actor, row, tmp, sha, size, kind, name, now)
        finally:
            tmp.unlink(missing_ok=True)

    def _checked(self, tmp: Path, size: int, head: bytes, filename: str) -> tuple[str, str]:
        if size == 0:
            raise ValidationFailed("附件为空", field="file")
        return check_upload(tmp, head, safe_filename(filename), self.settings.attachment_types)

    def _store(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        tmp: Path,
        sha: str,
        size: int,
        kind: str,
        name: str,
        now: datetime,
    ) -> AttachmentView:
        """Move the checked file into the store and record it on the order (one audit row)."""
        key = keep_spooled(self.root, tmp, sha)
        event = Attach(filename=name, sha256=sha, size=size, content_type=kind)
        recorded = self.orders.record_in(session, actor, row, event, now, retries=ATTACH_RETRIES)
        attachment = AttachmentRow(
            order_id=row.id,
            transition_id=recorded.audit_id,
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

    def _attachable(
        self, session: Session, actor: Actor, order_key: str | int, now: datetime
    ) -> WorkOrderRow:
        """The order `order_key` if `actor` may add a file to it now (domain.order_access.may_attach):
        NotFound when they may not read it, ValidationFailed when it has ended, PermissionDenied
        when they take no part in it (a town that returned it, say)."""
        snap = self.reference.get(session)
        row = repo.find_order(session, order_key)
        if row is None or not can_view(actor, repo.involved_units(session, row.id), snap.org):
            raise NotFound("工单不存在")
        if OrderStatus(row.status).is_terminal:
            raise ValidationFailed("已归档或撤销的工单不能再上传附件", field="file")
        if not may_attach(actor, repo.state_of(row), snap.rule_context(now)):
            raise PermissionDenied("只有正在办理该工单的单位可以上传附件")
        return row

    def open(self, actor: Actor, attachment_id: int) -> StoredFile:
        if not 1 <= attachment_id <= repo.MAX_ORDER_ID:
            raise NotFound("附件不存在")
        with self.db.reading() as session:
            snap = self.reference.get(session)
            row = session.get(AttachmentRow, attachment_id)
            if row is None or not can_view(actor, repo.involved_units(session, row.order_id), snap.org):
                raise NotFound("附件不存在")
            path = self.root / row.storage_key
            if not path.is_file():
                raise NotFound("附件文件已丢失，请联系管理员")
            view = attachment_view(row)
            return StoredFile(replace(view, filename=download_name(view.filename, view.content_type)), path)
