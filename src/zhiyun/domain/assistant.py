"""小南, the assistant (pure rules): what it does with a citizen's words (docs/assistant.md).

Given the words and the knowledge base's ranked hits, `decide` says, in this order:

1. **urgent** — words of danger (gas, fire, someone hurt, violence): the page tells the citizen
   to call 119/120/110 at once and a person is told;
2. **hand over, asked** — the citizen asks for a person (人工, 转人工 …);
3. **hand over, a complaint or a problem to report** — 投诉, 举报 always; something broken,
   noise, rubbish … unless the words ask how something is done and an item answers them;
4. **clarify** — the two best items score within `tie_margin` of each other: one question, 「您想问
   的是哪一项？」, with both (never twice in a row);
5. **answer** — the best item scores at least the knowledge base's threshold: its text, source
   and department, and the next closest items;
6. **hand over, not answerable** — nothing scores enough.

Hand-over collects a name, a phone, an address (or a map point), a category and a description
(`HandoverForm.validated`), and becomes a work order with the conversation's transcript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from zhiyun.domain.errors import ValidationFailed

__all__ = [
    "MAX_QUESTION_CHARS",
    "MAX_TURNS",
    "Decision",
    "DecisionKind",
    "HandoverForm",
    "HandoverReason",
    "Hit",
    "Urgency",
    "asks_for_person",
    "clarifying_question",
    "decide",
    "is_complaint",
    "is_complaint_or_report",
    "is_problem_report",
    "is_question",
    "question_text",
    "rule_handover",
    "urgency_of",
]

MAX_QUESTION_CHARS = 500
MAX_TURNS = 60  # a conversation's citizen turns; then a new one
TIE_MARGIN = 0.05  # two best scores within 5 % of the best: ask which one


class DecisionKind(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOVER = "handover"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"answer": "已回答", "clarify": "澄清", "handover": "转人工", "urgent": "紧急"}[self.value]


class HandoverReason(StrEnum):
    UNANSWERED = "unanswered"
    ASKED_PERSON = "asked_person"
    COMPLAINT = "complaint"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {
            "unanswered": "无法回答",
            "asked_person": "要求人工",
            "complaint": "投诉或反映问题",
            "urgent": "紧急情况",
        }[self.value]


@dataclass(frozen=True)
class Hit:
    """A knowledge item the retrieval found, with its score."""

    item_id: int
    title: str
    answer: str
    score: float
    source: str = ""
    department: str = ""


@dataclass(frozen=True)
class Urgency:
    """Danger in the words: whom to call, and the sentence the page shows."""

    numbers: tuple[str, ...]
    words: tuple[str, ...]

    @property
    def message(self) -> str:
        calls = "、".join(self.numbers)
        return f"您描述的情况可能有危险，请立即拨打 {calls}！我们已同时通知值班人员。"


# (words, numbers): danger to life or property (the numbers are the national ones)
_URGENT_RULES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("燃气泄漏", "煤气泄漏", "天然气泄漏", "漏气", "煤气味", "燃气味", "液化气泄漏", "闻到煤气"), ("119",)),
    (("着火", "起火", "失火", "火灾", "火情", "烧起来", "浓烟", "爆炸"), ("119",)),
    (
        ("有人受伤", "受伤", "流血", "昏迷", "晕倒", "不省人事", "触电", "溺水", "落水", "心脏病", "中毒"),
        ("120",),
    ),
    (("被困", "困在电梯", "电梯困人"), ("119",)),
    (("打架", "斗殴", "持刀", "砍人", "抢劫", "杀人", "绑架", "家暴", "跳楼", "轻生", "自杀"), ("110",)),
    (("车祸", "撞人", "翻车"), ("110", "120")),
)

_PERSON_WORDS = ("人工", "真人", "客服", "接线员", "坐席", "打电话给我", "给我回电")

# a complaint: always a person's work
_COMPLAINT_WORDS = ("投诉", "举报", "曝光", "不作为", "乱作为", "没人管", "不处理", "拖欠", "欠薪", "讨薪")
# a problem to report — unless the words ask how something is done and the knowledge base knows
# (「垃圾分类怎么投放？」 is a question, 「小区门口垃圾没人清」 a report)
_PROBLEM_WORDS = (
    "坏了", "损坏", "破损", "漏水", "积水", "堵塞", "堵了", "不亮", "停水", "停电", "塌陷",
    "噪音", "扰民", "异味", "臭味", "垃圾", "乱停", "占道", "违建", "违章", "乱搭", "偷排",
)  # fmt: skip
_ASKING = re.compile(r"怎么|怎样|如何|哪里|哪儿|哪些|什么|多少|能否|可否|可以|是否|吗|\?|？")

_SPACE = re.compile(r"\s+")


def question_text(text: str | None) -> str:
    """The citizen's words, trimmed (spaces folded); ValidationFailed when empty or too long."""
    words = _SPACE.sub(" ", text or "").strip()
    if not words:
        raise ValidationFailed("请输入您的问题", field="question")
    if len(words) > MAX_QUESTION_CHARS:
        raise ValidationFailed(f"问题不能超过 {MAX_QUESTION_CHARS} 字", field="question")
    return words


