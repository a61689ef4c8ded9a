"""Retrieval over the knowledge items: BM25 (bm25s) over rjieba words, fields weighted, synonyms
folded, Traditional Chinese read as Simplified (docs/knowledge.md).

- **Words.** `Analyzer.words(text)`: the kernel's normalization (NFKC, lower case, OpenCC
  Traditional → Simplified, `kernel.text.normalize`), rjieba's search mode (a long word and its
  parts: 居民身份证 gives 居民, 身份, 身份证 and itself) with the domain dictionary plus every
  synonym, question words dropped (怎么, 请问, 吗 …), and each synonym replaced by the first
  word of its group (维修 → 报修), on the items and on the questions alike.
- **Fields.** Two BM25 indexes: the title with the similar questions, and the answer (with the
  category and the department). A question's score for an item is the weighted sum
  ``w_title · bm25_title + w_answer · bm25_answer`` divided by the same sum's upper bound for the
  question, ``Σ_f w_f · Σ_t idf_f(t) · (k1 + 1)`` (every distinct question word, unknown words
  at the largest idf): a score in [0, 1] that does not grow with the question's length, so one
  threshold serves short and long questions. A question of words the knowledge base has never
  seen (天气, 投诉) scores low for that reason.
- **Validity.** Items carry their valid days; `search(…, today)` never returns one outside them.

Building is in-process and cheap (2,262 items: under a second; 50,000: a few seconds); the
index is immutable once built, so threads may search it at once.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources

import numpy as np

from zhiyun.kernel.text import Segmenter, normalize

__all__ = [
    "DEFAULT_WEIGHTS",
    "Analyzer",
    "Document",
    "FieldWeights",
    "RetrievalIndex",
    "default_analyzer",
    "load_synonyms",
]

K1 = 1.2
B = 0.75
SYNONYMS_FILE = "synonyms.txt"

# Question words and particles: how a citizen asks, not what about.
QUESTION_WORDS = frozenset(
    [
        "怎么",
        "怎么样",
        "怎样",
        "如何",
        "什么",
        "啥",
        "哪里",
        "哪儿",
        "哪个",
        "哪些",
        "请问",
        "问",
        "问下",
        "问问",
        "一下",
        "我",
        "我们",
        "我家",
        "你们",
        "你好",
        "您好",
        "想",
        "想要",
        "要",
        "能",
        "能不能",
        "可以",
        "可不可以",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "了",
        "的",
        "地",
        "得",
        "是",
        "是不是",
        "有",
        "有没有",
        "在",
        "去",
        "给",
        "帮",
        "帮忙",
        "麻烦",
        "谢谢",
        "知道",
        "告诉",
        "多久",
        "这个",
        "那个",
        "一个",
        "应该",
        "需不需要",
        "还",
        "就",
        "都",
        "也",
        "和",
        "与",
        "及",
        "或",
    ]
)


@dataclass(frozen=True)
class FieldWeights:
    """How much each field counts: the title with the similar questions above the answer."""

    title: float = 3.0
    answer: float = 0.5
    chars: float = 2.0  # the title's and questions' single characters (换 finds 换领, 迁 finds 迁出)


DEFAULT_WEIGHTS = FieldWeights()


@dataclass(frozen=True)
class Document:
    """One knowledge item as the index holds it; `key` is its id as the caller knows it."""

    key: str
    title: str
    answer: str
    questions: tuple[str, ...] = ()
    category: str = ""
    department: str = ""
    source: str = ""
    valid_from: date | None = None
    valid_to: date | None = None


def load_synonyms(text: str | None = None) -> list[tuple[str, ...]]:
    """Synonym groups, one per line (words separated by spaces or ↔; # starts a comment); the
    shipped `knowledge/synonyms.txt` when `text` is None."""
    if text is None:
        text = resources.files("zhiyun.knowledge").joinpath(SYNONYMS_FILE).read_text(encoding="utf-8")
    groups: list[tuple[str, ...]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].replace("↔", " ").strip()
        words = tuple(dict.fromkeys(normalize(w) for w in line.split() if w))
        if len(words) > 1:
            groups.append(words)
    return groups


class Analyzer:
    """Text → index words: normalized, cut in search mode, question words dropped, synonyms folded."""

    def __init__(self, synonyms: Iterable[Sequence[str]] = ()) -> None:
        self.canonical: dict[str, str] = {}
        for group in synonyms:
            for word in group[1:]:
                self.canonical.setdefault(word, group[0])
        words = {w for group in synonyms for w in group}
        self.segmenter = Segmenter(user_words=sorted(words))

    def load(self) -> None:
        self.segmenter.load()

    def chars(self, text: str) -> list[str]:
        """The Chinese characters of `text` (normalized, synonyms folded first), question
        characters dropped: what matches when the words were cut differently (换 and 换领)."""
        folded = "".join(self.words(text))
        return [c for c in folded if "\u4e00" <= c <= "\u9fff" and c not in QUESTION_WORDS]

    def words(self, text: str) -> list[str]:
        canonical = self.canonical
        return [
            canonical.get(w, w)
            for w in self.segmenter.search_words(text)
            if w not in QUESTION_WORDS and not w.isspace()
        ]


_default: Analyzer | None = None
_default_lock = threading.Lock()


def default_analyzer() -> Analyzer:
    """The process-wide analyzer with the shipped synonyms (built on first call)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Analyzer(load_synonyms())
    return _default


def _idf(df: int, n: int) -> float:
    """Lucene's BM25 idf, as bm25s computes it."""
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class _Field:
    """One field's BM25 index and its words' document frequencies."""

    def __init__(self, corpus: list[list[str]]) -> None:
        import bm25s

        self.n = len(corpus)
        self.df: Counter[str] = Counter()
        for words in corpus:
            self.df.update(set(words))
        self.bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        # an empty document would be refused: the index's own empty word stands in for it
        self.bm25.index([words or [""] for words in corpus], show_progress=False)
        self.unseen_idf = _idf(0, self.n)

    def scores(self, words: list[str]) -> np.ndarray:
        known = [w for w in words if w in self.df]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def bound(self, words: list[str]) -> float:
        """The most `words` can score in this field: Σ idf · (k1 + 1)."""
        return sum(_idf(self.df[w], self.n) if w in self.df else self.unseen_idf for w in words) * (K1 + 1)


_NO_DAY_FROM = -(2**31)
_NO_DAY_TO = 2**31 - 1


class RetrievalIndex:
    """The BM25 indexes of a set of documents, searched by a question."""

    def __init__(
        self,
        documents: Sequence[Document],
        analyzer: Analyzer | None = None,
        weights: FieldWeights = DEFAULT_WEIGHTS,
    ) -> None:
        self.analyzer = analyzer or default_analyzer()
        self.weights = weights
        self.documents = tuple(documents)
        words = self.analyzer.words
        titles = [words(" ".join((d.title, *d.questions))) for d in self.documents]
        answers = [words(" ".join((d.answer, d.category, d.department))) for d in self.documents]
        chars = [self.analyzer.chars(" ".join((d.title, *d.questions))) for d in self.documents]
        self.title = _Field(titles) if self.documents else None
        self.answer = _Field(answers) if self.documents else None
        self.chars = _Field(chars) if self.documents else None
        self.valid_from = np.array(
            [d.valid_from.toordinal() if d.valid_from else _NO_DAY_FROM for d in self.documents],
            dtype=np.int64,
        )
        self.valid_to = np.array(
            [d.valid_to.toordinal() if d.valid_to else _NO_DAY_TO for d in self.documents], dtype=np.int64
        )
        self.dated = bool(np.any(self.valid_from != _NO_DAY_FROM) or np.any(self.valid_to != _NO_DAY_TO))

    def __len__(self) -> int:
        return len(self.documents)

    def search(self, question: str, top: int = 3, today: date | None = None) -> list[tuple[Document, float]]:
        """The `top` documents best matching `question`, best first, each with its score in
        [0, 1]; documents not valid on `today` (when given) are never returned, nor those that
        share no word with the question."""
        if self.title is None or self.answer is None or self.chars is None or top < 1:
            return []
        words = list(dict.fromkeys(self.analyzer.words(question)))
        if not words:
            return []
        chars = list(dict.fromkeys(self.analyzer.chars(question)))
        w = self.weights
        bound = w.title * self.title.bound(words) + w.answer * self.answer.bound(words)
        bound += w.chars * self.chars.bound(chars)
        if bound <= 0:
            return []
        scores = self.title.scores(words) * np.float32(w.title)
        scores += self.answer.scores(words) * np.float32(w.answer)
        if chars and w.chars:
            scores += self.chars.scores(chars) * np.float32(w.chars)
        if today is not None and self.dated:
            day = today.toordinal()
            scores[(self.valid_from > day) | (self.valid_to < day)] = 0.0
        k = min(top, len(scores))
        picked = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        ranked = sorted(picked.tolist(), key=lambda i: (-float(scores[i]), i))
        return [(self.documents[i], float(scores[i]) / bound) for i in ranked if scores[i] > 0]
