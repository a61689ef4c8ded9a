"""Build a labelled set of report pairs for `zhiyun dedupe evaluate`, from ../shared/data.

    python benchmarks/dedupe_pairs.py                  # writes /tmp/dedupe_pairs*.jsonl
    python benchmarks/dedupe_pairs.py /tmp/pairs --seed 7 --csv
    zhiyun dedupe evaluate /tmp/dedupe_pairs_test.jsonl

The data is read where it lies (../shared/data, or ZHIYUN_SHARED_DATA) and never copied into
the repository: the output goes to the directory given (default /tmp). Without the data the
script says so and exits with 1.

Sources
- teddy2020_sample/附件2.xlsx: 495 citizen messages (subject, detail, user, time) with their
  first-level class (城乡建设, 劳动和社会保障, 教育文体, …).
- teddy2020_hotspot/messages_with_replies_2816.xlsx: 2,816 further messages (no class).
- sf311/cases_sample.csv: 4,984 San Francisco 311 cases with category, coordinates and time.

The Chinese messages have neither coordinates nor phone numbers: each gets a random point in
a 20 × 25 km box around Nanhai (Foshan), its original time (Asia/Shanghai), and a synthetic
mobile number derived from its user id (the same user, the same number). Side "a" of a pair
is always an original message, as the citizen wrote it (web channel). Side "b" is what a
second channel recorded; in every kind of pair, positive or negative, b is rewritten by the
same channel rules with the same probabilities (85 %; otherwise verbatim), so that the
style of the text says nothing about the label.

Channel rewriting (rules, no model): a 12345 agent's note (市民来电反映：first one to three
sentences, first person turned into third, a standard request at the end, a title such as
"关于…的投诉"); a grid worker's report (title cut from the first clause, sentences reordered
and some dropped); an online-opinion item (网友反映 + title, the first 60–160 characters and a
source line, no phone, no location); a re-post by another citizen (sentences reordered,
courtesy sentences dropped, a tail cut off). Each rewrite also swaps words for synonyms
(噪音→噪声, 居民→住户, 附近→周边, 路灯→街灯, 投诉→反映, …, each taken with probability 0.6).

Labels
- positive `second_channel` (one per message): b = a's message rewritten by another
  channel, 0–250 m from a (uniform), 0–3 days later; another caller (85 %) or the same one;
  no location on b in 15 % of pairs (opinion items never have one) and on a in 5 %.
- positive `same_caller_repeat` (one message in ten): the same caller reporting the same
  matter again, rewritten; b without a location in 70 % of pairs, else within 250 m.
- positive `natural_repost`: real re-posts in the data. Two different messages whose titles
  share at least half of their character bigrams and whose texts share at least 20
  verbatim passages of 20 characters (passages found in more than 20 messages, such as a
  quoted regulation, do not count) are one matter posted twice, by the same user or by a
  neighbour copying it; both are used as written, b placed 0–250 m and 0–3 days from a,
  each with its own user's number.
- no negative is drawn from two messages sharing 3 or more such passages: they may be the
  same matter, and neither label would be safe.
- negative `same_class_nearby` (附件2, two per message): a different message of the same
  first-level class, placed 0–250 m and 0–3 days from a, another caller (unless the two
  messages happen to share a user).
- negative `similar_text_nearby` (one per message): the other message whose title shares
  the most character bigrams with a's (a measure independent of the scorer), placed 0–250 m
  and 0–3 days away. These are the hardest negatives, and a few may in truth be the same
  matter (two citizens writing about one estate); such label noise counts against the scorer.
- negative `same_words_far` (one message in ten): a's message rewritten by another channel
  and another caller but 400–5,000 m away: the same words about a different place.
- negative `same_caller_other_matter` (one message in ten): the same caller, another matter.
- negative `sf311_nearby`: every pair of SF311 cases of the same category within 300 m and 7
  days whose request types or details differ (real coordinates and times, English text).
  Pairs with identical details are left out: they may or may not be the same matter.

Categories: a carries its class when it has one; b carries the same class in 60 % of pairs
and none otherwise (most orders are classified after intake).

Every pair has "kind" and "split": messages are split in two halves by a hash of their id,
"tune" (thresholds are chosen on it) and "test" (figures are reported on it); a pair
belongs to the split of its side a. Files written: dedupe_pairs.jsonl (all),
dedupe_pairs_tune.jsonl, dedupe_pairs_test.jsonl, and with --csv the same as CSV. The last
line on stdout is a JSON object with the counts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"

# The synthetic district: a box around Nanhai (Foshan), WGS-84.
BOX = (22.98, 113.02, 23.16, 113.26)  # min_lat, min_lon, max_lat, max_lon
EARTH_M_PER_DEG = 6_371_008.8 * math.pi / 180

REWRITE_P = 0.85
SYNONYM_P = 0.6

# --------------------------------------------------------------------------- xlsx (stdlib)

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _column_index(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    n = 0
    for ch in letters.group() if letters else "A":
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path: Path) -> list[list[str]]:
    """The first sheet of an .xlsx file as rows of strings (a minimal reader: no styles, no formulas)."""
    with zipfile.ZipFile(path) as z:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(f"{_NS}si"):
                shared.append("".join(t.text or "" for t in si.iter(f"{_NS}t")))
        sheets = sorted(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        root = ET.fromstring(z.read(sheets[0]))
    rows: list[list[str]] = []
    for row in root.iter(f"{_NS}row"):
        values: dict[int, str] = {}
        for cell in row.iter(f"{_NS}c"):
            kind, v = cell.get("t"), cell.find(f"{_NS}v")
            if kind == "s" and v is not None and v.text is not None:
                value = shared[int(v.text)]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{_NS}t"))
            else:
                value = v.text if v is not None and v.text is not None else ""
            values[_column_index(cell.get("r", "A"))] = value
        if any(values.values()):
            rows.append([values.get(i, "") for i in range(max(values) + 1)])
    return rows


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Message:
    id: str
    user: str
    title: str
    content: str
    time: datetime
    category: str | None


_SPACES = re.compile(r"[ \t\u3000\xa0]+")


def clean(text: str) -> str:
    text = text.replace("_x000D_", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def parse_time(value: str) -> datetime:
    value = value.strip()
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    try:  # an Excel serial day number
        return (datetime(1899, 12, 30) + timedelta(days=float(value))).replace(tzinfo=SHANGHAI)
    except ValueError:
        return datetime(2019, 1, 1, tzinfo=SHANGHAI)


def load_messages(data: Path) -> list[Message]:
    """附件2 (with classes) and the 2,816 messages with replies, cleaned and de-duplicated."""
    out: list[Message] = []
    seen: set[str] = set()
    sources = [
        (data / "teddy2020_sample" / "附件2.xlsx", True),
        (data / "teddy2020_hotspot" / "messages_with_replies_2816.xlsx", False),
    ]
    for path, has_class in sources:
        rows = read_xlsx(path)
        header = rows[0]
        col = {name: i for i, name in enumerate(header)}
        for row in rows[1:]:
            row = row + [""] * (len(header) - len(row))
            title = clean(row[col["留言主题"]])
            content = clean(row[col["留言详情"]])
            if len(content) < 10 or not title:
                continue
            key = re.sub(r"\W", "", title + content[:50])
            if key in seen:
                continue
            seen.add(key)
            out.append(
                Message(
                    id=f"{path.stem}:{row[col['留言编号']]}",
                    user=row[col["留言用户"]] or f"anon-{len(out)}",
                    title=title,
                    content=content,
                    time=parse_time(row[col["留言时间"]]),
                    category=(row[col["一级分类"]] or None) if has_class else None,
                )
            )
    return out


# --------------------------------------------------------------------------- channel rewriting

SYNONYMS: list[tuple[str, str]] = [
    ("噪音", "噪声"),
    ("严重影响", "大大影响"),
    ("严重", "厉害"),
    ("影响", "干扰"),
    ("居民", "住户"),
    ("业主", "住户"),
    ("附近", "周边"),
    ("晚上", "夜里"),
    ("每天", "天天"),
    ("路灯", "街灯"),
    ("马路", "道路"),
    ("多次", "几次"),
    ("反复", "多次"),
    ("目前", "现在"),
    ("至今", "到现在"),
    ("孩子", "小孩"),
    ("小区", "楼盘"),
    ("投诉", "反映"),
    ("举报", "反映"),
    ("施工", "作业"),
    ("工地", "施工现场"),
    ("车辆", "车子"),
    ("停车", "泊车"),
    ("臭味", "异味"),
    ("安全隐患", "安全风险"),
    ("导致", "造成"),
    ("出现", "发生"),
    ("工作人员", "员工"),
    ("公司", "企业"),
    ("老师", "教师"),
    ("费用", "钱"),
    ("收费", "收钱"),
    ("退还", "退回"),
    ("拖欠", "欠"),
    ("工资", "薪水"),
    ("补贴", "补助"),
    ("政策", "规定"),
    ("办理", "申办"),
    ("咨询", "询问"),
    ("申请", "申报"),
    ("村民", "村里人"),
    ("门口", "门前"),
    ("旁边", "边上"),
    ("经常", "时常"),
    ("一直", "始终"),
    ("已经", "早已"),
    ("无法", "没法"),
    ("尽快", "早日"),
    ("整改", "整治"),
    ("堵塞", "堵住"),
    ("破损", "损坏"),
    ("漏水", "渗水"),
    ("积水", "水浸"),
    ("污水", "脏水"),
    ("油烟", "烟气"),
    ("摊贩", "摊主"),
    ("违章", "违规"),
    ("违法", "违规"),
    ("非法", "违规"),
    ("私自", "擅自"),
    ("开发商", "地产商"),
    ("物业", "物管"),
    ("学校", "学堂"),
    ("医院", "医疗机构"),
    ("单位", "机构"),
    ("领导", "负责人"),
    ("市民", "群众"),
    ("要求", "诉求"),
    ("解决", "处理"),
    ("严禁", "禁止"),
    ("很多", "不少"),
    ("非常", "十分"),
    ("特别", "尤其"),
    ("为什么", "为何"),
    ("怎么", "如何"),
    ("可以", "能够"),
    ("告诉", "告知"),
    ("房子", "房屋"),
    ("楼下", "楼底下"),
    ("垃圾", "废弃物"),
    ("电动车", "电瓶车"),
    ("扰民", "影响休息"),
    ("中午", "午间"),
    ("凌晨", "半夜"),
]

COURTESY = ("您好", "你好", "尊敬", "谢谢", "感谢", "辛苦", "恳请", "万分", "敬礼", "此致", "打扰")
REQUEST_ENDINGS = (
    "请相关部门尽快处理。",
    "要求有关部门核实处理。",
    "希望相关部门尽快解决。",
    "请协调处理。",
    "诉求：请尽快处理并回复。",
)
OPINION_SITES = ("某论坛", "微博", "本地生活号", "百姓留言板", "微信公众号")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]*")
_TITLE_PREFIX = re.compile(r"^(关于|反映|投诉|举报|请求|建议|咨询|请问|强烈要求|请|希望)+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def swap_synonyms(text: str, rng: random.Random) -> str:
    for old, new in SYNONYMS:
        if old in text and rng.random() < SYNONYM_P:
            text = text.replace(old, new)
    return text


def substantive(text: str) -> list[str]:
    """The sentences of a message without greetings and thanks."""
    kept = [s for s in sentences(text) if not (len(s) < 30 and any(c in s for c in COURTESY))]
    return kept or sentences(text) or [text]


def _core_title(title: str) -> str:
    core = _TITLE_PREFIX.sub("", title).rstrip("!！?？。.")
    return core or title


def hotline_note(msg: Message, rng: random.Random) -> tuple[str, str]:
    # The agent notes the first one to three sentences, and at least 40 characters of them.
    parts = substantive(msg.content)
    take = rng.randint(1, 3)
    while take < len(parts) and len("".join(parts[:take])) < 40:
        take += 1
    body = "".join(parts[:take])
    body = body.replace("我们", "他们").replace("本人", "其").replace("我", "其")
    pattern = rng.choice(("关于{}的投诉", "反映{}", "{}问题", "{}"))
    title = pattern.format(_core_title(msg.title))
    content = f"市民来电反映：{body}{rng.choice(REQUEST_ENDINGS)}"
    return title, content


def grid_report(msg: Message, rng: random.Random) -> tuple[str, str]:
    parts = substantive(msg.content)
    first = re.split(r"[，,、]", parts[0])[0]
    title = first[: rng.randint(12, 24)] if len(first) >= 8 else _core_title(msg.title)
    rest = parts[1:]
    rng.shuffle(rest)
    keep = max(1, round(len(parts) * rng.uniform(0.6, 1.0)))
    body = "".join([parts[0], *rest][:keep])
    return title, f"网格员巡查发现：{body}"


def opinion_item(msg: Message, rng: random.Random) -> tuple[str, str]:
    text = "".join(substantive(msg.content))
    cut = rng.randint(60, 160)
    body = text[:cut] + ("……" if len(text) > cut else "")
    return f"网友反映：{msg.title}", f"{body}（来源：{rng.choice(OPINION_SITES)}，已转办）"


def repost(msg: Message, rng: random.Random) -> tuple[str, str]:
    parts = substantive(msg.content)
    if len(parts) > 2:
        head, middle = parts[:1], parts[1:]
        rng.shuffle(middle)
        parts = head + middle
    keep = max(1, round(len(parts) * rng.uniform(0.5, 1.0)))
    title = _core_title(msg.title) if rng.random() < 0.5 else msg.title
    return title, "".join(parts[:keep])


CHANNELS = {"12345": hotline_note, "grid": grid_report, "opinion": opinion_item, "web": repost}


def second_channel(msg: Message, rng: random.Random) -> tuple[str, str, str]:
    """(channel, title, content) of another channel's record of `msg`."""
    if rng.random() >= REWRITE_P:
        return "web", msg.title, msg.content
    channel = rng.choices(list(CHANNELS), weights=(4, 3, 1, 2))[0]
    title, content = CHANNELS[channel](msg, rng)
    return channel, swap_synonyms(title, rng), swap_synonyms(content, rng)


