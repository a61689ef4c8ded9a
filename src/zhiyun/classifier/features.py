"""Text features of a work order for the classifier: TF-IDF blocks over words and characters.

A message is read as its title (the subject, 留言主题) and its content, normalized (NFKC,
Traditional characters as Simplified with OpenCC, lower case). Up to four TF-IDF blocks
and one prior-knowledge block are stacked side by side, each L2-normalized and weighted (a
weight of 0 leaves a block out); the defaults are those that held on messages never seen
(docs/classifier.md, "Measuring honestly"):

- ``text_chars`` (1.0): character n-grams (1–3) of title + content;
- ``text_words`` (0.5): rjieba words of title + content (`zhiyun.kernel.text.Segmenter`
  with the domain dictionary, stop words dropped);
- ``title_words`` and ``title_chars`` (off): words and character n-grams of the title
  alone — they won on the sample they were tuned on and lost on new messages;
- ``keywords`` (0.25, only when given): for every label of a taxonomy (an optional
  ``Mapping[label, keywords]``), log(1 + how many distinct keywords of it, its name
  included, occur in the text) — knowledge that needs no training data.

Term frequencies are raw counts (``sublinear_tf`` switches to 1 + ln tf, what model files
from before issue 16 used); idf is smoothed as in scikit-learn (ln((1 + n) / (1 + df)) + 1);
a term must occur in ``min_df`` (2) messages. Character n-grams are handled as integers:
the code points of an n-gram (n ≤ 3) packed into one uint64 (21 bits each); longer windows
(keywords) are a 64-bit polynomial hash with the top bit set. A batch of messages is turned
into windows, looked up in the sorted vocabulary and counted with numpy, without a Python
loop per n-gram. The fitted state is plain arrays and word lists, so that a model file is
stored as arrays and rebuilt without pickle (`files.py`). A fitted `FeatureSpace` is
read-only and may be shared by threads.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from zhiyun.kernel.chinese import to_simplified
from zhiyun.kernel.text import Segmenter, default_segmenter

__all__ = [
    "CHAR_BLOCKS",
    "GENERIC_KEYWORDS",
    "WORD_BLOCKS",
    "CharBlock",
    "FeatureConfig",
    "FeatureSpace",
    "KeywordBlock",
    "Prepared",
    "WordBlock",
    "char_keys",
    "prepare",
]

WORD_BLOCKS = ("text_words", "title_words")
CHAR_BLOCKS = ("text_chars", "title_chars")
MAX_PACKED = 3  # n-grams up to this length are packed exactly into a uint64
_SPACES = re.compile(r"[\s\x00]+")
# Words of petitions in general, not of any one matter: never keywords of a label.
GENERIC_KEYWORDS = frozenset(
    {
        "其他",
        "其它",
        "综合",
        "办理",
        "咨询",
        "投诉",
        "反映",
        "问题",
        "管理",
        "服务",
        "建议",
        "求助",
        "举报",
        "其他问题",
    }
)
_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)
_HASH_FLAG = np.uint64(1 << 63)


# What a model file written before a setting existed was trained with.
LEGACY_SETTINGS: Mapping[str, bool] = {"sublinear_tf": True}


@dataclass(frozen=True)
class FeatureConfig:
    """Block weights (0 leaves a block out) and vocabulary limits."""

    text_words: float = 0.5
    text_chars: float = 1.0
    title_words: float = 0.0
    title_chars: float = 0.0
    keywords: float = 0.25
    char_min: int = 1
    char_max: int = 3
    min_df: int = 2
    sublinear_tf: bool = False  # raw counts: a matter named three times weighs three times
    max_terms: int = 300_000  # per block, the most frequent kept
    max_chars: int = 3_000  # of title + content, for very long descriptions

    def weight(self, name: str) -> float:
        return float(getattr(self, name))

    def to_dict(self) -> dict[str, float | int | bool]:
        return {
            "text_words": self.text_words,
            "text_chars": self.text_chars,
            "title_words": self.title_words,
            "title_chars": self.title_chars,
            "keywords": self.keywords,
            "char_min": self.char_min,
            "char_max": self.char_max,
            "min_df": self.min_df,
            "sublinear_tf": self.sublinear_tf,
            "max_terms": self.max_terms,
            "max_chars": self.max_chars,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> FeatureConfig:
        values: dict[str, float | int | bool] = {}
        for key, default in cls().to_dict().items():
            raw = data.get(key, LEGACY_SETTINGS.get(key, default))
            if isinstance(default, bool):
                if not isinstance(raw, bool):
                    raise ValueError(f"feature setting {key} is not true or false")
                values[key] = raw
                continue
            if not isinstance(raw, int | float) or isinstance(raw, bool):
                raise ValueError(f"feature setting {key} is not a number")
            values[key] = type(default)(raw)
        config = cls(**values)  # type: ignore[arg-type]
        config.check()
        return config

    def check(self) -> None:
        if not 1 <= self.char_min <= self.char_max <= MAX_PACKED:
            raise ValueError(f"character n-grams must lie within 1..{MAX_PACKED}")


def normalize(text: str) -> str:
    """NFKC, Traditional characters as Simplified (OpenCC), lower case, runs of white space
    (and NULs) as one space."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFKC", text):  # the quick check is much cheaper
        text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", to_simplified(text).lower()).strip()


