"""The demo's patrols: answers to grid items' checklists (all clear, or with one hazard — a
person answers on the phone; a simulation and the benchmarks need answers that pass each
checklist's rules, whatever version of the catalogue is installed), and the month so far in
the printed grid worker's village (`ensure_patrol_history`), so that the ledgers, the figures
and the village's grid orders have something to show."""

from __future__ import annotations

import io
import random
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from zhiyun.domain.grid_items import AnswerType, AnswerValue, GridItem, PhotoRule, Question
from zhiyun.domain.patrol_plan import TaskStatus

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

_NUMBERS = (1, 0, 2, 10, 100)


def clear_value(q: Question) -> AnswerValue | list[str]:
    """An answer to `q` that shows no hazard (None for a photo question: its answer is a photo)."""
    if q.type is AnswerType.YES_NO:
        return next((v for v in (True, False) if q.hazard_level(v) is None), True)
    if q.type is AnswerType.NUMBER:
        for value in (q.minimum, q.maximum, *_NUMBERS):
            if value is None:
                continue
            within = (q.minimum is None or value >= q.minimum) and (q.maximum is None or value <= q.maximum)
            if within and q.hazard_level(value) is None:
                return value
        return q.minimum if q.minimum is not None else 0
    if q.type is AnswerType.SINGLE_CHOICE:
        return next((o for o in q.options if q.hazard_level(o) is None), q.options[0])
    if q.type is AnswerType.MULTIPLE_CHOICE:
        return [next((o for o in q.options if q.hazard_level((o,)) is None), q.options[0])]
    if q.type is AnswerType.TEXT:
        return "正常"
    return None


def clear_answers(item: GridItem, photo: str = "p1") -> dict[str, Any]:
    """Answers to every question of `item` that show no hazard, with the photo `photo` where one
    is always required (the phone's answer form: {"value": …, "photos": [...]})."""
    answers: dict[str, Any] = {}
    for q in item.questions:
        photos = [photo] if q.type is AnswerType.PHOTO or q.photo is PhotoRule.ALWAYS else []
        answers[q.id] = {"value": clear_value(q), "photos": photos}
    return answers


def with_hazard(item: GridItem, photo: str = "p1") -> tuple[dict[str, Any], str] | None:
    """Answers to `item` where the first yes/no question with a hazard rule shows it (with a
    photo), and that question's id; None when the checklist has no such question."""
    answers = clear_answers(item, photo)
    for q in item.questions:
        if q.type is AnswerType.YES_NO and q.hazards:
            bad = next(v for v in (True, False) if q.hazard_level(v) is not None)
            answers[q.id] = {"value": bad, "photos": [photo]}
            return answers, q.id
    return None


# -- the demo's patrol history ---------------------------------------------------------------------

HISTORY_VILLAGE = "GC-XB"  # 夏北社区: the printed grid worker's village
VISITED_SHARE = 0.9  # of the tasks planned before today: the rest show as 漏巡 or 逾期
HAZARD_SHARE = 0.04  # of the visits: one checklist answer shows a hazard
SOLVED_SHARE = 0.6  # of the hazard orders: solved on the spot by the village (就地解决)


def photo_png(rgb: tuple[int, int, int], width: int = 64, height: int = 48) -> bytes:
    """A small one-colour PNG (a stand-in for a phone's photo that every browser shows)."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@dataclass
class PatrolHistory:
    visits: int = 0
    hazards: int = 0
    solved_locally: int = 0


def ensure_patrol_history(services: Services, *, seed: int = 17) -> PatrolHistory | None:
    """The month so far in the printed grid worker's village: most tasks planned before today
    visited by their workers on their day (through the same use case as the phones), a few
    with a hazard that became an order at the village center, most of those solved on the spot
    by its dispatcher with a rectification deadline. Once: None when any visit exists."""
    from sqlalchemy import func, select

    from zhiyun.domain.calendar import LOCAL_TZ, local_date
    from zhiyun.domain.patrol_visits import ItemAnswers, VisitSubmission
    from zhiyun.grid import repo as posts_repo
    from zhiyun.grid.hazards import GridHazardService
    from zhiyun.grid.patrol_service import PatrolService, PhotoUpload
    from zhiyun.grid.patrol_tables import PatrolVisitRow
    from zhiyun.reference import repo as ref

    with services.db.reading() as session:
        if session.scalar(select(func.count()).select_from(PatrolVisitRow)):
            return None
        org = ref.load_org(session)
        village = next((u for u in org.units.values() if u.code == HISTORY_VILLAGE), None)
        if village is None:
            return None
        posts = posts_repo.posts_in_villages(session, [village.id])
    rng = random.Random(seed)
    patrols = services.get(PatrolService)
    hazards = services.get(GridHazardService)
    today = local_date(services.clock())
    dispatcher = services.accounts.user_by_name(
        f"{HISTORY_VILLAGE.lower().replace('-', '_')}_dispatcher"
    ).actor()
    history = PatrolHistory()
    photo = photo_png((96, 125, 139))
    workers = sorted({p.user_id for p in posts if p.grid_id is not None})
    for user_id in workers:
        worker = services.accounts.get_user(user_id).actor()
        for task in patrols.today(worker, today).tasks:
            if (
                task.day >= today
                or (task.status.is_settled and task.status is not TaskStatus.MISSED)
                or rng.random() >= VISITED_SHARE
            ):
                continue
            hazard_at = rng.randrange(len(task.items)) if rng.random() < HAZARD_SHARE else None
            answers = []
            for index, c in enumerate(task.items):
                found = with_hazard(c.item, "p") if index == hazard_at else None
                answers.append(
                    ItemAnswers(c.code, c.version, found[0] if found else clear_answers(c.item, "p"))
                )
            visited_at = datetime.combine(task.day, time(9 + rng.randrange(8), rng.randrange(60)), LOCAL_TZ)
            sub = VisitSubmission(
                f"demo-visit-{task.id:06d}",
                visited_at,
                task_id=task.id,
                lat=task.object_lat,
                lon=task.object_lon,
                accuracy_m=8.0,
                object_seen_at=task.object_updated_at,
                answers=tuple(answers),
            )
            shots = [PhotoUpload("p", "p.png", io.BytesIO(photo))] if sub.photo_ids() else []
            receipt = patrols.submit(worker, sub, shots)
            history.visits += 1
            for h in receipt.hazards:
                history.hazards += 1
                if h.order_number and rng.random() < SOLVED_SHARE:
                    hazards.resolve_locally(
                        dispatcher, h.order_number, "已当场责令整改", task.day + timedelta(days=7)
                    )
                    history.solved_locally += 1
    return history


__all__ = [
    "PatrolHistory",
    "clear_answers",
    "clear_value",
    "ensure_patrol_history",
    "photo_png",
    "with_hazard",
]