# --------------------------------------------------------------------------- places, callers


def phone_of(user: str) -> str:
    digest = int(hashlib.sha256(user.encode()).hexdigest(), 16)
    return f"1{'3456789'[digest % 7]}{digest // 7 % 10**9:09d}"


def random_point(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(BOX[0], BOX[2]), rng.uniform(BOX[1], BOX[3])


def offset(lat: float, lon: float, metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    d_lat = metres * math.cos(bearing) / EARTH_M_PER_DEG
    d_lon = metres * math.sin(bearing) / (EARTH_M_PER_DEG * math.cos(math.radians(lat)))
    return round(lat + d_lat, 7), round(lon + d_lon, 7)


def split_of(key: str) -> str:
    return "tune" if int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 2 == 0 else "test"


@dataclass
class Side:
    title: str
    content: str
    category: str | None
    lat: float | None
    lon: float | None
    phone: str | None
    registered_at: datetime
    channel: str

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "content": self.content,
            "category": self.category,
            "lat": self.lat,
            "lon": self.lon,
            "phone": self.phone,
            "registered_at": self.registered_at.isoformat(),
            "channel": self.channel,
        }


class Builder:
    def __init__(self, messages: list[Message], seed: int) -> None:
        self.messages = messages
        self.rng = random.Random(seed)
        self.place = {m.id: random_point(self.rng) for m in messages}
        self.pairs: list[dict[str, Any]] = []
        self.shared = shared_passages(messages)
        self.index = {m.id: i for i, m in enumerate(messages)}
        self.left_out = 0  # negatives not drawn because the two texts may be one matter

    def ambiguous(self, m: Message, other: Message) -> bool:
        """Whether two different messages share enough verbatim text that they may be one matter."""
        i, j = sorted((self.index[m.id], self.index[other.id]))
        if self.shared.get((i, j), 0) >= AMBIGUOUS_PASSAGES:
            self.left_out += 1
            return True
        return False

    def side_a(self, m: Message, *, located: bool | None = None) -> Side:
        if located is None:
            located = self.rng.random() >= 0.05
        lat, lon = self.place[m.id] if located else (None, None)
        return Side(m.title, m.content, m.category, lat, lon, phone_of(m.user), m.time, "web")

    def side_b(
        self,
        a: Side,
        m: Message,
        *,
        distance: tuple[float, float] | None = (0.0, 250.0),
        phone: str | None = None,
        category: str | None = None,
    ) -> Side:
        channel, title, content = second_channel(m, self.rng)
        unplaced = distance is None or a.lat is None or a.lon is None or channel == "opinion"
        if unplaced or (self.rng.random() < 0.15 and distance[1] <= 250.0):  # type: ignore[index]
            lat = lon = None
        else:
            lat, lon = offset(a.lat, a.lon, self.rng.uniform(*distance), self.rng)
        if channel == "opinion":
            phone = None
        elif phone is None:
            phone = phone_of(f"{m.user}/{self.rng.random()}")  # another caller
        when = a.registered_at + timedelta(seconds=self.rng.uniform(0, 3 * 86400))
        cat = category if category is not None else (m.category if self.rng.random() < 0.6 else None)
        return Side(title, content, cat, lat, lon, phone, when, channel)

    def add(self, kind: str, a_msg: Message, a: Side, b: Side, duplicate: bool, b_id: str) -> None:
        self.pairs.append(
            {
                "a": a.as_json(),
                "b": b.as_json(),
                "duplicate": duplicate,
                "kind": kind,
                "split": split_of(a_msg.id),
                "source": [a_msg.id, b_id],
            }
        )

    # -- kinds ----------------------------------------------------------------------

    def second_channel_positives(self) -> None:
        for m in self.messages:
            a = self.side_a(m)
            same_caller = self.rng.random() < 0.15
            b = self.side_b(a, m, phone=a.phone if same_caller else None)
            self.add("second_channel", m, a, b, True, m.id)

    def same_caller_repeats(self) -> None:
        for m in self.rng.sample(self.messages, len(self.messages) // 10):
            a = self.side_a(m)
            b = self.side_b(a, m, phone=a.phone, distance=None if self.rng.random() < 0.7 else (0, 250))
            if b.phone is None:  # an opinion item has no caller: record it as a call instead
                b = replace(b, phone=a.phone, channel="12345")
            self.add("same_caller_repeat", m, a, b, True, m.id)

    def hotspot(self, labelled: list[tuple[str, str, bool, Message]]) -> None:
        """Independent reports of one matter at one place (duplicates), and of two matters at
        one place (distinct), as their authors wrote them."""
        by_matter: dict[tuple[str, str], list[Message]] = defaultdict(list)
        positive: dict[tuple[str, str], bool] = {}
        for place, matter, is_positive, m in labelled:
            by_matter[(place, matter)].append(m)
            positive[(place, matter)] = is_positive
        for key, group in sorted(by_matter.items()):
            if not positive[key]:
                continue
            pairs = [(x, y) for i, x in enumerate(group) for y in group[i + 1 :] if x.content != y.content]
            for x, y in self.rng.sample(pairs, min(MAX_HOTSPOT_PAIRS, len(pairs))):
                self.add_as_written("hotspot_same_matter", x, y, True)
        places = sorted({place for place, _ in by_matter})
        for place in places:
            matters = sorted(k for k in by_matter if k[0] == place)
            pairs = [
                (x, y)
                for i, a in enumerate(matters)
                for b in matters[i + 1 :]
                for x in by_matter[a]
                for y in by_matter[b]
            ]
            for x, y in self.rng.sample(pairs, min(MAX_HOTSPOT_PAIRS, len(pairs))):
                self.add_as_written("hotspot_same_place_other_matter", x, y, False)

    def add_as_written(self, kind: str, x: Message, y: Message, duplicate: bool) -> None:
        """A pair of real reports: b placed 0–250 m and 0–3 days from a, each with its own caller."""
        self.place.setdefault(x.id, random_point(self.rng))
        a = self.side_a(x)
        lat = lon = None
        if a.lat is not None and a.lon is not None:
            lat, lon = offset(a.lat, a.lon, self.rng.uniform(0, 250), self.rng)
        when = a.registered_at + timedelta(seconds=self.rng.uniform(0, 3 * 86400))
        b = Side(y.title, y.content, y.category, lat, lon, phone_of(y.user), when, "web")
        self.add(kind, x, a, b, duplicate, y.id)

    def natural_reposts(self) -> None:
        """Real re-posts: two messages whose titles share half their bigrams and whose texts
        share at least 20 verbatim passages of 20 characters, used as their authors wrote them."""
        for (i, j), shared in sorted(self.shared.items()):
            m, other = self.messages[i], self.messages[j]
            ta, tb = _title_bigrams(m.title), _title_bigrams(other.title)
            if shared < REPOST_PASSAGES or len(ta & tb) / len(ta | tb) < 0.5:
                continue
            self.add_as_written("natural_repost", m, other, True)

    def same_class_nearby(self) -> None:
        by_class: dict[str, list[Message]] = defaultdict(list)
        for m in self.messages:
            if m.category:
                by_class[m.category].append(m)
        for group in by_class.values():
            for m in group:
                others = [o for o in group if o.id != m.id and o.title != m.title]
                for other in self.rng.sample(others, min(2, len(others))):
                    if self.ambiguous(m, other):
                        continue
                    a = self.side_a(m)
                    b = self.side_b(a, other, phone=phone_of(other.user) if other.user != m.user else None)
                    self.add("same_class_nearby", m, a, b, False, other.id)

    def similar_text_nearby(self) -> None:
        grams = [_title_bigrams(m.title) for m in self.messages]
        index: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(grams):
            for gram in g:
                index[gram].append(i)
        for i, m in enumerate(self.messages):
            overlap: Counter[int] = Counter()
            for gram in sorted(grams[i]):
                postings = index[gram]
                if len(postings) > 400:  # a bigram in every tenth title says nothing
                    continue
                overlap.update(postings)
            best, best_j = 0.0, None
            for j, shared in sorted(overlap.items()):  # ties go to the first message
                other = self.messages[j]
                if j == i or other.title == m.title or other.user == m.user:
                    continue
                if self.shared.get((min(i, j), max(i, j)), 0) >= AMBIGUOUS_PASSAGES:
                    continue  # may be the same matter: neither label is safe
                jaccard = shared / len(grams[i] | grams[j])
                if jaccard > best:
                    best, best_j = jaccard, j
            if best_j is None:
                continue
            other = self.messages[best_j]
            a = self.side_a(m)
            b = self.side_b(a, other, phone=phone_of(other.user))
            self.add("similar_text_nearby", m, a, b, False, other.id)

    def same_words_far(self) -> None:
        for m in self.rng.sample(self.messages, len(self.messages) // 10):
            a = self.side_a(m, located=True)
            b = self.side_b(a, m, distance=(400.0, 5000.0))
            if b.lat is None:  # an opinion item has no location: record it as a grid report
                lat, lon = offset(a.lat or 0.0, a.lon or 0.0, self.rng.uniform(400, 5000), self.rng)
                b = replace(b, lat=lat, lon=lon, channel="grid")
            self.add("same_words_far", m, a, b, False, m.id)

    def same_caller_other_matter(self) -> None:
        for m in self.rng.sample(self.messages, len(self.messages) // 10):
            pool = [o for o in self.messages if o.category == m.category] if m.category else self.messages
            other = self.rng.choice([o for o in pool if o.id != m.id and o.title != m.title])
            if self.ambiguous(m, other):
                continue
            a = self.side_a(m)
            b = self.side_b(a, other, phone=a.phone, distance=None if self.rng.random() < 0.5 else (0, 250))
            if b.phone is None:
                b = replace(b, phone=a.phone, channel="12345")
            self.add("same_caller_other_matter", m, a, b, False, other.id)


PASSAGE = 20  # characters of a verbatim passage
AMBIGUOUS_PASSAGES = 3  # two texts sharing this many passages are not used as a negative
REPOST_PASSAGES = 20  # … and with this many (and alike titles) they are a natural re-post
BOILERPLATE = 20  # a passage found in more messages than this is boilerplate (a quoted rule)


def shared_passages(messages: list[Message]) -> dict[tuple[int, int], int]:
    """For each pair of messages (i < j), how many 20-character passages their texts share."""
    where: dict[str, set[int]] = defaultdict(set)
    for i, m in enumerate(messages):
        text = re.sub(r"[\W_]", "", m.content)
        for k in range(len(text) - PASSAGE + 1):
            where[text[k : k + PASSAGE]].add(i)
    counts: Counter[tuple[int, int]] = Counter()
    for ids in where.values():
        if 1 < len(ids) <= BOILERPLATE:
            ordered = sorted(ids)
            for x, i in enumerate(ordered):
                for j in ordered[x + 1 :]:
                    counts[(i, j)] += 1
    return dict(counts)


def _title_bigrams(title: str) -> set[str]:
    core = re.sub(r"[^\u4e00-\u9fff]", "", _core_title(title))
    return {core[i : i + 2] for i in range(len(core) - 1)} or {core}


# --------------------------------------------------------------------------- hotspot clusters

# Hand labels for the hotspot file: (place, [(matter, title pattern, text guard, positive?)]).
# A message naming the place whose title matches exactly one matter's pattern (and whose text
# matches its guard) is a report of that matter; others are not used. Matters marked positive
# give duplicate pairs among their reports; any two matters of one place give distinct pairs.
HOTSPOT_MATTERS: list[tuple[str, list[tuple[str, str, str, bool]]]] = [
    ("伊景园|滨河苑", [("定向商品房捆绑车位与加价", r".", r"捆绑|车位|认购|涨价", True)]),
    (
        "丽发新城|丽发小区",
        [
            ("搅拌站粉尘噪音", r"搅拌|噪音|灰尘|粉尘|环境污染|扰民|吵", r"搅拌", True),
            ("小区道路未修好", r"道路|沥青|云塘路", r"路", True),
            ("垃圾站臭味", r"垃圾站", r".", False),
            ("物业断水", r"断.*水", r".", False),
            ("路边商品交易市场", r"交易市场", r".", False),
            ("三期违建交房", r"违建是否会影响交房", r".", False),
        ],
    ),
    (
        "魅力之城",
        [
            ("底层商铺油烟噪音", r"油烟|夜宵|烧烤|商铺|门面|门店|噪音", r"商铺|门面|门店|夜宵|餐", True),
            ("房屋楼板墙面开裂", r"开裂", r".", True),
            ("准业主子女入学", r"入学|小学", r".", True),
            ("降价", r"降价", r".", False),
            ("车位开盘", r"车位", r".", False),
        ],
    ),
    ("茶场村", [("五组拆迁规划", r"五组", r"拆迁|规划", True), ("一队养老医疗", r"养老", r".", False)]),
    ("辉煌国际城", [("二期楼下商铺开饭店", r".", r"商铺|饭店|餐饮", True)]),
    (
        "深业睿城|阳光睿智",
        [
            ("204路公交", r"204|公交", r".", True),
            ("地铁3号线出口", r"地铁|出口|出入口", r".", True),
            ("f区地下车位", r"车位", r".", True),
            ("幼儿园迟迟不开园", r"开园", r".", False),
            ("幼儿园屋顶板房", r"板房", r".", True),
            ("施工噪音", r"噪音", r".", False),
            ("F区违建", r"违建", r".", False),
        ],
    ),
    (
        "长房云时代",
        [
            ("旁建垃圾站", r"垃圾", r".", True),
            ("房屋质量裂缝", r"质量|裂缝", r".", True),
            ("配套幼儿园违规办园", r"幼儿园", r".", True),
            ("小学不开学", r"小学迟迟", r".", False),
        ],
    ),
    ("泉星公园", [("规划优化建议", r"优化", r".", True), ("建设进度", r"开工|进度|缓慢", r".", True)]),
    (
        "江山帝景",
        [
            ("新房安全隐患", r"新房.*安全隐患|四期有安全隐患", r".", True),
            ("驾校退费", r"驾校", r".", False),
            ("276路公交", r"276", r".", False),
            ("开发商拒不赔偿", r"拒不承担", r".", False),
            ("物业过失", r"物业严重过失", r".", False),
            ("912路停靠站", r"912", r".", False),
            ("雅典6期施工隐患", r"施工造成", r".", False),
            ("幼儿园普惠", r"幼儿园", r".", False),
        ],
    ),
    (
        "中海国际|中海幼儿园|白[赛塞]湖路",
        [
            ("三四期间空地夜间施工", r"三期与?四期中间空地|社区空地夜间施工", r".", True),
            ("幼儿园入园难", r"幼儿园", r".", True),
            ("白塞湖路停工", r"白[塞赛]湖路", r".", True),
            ("南门围栏", r"围栏", r".", False),
            ("假山违建", r"假山", r".", False),
            ("地铁口", r"地铁口", r".", False),
            ("门口乱停车", r"乱停车", r".", False),
            ("门口菜市场", r"菜市场", r".", False),
        ],
    ),
    (
        "万科金域",
        [
            ("蓝湾商铺烟道", r"烟道", r".", True),
            ("华府三期出行断头路", r"断头路|出行不便|杜路花", r".", True),
            ("蓝湾房屋质量", r"质量", r".", True),
            ("华府别墅夜间施工", r"夜间", r".", False),
            ("茶馆招牌灯光", r"招牌灯光", r".", False),
            ("蓝湾物业收费", r"物业收费", r".", False),
        ],
    ),
    (
        "经济学院",
        [
            ("强制学生实习打工", r"打工|实习|工厂|社会实践", r".", True),
            ("宽带垄断", r"宽带", r".", True),
            ("食堂窗口", r"食堂", r".", False),
            ("四级报名", r"cet|CET", r".", False),
            ("外街理发店扰民", r"理发店", r".", False),
        ],
    ),
]
MAX_HOTSPOT_PAIRS = 40  # per matter (duplicates) and per place (distinct pairs)


def load_hotspot(data: Path) -> list[tuple[str, str, bool, Message]]:
    """(place, matter, positive?, message) for the hand-labelled reports of the hotspot file."""
    rows = read_xlsx(data / "teddy2020_hotspot" / "messages_with_votes_4326.xlsx")
    col = {name: i for i, name in enumerate(rows[0])}
    messages = []
    for row in rows[1:]:
        row = row + [""] * (len(rows[0]) - len(row))
        title, content = clean(row[col["留言主题"]]), clean(row[col["留言详情"]])
        if title and len(content) >= 10:
            messages.append(
                Message(
                    id=f"hotspot:{row[col['留言编号']]}",
                    user=row[col["留言用户"]] or f"anon-{len(messages)}",
                    title=title,
                    content=content,
                    time=parse_time(row[col["留言时间"]]),
                    category=None,
                )
            )
    labelled = []
    for place, matters in HOTSPOT_MATTERS:
        for m in messages:
            if not re.search(place, m.title + m.content):
                continue
            hits = [
                (name, positive)
                for name, pattern, guard, positive in matters
                if re.search(pattern, m.title) and re.search(guard, m.title + m.content)
            ]
            if len(hits) == 1:
                labelled.append((place, hits[0][0], hits[0][1], m))
    return labelled


# --------------------------------------------------------------------------- sf311


def sf311_pairs(path: Path) -> Iterator[dict[str, Any]]:
    """Same-category SF311 cases within 300 m and 7 days whose descriptions differ (negatives)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["Lat"] not in ("", "NA") and r["Opened"]]
    cases = []
    for r in rows:
        try:
            opened = datetime.fromisoformat(r["Opened"]).replace(tzinfo=ZoneInfo("America/Los_Angeles"))
            cases.append((opened, float(r["Lat"]), float(r["Long"]), r))
        except ValueError:
            continue
    cases.sort(key=lambda c: c[0])
    for i, (t1, la1, lo1, r1) in enumerate(cases):
        for t2, la2, lo2, r2 in cases[i + 1 :]:
            if (t2 - t1).total_seconds() > 7 * 86400:
                break
            if r1["Category"] != r2["Category"]:
                continue
            if _haversine(la1, lo1, la2, lo2) > 300:
                continue
            same = (r1["Request.Type"], r1["Request.Details"]) == (r2["Request.Type"], r2["Request.Details"])
            if same:
                continue
            yield {
                "a": _sf_side(t1, la1, lo1, r1),
                "b": _sf_side(t2, la2, lo2, r2),
                "duplicate": False,
                "kind": "sf311_nearby",
                "split": split_of("sf311:" + r1["CaseID"]),
                "source": ["sf311:" + r1["CaseID"], "sf311:" + r2["CaseID"]],
            }


def _sf_side(t: datetime, lat: float, lon: float, r: dict[str, str]) -> dict[str, Any]:
    details = r["Request.Details"] if r["Request.Details"] != "NA" else ""
    return {
        "title": r["Request.Type"].replace("_", " "),
        "content": details.replace("_", " ") or r["Request.Type"].replace("_", " "),
        "category": r["Category"],
        "lat": lat,
        "lon": lon,
        "phone": None,
        "registered_at": t.astimezone(UTC).isoformat(),
        "channel": r["Source"],
    }


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(h)))


# --------------------------------------------------------------------------- output

CSV_FIELDS = ["title", "content", "category", "lat", "lon", "phone", "registered_at"]


def write_jsonl(path: Path, pairs: Iterable[dict[str, Any]]) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_csv(path: Path, pairs: Iterable[dict[str, Any]]) -> None:
    header = [f"{s}_{k}" for s in ("a", "b") for k in CSV_FIELDS] + ["duplicate", "kind", "split"]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for p in pairs:
            row = [p[s].get(k) for s in ("a", "b") for k in CSV_FIELDS]
            w.writerow(
                ["" if v is None else v for v in row] + [str(p["duplicate"]).lower(), p["kind"], p["split"]]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="/tmp", help="output directory (default /tmp)")
    parser.add_argument("--data", default=os.environ.get("ZHIYUN_SHARED_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--csv", action="store_true", help="also write the pairs as CSV")
    args = parser.parse_args(argv)

    data = Path(args.data)
    needed = [
        data / "teddy2020_sample" / "附件2.xlsx",
        data / "teddy2020_hotspot" / "messages_with_replies_2816.xlsx",
        data / "teddy2020_hotspot" / "messages_with_votes_4326.xlsx",
        data / "sf311" / "cases_sample.csv",
    ]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        print(
            f"the shared data is missing: {', '.join(missing)} (set --data or ZHIYUN_SHARED_DATA)",
            file=sys.stderr,
        )
        return 1

    messages = load_messages(data)
    builder = Builder(messages, args.seed)
    builder.second_channel_positives()
    builder.same_caller_repeats()
    builder.natural_reposts()
    builder.hotspot(load_hotspot(data))
    builder.same_class_nearby()
    builder.similar_text_nearby()
    builder.same_words_far()
    builder.same_caller_other_matter()
    pairs = builder.pairs + list(sf311_pairs(data / "sf311" / "cases_sample.csv"))
    random.Random(args.seed).shuffle(pairs)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "all": out / "dedupe_pairs.jsonl",
        "tune": out / "dedupe_pairs_tune.jsonl",
        "test": out / "dedupe_pairs_test.jsonl",
    }
    write_jsonl(files["all"], pairs)
    for split in ("tune", "test"):
        write_jsonl(files[split], (p for p in pairs if p["split"] == split))
    if args.csv:
        write_csv(out / "dedupe_pairs.csv", pairs)
    kinds = Counter((p["kind"], p["duplicate"]) for p in pairs)
    for (kind, dup), n in sorted(kinds.items()):
        print(f"{kind:26s} {'duplicate' if dup else 'distinct':9s} {n:6d}", file=sys.stderr)
    print(
        f"messages: {len(messages)}; negatives left out as possibly the same matter: {builder.left_out}; "
        f"written to {out}",
        file=sys.stderr,
    )
    summary = {
        "pairs": len(pairs),
        "positives": sum(p["duplicate"] for p in pairs),
        "negatives": sum(not p["duplicate"] for p in pairs),
        "tune": sum(p["split"] == "tune" for p in pairs),
        "test": sum(p["split"] == "test" for p in pairs),
        "files": {k: str(v) for k, v in files.items()},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
