"""Files people hand in: what encoding a text file is in."""

from __future__ import annotations

import codecs
from pathlib import Path

from zhiyun.domain.errors import ValidationFailed


def detect_encoding(path: Path, sample_size: int = 1 << 20) -> str:
    """utf-8-sig with a BOM, utf-16 with its BOM, utf-8 when the first MiB decodes, else gb18030."""
    with path.open("rb") as f:
        head = f.read(sample_size)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < sample_size)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=len(head) < sample_size)
        return "gb18030"
    except UnicodeDecodeError:
        raise ValidationFailed(f"无法识别文件编码：{path.name}（应为 UTF-8 或 GB18030/GBK）") from None
