"""The form of a visit as the phone sends it (domain.patrol_visits), the tags grid items select
objects by (domain.managed_objects.object_tags), and the months the patrol job plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.grid_items import Period
from zhiyun.domain.managed_objects import object_tags
from zhiyun.domain.patrol_visits import (
    MAX_OFFLINE_DAYS,
    FreeReport,
    ItemAnswers,
    Recheck,
    VisitSubmission,
    check_submission,
)
from zhiyun.grid.patrol_jobs import months_due

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def visit(**changes: object) -> VisitSubmission:
    base: dict[str, object] = {
        "submission_id": "3f1c9a2e-visit",
        "visited_at": NOW - timedelta(hours=1),
        "task_id": 5,
    }
    return VisitSubmission(**{**base, **changes})  # type: ignore[arg-type]


def problems(sub: VisitSubmission, photos: list[str] | None = None) -> list[str]:
    try:
        check_submission(sub, photos or [], NOW)
    except ValidationFailed as exc:
        return list(exc.details["problems"])
    return []


def test_a_visit_to_a_task_with_its_named_photos_is_accepted() -> None:
    answers = ItemAnswers("XF-001", 1, {"q1": {"value": True, "photos": ["p1"]}})
    assert problems(visit(answers=(answers,)), ["p1"]) == []


def test_a_free_report_or_a_recheck_needs_no_task() -> None:
    assert problems(visit(task_id=None, report=FreeReport("路灯不亮"))) == []
    assert problems(visit(task_id=None, rechecks=(Recheck(4, True),))) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"submission_id": "short"}, "提交编号"),
        ({"submission_id": "has space in it"}, "提交编号"),
        ({"visited_at": NOW + timedelta(minutes=11)}, "晚于服务器时间"),
        ({"visited_at": NOW - timedelta(days=MAX_OFFLINE_DAYS + 1)}, "不能再同步"),
        ({"visited_at": datetime(2026, 12, 7, 9, 0)}, "时区"),
        ({"task_id": None}, "须指明"),
        ({"task_id": None, "report": FreeReport("   ")}, "随手报须描述"),
        ({"lat": 23.0}, "纬度和经度"),
        ({"rechecks": (Recheck(4, True), Recheck(4, False))}, "同一隐患"),
        ({"answers": (ItemAnswers("A", 1, {}), ItemAnswers("A", 1, {}))}, "同一事项"),
    ],
)
def test_a_visit_of_the_wrong_form_is_refused_saying_why(changes: dict[str, object], message: str) -> None:
    found = problems(visit(**changes))
    assert any(message in p for p in found), found


def test_every_photo_named_must_come_and_every_photo_sent_must_be_named() -> None:
    answers = ItemAnswers("XF-001", 1, {"q1": {"value": True, "photos": ["p1", "p2"]}})
    assert any("缺少照片 p2" in p for p in problems(visit(answers=(answers,)), ["p1"]))
    assert any("没有对应的检查项" in p for p in problems(visit(answers=(answers,)), ["p1", "p2", "p3"]))
    assert any(
        "照片编号应为" in p for p in problems(visit(report=FreeReport("x", photos=("../etc",))), ["../etc"])
    )


def test_an_eatery_and_labelled_households_get_their_tags() -> None:
    assert object_tags("小餐饮", None) == {"餐饮"}
    assert object_tags("小商店", None) == frozenset()
    assert object_tags(None, "独居老人、低保户") == {"独居老人", "低保户"}
    assert object_tags(None, " 独居老人 , 残疾人；") == {"独居老人", "残疾人"}


def test_the_job_plans_this_month_and_from_the_25th_the_next() -> None:
    december = Period.month(2026, 12)
    assert months_due(december, 24) == [december]
    assert months_due(december, 25) == [december, Period.month(2027, 1)]
