"""Urgency signals: words in a request that mean life or property is in danger right now.

A lexicon of danger words (燃气泄漏, 起火, 被困, 触电, 坍塌, 溺水 …) is matched in the
NFKC-normalized title and content. A word right after a negation (没有起火, 未发现燃气泄漏,
排除漏电) does not fire. The words that fired are returned so that the decision can be
explained; a learned urgency head in the classifier may add to it (see `classifier.py`).

Standard library only; nothing happens at import time except building constant tuples.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_URGENT_WORDS", "UrgencyLexicon", "UrgencyResult"]

# Grouped by the danger they name; every entry is matched as a substring.
DEFAULT_URGENT_WORDS: tuple[str, ...] = (
    # gas
    "燃气泄漏",
    "燃气泄露",
    "煤气泄漏",
    "煤气泄露",
    "天然气泄漏",
    "天然气泄露",
    "液化气泄漏",
    "液化气泄露",
    "漏气",
    "燃气味",
    "煤气味",
    "闻到气味很浓",
    # fire and explosion
    "起火",
    "着火",
    "失火",
    "火灾",
    "火情",
    "冒浓烟",
    "爆炸",
    "爆燃",
    # people trapped or hurt
    "被困",
    "困人",
    "困在电梯",
    "受伤",
    "昏迷",
    "倒地不起",
    "生命危险",
    "跳楼",
    "轻生",
    # electricity
    "触电",
    "漏电",
    "电线掉落",
    "电线断落",
    "高压线断",
    # structures and ground
    "坍塌",
    "倒塌",
    "塌方",
    "塌陷",
    "山体滑坡",
    "危房倒",
    # water
    "溺水",
    "落水",
    "爆管",
    "水管爆裂",
    "严重内涝",
    # hazardous materials
    "化学品泄漏",
    "危化品泄漏",
    "有毒气体",
)

# A signal word preceded (within a few characters) by one of these does not fire.
NEGATIONS: tuple[str, ...] = ("没有", "没", "无", "未", "不是", "并非", "排除", "不存在", "防止", "预防")
NEGATION_WINDOW = 4


@dataclass(frozen=True)
class UrgencyResult:
    """Whether a request is urgent and the signal words that made it so (in text order)."""

    urgent: bool
    signals: tuple[str, ...]


def _normalize(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


class UrgencyLexicon:
    """Matches danger words, skipping negated mentions. Immutable once built; thread safe."""

    def __init__(self, words: Iterable[str] = DEFAULT_URGENT_WORDS) -> None:
        unique = sorted({_normalize(w).strip() for w in words if w.strip()}, key=lambda w: (-len(w), w))
        self.words: tuple[str, ...] = tuple(unique)
        # Longest first, so 燃气泄漏 wins over 漏气 at the same place.
        self._pattern = re.compile("|".join(re.escape(w) for w in unique)) if unique else None
        self._negation = re.compile("(?:" + "|".join(re.escape(n) for n in NEGATIONS) + ")")

    def _negated(self, text: str, start: int) -> bool:
        window = text[max(0, start - NEGATION_WINDOW) : start]
        # A sentence break between the negation and the word ends its scope.
        for stop in "，,。.;；！!？?":
            cut = window.rfind(stop)
            if cut >= 0:
                window = window[cut + 1 :]
        return self._negation.search(window) is not None

    def signals(self, title: str, content: str = "") -> tuple[str, ...]:
        """The danger words found in title and content (each once, in order of appearance)."""
        return self.signals_normalized(_normalize(title or ""), _normalize(content or ""))

    def signals_normalized(self, title: str, content: str) -> tuple[str, ...]:
        """`signals` of text that is NFKC-normalized and lower-cased already."""
        if self._pattern is None:
            return ()
        found: list[str] = []
        for text in (title, content):
            for match in self._pattern.finditer(text):
                word = match.group(0)
                if word not in found and not self._negated(text, match.start()):
                    found.append(word)
        return tuple(found)

    def assess(self, title: str, content: str = "") -> UrgencyResult:
        fired = self.signals(title, content)
        return UrgencyResult(urgent=bool(fired), signals=fired)
