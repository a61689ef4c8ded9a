"""Traditional Chinese to Simplified, before any text rule, word list or model sees a message.

`to_simplified(text)` converts with OpenCC (the ``opencc`` package) and two of its stock
configurations in a row:

- ``hk2t``: Hong Kong variant forms to OpenCC's standard Traditional (衞→衛, 衹→只, 枱→檯);
- ``tw2s``: Taiwan variant forms to standard Traditional, then Traditional to Simplified by
  OpenCC's phrase and character tables (著火→着火, 裡面→里面, 燃氣洩漏→燃气泄漏,
  路燈不亮，電線掉落→路灯不亮，电线掉落).

Why not plain ``t2s``: it leaves 著火, 睡著, 看著 (the Taiwan and standard Traditional spelling
of 着) and Hong Kong's 衞生 as they are, so 着火 and 卫生 would never be seen. The ``…2sp``
configurations are not used either: they also swap regional vocabulary (計程車→出租车),
which changes the words a citizen chose, not only the script.

Simplified text is never passed to OpenCC, because OpenCC is not the identity on it: its
phrase table turns 打坏 into 打坯 (坏 is also a Traditional character, "unfired brick") and
``tw2s`` turns a lone 么 into 幺. A text is converted only when it holds a *Traditional-only
character*: a CJK ideograph that the conversion changes on its own and that is not in
GB 2312, the Simplified national character set (GB 2312 has 乾, 後, 於, 麽 … for names and
special uses; those alone do not make a text Traditional). The set, about 5,100 characters,
is built once, on first use, from OpenCC itself by converting every CJK code point (the
package ships its dictionaries only as compiled tries, ``*.ocd2``, not as text). Limits that
follow: a Traditional text without any such character (回覆, 瞭解 written alone) stays as it
is, and a mixed text is converted whole.

Fast path: text without a Traditional-only character is returned as the same object without
calling OpenCC. Micro benchmark, measured on the 2-core development machine (Python 3.11,
opencc 1.4.2; the ranges are an idle machine and one with the other core busy)::

    import timeit
    from zhiyun.kernel.chinese import to_simplified
    to_simplified("预热")  # loads OpenCC and builds the character set: 80-140 ms, once
    msg = ("您好，夏北社区幸福路12号旁边的路灯已经连续一个星期不亮了，晚上老人和小孩走路很不方便，"
           "上周有人在这里摔倒。另外路口的井盖松动，车辆经过时响声很大，影响附近居民休息。") * 3
    msg = msg[:200]
    n = 100_000
    timeit.timeit(lambda: to_simplified(msg), number=n) / n  # 200 Simplified characters: 1.1-1.9 µs
    timeit.timeit(lambda: to_simplified("Street light 12"), number=n) / n  # ASCII: 0.06-0.1 µs
    # the same 200 characters in Traditional, converted by OpenCC twice: 17-40 µs

Nothing happens at import time: OpenCC is imported and its converters and the character set
are built on first use, once, under a lock. They are never changed afterwards, so the
function may be called from many threads (OpenCC's C++ converter is read-only while it
converts).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Protocol

__all__ = ["CONFIGS", "is_traditional", "to_simplified"]

# Applied in this order: Hong Kong variants to standard Traditional, then Taiwan variants
# and Traditional to Simplified.
CONFIGS: tuple[str, ...] = ("hk2t", "tw2s")

# Every CJK ideograph block: radicals, extension A, the unified block, compatibility
# ideographs, extensions B to I (planes 2 and 3).
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x2E80, 0x2FDF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)
_ASTRAL_CJK = "\U00020000-\U000323af"


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@dataclass(frozen=True)
class _Loaded:
    converters: tuple[_Converter, ...]
    characters: frozenset[str]  # the Traditional-only characters
    # A character class of the Basic Multilingual Plane's Traditional-only characters plus all
    # of planes 2 and 3: regular expressions test a large class of BMP characters with a
    # bitmap, but a long list of astral characters one by one (~200 µs for 200 characters).
    candidates: re.Pattern[str]


_loaded: _Loaded | None = None
_lock = threading.Lock()


def _convert(converters: tuple[_Converter, ...], text: str) -> str:
    for converter in converters:
        text = str(converter.convert(text))
    return text


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _traditional_only(converters: tuple[_Converter, ...]) -> frozenset[str]:
    """CJK ideographs that the conversion changes on their own and GB 2312 does not have."""
    chars = [chr(code) for first, last in _CJK_RANGES for code in range(first, last + 1)]
    # One call: no OpenCC phrase spans a line break, so each character is converted alone.
    converted = _convert(converters, "\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps line breaks
        raise RuntimeError("OpenCC changed the number of lines while listing characters")
    return frozenset(
        char for char, out in zip(chars, converted, strict=True) if out != char and not _in_gb2312(char)
    )


def _load() -> _Loaded:
    global _loaded
    loaded = _loaded
    if loaded is not None:
        return loaded
    with _lock:
        if _loaded is None:
            import opencc  # the C++ library and its dictionaries: only now

            converters: tuple[_Converter, ...] = tuple(opencc.OpenCC(name) for name in CONFIGS)
            characters = _traditional_only(converters)
            bmp = "".join(sorted(c for c in characters if c <= "\uffff"))  # all CJK: no metacharacter
            candidates = re.compile(f"[{bmp}{_ASTRAL_CJK}]")
            _loaded = _Loaded(converters, characters, candidates)  # published last, complete
        return _loaded


def _has_traditional(loaded: _Loaded, text: str) -> bool:
    # Every BMP match is a Traditional-only character; an astral one (rare) must be looked up.
    match = loaded.candidates.search(text)
    while match is not None:
        if match.group() in loaded.characters:
            return True
        match = loaded.candidates.search(text, match.end())
    return False


def is_traditional(text: str) -> bool:
    """Whether `text` holds a Traditional-only character (and so would be converted)."""
    if not text or text.isascii():
        return False
    return _has_traditional(_load(), text)


def to_simplified(text: str) -> str:
    """`text` in Simplified Chinese; the same object when it has no Traditional-only character."""
    if not text or text.isascii():
        return text
    loaded = _load()
    if not _has_traditional(loaded, text):
        return text
    return _convert(loaded.converters, text)
