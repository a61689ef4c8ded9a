"""The knowledge base (知识库, GB/T 44191-2024): the pure rules of a knowledge item (知识点).

- **Life cycle.** draft (草稿) → reviewed (已审核) → published (已发布) → withdrawn (已撤回).
  A reviewer may send a reviewed item back to draft; an edit of a reviewed, published or
  withdrawn item makes it a draft again (it is answered again only after a new review and
  publication: what the citizens read has always been reviewed). `ITEM_STEPS` is the table.
- **Answerable.** Only a published item inside its validity (valid_from ≤ today ≤ valid_to,
  either end open) is ever answered (`answerable_on`): an expired, future, withdrawn or
  unpublished item is not.
- **Input.** `ItemInput.validated` cleans and bounds what an editor writes.
- **Evaluation.** `rank_of`, `figures` (top-1, top-3, MRR, share of the out-of-scope questions
  handed over) and `choose_threshold`, which picks the answer threshold on an evaluation set:
  the score that makes the most right decisions (answer when the first hit is right, hand over
  when it is wrong or the question is out of scope), the middle of the best plateau.

Standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.lifecycle import Lifecycle, TransitionTable

__all__ = [
    "ANSWER_MAX",
    "ITEM_LIFECYCLE",
    "ITEM_STEPS",
    "QUESTIONS_MAX",
    "TITLE_MAX",
    "EvaluationFigures",
    "ItemAction",
    "ItemInput",
    "ItemStatus",
    "Outcome",
    "answerable_on",
    "choose_threshold",
    "decision_accuracy",
    "figures",
    "rank_of",
]

TITLE_MAX = 200
ANSWER_MAX = 20_000
CATEGORY_MAX = 64
DEPARTMENT_MAX = 100
SOURCE_MAX = 500
POLICY_MAX = 300
QUESTION_MAX = 200
QUESTIONS_MAX = 30  # similar questions (相似问法) per item


class ItemStatus(StrEnum):
    """Where a knowledge item stands."""

    DRAFT = "draft"
    REVIEWED = "reviewed"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"draft": "草稿", "reviewed": "已审核", "published": "已发布", "withdrawn": "已撤回"}[
            self.value
        ]


class ItemAction(StrEnum):
    """What is done to a knowledge item."""

    CREATE = "create"
    EDIT = "edit"
    REVIEW = "review"
    SEND_BACK = "send_back"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return {
            "create": "新建",
            "edit": "修改",
            "review": "审核通过",
            "send_back": "退回修改",
            "publish": "发布",
            "withdraw": "撤回",
        }[self.value]


S_ = ItemStatus
A_ = ItemAction
ITEM_STEPS: TransitionTable[ItemStatus, ItemAction] = TransitionTable(
    {
        (S_.DRAFT, A_.EDIT): {S_.DRAFT},
        (S_.DRAFT, A_.REVIEW): {S_.REVIEWED},
        (S_.REVIEWED, A_.EDIT): {S_.DRAFT},
        (S_.REVIEWED, A_.SEND_BACK): {S_.DRAFT},
        (S_.REVIEWED, A_.PUBLISH): {S_.PUBLISHED},
        (S_.PUBLISHED, A_.EDIT): {S_.DRAFT},
        (S_.PUBLISHED, A_.WITHDRAW): {S_.WITHDRAWN},
        (S_.WITHDRAWN, A_.EDIT): {S_.DRAFT},
    }
)
"""draft → reviewed → published → withdrawn; a reviewer sends a reviewed item back; an edit of any
item makes it a draft again (a published one leaves the answers until reviewed and published
again). No state is final: a withdrawn item may be edited back into a draft."""

ITEM_LIFECYCLE: Lifecycle[ItemStatus, ItemAction, ItemStatus] = Lifecycle(
    ITEM_STEPS,
    state_of=lambda status: status,
    labels={**{s: s.label for s in ItemStatus}, **{a: a.label for a in ItemAction}},
)
"""The table with the words refusals use; who may act is `domain.access` (the service asks it)."""


def answerable_on(
    status: ItemStatus | str, valid_from: date | None, valid_to: date | None, today: date
) -> bool:
    """Whether an item may be given as an answer on `today`: published and within its validity."""
    if ItemStatus(status) is not ItemStatus.PUBLISHED:
        return False
    if valid_from is not None and today < valid_from:
        return False
    return valid_to is None or today <= valid_to


def _text(value: str | None, name: str, label: str, limit: int, *, required: bool = False) -> str:
    cleaned = (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not cleaned:
        raise ValidationFailed(f"请填写{label}", field=name)
    if len(cleaned) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", field=name)
    if "\x00" in cleaned:
        raise ValidationFailed(f"{label}含有不允许的字符", field=name)
    return cleaned


@dataclass(frozen=True)
class ItemInput:
    """A knowledge item as its editor writes it."""

    title: str
    answer: str
    category: str = ""
    department: str = ""  # the owner department (主管部门) as the source names it
    source: str = ""  # the source document: a URL or a document's name
    policy_ref: str = ""  # the policy and its version (政策依据)
    valid_from: date | None = None
    valid_to: date | None = None
    questions: tuple[str, ...] = ()  # similar questions (相似问法)

    def validated(self) -> ItemInput:
        """The input cleaned (trimmed, line ends unified, repeated questions dropped), or
        ValidationFailed saying in Chinese what is wrong."""
        title = _text(self.title, "title", "标题", TITLE_MAX, required=True)
        if "\n" in title:
            raise ValidationFailed("标题不能换行", field="title")
        questions: list[str] = []
        for raw in self.questions:
            q = _text(raw, "questions", "相似问法", QUESTION_MAX)
            if q and q not in questions and q != title:
                questions.append(q)
        if len(questions) > QUESTIONS_MAX:
            raise ValidationFailed(f"相似问法不能超过 {QUESTIONS_MAX} 条", field="questions")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationFailed("失效日期不能早于生效日期", field="valid_to")
        return ItemInput(
            title=title,
            answer=_text(self.answer, "answer", "答案", ANSWER_MAX, required=True),
            category=_text(self.category, "category", "分类", CATEGORY_MAX),
            department=_text(self.department, "department", "主管部门", DEPARTMENT_MAX),
            source=_text(self.source, "source", "来源", SOURCE_MAX),
            policy_ref=_text(self.policy_ref, "policy_ref", "政策依据", POLICY_MAX),
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            questions=tuple(questions),
        )


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Outcome:
    """One evaluation question: the expected item (None: out of scope), the ranked item ids
    the retrieval gave and the first hit's score."""

    expected: str | None
    ranked: tuple[str, ...]
    top_score: float
    handed_by_rule: bool = False  # 小南 hands it over whatever the score (danger, a complaint …)

    @property
    def in_scope(self) -> bool:
        return self.expected is not None

    def answered_at(self, threshold: float) -> bool:
        """Whether 小南 answers it at `threshold`: a first hit scoring at least the threshold, and
        no rule handing it over."""
        return bool(self.ranked) and self.top_score >= threshold and not self.handed_by_rule

    @property
    def first_right(self) -> bool:
        return self.in_scope and bool(self.ranked) and self.ranked[0] == self.expected


