"""小南's use cases (docs/assistant.md): a citizen asks, 小南 answers from the knowledge base,
asks one clarifying question, or hands over; a hand-over becomes a work order through the `web`
channel with the transcript; the citizen rates an answer; staff read the conversations and the
report (answered share, hand-over reasons, the questions it could not answer).

A citizen needs no login: the faces act as the portal's citizen principal (`may_use_portal`), a
conversation is reached by its unguessable token, and everything the citizen may do is to their
own conversation. Staff reads ask `may_read_assistant`.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiyun.assistant.tables import AssistantConversationRow, AssistantTurnRow
from zhiyun.domain import access
from zhiyun.domain.access import Actor
from zhiyun.domain.assistant import (
    MAX_TURNS,
    Decision,
    DecisionKind,
    HandoverForm,
    HandoverReason,
    Hit,
    clarifying_question,
    decide,
    question_text,
)
from zhiyun.domain.errors import NotFound, TooManyAttempts, ValidationFailed
from zhiyun.domain.portal import throttle_key
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.service import IntakeService, channel_actor
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.kernel.text import default_segmenter
from zhiyun.reference.cache import ReferenceCache
from zhiyun.store.db import Database
from zhiyun.store.tables import NoticeRow

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

WEB = "web"
CONVERSATIONS_PER_HOUR = 30  # new conversations one client may start in an hour
TOP = 4  # items asked of the retrieval: the answer and the next three


class Retrieval(Protocol):
    """The knowledge base's search, as 小南 uses it: ranked hits of the published items still
    valid, and the score below which it does not answer (chosen on an evaluation set)."""

    @property
    def threshold(self) -> float: ...

    def search(self, question: str, top: int) -> Sequence[Hit]: ...


@dataclass(frozen=True)
class ItemView:
    item_id: int
    title: str
    answer: str
    source: str
    department: str
    score: float


@dataclass(frozen=True)
class Reply:
    """小南's answer to one question."""

    token: str
    turn_id: int
    kind: str  # answer | clarify | handover | urgent
    text: str
    item: ItemView | None = None
    more: tuple[ItemView, ...] = ()
    reason: str | None = None
    reason_label: str | None = None
    numbers: tuple[str, ...] = ()  # urgent: whom to call


@dataclass(frozen=True)
class TurnView:
    id: int
    role: str
    kind: str
    text: str
    item_id: int | None
    score: float | None
    feedback: int | None
    created_at: datetime


@dataclass(frozen=True)
class ConversationView:
    id: int
    channel: str
    started_at: datetime
    last_at: datetime
    questions: int
    answered: int
    outcome: str
    handover_reason: str | None
    order_id: int | None
    turns: tuple[TurnView, ...] = ()


@dataclass(frozen=True)
class Handover:
    """The work order a hand-over registered (or found: one per conversation)."""

    order_id: int
    number: str
    merged_into: str | None = None


@dataclass(frozen=True)
class AssistantReport:
    """What 小南 did over a period (`zhiyun assistant report`)."""

    since: datetime
    until: datetime
    conversations: int
    questions: int
    answered_questions: int
    answered_share: float  # of the questions, answered (an item given)
    handovers: dict[str, int]  # reason → conversations handed over
    orders: int  # work orders registered by hand-over
    thumbs_up: int
    thumbs_down: int
    unanswered_topics: list[tuple[str, int, list[str]]] = field(default_factory=list)  # word, count, examples

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "conversations": self.conversations,
            "questions": self.questions,
            "answered_questions": self.answered_questions,
            "answered_share": self.answered_share,
            "handovers": self.handovers,
            "orders": self.orders,
            "thumbs_up": self.thumbs_up,
            "thumbs_down": self.thumbs_down,
            "unanswered_topics": [
                {"topic": word, "questions": count, "examples": examples}
                for word, count, examples in self.unanswered_topics
            ],
        }


def _item(hit: Hit) -> ItemView:
    return ItemView(hit.item_id, hit.title, hit.answer, hit.source, hit.department, round(hit.score, 4))


