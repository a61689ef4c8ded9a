"""The hot-issue method: messages grouped by matter and place, one message at a time.

`HotIssueIndex.add(message)` puts a message into the group of the same matter at the same
place (or for the same crowd) or starts a group; `issues(now)` ranks the groups that have
enough messages by the hot index (`zhiyun.domain.hot_issues`). `detect(messages)` is an
index fed in time order, so a full rebuild and the incremental path give the same groups.
The method is published in docs/analytics.md.

A message is seen as:

- its **places** (`zhiyun.hotspots.places`): estates, roads, schools, organizations,
  villages and towns it names, gazetteer words, and the places the platform already knows
  (`Message.places`: its grid, village …);
- its **matter**: the words of title and text (`zhiyun.kernel.text`: rjieba with the domain
  dictionary, Traditional → Simplified, stop words dropped), the title's counting
  `title_weight` times, weighted by sublinear term frequency × inverse document frequency
  (the document frequencies are counted as messages arrive), the words of its places left
  out, the `max_terms` heaviest kept, unit length.

It joins the candidate group most similar to it (cosine with the group's summed vector) when

- the places agree: both name sites (estate, school, organization, village, gazetteer, the
  platform's places) and share one, or neither names a site and both name a road and share
  one: similarity ≥ `same_place_similarity`;
- one side names a place and the other none, or neither names one: similarity ≥
  `no_place_similarity` (the same crowd or the same rare matter, such as one company's case);
- the places disagree (two estates): never;

and the group's last message is at most `join_gap_days` old. Candidates come from inverted
indexes by place and by the message's rarest heavy words (never a scan of all groups), each
posting list read from its newest `max_postings` entries.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from zhiyun.domain.hot_issues import (
    NO_SIGNALS,
    GovernmentSignals,
    GroupFacts,
    HotIndex,
    HotIndexSettings,
    Member,
    facts_of,
    hot_index,
    issue_title,
)
from zhiyun.hotspots.places import PlaceMention, extract_places, is_place_suffix, strip_admin_units
from zhiyun.kernel.text import Segmenter, normalize

__all__ = [
    "GovernmentSignals",
    "HotIssue",
    "HotIssueIndex",
    "HotIssueSettings",
    "Message",
    "detect",
    "settings_from_mapping",
]

SITE_KINDS = frozenset({"estate", "school", "org", "village", "gazetteer"})
Places = Counter[str] | tuple[str, ...]
SAME, AREA, NONE = 2, 1, 0  # how two places agree (None: they disagree)
_WORD = re.compile(r"\w")
_BIGRAM = "§"  # the term of a character bigram: never a word


@dataclass(frozen=True)
class Message:
    """A message or work order as the method sees it. `places` are place names the platform
    already knows for it (its grid, village, road or estate); `signals` what the government
    side recorded on it (supervised, urged …)."""

    key: str
    title: str
    text: str
    at: datetime
    caller: str | None = None
    votes: int = 0
    places: tuple[str, ...] = ()
    signals: GovernmentSignals = NO_SIGNALS


@dataclass(frozen=True)
class HotIssueSettings:
    """How messages are grouped, which groups are shown, and the hot index (docs/analytics.md)."""

    same_place_similarity: float = 0.12
    same_area_similarity: float = 0.25  # only the platform's area (grid, village) in common
    no_place_similarity: float = 0.35
    join_gap_days: float = 60.0  # a group older than this since its last message takes no new one
    window_days: float | None = 90.0  # issues() counts the messages of this many days (None: all)
    max_df: float = 0.1  # words in a larger share of the messages weigh nothing
    min_docs_for_max_df: int = 200
    title_weight: float = 2.0
    bigram_weight: float = 0.5  # character bigrams beside the words (0: words only)
    max_terms: int = 40
    index_terms: int = 6  # rare heavy words a message is indexed under
    max_postings: int = 100  # newest entries of a posting list read per key
    max_places: int = 4  # sites a message is compared by (title first)
    max_merges: int = 3  # other matching groups a message folds into the one it joins
    title_words: int = 3
    title_max_df: float = 0.08  # a title word in more of the messages says too little (附近, 严重)
    hot: HotIndexSettings = field(default_factory=HotIndexSettings)

    def __post_init__(self) -> None:
        if not 0 < self.same_place_similarity <= 1 or not 0 < self.no_place_similarity <= 1:
            raise ValueError("similarities must be in (0, 1]")
        if self.join_gap_days <= 0 or (self.window_days is not None and self.window_days <= 0):
            raise ValueError("join gap and window must be > 0 days")
        if min(self.max_terms, self.index_terms, self.max_postings, self.max_places, self.title_words) < 1:
            raise ValueError("term and posting limits must be ≥ 1")


def settings_from_mapping(values: Mapping[str, object]) -> HotIssueSettings:
    """Settings from a mapping such as a JSON file's object: the grouping's fields at the top,
    the hot index's under "hot" (`HotIndexSettings`). Unknown names and bad values raise
    ValueError naming them."""
    known = {f.name for f in fields(HotIssueSettings)} - {"hot"}
    hot_known = {f.name for f in fields(HotIndexSettings)}
    hot_values = values.get("hot", {})
    if not isinstance(hot_values, Mapping):
        raise ValueError("hot: expected an object of hot index settings")
    unknown = sorted(set(values) - known - {"hot"}) + sorted(f"hot.{k}" for k in set(hot_values) - hot_known)
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    try:
        hot = HotIndexSettings(**{str(k): v for k, v in hot_values.items()})
        return HotIssueSettings(**{k: v for k, v in values.items() if k != "hot"}, hot=hot)  # type: ignore[arg-type]
    except TypeError as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True)
class HotIssue:
    """A ranked hot issue: a group of messages about one matter at one place or for one crowd."""

    id: str
    rank: int
    title: str
    place: str | None
    hot_index: float
    index: HotIndex  # the hot index with its parts
    first: datetime
    last: datetime
    members: tuple[str, ...]  # message keys, oldest first
    counted: int  # members after the near-repeat rule
    callers: int
    votes: int
    matter: tuple[str, ...]  # the matter's words, heaviest first


@dataclass(slots=True)
class _Seen:
    """One message in the index: what removing it and describing its group need."""

    key: str
    at: datetime
    caller: str | None
    votes: int
    signals: GovernmentSignals
    group: str
    terms: array[int]
    weights: array[float]
    sites: tuple[str, ...]
    roads: tuple[str, ...]
    areas: tuple[str, ...]
    title_places: tuple[str, ...]
    title_terms: tuple[int, ...]
    words: array[int]  # every distinct word, for the document frequencies


@dataclass(slots=True)
class _Group:
    """A group: its members, the sum of their vectors (None while it has one member, whose
    own vector it then is: most groups are single messages) and the places they name."""

    id: str
    members: list[str]
    centroid: dict[int, float] | None
    seed: _Seen | None
    norm2: float
    sites: Places  # a single member's tuple, else a count per name
    roads: Places
    areas: Places
    last: datetime


class HotIssueIndex:
    """Hot issues kept current one message at a time (see the module's description)."""

    def __init__(self, settings: HotIssueSettings | None = None, gazetteer: Iterable[str] = ()) -> None:
        self.settings = settings or HotIssueSettings()
        names = [normalize(n).strip() for n in gazetteer]
        self._gazetteer = frozenset(n for n in names if len(n) >= 2)
        self._segmenter = Segmenter(user_words=sorted(self._gazetteer))
        self._term_ids: dict[str, int] = {}
        self._terms: list[str] = []
        self._df: list[int] = []
        self._docs = 0
        self._seen: dict[str, _Seen] = {}
        self._groups: dict[str, _Group] = {}
        self._by_place: dict[str, list[str]] = {}
        # rare heavy words → groups: of messages naming a site, and of messages naming none
        self._by_term_sited: dict[int, list[str]] = {}
        self._by_term_open: dict[int, list[str]] = {}
        self._alias: dict[str, str] = {}  # a merged group's id → the group it went into

    # -- reading a message --------------------------------------------------------

    def _term(self, word: str) -> int:
        tid = self._term_ids.get(word)
        if tid is None:
            tid = len(self._terms)
            self._term_ids[word] = tid
            self._terms.append(word)
            self._df.append(0)
        return tid

    def _idf(self, tid: int) -> float:
        """ln((1 + N) / (1 + df)) + 1; 0 for a word in more than `max_df` of the messages (once
        there are `min_docs_for_max_df` of them): it says nothing about which matter it is."""
        docs, df = self._docs, self._df[tid]
        if docs >= self.settings.min_docs_for_max_df and df > self.settings.max_df * docs:
            return 0.0
        return math.log((1 + docs) / (1 + df)) + 1.0

    def _read(
        self, message: Message
    ) -> tuple[dict[int, float], list[int], list[PlaceMention], frozenset[str]]:
        seg = self._segmenter
        stop = seg.stop_words
        title = seg.tag(strip_admin_units(normalize(message.title)))
        body = seg.tag(strip_admin_units(normalize(message.text)))
        places = extract_places(title, body, stop_words=stop, is_word=seg.has_word, gazetteer=self._gazetteer)
        place_chars = frozenset(ch for p in places for ch in p.name)
        counts: dict[int, float] = {}
        title_terms: list[int] = []
        bigram_weight = self.settings.bigram_weight
        for words, weight in ((title, self.settings.title_weight), (body, 1.0)):
            runs: list[list[str]] = [[]]
            for word, _flag in words:
                if word in stop or not _WORD.search(word):
                    runs.append([])
                    continue
                if len(word) < 2 or word in self._gazetteer or all(ch in place_chars for ch in word):
                    # a single character says little; the place is compared by the place rule
                    runs.append([])
                    continue
                tid = self._term(word)
                counts[tid] = counts.get(tid, 0.0) + weight
                if weight != 1.0:
                    title_terms.append(tid)
                if not word.isascii():
                    runs[-1].append(word)
            if bigram_weight > 0:
                # character bigrams within runs of matter words: 搅拌站 and 搅拌|站 share 搅拌, 拌站
                for run in runs:
                    joined = "".join(run)
                    for a, b in itertools.pairwise(joined):
                        bigram = self._term(_BIGRAM + a + b)
                        counts[bigram] = counts.get(bigram, 0.0) + weight * bigram_weight
        return counts, title_terms, places, place_chars

    def _vector(self, counts: dict[int, float]) -> tuple[array[int], array[float]]:
        weighted = [(tid, _sublinear(c) * self._idf(tid)) for tid, c in counts.items() if c > 0]
        weighted = [p for p in weighted if p[1] > 0]
        weighted.sort(key=lambda p: -p[1])
        weighted = weighted[: self.settings.max_terms]
        n = math.sqrt(sum(w * w for _, w in weighted)) or 1.0
        return array("i", (t for t, _ in weighted)), array("f", (w / n for _, w in weighted))

    # -- adding -------------------------------------------------------------------

    def add(self, message: Message) -> str:
        """Put `message` into its group (joined or started) and return the group's id. A key
        already in the index is replaced."""
        if message.key in self._seen:
            self.remove(message.key)
        counts, title_terms, places, _ = self._read(message)
        words = array("i", counts)
        self._docs += 1
        for tid in words:
            self._df[tid] += 1
        terms, weights = self._vector(counts)
        areas = tuple(dict.fromkeys(sys.intern(normalize(p).strip()) for p in message.places if p.strip()))
        sites = self._primary([p for p in places if p.kind in SITE_KINDS])
        roads = self._primary([p for p in places if p.kind == "road"])
        matching = self._matching_groups(message.at, terms, weights, sites, roads, areas)
        if not matching:
            group = _Group(message.key, [], None, None, 0.0, (), (), (), message.at)
            self._groups[group.id] = group
            self._alias.pop(group.id, None)
        else:
            group = matching[0]
            for other in matching[1 : 1 + self.settings.max_merges]:
                if len(other.members) > len(group.members):  # the smaller folds into the larger
                    group, other = other, group
                self._merge(group, other)
        seen = _Seen(
            key=message.key,
            at=message.at,
            caller=message.caller or None,
            votes=message.votes,
            signals=message.signals,
            group=group.id,
            terms=terms,
            weights=weights,
            sites=tuple(sites),
            roads=tuple(roads),
            areas=areas,
            title_places=tuple(dict.fromkeys(sys.intern(p.name) for p in places if p.in_title)),
            title_terms=tuple(dict.fromkeys(title_terms)),
            words=words,
        )
        self._seen[message.key] = seen
        self._join(group, seen)
        return group.id

    def _primary(self, places: Sequence[PlaceMention]) -> list[str]:
        """The places a message is compared by: those of its title, else the first mentions of
        its text (`max_places` names with the extents of each)."""
        titled = [sys.intern(p.name) for p in places if p.in_title]
        return titled or [sys.intern(p.name) for p in places][: self.settings.max_places * 3]

    @staticmethod
    def _centroid(group: _Group) -> dict[int, float]:
        """The group's summed vector as a dict (made from its single member on first need)."""
        if group.centroid is None:
            seed = group.seed
            group.centroid = {} if seed is None else dict(zip(seed.terms, seed.weights, strict=True))
            group.seed = None
        return group.centroid

    def _join(self, group: _Group, seen: _Seen) -> None:
        if not group.members:
            group.seed = seen
            group.norm2 = sum(w * w for w in seen.weights)
        else:
            centroid = self._centroid(group)
            dot = 0.0
            for tid, w in zip(seen.terms, seen.weights, strict=True):
                old = centroid.get(tid, 0.0)
                dot += old * w
                centroid[tid] = old + w
            group.norm2 += 2.0 * dot + sum(w * w for w in seen.weights)
        group.members.append(seen.key)
        if seen.at > group.last:
            group.last = seen.at
        for key in (*seen.sites, *seen.roads):
            if key not in group.sites and key not in group.roads:
                self._by_place.setdefault(key, []).append(group.id)
        if len(group.members) == 1:  # one member: its own places (no counters to keep)
            group.sites, group.roads, group.areas = seen.sites, seen.roads, seen.areas
        else:
            group.sites = _counted(group.sites)
            group.sites.update(seen.sites)
            group.roads = _counted(group.roads)
            group.roads.update(seen.roads)
            group.areas = _counted(group.areas)
            group.areas.update(seen.areas)
        by_term = self._by_term_sited if seen.sites else self._by_term_open
        for tid in seen.terms[: self.settings.index_terms]:  # the heaviest first
            postings = by_term.setdefault(tid, [])
            if not postings or postings[-1] != group.id:
                postings.append(group.id)

    def _resolve(self, gid: str) -> str:
        """The live id of a group that may have been merged into another."""
        alias = self._alias
        if gid not in alias:
            return gid
        root = gid
        while root in alias:
            root = alias[root]
        while gid != root:  # shorten the chain for the next time
            alias[gid], gid = root, alias[gid]
        return root

    def _candidates(self, terms: array[int], sited: bool, keys: Iterable[str]) -> set[str]:
        """Groups sharing a place with the message, and groups sharing one of its rare heavy
        words that the place rule may let it join (a message naming a site: groups of
        messages naming none; a message naming none: any)."""
        limit = self.settings.max_postings
        found: set[str] = set()
        for key in keys:
            found.update(self._by_place.get(key, ())[-limit:])
        indexes = (self._by_term_open,) if sited else (self._by_term_open, self._by_term_sited)
        for tid in terms[: self.settings.index_terms]:
            for index in indexes:
                found.update(index.get(tid, ())[-limit:])
        return {self._resolve(gid) for gid in found} if self._alias else found

    def _matching_groups(
        self,
        at: datetime,
        terms: array[int],
        weights: array[float],
        sites: Sequence[str],
        roads: Sequence[str],
        areas: Sequence[str],
    ) -> list[_Group]:
        """The candidate groups the message may join, best first (by how far the similarity
        passes what the place agreement needs; then the larger, then the older group)."""
        s = self.settings
        gap = timedelta(days=s.join_gap_days)
        my_sites, my_roads, my_areas = set(sites), set(roads), set(areas)
        needs = {SAME: s.same_place_similarity, AREA: s.same_area_similarity, NONE: s.no_place_similarity}
        found: list[tuple[float, int, str, _Group]] = []
        query = dict(zip(terms, weights, strict=True))
        for gid in self._candidates(terms, bool(sites), [*sites, *roads]):
            group = self._groups.get(gid)
            if group is None or not group.members or at - group.last > gap or group.norm2 <= 0:
                continue
            place = _place_agreement(my_sites, my_roads, my_areas, group)
            if place is None:
                continue
            centroid = group.centroid
            dot = 0.0
            if centroid is None:  # one member: its own vector
                seed = group.seed
                if seed is not None:
                    for tid, own in zip(seed.terms, seed.weights, strict=True):
                        mine = query.get(tid)
                        if mine is not None:
                            dot += own * mine
            else:
                for tid, mine in query.items():
                    summed = centroid.get(tid)
                    if summed is not None:
                        dot += summed * mine
            similarity = dot / math.sqrt(group.norm2)
            needed = needs[place]
            if similarity >= needed:
                found.append((needed - similarity, -len(group.members), group.id, group))
        found.sort(key=lambda f: f[:3])
        return [f[3] for f in found]

    def _merge(self, into: _Group, other: _Group) -> None:
        """Fold `other` into `into`: a message both are like shows they are one matter."""
        for key in other.members:
            self._seen[key].group = into.id
        into.members.extend(other.members)
        dot = 0.0
        into_centroid = self._centroid(into)
        for tid, w in self._centroid(other).items():
            old = into_centroid.get(tid, 0.0)
            dot += old * w
            into_centroid[tid] = old + w
        into.norm2 += 2.0 * dot + other.norm2
        into.last = max(into.last, other.last)
        for key in other.sites:
            if key not in into.sites:
                self._by_place.setdefault(key, []).append(into.id)
        for key in other.roads:
            if key not in into.roads:
                self._by_place.setdefault(key, []).append(into.id)
        into.sites = _counted(into.sites)
        into.sites.update(other.sites)
        into.roads = _counted(into.roads)
        into.roads.update(other.roads)
        into.areas = _counted(into.areas)
        into.areas.update(other.areas)
        self._alias[other.id] = into.id  # its posting entries now lead to `into`
        del self._groups[other.id]

    # -- removing -----------------------------------------------------------------

    def remove(self, key: str) -> bool:
        """Take a message out of the index (and out of its group); False when it is not there."""
        seen = self._seen.pop(key, None)
        if seen is None:
            return False
        self._docs -= 1
        for tid in seen.words:
            self._df[tid] -= 1
        group = self._groups[seen.group]
        group.members.remove(key)
        if not group.members:
            del self._groups[group.id]  # its posting entries are skipped from now on
            return True
        centroid = self._centroid(group)
        dot = 0.0
        for tid, w in zip(seen.terms, seen.weights, strict=True):
            value = centroid.get(tid, 0.0) - w
            if value <= 1e-12:
                centroid.pop(tid, None)
                value = 0.0
            else:
                centroid[tid] = value
            dot += value * w
        group.norm2 = max(0.0, group.norm2 - 2.0 * dot - sum(w * w for w in seen.weights))
        group.norm2 = sum(v * v for v in centroid.values()) if len(centroid) < 64 else group.norm2
        for attr, mine in (("sites", seen.sites), ("roads", seen.roads), ("areas", seen.areas)):
            counts = _counted(getattr(group, attr))
            counts.subtract(mine)
            setattr(group, attr, +counts)  # drops the names no member names any more
        group.last = max(self._seen[k].at for k in group.members)
        return True

    def expire(self, now: datetime) -> int:
        """Remove the messages older than the window (`window_days` before `now`); how many."""
        if self.settings.window_days is None:
            return 0
        cutoff = now - timedelta(days=self.settings.window_days)
        old = [k for k, s in self._seen.items() if s.at < cutoff]
        for key in old:
            self.remove(key)
        return len(old)

    # -- reading the issues -------------------------------------------------------

    def __len__(self) -> int:
        return len(self._seen)

    def group_of(self, key: str) -> str | None:
        seen = self._seen.get(key)
        return None if seen is None else seen.group

    def groups(self) -> dict[str, tuple[str, ...]]:
        """Every group's members (keys in the order they joined), by group id."""
        return {gid: tuple(g.members) for gid, g in self._groups.items()}

    def issues(self, now: datetime | None = None, top: int | None = None) -> list[HotIssue]:
        """The hot issues ranked by hot index (then by size): groups with at least
        `hot.min_members` counted messages within the window before `now` (`now`: the newest
        message's time when not given)."""
        s = self.settings
        if not self._seen:
            return []
        if now is None:
            now = max(seen.at for seen in self._seen.values())
        cutoff = None if s.window_days is None else now - timedelta(days=s.window_days)
        ranked: list[tuple[float, int, str, list[_Seen], GroupFacts, HotIndex]] = []
        for gid, group in self._groups.items():
            if len(group.members) < s.hot.min_members:
                continue
            members = [self._seen[k] for k in group.members]
            members = [m for m in members if (cutoff is None or m.at >= cutoff) and m.at <= now]
            if len(members) < s.hot.min_members:
                continue
            members.sort(key=lambda m: (m.at, m.key))
            facts = facts_of(
                [Member(m.at, m.caller, m.votes, m.signals) for m in members], s.hot.repeat_window_days
            )
            if facts.counted < s.hot.min_members or facts.callers < s.hot.min_callers:
                continue
            index = hot_index(facts, s.hot, now)
            ranked.append((-index.value, -facts.counted, gid, members, facts, index))
        ranked.sort(key=lambda r: r[:3])
        chosen = ranked if top is None else ranked[:top]
        return [  # titles only for the issues shown
            self._issue(rank, gid, members, facts, index)
            for rank, (_, _, gid, members, facts, index) in enumerate(chosen, start=1)
        ]

    def _issue(
        self, rank: int, gid: str, members: list[_Seen], facts: GroupFacts, index: HotIndex
    ) -> HotIssue:
        place = self._place_of(members)
        matter = self._matter_of(members, place)
        return HotIssue(
            id=gid,
            rank=rank,
            title=issue_title(place, matter, self.settings.title_words),
            place=place,
            hot_index=index.value,
            index=index,
            first=facts.first,
            last=facts.last,
            members=tuple(m.key for m in members),
            counted=facts.counted,
            callers=facts.callers,
            votes=facts.votes,
            matter=matter,
        )

    def _place_of(self, members: Sequence[_Seen]) -> str | None:
        """The place the members name in their titles (else their sites, roads, areas): of the
        names at least half as frequent as the most frequent one, the longest, because every
        mention of 辉煌国际城 is one of 国际城 too."""
        for attr in ("title_places", "sites", "roads", "areas"):
            counts: Counter[str] = Counter()
            for m in members:
                counts.update(getattr(m, attr))
            if counts:
                top = max(counts.values())
                if top >= 2 or len(members) <= 2:
                    return max(
                        (k for k, c in counts.items() if 2 * c >= top), key=lambda k: (len(k), counts[k], k)
                    )
        return None

    def _matter_of(self, members: Sequence[_Seen], place: str | None) -> tuple[str, ...]:
        """The matter's words: those of the members' titles (else texts) most members share,
        weighted by rarity, heaviest first; no place suffix (小区) and no word in more than
        `title_max_df` of all messages (附近, 严重)."""
        counts: Counter[int] = Counter()
        for m in members:
            counts.update(
                m.title_terms or tuple(t for t in m.terms[:12] if not self._terms[t].startswith(_BIGRAM))
            )
        need = max(2, math.ceil(len(members) / 5)) if len(members) > 2 else 1
        common = self.settings.title_max_df * self._docs
        scored = [
            (c * self._idf(tid) ** 2 * min(len(self._terms[tid]), 4), self._terms[tid])
            for tid, c in counts.items()
            if c >= need
            and len(self._terms[tid]) >= 2
            and not self._terms[tid].startswith(_BIGRAM)
            and not is_place_suffix(self._terms[tid])  # 小区, 社区: the place says it
            and (self._docs < self.settings.min_docs_for_max_df or self._df[tid] <= common)
        ]
        scored.sort(key=lambda p: (-p[0], p[1]))
        words = [w for _, w in scored if not (place and w in place)]
        return tuple(words[: self.settings.title_words * 2])


def _counted(places: Places) -> Counter[str]:
    """A group's places as counts (made from a single member's tuple on first need)."""
    return places if isinstance(places, Counter) else Counter(places)


def _overlap(mine: set[str], theirs: Places) -> bool:
    return any(k in theirs for k in mine)


def _place_agreement(sites: set[str], roads: set[str], areas: set[str], group: _Group) -> int | None:
    """How a message's places agree with a group's: SAME (a site, else a road, in common),
    AREA (only the platform's area, such as the grid, in common), NONE (nothing to compare:
    the text decides alone) or None (two different places: never one hot issue)."""
    if sites and group.sites:
        return SAME if _overlap(sites, group.sites) else None
    if roads and group.roads and _overlap(roads, group.roads):
        return SAME
    if not sites and not group.sites and roads and group.roads:
        return None  # two roads and no site on either side
    if areas and group.areas:
        return AREA if _overlap(areas, group.areas) else None
    return NONE


def _sublinear(count: float) -> float:
    """1 + ln(count) from one occurrence on; a fraction (a bigram's weight) as it is."""
    return 1.0 + math.log(count) if count >= 1.0 else count


def detect(
    messages: Iterable[Message],
    settings: HotIssueSettings | None = None,
    *,
    gazetteer: Iterable[str] = (),
    now: datetime | None = None,
    top: int | None = None,
) -> list[HotIssue]:
    """The hot issues of `messages`: an index fed in time order (then by key), ranked."""
    index = HotIssueIndex(settings, gazetteer)
    for message in sorted(messages, key=lambda m: (m.at, m.key)):
        index.add(message)
    return index.issues(now, top)
