"""Urgency signals: words in a request that mean life or property is in danger right now.

A lexicon of danger words (燃气泄漏, 起火, 被困, 触电, 坍塌, 溺水 …) is matched in the
NFKC-normalized title and content, converted to Simplified Chinese with OpenCC
(`zhiyun.kernel.chinese.to_simplified`), so that 觸電, 電線掉落 and 燃氣洩漏 fire as 触电,
电线掉落 and 燃气泄漏. Danger words of Hong Kong and Taiwan usage that the conversion does
not turn into an entry (瓦斯外洩 → 瓦斯外泄, 爆水喉, 山泥傾瀉 → 山泥倾泻) are entries of
their own. A word right after a negation (没有起火, 未发现燃气泄漏, 排除漏电, 沒有起火) does
not fire. The words that fired are returned so that the decision can be explained; a learned
urgency head in the classifier may add to it (see `model.py`).

Nothing happens at import time except building constant tuples (OpenCC loads on first use).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from zhiyun.kernel.chinese import to_simplified

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
    "燃气外泄",  # 燃氣外洩: OpenCC gives 洩→泄, and 外泄 is the Hong Kong and Taiwan wording
    "煤气外泄",
    "天然气外泄",
    "液化气外泄",
    "石油气泄漏",  # 石油氣: liquefied petroleum gas in Hong Kong
    "石油气泄露",
    "石油气外泄",
    "瓦斯泄漏",  # 瓦斯: town gas in Taiwan (瓦斯漏氣 is matched by 漏气)
    "瓦斯泄露",
    "瓦斯外泄",
    "瓦斯味",
    "气爆",  # 氣爆: a gas explosion (Taiwan)
    "漏气",
    "燃气味",
    "煤气味",
    "闻到气味很浓",
    # fire and explosion
    "起火",
    "着火",
    "著火",  # 着 as Traditional writes it: converted inside a Traditional text, not when alone
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
    "困在升降机",  # 升降機: a lift in Hong Kong
    "困𨋢",  # Cantonese "trapped in a lift"; OpenCC writes it 困䢂
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
    "电线跌落",  # 電綫跌落 (Hong Kong)
    "电线走火",
    # structures and ground
    "坍塌",
    "倒塌",
    "塌方",
    "塌陷",
    "山体滑坡",
    "危房倒",
    "山泥倾泻",  # 山泥傾瀉: a landslide (Hong Kong)
    # water
    "溺水",
    "落水",
    "遇溺",  # drowning (Hong Kong)
    "爆管",
    "水管爆裂",
    "水喉爆裂",  # 水喉: a water pipe (Hong Kong)
    "爆水喉",
    "严重内涝",
    "严重水浸",  # 嚴重水浸: flooding (Hong Kong)
    # hazardous materials
    "化学品泄漏",
    "危化品泄漏",
    "有毒气体",
)

# A signal word preceded (within a few characters) by one of these does not fire.
# Traditional forms (沒有, 無, 並非) are converted before matching; 冇 is Cantonese for 没有.
NEGATIONS: tuple[str, ...] = (
    "没有",
    "没",
    "无",
    "未",
    "不是",
    "并非",
    "排除",
    "不存在",
    "防止",
    "预防",
    "冇",
)
NEGATION_WINDOW = 4


@dataclass(frozen=True)
class UrgencyResult:
    """Whether a request is urgent and the signal words that made it so (in text order)."""

    urgent: bool
    signals: tuple[str, ...]


def _normalize(text: str) -> str:
    """NFKC, lower case, Simplified Chinese (Traditional text converted with OpenCC)."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return to_simplified(text.lower())


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
        """`signals` of text that is NFKC-normalized and lower-cased already.

        Traditional Chinese is still converted here: for Simplified text that costs one scan
        (1-2 µs for 200 characters) and returns the text as it is.
        """
        if self._pattern is None:
            return ()
        title, content = to_simplified(title), to_simplified(content)
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