def _text_of(decision: Decision) -> str:
    if decision.kind is DecisionKind.URGENT and decision.urgency is not None:
        return decision.urgency.message
    if decision.kind is DecisionKind.CLARIFY:
        return clarifying_question(decision.options)
    if decision.kind is DecisionKind.ANSWER and decision.hit is not None:
        return decision.hit.answer
    reason = decision.reason or HandoverReason.UNANSWERED
    return {
        HandoverReason.ASKED_PERSON: "好的，为您转人工处理。请留下称呼、电话、地址和诉求，工作人员会尽快联系您。",
        HandoverReason.COMPLAINT: "您反映的问题需要工作人员处理。请留下称呼、电话、地址和诉求，我们将登记为工单并尽快办理。",
        HandoverReason.UNANSWERED: "抱歉，小南暂时回答不了这个问题。请留下称呼、电话、地址和诉求，转工作人员为您解答。",
        HandoverReason.URGENT: "请立即拨打紧急电话。",
    }[reason]


class AssistantService:
    """小南 (the module's note)."""

    def __init__(
        self,
        db: Database,
        reference: ReferenceCache,
        retrieval: Retrieval,
        intake: IntakeService,
        *,
        clock: Clock = system_clock,
        per_hour: int = CONVERSATIONS_PER_HOUR,
    ) -> None:
        self.db = db
        self.reference = reference
        self.retrieval = retrieval
        self.intake = intake
        self.clock = clock
        self.per_hour = per_hour

    # ------------------------------------------------------------------ the citizen

    def _conversation(self, session: Session, token: str) -> AssistantConversationRow:
        row = (
            session.scalars(
                select(AssistantConversationRow).where(AssistantConversationRow.token == token)
            ).first()
            if token and len(token) <= 64
            else None
        )
        if row is None:
            raise NotFound("对话不存在或已过期，请重新提问")
        return row

    def _start(self, session: Session, channel: str, client: str, now: datetime) -> AssistantConversationRow:
        hashed = throttle_key("assistant", client) if client else ""  # the portal's digest, not the address
        if hashed:
            recent = session.scalar(
                select(func.count())
                .select_from(AssistantConversationRow)
                .where(
                    AssistantConversationRow.client_hash == hashed,
                    AssistantConversationRow.started_at >= now - timedelta(hours=1),
                )
            )
            if int(recent or 0) >= self.per_hour:
                raise TooManyAttempts("提问过于频繁，请稍后再试", retry_after=600)
        row = AssistantConversationRow(
            token=secrets.token_urlsafe(24),
            channel=channel,
            client_hash=hashed,
            started_at=now,
            last_at=now,
            questions=0,
            answered=0,
            outcome="open",
        )
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _turns(session: Session, conversation_id: int) -> list[AssistantTurnRow]:
        return list(
            session.scalars(
                select(AssistantTurnRow)
                .where(AssistantTurnRow.conversation_id == conversation_id)
                .order_by(AssistantTurnRow.id)
            )
        )

    def ask(
        self,
        actor: Actor,
        question: str | None,
        token: str | None = None,
        *,
        channel: str = "portal",
        client: str = "",
    ) -> Reply:
        """Answer one question in the conversation `token` (a new one when None)."""
        access.require(access.may_use_portal, actor)
        text = question_text(question)
        if channel not in {"portal", "api"}:
            raise ValidationFailed(f"未知的渠道 {channel!r}", field="channel")
        now = self.clock()
        with self.db.transaction() as session:
            row = self._conversation(session, token) if token else self._start(session, channel, client, now)
            if row.questions >= MAX_TURNS:
                raise ValidationFailed("本次对话已较长，请刷新页面开始新的对话", field="question")
            recent = list(
                session.scalars(
                    select(AssistantTurnRow)
                    .where(AssistantTurnRow.conversation_id == row.id)
                    .order_by(AssistantTurnRow.id.desc())
                    .limit(2)
                )
            )
            last = recent[0] if recent and recent[0].role == "assistant" else None
            asked = recent[1].text if len(recent) > 1 and recent[1].role == "citizen" else ""
            decision = self._decide(text, last, asked)
            session.add(
                AssistantTurnRow(
                    conversation_id=row.id,
                    role="citizen",
                    text=text,
                    kind="question",
                    options="",
                    created_at=now,
                )
            )
            reply_text = _text_of(decision)
            hit = decision.hit
            turn = AssistantTurnRow(
                conversation_id=row.id,
                role="assistant",
                text=reply_text,
                kind=decision.kind.value,
                reason=decision.reason.value if decision.reason else None,
                item_id=hit.item_id if hit else None,
                score=round(hit.score, 4) if hit else None,
                options=",".join(str(h.item_id) for h in decision.options)[:200],
                created_at=now,
            )
            session.add(turn)
            row.questions += 1
            row.last_at = now
            if decision.kind is DecisionKind.ANSWER:
                row.answered += 1
                if row.outcome == "open":
                    row.outcome = "answered"
            elif decision.kind is DecisionKind.URGENT:
                row.outcome, row.handover_reason = "urgent", HandoverReason.URGENT.value
                self._tell_duty(session, row, text, now)
            elif decision.kind is DecisionKind.HANDOVER and row.outcome != "urgent":
                row.outcome = "handover"
                row.handover_reason = (decision.reason or HandoverReason.UNANSWERED).value
            session.flush()
            return Reply(
                token=row.token,
                turn_id=turn.id,
                kind=decision.kind.value,
                text=reply_text,
                item=_item(hit) if hit else None,
                more=tuple(_item(h) for h in (decision.options or decision.more)),
                reason=decision.reason.value if decision.reason else None,
                reason_label=decision.reason.label if decision.reason else None,
                numbers=decision.urgency.numbers if decision.urgency else (),
            )

    def _decide(self, text: str, last: AssistantTurnRow | None, asked: str) -> Decision:
        """The decision on `text`; after a clarifying question (`last`, on the question `asked`)
        a reply of 「1」「2」 picks that item; anything else is decided afresh (not clarified twice)."""
        clarified = last is not None and last.kind == DecisionKind.CLARIFY.value
        if clarified and last is not None:
            offered = [int(i) for i in last.options.split(",") if i.isdigit()]
            choice = text.strip().rstrip("。.、")
            if choice.isdigit() and 1 <= int(choice) <= len(offered):
                wanted = offered[int(choice) - 1]
                # both options were among the best hits of the question they clarify
                hits = [h for h in self.retrieval.search(asked or last.text, TOP * 2) if h.item_id == wanted]
                if hits:
                    return Decision(DecisionKind.ANSWER, hit=hits[0])
        hits = list(self.retrieval.search(text, TOP))
        return decide(text, hits, self.retrieval.threshold, clarified=clarified)

    def _tell_duty(self, session: Session, row: AssistantConversationRow, text: str, now: datetime) -> None:
        """An urgent conversation: a notice to the district center (the root unit) at once."""
        org = self.reference.get(session).org
        if not org.units:
            return
        root = org.root().id
        session.add(
            NoticeRow(
                order_id=None,
                kind="assistant_urgent",
                deadline="",
                due_at=now,
                unit_id=root,
                message=f"小南紧急提醒：市民在对话中说「{text[:200]}」，已提示其拨打紧急电话，请值班人员关注。",
                link=f"/assistant/conversations/{row.id}",
                created_at=now,
            )
        )

    def feedback(self, actor: Actor, token: str, turn_id: int, up: bool) -> None:
        """The citizen's thumbs up or down on one of 小南's answers in their conversation."""
        access.require(access.may_use_portal, actor)
        with self.db.transaction() as session:
            row = self._conversation(session, token)
            turn = session.get(AssistantTurnRow, turn_id)
            if turn is None or turn.conversation_id != row.id or turn.role != "assistant":
                raise NotFound("回答不存在", turn_id=turn_id)
            if turn.kind != DecisionKind.ANSWER.value:
                raise ValidationFailed("只能评价小南给出的答案", field="turn_id")
            turn.feedback = 1 if up else -1

    def transcript(self, actor: Actor, token: str) -> ConversationView:
        """The citizen's own conversation."""
        access.require(access.may_use_portal, actor)
        with self.db.reading() as session:
            row = self._conversation(session, token)
            return self._view(session, row, turns=True)

    def handover(self, actor: Actor, token: str, form: HandoverForm) -> Handover:
        """Register the conversation as a work order through the `web` channel, with its
        transcript; one order per conversation (asked again, the same order)."""
        access.require(access.may_use_portal, actor)
        checked = form.validated()
        now = self.clock()
        with self.db.transaction() as session:
            row = self._conversation(session, token)
            turns = self._turns(session, row.id)
            if not any(t.role == "citizen" for t in turns):
                raise ValidationFailed("请先向小南说明您的问题", field="token")
            transcript = "\n".join(f"{'市民' if t.role == 'citizen' else '小南'}：{t.text}" for t in turns)
            reason = row.handover_reason or HandoverReason.ASKED_PERSON.value
            content = f"{checked.description}\n\n—— 小南对话记录（转人工原因：{HandoverReason(reason).label}）——\n{transcript}"
            draft = IntakeDraft(
                external_id=f"A{row.id}",
                title=checked.description.splitlines()[0][:40],
                content=content[:20000],
                order_type=OrderType.COMPLAINT
                if reason == HandoverReason.COMPLAINT.value
                else OrderType.HELP,
                urgency=Urgency.URGENT if reason == HandoverReason.URGENT.value else None,
                citizen_name=checked.name,
                citizen_phone=checked.phone,
                address=checked.address or None,
                latitude=checked.latitude,
                longitude=checked.longitude,
                reported_at=now,
                category_code=checked.category_code,
                attributes={"assistant_conversation": row.id, "handover_reason": reason},
            )
            result = self.intake.accept_in(
                session,
                WEB,
                draft,
                {"assistant_conversation": row.id, "transcript": transcript[:20000]},
                actor=channel_actor(WEB),
                now=now,
                details={"assistant": {"conversation": row.id, "reason": reason}},
            )
            row.order_id = result.order.id
            row.outcome = "handover" if row.outcome != "urgent" else row.outcome
            row.handover_reason = reason
            session.add(
                AssistantTurnRow(
                    conversation_id=row.id,
                    role="assistant",
                    text=f"已为您登记工单 {result.order.number}，工作人员会尽快联系您。",
                    kind="registered",
                    options="",
                    created_at=now,
                )
            )
            return Handover(result.order.id, result.order.number, result.duplicate_of)

    # ------------------------------------------------------------------ staff

    @staticmethod
    def _view(session: Session, row: AssistantConversationRow, *, turns: bool = False) -> ConversationView:
        trail: tuple[TurnView, ...] = ()
        if turns:
            trail = tuple(
                TurnView(t.id, t.role, t.kind, t.text, t.item_id, t.score, t.feedback, t.created_at)
                for t in AssistantService._turns(session, row.id)
            )
        return ConversationView(
            row.id,
            row.channel,
            row.started_at,
            row.last_at,
            row.questions,
            row.answered,
            row.outcome,
            row.handover_reason,
            row.order_id,
            trail,
        )

    def conversations(
        self, actor: Actor, outcome: str | None = None, limit: int = 100
    ) -> list[ConversationView]:
        """The newest conversations (optionally of one outcome), for staff."""
        access.require(access.may_read_assistant, actor)
        if outcome is not None and outcome not in {"open", "answered", "handover", "urgent"}:
            raise ValidationFailed(f"未知的结果 {outcome!r}", field="outcome")
        with self.db.reading() as session:
            query = select(AssistantConversationRow)
            if outcome:
                query = query.where(AssistantConversationRow.outcome == outcome)
            rows = session.scalars(
                query.order_by(AssistantConversationRow.id.desc()).limit(max(1, min(limit, 500)))
            )
            return [self._view(session, r) for r in rows]

    def conversation(self, actor: Actor, conversation_id: int) -> ConversationView:
        """One conversation with its turns, for staff."""
        access.require(access.may_read_assistant, actor)
        with self.db.reading() as session:
            row = session.get(AssistantConversationRow, conversation_id)
            if row is None:
                raise NotFound("对话不存在", conversation_id=conversation_id)
            return self._view(session, row, turns=True)

    def report(self, actor: Actor, since: datetime, until: datetime, topics: int = 15) -> AssistantReport:
        """Answered share, hand-over reasons, thumbs, and the questions it could not answer
        grouped by their most telling word (the knowledge base's gaps)."""
        access.require(access.may_read_assistant, actor)
        if until <= since:
            raise ValidationFailed("结束时间须晚于开始时间", field="until")
        C, T = AssistantConversationRow, AssistantTurnRow
        with self.db.reading() as session:
            conversations = session.execute(
                select(C.id, C.handover_reason, C.order_id).where(C.started_at >= since, C.started_at < until)
            ).all()
            ids = [int(c[0]) for c in conversations]
            turns: list[_Turn] = []
            for start in range(0, len(ids), 1000):
                turns.extend(
                    _Turn(*row)
                    for row in session.execute(
                        select(T.conversation_id, T.role, T.kind, T.text, T.reason, T.feedback)
                        .where(T.conversation_id.in_(ids[start : start + 1000]))
                        .order_by(T.id)
                    )
                )
        questions = [t for t in turns if t.role == "citizen"]
        replies = [t for t in turns if t.role == "assistant" and t.kind != "registered"]
        answered = sum(1 for t in replies if t.kind == DecisionKind.ANSWER.value)
        reasons = Counter(str(c[1]) for c in conversations if c[1])
        asked_before: dict[int, str] = {}
        unanswered: list[str] = []
        for t in turns:
            if t.role == "citizen":
                asked_before[t.conversation_id] = t.text
            elif t.reason == HandoverReason.UNANSWERED.value and t.conversation_id in asked_before:
                unanswered.append(asked_before[t.conversation_id])
        return AssistantReport(
            since,
            until,
            len(conversations),
            len(questions),
            answered,
            round(answered / len(replies), 4) if replies else 0.0,
            dict(sorted(reasons.items())),
            sum(1 for c in conversations if c[2] is not None),
            sum(1 for t in replies if t.feedback == 1),
            sum(1 for t in replies if t.feedback == -1),
            _topics(unanswered, topics),
        )


