"""Chinese text at intake: segmentation with the domain dictionary, tokens, full-text words.

`Segmenter` wraps rjieba (jieba-rs) with the platform's user dictionary
(``kernel/dict/domain_words.txt``: 占道经营, 噪音扰民, 井盖, 垃圾清运, 12345 …) and stop
words (``kernel/dict/stop_words.txt``: function words and petition boilerplate such as
您好, 希望, 相关部门, 尽快处理). Text is NFKC-normalized (full-width letters and digits
become ASCII), lower-cased and converted from Traditional to Simplified Chinese
(`zhiyun.kernel.chinese.to_simplified`, OpenCC) before it is cut, so 路燈不亮 and 路灯不亮
give the same words.

- `tokens(text)`: the words that say what a message is about, in order, for duplicate
  scoring and classifiers (precise mode; punctuation and stop words dropped).
- `Segmenter.tag(text)`: every piece with its part-of-speech flag (place names in
  `zhiyun.hotspots.places` are walked back over nouns and unknown words only).
- `search_text(title, content)`: the words joined by spaces, for the full-text index
  (PostgreSQL ``to_tsvector('simple', …)``, SQLite FTS5). It uses jieba's search mode, so a
  long word is indexed together with its parts (占道经营 and 经营); a query segmented with
  `tokens` finds it.

Nothing happens at import time: the dictionary is loaded on first use, once, under a lock.
A loaded segmenter is never changed again, so it may be shared by threads.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

from zhiyun.kernel.chinese import to_simplified

if TYPE_CHECKING:
    from rjieba import Jieba

__all__ = [
    "Segmenter",
    "default_segmenter",
    "load_word_list",
    "search_text",
    "tokens",
]

DOMAIN_WORDS_FILE = "domain_words.txt"
STOP_WORDS_FILE = "stop_words.txt"
DOMAIN_MIN_FREQ = 10_000  # jieba's general dictionary: ~60 million in all; 路 27,626, 路灯 447, 小区 415


def load_word_list(name: str) -> list[tuple[str, int | None]]:
    """A word list shipped in ``zhiyun/intake/dict``: (word, frequency or None) per line."""
    text = resources.files("zhiyun.kernel").joinpath("dict", name).read_text(encoding="utf-8")
    words: list[tuple[str, int | None]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words.append((normalize(parts[0]), freq))
    return words


def normalize(text: str) -> str:
    """NFKC (full-width → ASCII, compatibility forms folded), lower case, Simplified Chinese."""
    return to_simplified(unicodedata.normalize("NFKC", text).lower())


def _is_word(token: str) -> bool:
    """Whether a piece of segmenter output is a word, not space or punctuation.

    Chinese characters are letters to Python (category Lo), so `isalnum` covers them.
    """
    return token.isalnum() or any(ch.isalnum() for ch in token)


class Segmenter:
    """rjieba with the domain dictionary and stop words; loaded lazily, then read-only.

    `user_words` are added to the shipped domain dictionary (a site's own place names,
    for example); `stop_words` replaces the shipped stop-word list when given.
    `domain_dictionary=False` leaves jieba's general dictionary alone (for comparisons).
    """

    def __init__(
        self,
        user_words: Iterable[str] = (),
        stop_words: Iterable[str] | None = None,
        *,
        domain_dictionary: bool = True,
    ) -> None:
        self._extra_words = [normalize(w).strip() for w in user_words if w.strip()]
        self._stop_override = None if stop_words is None else frozenset(normalize(w) for w in stop_words)
        self._domain_dictionary = domain_dictionary
        self._lock = threading.Lock()
        self._jieba: Jieba | None = None
        self._stop: frozenset[str] = frozenset()

    # -- loading ------------------------------------------------------------------

    def load(self) -> None:
        """Load the dictionaries now (a process about to take work: its first text waits for
        nothing then)."""
        self._loaded()

    def _loaded(self) -> Jieba:
        jieba = self._jieba
        if jieba is not None:
            return jieba
        with self._lock:
            if self._jieba is None:
                from rjieba import Jieba  # importing rjieba builds its default dictionary: only now

                fresh = Jieba()
                words: list[tuple[str, int | None]] = []
                if self._domain_dictionary:
                    words.extend(load_word_list(DOMAIN_WORDS_FILE))
                words.extend((w, None) for w in self._extra_words)
                for word, freq in words:
                    # Without a frequency a word gets at least that of a common word, so that it
                    # wins against odd splits of the general dictionary (路|灯不亮 → 路灯|不亮).
                    if freq is None:
                        freq = max(fresh.suggest_freq(word), DOMAIN_MIN_FREQ)
                    fresh.add_word(word, freq, None)
                if self._stop_override is not None:
                    self._stop = self._stop_override
                else:
                    self._stop = frozenset(w for w, _ in load_word_list(STOP_WORDS_FILE))
                self._jieba = fresh  # published last: other threads see a complete segmenter
            return self._jieba

    @property
    def stop_words(self) -> frozenset[str]:
        self._loaded()
        return self._stop

    def has_word(self, word: str) -> bool:
        """Whether the dictionary (general plus domain) knows `word`."""
        return self._loaded().has_word(normalize(word))

    # -- cutting ------------------------------------------------------------------

    def cut(self, text: str) -> list[str]:
        """All words of `text` in order (precise mode), normalized; spaces and punctuation dropped."""
        if not text:
            return []
        return [w for w in self._loaded().cut(normalize(text)) if _is_word(w)]

    def tokens(self, text: str) -> list[str]:
        """The words that carry meaning: `cut` without the stop words."""
        if not text:
            return []
        jieba = self._loaded()
        stop = self._stop
        return [w for w in jieba.cut(normalize(text)) if w not in stop and _is_word(w)]

    def tag(self, text: str) -> list[tuple[str, str]]:
        """Every piece of `text` (normalized) with jieba's part-of-speech flag, punctuation and
        spaces included (flag "x"), in order: for rules that need word boundaries and kinds."""
        if not text:
            return []
        return [(w, f) for w, f in self._loaded().tag(normalize(text), True)]

    def search_words(self, text: str) -> list[str]:
        """Words for a full-text index: search mode (long words and their parts), no stop words."""
        if not text:
            return []
        jieba = self._loaded()
        stop = self._stop
        return [w for w in jieba.cut_for_search(normalize(text)) if w not in stop and _is_word(w)]

    def search_text(self, title: str, content: str) -> str:
        """Title and content as space-joined words, for `work_order.search_text`."""
        return " ".join([*self.search_words(title), *self.search_words(content)])


_default: Segmenter | None = None
_default_lock = threading.Lock()


def default_segmenter() -> Segmenter:
    """The process-wide segmenter with the shipped dictionary (created on first call)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Segmenter()
    return _default


def tokens(text: str) -> list[str]:
    """The meaningful words of `text` with the default segmenter (see `Segmenter.tokens`)."""
    return default_segmenter().tokens(text)


def search_text(title: str, content: str) -> str:
    """Words of title and content joined by spaces, for full-text indexes."""
    return default_segmenter().search_text(title, content)
