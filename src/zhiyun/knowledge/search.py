"""Asking the knowledge base: `KnowledgeSearch.ask(question, top=3)`, what 小南 and the staff's
一键秒回 are built on (docs/knowledge.md).

The index holds the published items; it is rebuilt in the process when the knowledge base's
version stamp (the id of its last change, `repo.stamp`) has moved since it was built — one cheap
query per question (the largest id of an indexed column), so a publication is answered at once.
A large index (10,000 items or more) is rebuilt in a background thread while the old one goes on
answering, for the few seconds the build takes. Validity is applied at each question, so an
item whose valid_to has passed stops being answered the next day without any change.

Each hit carries its score in [0, 1]; a hit is `answerable` when its score reaches the threshold
chosen on the evaluation set's tuning half (`ANSWER_THRESHOLD`, or the site's
`ZHIYUN_KNOWLEDGE_ANSWER_THRESHOLD`). Below it, the assistant hands over to a person.

Asking is public (the citizens' assistant asks it): it reads only published, valid items and
returns only what the items say, never who wrote them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from zhiyun.domain.calendar import local_date
from zhiyun.domain.errors import ValidationFailed
from zhiyun.kernel.clock import Clock, system_clock
from zhiyun.knowledge import repo
from zhiyun.knowledge.retrieval import Analyzer, Document, FieldWeights, RetrievalIndex
from zhiyun.store.db import Database

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

log = logging.getLogger(__name__)

# Chosen on the tuning half of the shipped evaluation set (`zhiyun assistant evaluate … --choose`,
# docs/knowledge.md "The threshold"): the score that decides the most questions rightly.
ANSWER_THRESHOLD = 0.0818
QUESTION_MAX = 500
BACKGROUND_FROM = 10_000  # documents: an index this large is rebuilt while the old one answers
TIE = 0.05  # hits within 5 % of the best score tie with it (小南 asks which one is meant)
TOP_MAX = 20


@dataclass(frozen=True)
class Hit:
    """One knowledge item found for a question, with its score."""

    item_id: int
    key: str
    title: str
    answer: str
    source: str
    department: str
    category: str
    score: float
    answerable: bool  # score ≥ the threshold


@dataclass(frozen=True)
class Answer:
    """The ranked hits for a question; `answerable`: the first one reaches the threshold."""

    question: str
    hits: tuple[Hit, ...]
    threshold: float
    stamp: int

    @property
    def answerable(self) -> bool:
        return bool(self.hits) and self.hits[0].answerable

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.answerable else None

    def ties(self, within: float = TIE) -> tuple[Hit, ...]:
        """The answerable hits whose score is within `within` (a share of the best score) of the
        best one, the best included: more than one means the question does not say which item
        it is about (a clarifying question is due)."""
        if not self.answerable:
            return ()
        floor = self.hits[0].score * (1.0 - within)
        return tuple(h for h in self.hits if h.answerable and h.score >= floor)


def hits_of(found: Sequence[tuple[Document, float]], threshold: float) -> tuple[Hit, ...]:
    return tuple(
        Hit(
            item_id=int(d.key) if d.key.isdigit() else 0,
            key=d.key,
            title=d.title,
            answer=d.answer,
            source=d.source,
            department=d.department,
            category=d.category,
            score=round(score, 4),
            answerable=score >= threshold,
        )
        for d, score in found
    )


def question_text(question: str) -> str:
    text = (question or "").strip()
    if not text:
        raise ValidationFailed("请输入问题", field="question")
    if len(text) > QUESTION_MAX:
        raise ValidationFailed(f"问题不能超过 {QUESTION_MAX} 个字", field="question")
    return text


class KnowledgeSearch:
    """The published knowledge items, searched by a question; the index kept in the process."""

    def __init__(
        self,
        db: Database,
        *,
        threshold: float | None = None,
        analyzer: Analyzer | None = None,
        weights: FieldWeights | None = None,
        clock: Clock = system_clock,
        background_from: int = BACKGROUND_FROM,
    ) -> None:
        self.db = db
        self.threshold = ANSWER_THRESHOLD if threshold is None else threshold
        self.analyzer = analyzer
        self.weights = weights or FieldWeights()
        self.clock = clock
        self._lock = threading.Lock()
        self.background_from = background_from
        self._index: RetrievalIndex | None = None
        self._stamp = -1
        self._building: threading.Thread | None = None

    def stamp(self) -> int:
        """The knowledge base's version stamp (the id of its last change)."""
        with self.db.reading() as session:
            return repo.stamp(session)

    def index(self) -> tuple[RetrievalIndex, int]:
        """The index of the published items and the stamp it was built at, rebuilt when the stamp
        moved since. A large index (`background_from` documents or more) is rebuilt in a
        background thread while the old one answers; a small one before the question is answered."""
        stamp = self.stamp()
        index = self._index
        if index is not None and stamp == self._stamp:
            return index, stamp
        if index is not None and len(index) >= self.background_from:
            self._rebuild_in_background()
            return index, self._stamp
        with self._lock:
            if self._index is None or stamp != self._stamp:
                self._rebuild()
            assert self._index is not None
            return self._index, self._stamp

    def _rebuild(self) -> None:
        """Build the index of the published items as they are now (under the lock)."""
        with self.db.reading() as session:
            stamp = repo.stamp(session)
            documents = [
                Document(
                    key=str(r.id),
                    title=r.title,
                    answer=r.answer,
                    questions=tuple(r.questions or ()),
                    category=r.category,
                    department=r.department,
                    source=r.source,
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
                for r in repo.published(session)
            ]
        self._index = RetrievalIndex(documents, self.analyzer, self.weights)
        self._stamp = stamp

    def _rebuild_in_background(self) -> None:
        if self._building is not None and self._building.is_alive():
            return

        def run() -> None:
            with self._lock:
                try:
                    self._rebuild()
                except Exception:  # the old index goes on answering; the next question tries again
                    log.exception("rebuilding the knowledge index failed")

        self._building = threading.Thread(target=run, name="knowledge-index", daemon=True)
        self._building.start()

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Wait for a background rebuild under way (tests, benchmarks)."""
        if self._building is not None:
            self._building.join(timeout)

    def ask(self, question: str, top: int = 3, *, today: date | None = None) -> Answer:
        """The `top` published items valid today that best answer `question`, best first."""
        text = question_text(question)
        if not 1 <= top <= TOP_MAX:
            raise ValidationFailed(f"条数须在 1 至 {TOP_MAX} 之间", field="top")
        index, stamp = self.index()
        day = today or local_date(self.clock())
        return Answer(text, hits_of(index.search(text, top, day), self.threshold), self.threshold, stamp)


def build(services: Services) -> KnowledgeSearch:
    """The capability's search over the process's services (`Capability.services`)."""
    return KnowledgeSearch(
        services.db, threshold=services.settings.knowledge_answer_threshold, clock=services.clock
    )


__all__ = ["ANSWER_THRESHOLD", "Answer", "Hit", "KnowledgeSearch", "build", "hits_of", "question_text"]