@dataclass(frozen=True)
class _Turn:
    conversation_id: int
    role: str
    kind: str
    text: str
    reason: str | None
    feedback: int | None


_STOP_TEXT = "怎么 怎样 如何 什么 哪里 哪儿 可以 需要 是否 能否 一下 请问 我们 我的 你们 这个 那个 办理 问题 知道 有没有 吗 呢 的 了"
_STOP = frozenset(_STOP_TEXT.split())


def _topics(questions: Sequence[str], limit: int) -> list[tuple[str, int, list[str]]]:
    """The questions grouped by their most frequent content word: (word, questions, examples)."""
    if not questions:
        return []
    segmenter = default_segmenter()
    words_of = [
        [w for w in dict.fromkeys(segmenter.cut(q)) if len(w) >= 2 and w not in _STOP] for q in questions
    ]
    frequency = Counter(w for words in words_of for w in words)
    groups: dict[str, list[str]] = {}
    for question, words in zip(questions, words_of, strict=True):
        topic = max(words, key=lambda w: (frequency[w], len(w), w)) if words else "（其他）"
        groups.setdefault(topic, []).append(question)
    ranked = sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))
    return [(topic, len(found), found[:3]) for topic, found in ranked[:limit]]


def build(services: Services) -> AssistantService:
    """The capability's service (`Capability.services`); the retrieval is the knowledge base's."""
    from zhiyun.assistant.retrieval import knowledge_retrieval

    return AssistantService(
        services.db, services.reference, knowledge_retrieval(services), services.intake, clock=services.clock
    )


__all__ = [
    "AssistantReport",
    "AssistantService",
    "ConversationView",
    "Handover",
    "ItemView",
    "Reply",
    "Retrieval",
    "TurnView",
    "build",
]
