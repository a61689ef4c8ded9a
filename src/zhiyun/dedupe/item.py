"""A report as duplicate detection sees it (`DedupeItem`): segmented text, category, caller, place, time.

An item is made from a report's text (`from_text`, segmented; the tokens and weights of
recent texts are kept in a bounded cache) or from the signature stored at its registration
(`from_signature`, see `zhiyun.dedupe.signature`). Pure: no database, no I/O.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from zhiyun.dedupe.signature import SIGNATURE_VERSION, parse_signature
from zhiyun.dedupe.text_features import TextFeatures, bigram_weights, norm, weighted_sum, word_weights
from zhiyun.kernel.text import Segmenter, default_segmenter

MAX_CONTENT_CHARS = 1000  # what a report is about is said in its first paragraphs
TEXT_CACHE_SIZE = 1024  # texts whose tokens and weights are kept: ~40 KB each for a typical report


class _TextCache:
    """A bounded, thread-safe LRU of (title, content) → (title tokens, content tokens, weights)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...], TextFeatures]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, title: str, content: str) -> tuple[tuple[str, ...], tuple[str, ...], TextFeatures] | None:
        with self._lock:
            value = self._data.get((title, content))
            if value is not None:
                self._data.move_to_end((title, content))
            return value

    def put(
        self, title: str, content: str, value: tuple[tuple[str, ...], tuple[str, ...], TextFeatures]
    ) -> None:
        with self._lock:
            self._data[(title, content)] = value
            self._data.move_to_end((title, content))
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


_TEXT_CACHE = _TextCache(TEXT_CACHE_SIZE)


@dataclass(frozen=True)
class DedupeItem:
    """One report as duplicate detection sees it: segmented text, category, caller, place, time."""

    id: int | None
    title_tokens: tuple[str, ...]
    content_tokens: tuple[str, ...]
    category_code: str | None = None
    phone: str | None = None
    lat: float | None = None
    lon: float | None = None
    registered_at: datetime | None = None  # aware
    status: str | None = field(default=None, compare=False)
    number: str | None = field(default=None, compare=False)  # a stored order's number, for the people

    @classmethod
    def from_text(
        cls,
        id: int | None,
        title: str,
        content: str,
        *,
        category_code: str | None = None,
        phone: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        registered_at: datetime | None = None,
        status: str | None = None,
        number: str | None = None,
        segmenter: Segmenter | None = None,
    ) -> DedupeItem:
        """Segment title and content (the default segmenter unless one is given).

        With the default segmenter the tokens and term weights of a text are kept in a
        bounded cache: the open orders of a busy spot are scored again for every new report.
        """
        title, content = title or "", (content or "")[:MAX_CONTENT_CHARS]
        cached = _TEXT_CACHE.get(title, content) if segmenter is None else None
        if cached is not None:
            title_tokens, content_tokens, features = cached
        else:
            seg = segmenter or default_segmenter()
            title_tokens, content_tokens = tuple(seg.tokens(title)), tuple(seg.tokens(content))
            features = None
        item = cls(
            id=id,
            title_tokens=title_tokens,
            content_tokens=content_tokens,
            category_code=category_code or None,
            phone=phone or None,
            lat=lat,
            lon=lon,
            registered_at=registered_at,
            status=status,
            number=number,
        )
        if features is not None:
            item.__dict__["features"] = features  # what the cached_property would compute
        elif segmenter is None:
            _TEXT_CACHE.put(title, content, (title_tokens, content_tokens, item.features))
        return item

    @classmethod
    def from_signature(
        cls,
        id: int | None,
        signature: str,
        *,
        category_code: str | None = None,
        phone: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        registered_at: datetime | None = None,
        status: str | None = None,
        number: str | None = None,
    ) -> DedupeItem | None:
        """A stored order from the weights kept at its registration (`signature`); None when unusable.

        Scoring a candidate needs only its weights, and parsing them is an order of magnitude
        cheaper than segmenting the text again. A signature of another version, or one that
        does not parse, gives None: the caller segments the text instead.
        """
        features = parse_signature(signature)
        if features is None:
            return None
        item = cls(
            id=id,
            title_tokens=(),
            content_tokens=(),
            category_code=category_code or None,
            phone=phone or None,
            lat=lat,
            lon=lon,
            registered_at=registered_at,
            status=status,
            number=number,
        )
        item.__dict__["features"] = features
        return item

    def signature(self) -> str:
        """The weights of this report's text, stored at registration (see from_signature).

        Version 2: the version, then for the words, the bigrams and the title a line of terms
        (tab-separated) and a line of their weights (space-separated, exact float reprs), then
        the three norms and the size. A term holding a tab or a line break (never produced
        by the segmenter) is written as version 1's JSON instead, which is still read.
        """
        f = self.features
        terms = (f.words, f.bigrams, f.title)
        if any("\t" in t or "\n" in t for weights in terms for t in weights):
            return json.dumps(
                [1, f.words, f.bigrams, f.title, [f.words_norm, f.bigrams_norm, f.title_norm], f.size],
                ensure_ascii=False,
                separators=(",", ":"),
            )
        lines = [str(SIGNATURE_VERSION)]
        for weights in terms:
            lines.append("\t".join(weights))
            lines.append(" ".join(map(repr, weights.values())))
        lines.append(" ".join(map(repr, (f.words_norm, f.bigrams_norm, f.title_norm, f.size))))
        return "\n".join(lines)

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None

    @cached_property
    def features(self) -> TextFeatures:
        title_words = word_weights(self.title_tokens)
        title_bigrams = bigram_weights(self.title_tokens)
        words = weighted_sum(word_weights(self.content_tokens), title_words)
        bigrams = weighted_sum(bigram_weights(self.content_tokens), title_bigrams)
        title = weighted_sum(title_words, title_bigrams, 1.0)
        return TextFeatures(
            words=words,
            bigrams=bigrams,
            title=title,
            words_norm=norm(words),
            bigrams_norm=norm(bigrams),
            title_norm=norm(title),
            size=sum(bigrams.values()),
        )
