"""Answers to grid items' checklists for the demo's simulated patrols and the benchmarks: all
clear, or with one hazard. (A person answers on the phone; a simulation needs answers that pass
each checklist's rules, whatever version of the catalogue is installed.)"""

from __future__ import annotations

from typing import Any

from zhiyun.domain.grid_items import AnswerType, AnswerValue, GridItem, PhotoRule, Question

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


__all__ = ["clear_answers", "clear_value", "with_hazard"]
