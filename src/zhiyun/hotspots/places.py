"""Place mentions in a message: estates, roads, schools, organizations, villages and towns.

Works on the words of the segmenter (`zhiyun.kernel.text`, text already normalized and in
Simplified Chinese). A place is a run of name-like words that ends with a place suffix
(小区, 花园, 新城, 苑, 城 …; 路, 街, 大道, 巷; 学校, 中学 …; 公司, 厂 …; 村, 镇, 社区 …) or a
word of the gazetteer (grid, village, road, estate names the platform knows). The run is
walked back from the suffix over at most `MAX_PREFIX_WORDS` words and stops at anything that
is not part of a name (function words, verbs of petitions, punctuation, administrative units
such as "A市"/"A3区"). Every extent of the walk is a mention (伊景园滨河苑 gives 滨河苑,
景园滨河苑 and 伊景园滨河苑), so that "伊景园滨河苑" and "伊景园·滨河苑" share a place.
An organization's name (公司, 厂 …) needs a proper noun or a word unknown to the
dictionary in it (聚利人普惠投资公司, not 投资有限公司). A name must keep at least two characters before its suffix (one when it was followed by
小区: 融城小区 → 融城), and a name that the general
dictionary knows as a word (公园, 县城, 物业公司) is not a place: it names no particular one
(schools of four characters and more excepted: 经济学院).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "PlaceKind",
    "PlaceMention",
    "extract_places",
    "is_place_suffix",
    "split_glued",
    "strip_admin_units",
]

PlaceKind = str  # "estate" | "road" | "school" | "org" | "village" | "gazetteer"

ESTATE_SUFFIXES = (
    "小区", "花园", "新城", "家园", "公寓", "大厦", "广场", "山庄", "公馆", "华府", "雅居", "楼盘",
    "苑", "城", "府", "园", "湾", "郡", "庭", "阁", "邸",
)  # fmt: skip
ROAD_SUFFIXES = ("大道", "大街", "步行街", "路", "街", "巷", "高速", "大桥", "立交")
SCHOOL_SUFFIXES = ("学校", "学院", "大学", "中学", "小学", "幼儿园", "职校", "附中", "附小")
ORG_SUFFIXES = ("公司", "集团", "工厂", "医院", "银行", "酒店", "超市", "商场", "市场", "厂", "场")
VILLAGE_SUFFIXES = ("街道", "社区", "村", "镇", "乡")

_SUFFIXES: tuple[tuple[str, PlaceKind], ...] = tuple(
    sorted(
        [
            *((s, "estate") for s in ESTATE_SUFFIXES),
            *((s, "road") for s in ROAD_SUFFIXES),
            *((s, "school") for s in SCHOOL_SUFFIXES),
            *((s, "org") for s in ORG_SUFFIXES),
            *((s, "village") for s in VILLAGE_SUFFIXES),
        ],
        key=lambda pair: -len(pair[0]),
    )
)

# Words that end like a place but name an institution or a kind of place, never one place.
NOT_PLACE_ENDINGS = (
    "政府", "县城", "省城", "全城", "进城", "校园", "园区", "城区", "市场监管", "城乡", "下乡", "家乡", "老乡", "故乡",
)  # fmt: skip

MAX_PREFIX_WORDS = 3
# Characters that are words of their own but also sit inside names (禧和路, 魅力之城): passed over
# while the name has fewer than two characters before its suffix.
NAME_JOINERS = frozenset("和与之")
MAX_NAME_CHARS = 12

# Words that end a name when walking back: pronouns, verbs of petitions, positions, generic owners.
_BOUNDARY_TEXT = """我 我们 你 你们 他 他们 是 在 的 了 住 住在 位于 地处 业主 居民 村民 附近 对面 旁边 周边 周围 关于 反映
    投诉 咨询 请问 举报 建议 和 与 及 跟 到 从 向 对 给 被 把 由 因 为 中 内 里 外 前 后 上 下 该 本 此 这 那
    这个 那个 这里 那里 整个 全 各 每 一 个 家 位 处 物业 物业管理 开发商 施工 施工方 市民 请 求 强烈 要求
    希望 请求 恳请 能否 是否 所在 所属 现 原 新建 一个 某 某某 有 无 没有 不 都 也 就 还 及其 以及 或 还是 等"""
BOUNDARY_WORDS = frozenset(_BOUNDARY_TEXT.split())
# Anonymised and real administrative units ("A市", "A3区", "A7县", "西地省"): too large to be a place.
_ADMIN = re.compile(r"(?<![a-z0-9])[a-z]\d{0,2}(?:市|区|县|省)")
_ADMIN_WORD = re.compile(r"^(?:[a-z]\d{0,2}|[\u4e00-\u9fff]{1,3})?(?:市|区|县|省)$")
_GLUE = "镇乡县市区省"
_PHASE = re.compile(r"[一二三四五六七八九十\d]+期$")


@dataclass(frozen=True)
class PlaceMention:
    """One place named in a text: its canonical name, kind and whether it is in the title."""

    name: str
    kind: PlaceKind
    in_title: bool


def strip_admin_units(text: str) -> str:
    """Anonymised administrative units ("a市", "a3区") replaced by a separator (normalized text)."""
    return _ADMIN.sub("，", text)


_BY_SUFFIX: dict[str, PlaceKind] = dict(_SUFFIXES)
_SUFFIX_LENGTHS = tuple(sorted({len(s) for s in _BY_SUFFIX}, reverse=True))


_SUFFIX_LAST = frozenset(s[-1] for s in _BY_SUFFIX)


def is_place_suffix(word: str) -> bool:
    """Whether `word` is a place suffix itself (小区, 路, 村): a kind of place, not a name."""
    return word in _BY_SUFFIX


def _suffix_of(word: str) -> tuple[str, PlaceKind] | None:
    """The longest place suffix `word` ends with, and its kind."""
    if not word or word[-1] not in _SUFFIX_LAST:
        return None
    for n in _SUFFIX_LENGTHS:
        if len(word) >= n:
            kind = _BY_SUFFIX.get(word[-n:])
            if kind is not None:
                return word[-n:], kind
    return None


Tagged = tuple[str, str]  # a word and its part-of-speech flag (jieba's: n, ns, v, p, x …)


def split_glued(words: Sequence[Tagged]) -> list[Tagged]:
    """Split words that glue a town to a village ("镇金鼎村" → "镇", "金鼎村")."""
    out: list[Tagged] = []
    for word, flag in words:
        if len(word) >= 4 and _suffix_of(word) is not None:
            for k in range(len(word) - 3, -1, -1):
                if word[k] in _GLUE:
                    out.extend(((word[: k + 1], "ns"), (word[k + 1 :], "ns")))
                    break
            else:
                out.append((word, flag))
        else:
            out.append((word, flag))
    return out


# Part-of-speech flags that end a name when the dictionary knows the word: verbs, prepositions,
# pronouns, particles, conjunctions, adverbs, positions, numerals, times, measure words, modals.
_BOUNDARY_FLAGS = frozenset("vprucdfmtqy")


def _name_like(word: str, flag: str, stop_words: frozenset[str], is_word: Callable[[str], bool]) -> bool:
    if word == "之":
        return True
    if word in BOUNDARY_WORDS or word in stop_words or _ADMIN_WORD.match(word) or word.isdigit():
        return False
    if not all(ch.isalnum() for ch in word):
        return False
    return not (flag[:1] in _BOUNDARY_FLAGS and flag != "vn" and is_word(word))


def _proper(word: str, flag: str, is_word: Callable[[str], bool]) -> bool:
    """Whether a word can be what names one place: a proper noun or a word the dictionary does
    not know (丽发, 聚利人), not a common word (投资, 有限, 建设)."""
    core = word
    suffixed = _suffix_of(word)
    if suffixed is not None and len(word) > len(suffixed[0]):
        core = word[: -len(suffixed[0])]
    elif suffixed is not None:
        return False
    return flag[:2] in ("ns", "nr", "nz", "nt") or not is_word(core)


def canonical(name: str) -> str:
    """The name as a key: a phase (三期) dropped, and a trailing 小区 after a name that ends like
    a place itself (丽发新城小区 → 丽发新城; 启雅小区 stays)."""
    for _ in range(2):
        if name.endswith("小区") and len(name) >= 4 and _suffix_of(name[:-2]) is not None:
            name = name[:-2]
        if len(name) > 4:
            name = _PHASE.sub("", name)
    return name


def extract_places(
    title_words: Sequence[Tagged],
    body_words: Sequence[Tagged],
    *,
    stop_words: frozenset[str],
    is_word: Callable[[str], bool],
    gazetteer: frozenset[str] = frozenset(),
) -> list[PlaceMention]:
    """The places named in a message's title and body (normalized words with their flags, from
    `Segmenter.tag`), title first, each name once."""
    found: dict[str, PlaceMention] = {}
    for in_title, words in ((True, split_glued(title_words)), (False, split_glued(body_words))):
        for i, (word, _flag) in enumerate(words):
            if word in gazetteer:
                found.setdefault(word, PlaceMention(word, "gazetteer", in_title))
                continue
            suffixed = _suffix_of(word)
            if suffixed is None or word.endswith(NOT_PLACE_ENDINGS):
                continue
            name = lead = word
            proper = _proper(word, _flag, is_word)
            j = i - 1
            taken = 0
            while True:
                key = canonical(name)
                keyed = _suffix_of(key)
                if (
                    keyed is not None
                    and len(key) - len(keyed[0]) >= (1 if key != name else 2)
                    and len(key) <= MAX_NAME_CHARS
                    and key not in found
                    and (not is_word(key) or (keyed[1] == "school" and len(key) >= 4))
                    and (proper or keyed[1] != "org")
                    and (lead == word or _suffix_of(lead) is None)  # 新城学校, 东路魅力之城: not one name
                ):
                    found[key] = PlaceMention(key, keyed[1], in_title)
                if j < 0 or taken >= MAX_PREFIX_WORDS:
                    break
                if not _name_like(*words[j], stop_words, is_word):
                    # 禧|和|路: a joiner inside a name too short without it, taken with the word before
                    short = word == suffixed[0] and len(name) - len(suffixed[0]) < 2
                    if not (
                        short
                        and words[j][0] in NAME_JOINERS
                        and j >= 1
                        and _name_like(*words[j - 1], stop_words, is_word)
                    ):
                        break
                    name = words[j][0] + name
                    j -= 1
                name = words[j][0] + name
                lead = words[j][0]
                proper = proper or _proper(*words[j], is_word)
                j -= 1
                taken += 1
    return list(found.values())