def rank_of(expected: str, ranked: Sequence[str]) -> int | None:
    """The 1-based rank of `expected` among `ranked`; None when absent."""
    for n, item in enumerate(ranked, start=1):
        if item == expected:
            return n
    return None


@dataclass(frozen=True)
class EvaluationFigures:
    """Ranking figures over the in-scope questions and hand-over over the out-of-scope ones."""

    questions: int
    in_scope: int
    out_of_scope: int
    top1: float
    top3: float
    mrr: float
    handover_accuracy: float
    answered_right: float  # share of in-scope questions answered (score ≥ threshold) with the right item
    decision_accuracy: float  # share of all questions whose decision was right (see decision_accuracy)


def decision_accuracy(outcomes: Sequence[Outcome], threshold: float) -> float:
    """The share of questions decided rightly at `threshold`: answered with the right item, or
    handed over (score below the threshold) when the first hit is wrong or the question is out of
    scope."""
    if not outcomes:
        return 0.0
    right = 0
    for o in outcomes:
        answered = o.answered_at(threshold)
        right += (answered and o.first_right) or (not answered and not o.first_right)
    return right / len(outcomes)


def figures(outcomes: Sequence[Outcome], threshold: float) -> EvaluationFigures:
    """top-1, top-3 and MRR (ranks beyond the list count 0) over the in-scope questions; the
    share of out-of-scope questions handed over at `threshold`."""
    inside = [o for o in outcomes if o.expected is not None]
    outside = [o for o in outcomes if o.expected is None]
    top1 = top3 = rr = answered = 0.0
    for o in inside:
        assert o.expected is not None
        rank = rank_of(o.expected, o.ranked)
        if rank is not None:
            rr += 1.0 / rank
            top1 += rank == 1
            top3 += rank <= 3
        answered += o.first_right and o.answered_at(threshold)
    handed = sum(1 for o in outside if not o.answered_at(threshold))
    n_in = len(inside) or 1
    return EvaluationFigures(
        questions=len(outcomes),
        in_scope=len(inside),
        out_of_scope=len(outside),
        top1=top1 / n_in,
        top3=top3 / n_in,
        mrr=rr / n_in,
        handover_accuracy=handed / len(outside) if outside else 1.0,
        answered_right=answered / n_in,
        decision_accuracy=decision_accuracy(outcomes, threshold),
    )


def choose_threshold(outcomes: Sequence[Outcome]) -> float:
    """The answer threshold that decides the most questions rightly (`decision_accuracy`).

    Candidates are the midpoints between consecutive distinct first-hit scores (and one below
    the lowest, one above the highest); of the candidates with the best accuracy the middle one
    is the middle of the longest run of best candidates (every score between them decides as
    well), so that the threshold sits inside the plateau, not on its edge.
    """
    scores = sorted({o.top_score for o in outcomes if o.ranked})
    if not scores:
        return 0.0
    candidates = [scores[0] - 0.01, *((a + b) / 2 for a, b in pairwise(scores)), scores[-1] + 0.01]
    accuracies = [decision_accuracy(outcomes, c) for c in candidates]
    best = max(accuracies)
    # the longest run of consecutive best candidates, then its middle
    runs: list[tuple[int, int]] = []
    start = None
    for n, acc in enumerate(accuracies):
        if acc == best and start is None:
            start = n
        if acc != best and start is not None:
            runs.append((start, n - 1))
            start = None
    if start is not None:
        runs.append((start, len(accuracies) - 1))
    first, last = max(runs, key=lambda r: r[1] - r[0])
    return (candidates[first] + candidates[last]) / 2
