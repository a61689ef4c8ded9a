"""Merged patrols stored and used, on SQLite and PostgreSQL: a month planned into tasks (one
visit per object covering every due item), a worker's day, visits from the phone (idempotent
by submission id, checked against each checklist's version, a follow-up for items left,
conflicts kept), and who may see and do what."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from tests.patrol_support import JPEG, PatrolWorld, at, clear_answers, seed_patrol_world, with_hazard
from tests.support import ONLY_SQLITE, TEST_ADMIN, TEST_SYSTEM
from typer.testing import CliRunner

from zhiyun.bootstrap import Services
from zhiyun.cli.main import app
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.grid_items import Period
from zhiyun.domain.patrol_plan import TaskStatus
from zhiyun.domain.patrol_visits import ConflictKind, FreeReport, ItemAnswers, Recheck, VisitSubmission
from zhiyun.grid.hazards import GridHazardService
from zhiyun.grid.objects_tables import ManagedObjectRow
from zhiyun.grid.patrol_service import DayTask, PatrolService, PhotoUpload
from zhiyun.grid.patrol_tables import (
    PatrolAnswerRow,
    PatrolItemVisitRow,
    PatrolPhotoRow,
    PatrolTaskRow,
    PatrolVisitRow,
)
from zhiyun.store.tables import AttachmentRow, OrgUnitRow, WorkOrderRow

DECEMBER = Period.month(2026, 12)
FIRST = date(2026, 12, 1)


@pytest.fixture
def world(services: Services, tmp_path: Path) -> PatrolWorld:
    return seed_patrol_world(services, tmp_path)


@pytest.fixture
def planned(world: PatrolWorld) -> PatrolWorld:
    world.patrols(at(FIRST, 7)).plan(TEST_SYSTEM, DECEMBER)
    return world


def eatery_task(world: PatrolWorld, patrols: PatrolService) -> DayTask:
    day = patrols.today(world.worker, FIRST + timedelta(days=10))
    return next(t for t in day.tasks if t.object_id == world.objects["XB1-eat"])


def submission(
    task: DayTask, sid: str, day: date, *, photo: str = "p1", only: int | None = None
) -> VisitSubmission:
    items = task.items if only is None else task.items[:only]
    return VisitSubmission(
        submission_id=sid,
        visited_at=at(day, 10),
        task_id=task.id,
        answers=tuple(ItemAnswers(c.code, c.version, clear_answers(c.item, photo)) for c in items),
        object_seen_at=task.object_updated_at,
    )


def with_photos(sub: VisitSubmission) -> tuple[VisitSubmission, list[PhotoUpload]]:
    return sub, photos_for(sub)


def photos_for(sub: VisitSubmission) -> list[PhotoUpload]:
    return [PhotoUpload(p, f"{p}.jpg", io.BytesIO(JPEG)) for p in sorted(set(sub.photo_ids()))]


def test_a_month_planned_gives_an_object_due_for_three_items_one_visit_with_three_checklists(
    planned: PatrolWorld,
) -> None:
    patrols = planned.patrols(at(FIRST, 8))
    task = next(
        t for t in patrols.today(planned.worker, FIRST).tasks if t.object_id == planned.objects["XB1-eat"]
    )
    assert {c.code for c in task.items} == {"XF-001", "RQ-001", "HW-001"}
    assert all(c.item.questions for c in task.items)
    record = patrols.plan_recorded(DECEMBER)
    assert record is not None
    assert record["tasks_saved"] == record["per_item_tasks"] - record["tasks_made"] > 0
    with planned.services.db.reading() as session:
        stored = session.scalar(select(func.count()).select_from(PatrolTaskRow))
    assert stored == record["tasks_made"]


def test_a_dry_run_plans_without_writing_and_planning_again_keeps_visited_tasks(planned: PatrolWorld) -> None:
    patrols = planned.patrols(at(FIRST + timedelta(days=2), 11))
    task = eatery_task(planned, patrols)
    sub = submission(task, "visit-0001", FIRST + timedelta(days=2))
    assert patrols.submit(planned.worker, sub, photos_for(sub)).created
    before = patrols.plan(TEST_ADMIN, DECEMBER, save=False)
    assert before.saved is False
    again = patrols.plan(TEST_ADMIN, DECEMBER)
    assert again.kept >= 1 and again.replaced >= 1
    with planned.services.db.reading() as session:
        kept = session.get(PatrolTaskRow, task.id)
        assert kept is not None and kept.visited_on == FIRST + timedelta(days=2)
        # the visit counts in the new plan: the eatery is not due for the fire check again this month
        pending = session.scalars(
            select(PatrolTaskRow).where(
                PatrolTaskRow.object_id == planned.objects["XB1-eat"], PatrolTaskRow.visited_on.is_(None)
            )
        ).all()
        assert all("XF-001" not in [c for c, _ in t.items] for t in pending)


def test_a_worker_sees_only_their_own_tasks_and_only_grid_workers_patrol(planned: PatrolWorld) -> None:
    patrols = planned.patrols(at(FIRST + timedelta(days=10), 11))
    mine = {t.object_id for t in patrols.today(planned.worker).tasks}
    theirs = {t.object_id for t in patrols.today(planned.other).tasks}
    assert planned.objects["XB1-eat"] in mine and planned.objects["PN1-shop"] not in mine
    assert planned.objects["PN1-shop"] in theirs and not theirs & mine
    handler = Actor(user_id=99, role=Role.HANDLER, unit_id=None)
    with pytest.raises(PermissionDenied):
        patrols.today(handler)
    with pytest.raises(PermissionDenied):
        patrols.plan(planned.worker, DECEMBER)


def test_a_visit_answering_every_checklist_does_the_task_and_a_retry_makes_no_second_visit(
    planned: PatrolWorld,
) -> None:
    day = FIRST + timedelta(days=3)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    sub = submission(task, "visit-retry-1", day)
    first = patrols.submit(planned.worker, sub, photos_for(sub))
    assert first.created and first.task_status is TaskStatus.DONE_ON_TIME
    assert set(first.satisfied) == {"XF-001", "RQ-001", "HW-001"} and first.unsatisfied == ()
    again = patrols.submit(planned.worker, sub, photos_for(sub))
    assert not again.created and again.visit_id == first.visit_id and again.satisfied == first.satisfied
    assert patrols.visit(planned.worker, "visit-retry-1").visit_id == first.visit_id
    with planned.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolVisitRow)) == 1
        assert session.scalar(select(func.count()).select_from(PatrolItemVisitRow)) == 3
        answers = session.scalar(select(func.count()).select_from(PatrolAnswerRow))
        assert answers == sum(len(c.item.questions) for c in task.items)
        assert session.scalar(select(func.count()).select_from(PatrolPhotoRow)) == len(set(sub.photo_ids()))
    done = patrols.today(planned.worker, day)
    assert any(t.id == task.id and t.status is TaskStatus.DONE_ON_TIME for t in done.tasks)


def test_a_visit_that_answers_one_checklist_leaves_a_follow_up_task_for_the_others(
    planned: PatrolWorld,
) -> None:
    day = FIRST + timedelta(days=4)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    receipt = patrols.submit(planned.worker, *with_photos(submission(task, "visit-part-1", day, only=1)))
    assert len(receipt.satisfied) == 1 and len(receipt.unsatisfied) == 2
    assert receipt.follow_up_task_id is not None
    with planned.services.db.reading() as session:
        follow = session.get(PatrolTaskRow, receipt.follow_up_task_id)
        assert follow is not None and follow.follow_up_of == task.id
        assert {c for c, _ in follow.items} == set(receipt.unsatisfied)
        assert follow.day > day


def test_a_hazard_answer_is_reported_with_its_level_and_its_photo_is_stored(planned: PatrolWorld) -> None:
    day = FIRST + timedelta(days=5)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    fire = next(c for c in task.items if c.code == "XF-001")
    answers, question = with_hazard(fire.item, "fire-1")
    sub = VisitSubmission(
        submission_id="visit-hazard-1",
        visited_at=at(day, 10),
        task_id=task.id,
        answers=(ItemAnswers(fire.code, fire.version, answers),),
    )
    receipt = patrols.submit(planned.worker, sub, photos_for(sub))
    assert [(h.item_code, h.question_id) for h in receipt.hazards] == [("XF-001", question)]
    with planned.services.db.reading() as session:
        photo = session.scalar(select(PatrolPhotoRow))
        assert photo is not None and photo.client_id == "fire-1" and photo.content_type == "image/jpeg"
        sha = photo.sha256
        level = session.scalar(
            select(PatrolAnswerRow.hazard_level).where(PatrolAnswerRow.question_id == question)
        )
    assert level in ("general", "major")
    assert (Path(planned.services.settings.attachment_dir) / sha[:2] / sha).is_file()


def test_wrong_answers_are_refused_with_every_problem_and_nothing_is_stored(planned: PatrolWorld) -> None:
    day = FIRST + timedelta(days=5)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    fire = next(c for c in task.items if c.code == "XF-001")
    bad = {q.id: {"value": "不知道"} for q in fire.item.questions}
    sub = VisitSubmission(
        "visit-bad-0001", at(day, 10), task_id=task.id, answers=(ItemAnswers("XF-001", fire.version, bad),)
    )
    with pytest.raises(ValidationFailed, match="检查结果有误"):
        patrols.submit(planned.worker, sub, photos_for(sub))
    wrong_version = VisitSubmission(
        "visit-bad-0002", at(day, 10), task_id=task.id, answers=(ItemAnswers("XF-001", fire.version + 1, {}),)
    )
    with pytest.raises(ValidationFailed, match="版"):
        patrols.submit(planned.worker, wrong_version)
    with pytest.raises(ValidationFailed, match="缺少照片"):
        patrols.submit(planned.worker, submission(task, "visit-bad-0003", day, photo="p9"), [])
    with planned.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolVisitRow)) == 0


def test_another_grids_worker_can_neither_do_the_task_nor_take_the_submission_id(
    planned: PatrolWorld,
) -> None:
    day = FIRST + timedelta(days=6)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    sub = submission(task, "visit-theirs-1", day)
    with pytest.raises(NotFound):
        patrols.submit(planned.other, sub, photos_for(sub))
    extra = VisitSubmission("visit-theirs-2", at(day, 10), object_id=planned.objects["XB1-shop"])
    with pytest.raises(NotFound):
        patrols.submit(planned.other, extra)
    patrols.submit(planned.worker, sub, photos_for(sub))
    with pytest.raises(Conflict):
        patrols.submit(planned.other, sub, photos_for(sub))
    with pytest.raises(NotFound):
        patrols.visit(planned.other, "visit-theirs-1")


def test_a_visit_to_a_task_done_meanwhile_or_an_object_changed_is_kept_with_its_conflict(
    planned: PatrolWorld,
) -> None:
    day = FIRST + timedelta(days=7)
    patrols = planned.patrols(at(day, 16))
    task = eatery_task(planned, patrols)
    patrols.submit(planned.worker, *with_photos(submission(task, "visit-first-01", day)))
    late = patrols.submit(planned.worker, *with_photos(submission(task, "visit-second-1", day)))
    assert late.created and late.conflict is not None and late.conflict.kind is ConflictKind.TASK_DONE
    assert late.task_id is None
    shop = next(
        t for t in patrols.today(planned.worker, day).tasks if t.object_id == planned.objects["XB1-shop"]
    )
    with planned.services.db.transaction() as session:
        session.execute(
            update(ManagedObjectRow)
            .where(ManagedObjectRow.id == shop.object_id)
            .values(name="好又多便利店（已改名）", updated_at=shop.object_updated_at + timedelta(hours=1))
        )
    changed = patrols.submit(planned.worker, *with_photos(submission(shop, "visit-changed1", day)))
    assert changed.conflict is not None and changed.conflict.kind is ConflictKind.OBJECT_CHANGED
    assert changed.task_status in (TaskStatus.DONE_ON_TIME, TaskStatus.DONE_LATE)  # kept and counted
    with planned.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolVisitRow)) == 3


@ONLY_SQLITE
def test_the_plan_command_reports_tasks_made_and_saved_and_a_dry_run_writes_nothing(
    world: PatrolWorld,
) -> None:
    db = world.services.db.url
    dry = CliRunner().invoke(app, ["grid", "plan", "--month", "2026-12", "--dry-run", "--json", "--db", db])
    assert dry.exit_code == 0, dry.output
    figures = json.loads(dry.output.strip().splitlines()[-1])
    assert (
        figures["saved"] is False
        and figures["tasks_saved"] == figures["per_item_tasks"] - figures["tasks_made"]
    )
    assert "合并减少" in dry.output and "按事项分别上门需要的任务" in dry.output
    with world.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolTaskRow)) == 0
    done = CliRunner().invoke(app, ["grid", "plan", "--month", "2026-12", "--db", db])
    assert done.exit_code == 0, done.output
    with world.services.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(PatrolTaskRow)) == figures["tasks_made"]
    bad = CliRunner().invoke(app, ["grid", "plan", "--month", "2026-13", "--db", db])
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_a_hazard_found_on_a_visit_is_an_order_solved_in_the_village_and_closed_by_the_next_visits_recheck(
    planned: PatrolWorld,
) -> None:
    services = planned.services
    day = FIRST + timedelta(days=2)
    patrols = planned.patrols(at(day, 11))
    task = eatery_task(planned, patrols)
    fire = next(c for c in task.items if c.code == "XF-001")
    answers, _question = with_hazard(fire.item, "fire-1")
    sub = VisitSubmission(
        "visit-loop-0001",
        at(day, 10),
        task_id=task.id,
        answers=(ItemAnswers(fire.code, fire.version, answers),),
    )
    receipt = patrols.submit(planned.worker, sub, photos_for(sub))
    number = receipt.hazards[0].order_number
    assert number is not None
    with services.db.reading() as session:
        order = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert order is not None and order.channel == "grid"
        xiabei = session.scalar(select(OrgUnitRow.id).where(OrgUnitRow.code == "GC-XB"))
        assert order.chain[0] == xiabei  # registered at the village center
        assert order.grid_id is not None
        attachments = session.scalar(
            select(func.count()).select_from(AttachmentRow).where(AttachmentRow.order_id == order.id)
        )
    assert attachments == 1  # the hazard's photo
    again = patrols.submit(planned.worker, sub, photos_for(sub))
    assert again.hazards[0].order_number == number  # a retry makes no second order

    hazards = services.get(GridHazardService)
    hazards.resolve_locally(TEST_ADMIN, number, "已责令店主整改", FIRST + timedelta(days=9))  # 就地解决
    later = FIRST + timedelta(days=10)
    patrols = planned.patrols(at(later, 11))
    next_visit = next(
        t
        for t in patrols.today(planned.worker, later).tasks
        if t.object_id == planned.objects["XB1-eat"] and t.rechecks
    )
    entry = next_visit.rechecks[0]
    assert entry["order_number"] == number and entry["rectify_by"] == (FIRST + timedelta(days=9)).isoformat()
    recheck = VisitSubmission(
        "visit-loop-0002",
        at(later, 10),
        task_id=next_visit.id,
        rechecks=(Recheck(entry["hazard_id"], True, "已整改"),),
    )
    done = patrols.submit(planned.worker, recheck)
    assert done.extra["rechecks"][0]["step"] == "close"
    with services.db.reading() as session:
        closed = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert closed is not None and closed.status == "closed"


def test_a_free_report_becomes_an_order_in_the_workers_grid(planned: PatrolWorld) -> None:
    day = FIRST + timedelta(days=3)
    patrols = planned.patrols(at(day, 11))
    sub = VisitSubmission(
        "visit-free-0001",
        at(day, 10),
        lat=23.0151,
        lon=113.1051,
        report=FreeReport("夏北路 3 号门前井盖缺失，有行人跌倒风险", photos=("pit-1",)),
    )
    receipt = patrols.submit(planned.worker, sub, photos_for(sub))
    number = receipt.extra["report_order_number"]
    with planned.services.db.reading() as session:
        order = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
        assert order is not None and order.channel == "grid" and "井盖缺失" in order.content
