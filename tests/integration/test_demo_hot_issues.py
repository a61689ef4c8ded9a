"""The demo's hot issues and warnings (issue 19's "Done when"): the seeded repeat matters come out as
hot issues, the imported history gives the outlook its seasons, and the surge raises a warning.

One demo prepared as `zhiyun demo` prepares it (the seeding, the dispatch setup, the history), on a
SQLite file, as `make demo`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from tests.hot_issue_support import demo_hot_issues

from zhiyun.bootstrap import Services, build_services
from zhiyun.config import Settings
from zhiyun.demo.cli import prepare_demo, prepare_history
from zhiyun.demo.dispatch_setup import ensure_dispatch
from zhiyun.demo.district import DemoDirectory
from zhiyun.demo.history import HISTORY_PREFIX, SURGE_ORDERS, SURGE_PREFIX, ensure_history
from zhiyun.demo.hot_matters import EXTERNAL_PREFIX, MATTERS, ensure_hot_matters
from zhiyun.demo.orders import DEFAULT_COUNT
from zhiyun.hotspots.method import HotIssue
from zhiyun.outlook.jobs import detect_daily
from zhiyun.outlook.service import OutlookService
from zhiyun.store.db import Database
from zhiyun.store.tables import WorkOrderRow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, float]]:
    path = tmp_path_factory.mktemp("demo-hot") / "demo.db"
    services = build_services(Database(f"sqlite:///{path}"), Settings(attachment_dir=path.parent / "att"))
    started = time.perf_counter()
    prepare_demo(services, progress=False)
    ensure_dispatch(services)
    prepare_history(services)
    try:
        yield services, time.perf_counter() - started
    finally:
        services.close()


def _matter_keys(external: dict[str, str], letter: str) -> set[str]:
    return {key for key, ext in external.items() if ext.startswith(f"{EXTERNAL_PREFIX}{letter}")}


def _issue_of(issues: list[HotIssue], keys: set[str]) -> list[HotIssue]:
    return [i for i in issues if keys & set(i.members)]


# --------------------------------------------------------------------------- hot issues


def test_each_seeded_repeat_matter_is_one_hot_issue_in_the_top_10(demo: tuple[Services, float]) -> None:
    services, _ = demo
    issues, external = demo_hot_issues(services)
    for matter in MATTERS:
        keys = _matter_keys(external, matter.key)
        assert len(keys) == matter.size
        found = _issue_of(issues, keys)
        assert len(found) == 1, (matter.label, [(i.rank, i.title) for i in found])
        issue = found[0]
        assert keys <= set(issue.members), matter.label
        assert issue.rank <= 10, (matter.label, issue.rank, issue.title)
        assert issue.callers == len(matter.calls)


def test_the_caller_who_calls_three_times_is_counted_once(demo: tuple[Services, float]) -> None:
    services, _ = demo
    issues, external = demo_hot_issues(services)
    noise = next(m for m in MATTERS if m.repeats)
    issue = _issue_of(issues, _matter_keys(external, noise.key))[0]
    assert len(issue.members) == len(noise.calls) + len(noise.repeats)
    assert issue.counted == len(noise.calls)


def test_the_repeat_matters_are_worded_differently_and_placed_in_one_village_each(
    demo: tuple[Services, float],
) -> None:
    services, _ = demo
    d = DemoDirectory.load(services)
    with services.db.reading() as session:
        rows = session.execute(
            select(
                WorkOrderRow.external_id,
                WorkOrderRow.title,
                WorkOrderRow.content,
                WorkOrderRow.village_unit_id,
                WorkOrderRow.grid_id,
                WorkOrderRow.category_code,
                WorkOrderRow.status,
            ).where(WorkOrderRow.external_id.like(f"{EXTERNAL_PREFIX}%"))
        ).all()
    for matter in MATTERS:
        mine = [r for r in rows if r.external_id.startswith(f"{EXTERNAL_PREFIX}{matter.key}")]
        assert len(mine) == matter.size
        assert len({r.title for r in mine}) == len(mine) and len({r.content for r in mine}) == len(mine)
        assert {r.village_unit_id for r in mine} == {d.id(f"{matter.town}-{matter.village}")}
        assert all(r.grid_id is not None for r in mine)
        assert {r.category_code for r in mine} == {matter.category_code}
        assert {r.status for r in mine} == {"dispatched"}


def test_seeding_the_repeat_matters_again_registers_nothing(demo: tuple[Services, float]) -> None:
    services, _ = demo
    again = ensure_hot_matters(services)
    assert again.created == 0
    assert again.existing == sum(m.size for m in MATTERS)


# --------------------------------------------------------------------------- history, seasons, warning


def test_the_history_is_closed_categorised_and_older_than_the_hot_issue_window(
    demo: tuple[Services, float],
) -> None:
    services, _ = demo
    with services.db.reading() as session:
        history = WorkOrderRow.external_id.like(f"{HISTORY_PREFIX}%")
        count = session.scalar(select(func.count()).where(history))
        statuses = set(session.scalars(select(WorkOrderRow.status).where(history).distinct()))
        uncategorised = session.scalar(
            select(func.count()).where(history, WorkOrderRow.category_code.is_(None))
        )
        newest = session.scalar(select(func.max(WorkOrderRow.registered_at)).where(history))
        oldest = session.scalar(select(func.min(WorkOrderRow.registered_at)).where(history))
    assert count is not None and count > 10 * DEFAULT_COUNT
    assert statuses == {"closed"} and uncategorised == 0
    assert newest is not None and oldest is not None
    now = datetime.now(UTC)
    assert now - newest.replace(tzinfo=UTC) > timedelta(days=90)
    assert now - oldest.replace(tzinfo=UTC) > timedelta(days=700)


def test_the_demo_stays_quick_to_prepare_and_importing_the_history_again_imports_nothing(
    demo: tuple[Services, float],
) -> None:
    services, seconds = demo
    assert seconds < 90
    again = ensure_history(services)
    assert again.imported == 0 and again.already > 0 and again.rejected == 0
    assert again.surge_created == 0


def test_after_the_demo_seeding_the_outlook_job_raises_the_surge_warning(
    demo: tuple[Services, float],
) -> None:
    services, _ = demo
    detect_daily(services)
    leader = DemoDirectory.load(services).leader
    warnings = services.get(OutlookService).warnings(leader)
    surge = [w for w in warnings if w.town == "桂城街道" and w.category_code == "CG05"]
    assert surge, [w.explanation for w in warnings]
    assert surge[0].explanation.startswith("桂城街道 噪音扰民")
    assert surge[0].observed >= 5
    with services.db.reading() as session:
        recent = session.scalar(select(func.count()).where(WorkOrderRow.external_id.like(f"{SURGE_PREFIX}%")))
    assert recent == SURGE_ORDERS
    # the few other warnings are real too: no flood of them
    assert len(warnings) <= 8


def test_the_seasons_show_enrolment_in_april_graduates_in_july_and_medical_insurance_at_the_year_end(
    demo: tuple[Services, float],
) -> None:
    services, _ = demo
    leader = DemoDirectory.load(services).leader
    seasons = services.get(OutlookService).seasons(leader)
    months = {(s.category_code, s.month) for s in seasons}
    assert ("JY01", 4) in months, [s.text for s in seasons]
    # November 2026 lies in the months between the history and the seeded month: December is the
    # medical insurance season both years cover
    assert {("WS02", 11), ("WS02", 12)} & months, [s.text for s in seasons]
    assert ("LD03", 7) in months, [s.text for s in seasons]