@dataclass(frozen=True)
class Prepared:
    """One message, normalized (and its words cut) once for every block."""

    title: str
    text: str
    title_words: list[str]
    text_words: list[str]


def prepare(
    title: str, content: str, segmenter: Segmenter, max_chars: int, *, text_words: bool = False
) -> Prepared:
    t = normalize(title)
    c = normalize(content)
    text = f"{t} {c}".strip()[:max_chars]
    title_words = segmenter.tokens(t)
    words = title_words + segmenter.tokens(text[len(t) + 1 :]) if text_words and c else title_words
    return Prepared(title=t, text=text, title_words=title_words, text_words=words)


# --------------------------------------------------------------------------- windows


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of the texts joined by NULs, and each position's text index."""
    joined = "\x00".join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    separators = np.cumsum(codes == 0)
    return codes, separators


def _window_keys(codes: np.ndarray, separators: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys of all windows of n code points that lie inside one text, and their text index."""
    size = len(codes) - n + 1
    if size <= 0:
        return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
    # A window is inside one text when no separator starts within it.
    start_sep = separators[:size] - (codes[:size] == 0)
    valid = separators[n - 1 : n - 1 + size] == start_sep
    if n <= MAX_PACKED:
        keys = codes[:size].copy()
        for k in range(1, n):
            keys = (keys << np.uint64(21)) | codes[k : k + size]
    else:
        keys = np.full(size, np.uint64(n), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(n):
                keys = keys * _HASH_MULT + codes[k : k + size]
        keys |= _HASH_FLAG
    return keys[valid], start_sep[valid].astype(np.int64)


def char_keys(text: str) -> np.ndarray:
    """The key of a whole string as one window (what a keyword or an n-gram is looked up as)."""
    codes, seps = _codes([text])
    keys, _ = _window_keys(codes, seps, len(text))
    return keys


def _grams(texts: Sequence[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    codes, seps = _codes(texts)
    parts = [_window_keys(codes, seps, n) for n in range(lo, hi + 1)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


Entries = tuple[np.ndarray, np.ndarray, np.ndarray]  # rows, columns, values; sorted by row, then column


def _csr(entries: Entries, n_docs: int, size: int) -> sp.csr_matrix:
    rows, cols, values = entries
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_docs))])
    return sp.csr_matrix((values, cols.astype(np.int32), indptr), shape=(n_docs, size))


def _tfidf_entries(
    docs: np.ndarray,
    cols: np.ndarray,
    n_docs: int,
    size: int,
    idf: np.ndarray,
    weight: float,
    sublinear: bool = False,
) -> Entries:
    """From (doc, column) occurrences: tf (or 1 + ln tf) · idf, rows L2-normalized · weight."""
    pair = docs * size + cols
    uniq, tf = np.unique(pair, return_counts=True)
    d = uniq // size
    c = uniq % size
    counts = 1.0 + np.log(tf) if sublinear else tf.astype(np.float64)
    values = counts * idf[c]
    norms = np.sqrt(np.bincount(d, weights=values * values, minlength=n_docs))
    values = values * (weight / norms[d])
    return d, c, values


def _smooth_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    out: np.ndarray = np.log((1.0 + n_docs) / (1.0 + df.astype(np.float64))) + 1.0
    return out


LARGE_CORPUS = 2_000  # from this many messages on, a term must occur in two of them


def _keep(df: np.ndarray, min_df: int, max_terms: int, n_docs: int) -> np.ndarray:
    """Indices of the terms to keep: df ≥ min_df, the max_terms most frequent, in input order.

    On a large corpus terms seen in one message only are dropped whatever `min_df` says:
    they are mostly noise and would make the model file grow with the history.
    """
    if n_docs >= LARGE_CORPUS:
        min_df = max(min_df, 2)
    idx = np.flatnonzero(df >= min_df)
    if len(idx) > max_terms:
        order = np.argsort(-df[idx], kind="stable")[:max_terms]
        idx = np.sort(idx[order])
    return idx


_EMPTY: Entries = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class CharBlock:
    """A fitted TF-IDF block over character n-grams: sorted uint64 keys and their idf."""

    name: str
    weight: float
    keys: np.ndarray  # uint64, sorted
    idf: np.ndarray  # float64

    @property
    def size(self) -> int:
        return len(self.keys)

    @classmethod
    def fit(cls, name: str, weight: float, texts: Sequence[str], config: FeatureConfig) -> CharBlock:
        keys, docs = _grams(texts, config.char_min, config.char_max)
        order = np.lexsort((keys, docs))
        keys, docs = keys[order], docs[order]
        first = np.ones(len(keys), dtype=bool)
        first[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        vocab, df = np.unique(keys[first], return_counts=True)
        kept = _keep(df, config.min_df, config.max_terms, len(texts))
        return cls(name, weight, vocab[kept], _smooth_idf(df[kept], len(texts)))

    def transform(self, texts: Sequence[str], config: FeatureConfig) -> sp.csr_matrix:
        return _csr(self.entries(texts, config), len(texts), self.size)

    def entries(self, texts: Sequence[str], config: FeatureConfig) -> Entries:
        keys, docs = _grams(texts, config.char_min, config.char_max)
        if self.size == 0:
            return _EMPTY
        # Sorted needles make the binary searches walk the vocabulary in order (cache friendly).
        order = np.argsort(keys)
        keys, docs = keys[order], docs[order]
        pos = np.minimum(np.searchsorted(self.keys, keys), self.size - 1)
        hit = self.keys[pos] == keys
        return _tfidf_entries(
            docs[hit],
            pos[hit].astype(np.int64),
            len(texts),
            self.size,
            self.idf,
            self.weight,
            config.sublinear_tf,
        )


@dataclass(frozen=True)
class WordBlock:
    """A fitted TF-IDF block over rjieba words: sorted terms and their idf."""

    name: str
    weight: float
    terms: tuple[str, ...]
    idf: np.ndarray  # float64
    vocabulary: dict[str, int] = field(compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.terms)

    @classmethod
    def build(cls, name: str, weight: float, terms: Sequence[str], idf: np.ndarray) -> WordBlock:
        vocabulary = {t: j for j, t in enumerate(terms)}
        if len(vocabulary) != len(terms) or idf.shape != (len(terms),):
            raise ValueError(f"block {name}: terms and idf do not match")
        return cls(name, weight, tuple(terms), idf.astype(np.float64), vocabulary)

    @classmethod
    def fit(cls, name: str, weight: float, docs: Sequence[list[str]], config: FeatureConfig) -> WordBlock:
        df: dict[str, int] = {}
        for words in docs:
            for w in set(words):
                df[w] = df.get(w, 0) + 1
        terms = sorted(df)
        counts = np.array([df[t] for t in terms], dtype=np.int64)
        kept = _keep(counts, config.min_df, config.max_terms, len(docs))
        return cls.build(name, weight, [terms[i] for i in kept], _smooth_idf(counts[kept], len(docs)))

    def transform(self, docs: Sequence[list[str]], sublinear: bool = False) -> sp.csr_matrix:
        return _csr(self.entries(docs, sublinear), len(docs), self.size)

    def entries(self, docs: Sequence[list[str]], sublinear: bool = False) -> Entries:
        get = self.vocabulary.get
        rows: list[int] = []
        cols: list[int] = []
        for i, words in enumerate(docs):
            ids = [j for j in map(get, words) if j is not None]
            cols.extend(ids)
            rows.extend([i] * len(ids))
        if self.size == 0:
            return _EMPTY
        return _tfidf_entries(
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            len(docs),
            self.size,
            self.idf,
            self.weight,
            sublinear,
        )


@dataclass(frozen=True)
class KeywordBlock:
    """Prior knowledge: per label, log(1 + how many of its keywords, name included, occur)."""

    weight: float
    labels: tuple[str, ...]
    keywords: tuple[str, ...]  # normalized, sorted, each at least 2 characters
    owner_ptr: np.ndarray  # keyword i belongs to labels owner_idx[owner_ptr[i]:owner_ptr[i+1]]
    owner_idx: np.ndarray
    owners: list[tuple[str, tuple[int, ...]]] = field(compare=False, repr=False)
    _by_prefix: dict[int, list[tuple[str, int]]] = field(compare=False, repr=False)
    _prefix_keys: np.ndarray = field(compare=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.labels)

    @classmethod
    def assemble(
        cls,
        weight: float,
        labels: Sequence[str],
        keywords: Sequence[str],
        owner_ptr: np.ndarray,
        owner_idx: np.ndarray,
    ) -> KeywordBlock:
        if len(owner_ptr) != len(keywords) + 1 or (len(owner_idx) and owner_idx.max() >= len(labels)):
            raise ValueError("keyword owners do not match")
        owners = [
            (word, tuple(int(j) for j in owner_idx[owner_ptr[i] : owner_ptr[i + 1]]))
            for i, word in enumerate(keywords)
        ]
        by_prefix: dict[int, list[tuple[str, int]]] = {}
        for i, word in enumerate(keywords):
            if len(word) < 2:
                raise ValueError("keywords have at least two characters")
            by_prefix.setdefault(int(char_keys(word[:2])[0]), []).append((word, i))
        prefix_keys = np.array(sorted(by_prefix), dtype=np.uint64)
        return cls(
            weight, tuple(labels), tuple(keywords), owner_ptr, owner_idx, owners, by_prefix, prefix_keys
        )

    @classmethod
    def build(cls, weight: float, keywords: Mapping[str, Iterable[str]]) -> KeywordBlock:
        labels = sorted(keywords)
        owners: dict[str, set[int]] = {}
        for j, label in enumerate(labels):
            for word in [label, *keywords[label]]:
                w = normalize(str(word))
                if len(w) >= 2 and w not in GENERIC_KEYWORDS:  # a single character matches everything
                    owners.setdefault(w, set()).add(j)
        words = sorted(owners)
        ptr = np.zeros(len(words) + 1, dtype=np.int64)
        idx: list[int] = []
        for i, w in enumerate(words):
            idx.extend(sorted(owners[w]))
            ptr[i + 1] = len(idx)
        return cls.assemble(weight, labels, words, ptr, np.asarray(idx, dtype=np.int64))

    def as_mapping(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {label: [] for label in self.labels}
        for i, word in enumerate(self.keywords):
            for j in self.owner_idx[self.owner_ptr[i] : self.owner_ptr[i + 1]]:
                out[self.labels[int(j)]].append(word)
        return out

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return _csr(self.entries(texts), len(texts), self.size)

    def entries(self, texts: Sequence[str]) -> Entries:
        """log(1 + distinct keywords found) per label.

        Candidate places are found with numpy — where the first two characters of some
        keyword occur — and only there is a keyword compared in full.
        """
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        joined = "\x00".join(texts)
        codes, seps = _codes(texts)
        if len(codes) >= 2 and len(self._prefix_keys):
            pairs = (codes[:-1] << np.uint64(21)) | codes[1:]
            positions = np.flatnonzero(np.isin(pairs, self._prefix_keys))
            found: dict[int, set[int]] = {}
            by_prefix = self._by_prefix
            for pos, key, doc in zip(
                positions.tolist(), pairs[positions].tolist(), seps[positions].tolist(), strict=True
            ):
                for word, index in by_prefix[key]:
                    if joined.startswith(word, pos):
                        found.setdefault(doc, set()).add(index)
            for doc in sorted(found):
                hits: dict[int, int] = {}
                for index in found[doc]:
                    for j in self.owners[index][1]:
                        hits[j] = hits.get(j, 0) + 1
                for j in sorted(hits):
                    rows.append(doc)
                    cols.append(j)
                    vals.append(math.log1p(hits[j]) * self.weight)
        return (
            np.asarray(rows, dtype=np.int64),
            np.asarray(cols, dtype=np.int64),
            np.asarray(vals, dtype=np.float64),
        )


# --------------------------------------------------------------------------- the space


@dataclass(frozen=True)
class FeatureSpace:
    """The fitted blocks in a fixed order; `transform` turns messages into one CSR matrix."""

    config: FeatureConfig
    words: tuple[WordBlock, ...]
    chars: tuple[CharBlock, ...]
    keyword_block: KeywordBlock | None
    segmenter: Segmenter = field(default_factory=default_segmenter, compare=False, repr=False)

    @property
    def n_features(self) -> int:
        size = sum(b.size for b in self.words) + sum(b.size for b in self.chars)
        return size + (self.keyword_block.size if self.keyword_block else 0)

    @classmethod
    def fit(
        cls,
        docs: Sequence[Prepared],
        config: FeatureConfig,
        keywords: Mapping[str, Iterable[str]] | None = None,
        segmenter: Segmenter | None = None,
    ) -> FeatureSpace:
        """Vocabularies and idf from `docs` (`prepare`d with the same segmenter and config)."""
        config.check()
        words = tuple(
            WordBlock.fit(name, config.weight(name), [_words(d, name) for d in docs], config)
            for name in WORD_BLOCKS
            if config.weight(name) > 0
        )
        chars = tuple(
            CharBlock.fit(name, config.weight(name), [_chars(d, name) for d in docs], config)
            for name in CHAR_BLOCKS
            if config.weight(name) > 0
        )
        keyword_block = None
        if keywords and config.keywords > 0:
            keyword_block = KeywordBlock.build(config.keywords, keywords)
        return cls(config, words, chars, keyword_block, segmenter or default_segmenter())

    def prepare(self, title: str, content: str) -> Prepared:
        return prepare(
            title, content, self.segmenter, self.config.max_chars, text_words=self.config.text_words > 0
        )

    def transform(self, items: Sequence[tuple[str, str]]) -> sp.csr_matrix:
        return self.transform_prepared([self.prepare(t, c) for t, c in items])

    def transform_prepared(self, docs: Sequence[Prepared]) -> sp.csr_matrix:
        """One CSR matrix: the blocks side by side (entries gathered, one matrix built)."""
        parts: list[tuple[Entries, int]] = []
        for wb in self.words:
            words = [_words(d, wb.name) for d in docs]
            parts.append((wb.entries(words, self.config.sublinear_tf), wb.size))
        for cb in self.chars:
            parts.append((cb.entries([_chars(d, cb.name) for d in docs], self.config), cb.size))
        if self.keyword_block is not None:
            parts.append((self.keyword_block.entries([d.text for d in docs]), self.keyword_block.size))
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        values: list[np.ndarray] = []
        offset = 0
        for (r, c, v), size in parts:
            rows.append(r)
            cols.append(c + offset)
            values.append(v)
            offset += size
        if not parts:
            return sp.csr_matrix((len(docs), 0))
        all_rows = np.concatenate(rows)
        order = np.argsort(all_rows, kind="stable")  # blocks in column order within each row
        entries = (all_rows[order], np.concatenate(cols)[order], np.concatenate(values)[order])
        return _csr(entries, len(docs), offset)


def _words(doc: Prepared, name: str) -> list[str]:
    return doc.text_words if name == "text_words" else doc.title_words


def _chars(doc: Prepared, name: str) -> str:
    return doc.text if name == "text_chars" else doc.title