def urgency_of(text: str) -> Urgency | None:
    """The danger the words name, with the numbers to call (None: none)."""
    numbers: list[str] = []
    found: list[str] = []
    for words, calls in _URGENT_RULES:
        hit = [w for w in words if w in text]
        if hit:
            found.extend(hit)
            numbers.extend(n for n in calls if n not in numbers)
    if not found:
        return None
    return Urgency(tuple(sorted(numbers)), tuple(found))


def asks_for_person(text: str) -> bool:
    return any(w in text for w in _PERSON_WORDS)


def is_complaint(text: str) -> bool:
    return any(w in text for w in _COMPLAINT_WORDS)


def is_problem_report(text: str) -> bool:
    """Words of a problem to be fixed (broken, leaking, noise, rubbish …)."""
    return any(w in text for w in _PROBLEM_WORDS)


def is_question(text: str) -> bool:
    return bool(_ASKING.search(text))


def is_complaint_or_report(text: str) -> bool:
    """A complaint, or a problem report not phrased as a question."""
    return is_complaint(text) or (is_problem_report(text) and not is_question(text))


def rule_handover(text: str) -> HandoverReason | None:
    """The hand-over the words alone decide, whatever the knowledge base holds: danger, a person
    asked for, a complaint, a problem report not phrased as a question (None: the score decides)."""
    if urgency_of(text) is not None:
        return HandoverReason.URGENT
    if asks_for_person(text):
        return HandoverReason.ASKED_PERSON
    if is_complaint(text) or (is_problem_report(text) and not is_question(text)):
        return HandoverReason.COMPLAINT
    return None


@dataclass(frozen=True)
class Decision:
    """What 小南 does with one question."""

    kind: DecisionKind
    hit: Hit | None = None  # the answer
    options: tuple[Hit, ...] = ()  # the two a clarifying question offers
    more: tuple[Hit, ...] = ()  # the next closest items
    reason: HandoverReason | None = None
    urgency: Urgency | None = None


def decide(
    text: str,
    hits: Sequence[Hit],
    threshold: float,
    *,
    clarified: bool = False,
    tie_margin: float = TIE_MARGIN,
) -> Decision:
    """The decision for `text` given the ranked `hits` (best first) and the knowledge base's
    answering threshold; `clarified`: the last turn was a clarifying question (not asked twice)."""
    ranked = sorted(hits, key=lambda h: -h.score)
    urgency = urgency_of(text)
    if urgency is not None:
        return Decision(DecisionKind.URGENT, reason=HandoverReason.URGENT, urgency=urgency)
    if asks_for_person(text):
        return Decision(DecisionKind.HANDOVER, reason=HandoverReason.ASKED_PERSON, more=tuple(ranked[:3]))
    answerable = [h for h in ranked if h.score >= threshold]
    if is_complaint(text) or (is_problem_report(text) and not (is_question(text) and answerable)):
        return Decision(DecisionKind.HANDOVER, reason=HandoverReason.COMPLAINT)
    if not answerable:
        return Decision(DecisionKind.HANDOVER, reason=HandoverReason.UNANSWERED, more=tuple(ranked[:3]))
    best = answerable[0]
    if (
        not clarified
        and len(answerable) > 1
        and answerable[1].item_id != best.item_id
        and answerable[1].title != best.title
        and best.score - answerable[1].score <= tie_margin * best.score
    ):
        return Decision(DecisionKind.CLARIFY, options=(best, answerable[1]))
    return Decision(
        DecisionKind.ANSWER, hit=best, more=tuple(h for h in ranked[1:4] if h.item_id != best.item_id)
    )


def clarifying_question(options: Sequence[Hit]) -> str:
    """「您想问的是哪一项？1. … 2. …（回复序号即可）」."""
    listed = " ".join(f"{n}. {h.title}" for n, h in enumerate(options, start=1))
    return f"您想问的是哪一项？{listed}（回复序号即可）"


_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class HandoverForm:
    """What the citizen fills in to be handed over to a person (it becomes a work order)."""

    name: str
    phone: str
    description: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    category_code: str | None = None

    def validated(self) -> HandoverForm:
        """The form trimmed; ValidationFailed naming every field that is wrong."""
        name = self.name.strip()
        phone = re.sub(r"[\s()]", "", self.phone)
        description = self.description.strip()
        address = self.address.strip()
        errors: dict[str, str] = {}
        if not name:
            errors["name"] = "请填写称呼"
        elif len(name) > 50:
            errors["name"] = "称呼不能超过 50 字"
        if not _PHONE.match(phone):
            errors["phone"] = "请填写正确的手机号或固定电话"
        if not description:
            errors["description"] = "请描述您的诉求"
        elif len(description) > 2000:
            errors["description"] = "描述不能超过 2000 字"
        if len(address) > 200:
            errors["address"] = "地址不能超过 200 字"
        located = self.latitude is not None and self.longitude is not None
        if located and not (-90 <= (self.latitude or 0) <= 90 and -180 <= (self.longitude or 0) <= 180):
            errors["location"] = "位置坐标无效"
        if (self.latitude is None) != (self.longitude is None):
            errors["location"] = "位置须同时给出经度和纬度"
        if not address and not located:
            errors["address"] = "请填写地址或在地图上选择位置"
        if errors:
            raise ValidationFailed("；".join(errors.values()), fields=errors)
        return HandoverForm(
            name, phone, description, address, self.latitude, self.longitude, self.category_code or None
        )
