"""The order page of a grid hazard's order (网格隐患): a village dispatcher is offered 就地解决 and
上报 (the life cycle's actions) and the hazards' panel with its rectification deadline (整改期限);
solving it there sets the deadline; another village's staff get the console's 404 page; the
panel's text is escaped."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.grid_objects_world import XB, seed_objects
from tests.e2e.harness import PNG, Api
from tests.support import PASSWORD, TEST_ADMIN
from zhiyun.domain.access import Role
from zhiyun.domain.calendar import local_date
from zhiyun.domain.grid_items import HazardLevel
from zhiyun.grid.hazards import GridHazardService, HazardOrder, HazardReport


@pytest.fixture
def hazard(console: Api, tmp_path: Path) -> HazardOrder:
    ids = seed_objects(console, tmp_path)
    services = console.services
    services.accounts.add_user(
        TEST_ADMIN, username="xb_disp", password=PASSWORD, role=Role.DISPATCHER, unit_code="GC-XB"
    )
    grid = next(g.id for g in services.geo.grids() if g.code == f"{XB}001")
    report = HazardReport(
        key="S1:XF-001:q1",
        worker=console.district.actors["gc_grid"],
        title="灭火器过期<script>alert(1)</script>",
        description="店内灭火器压力不足",
        grid_id=grid,
        object_id=ids["XB1"],
        level=HazardLevel.GENERAL,
        item_code="XF-001",
        item_version=1,
        question_id="q1",
        answer="<b>否</b>",
        photos=[("现场.png", PNG)],
    )
    with services.db.transaction() as session:
        return services.get(GridHazardService).report_in(session, report, services.clock())


def test_a_village_dispatcher_is_offered_to_solve_it_locally_or_send_it_up(
    console: Api, hazard: HazardOrder
) -> None:
    client = page_login(console, "xb_disp")
    page = client.get(f"/orders/{hazard.order_number}")
    assert page.status_code == 200
    html = page.text
    assert 'data-action="resolve_on_intake"' in html and 'data-action="return"' in html
    assert 'data-testid="grid-hazards"' in html and "好又多便利店" in html and "待整改" in html
    assert 'data-action="grid-resolve"' in html and 'data-action="grid-rectify"' in html
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;否&lt;/b&gt;" in html
    deadline = local_date(console.services.clock()) + timedelta(days=5)
    done = post_form(
        client,
        f"/grid/hazards/orders/{hazard.order_number}",
        {"op": "resolve", "rectify_by": deadline.isoformat(), "note": "已督促更换灭火器"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/orders/{hazard.order_number}")
    after = client.get(f"/orders/{hazard.order_number}").text
    assert f"整改期限：{deadline.isoformat()}" in after and "待回访" in after
    [view] = console.services.get(GridHazardService).hazards_of_order(TEST_ADMIN, hazard.order_id)
    assert view.rectify_by == deadline


def test_the_hazards_forms_refuse_who_may_not_and_hide_another_villages_order(
    console: Api, hazard: HazardOrder
) -> None:
    deadline = (local_date(console.services.clock()) + timedelta(days=5)).isoformat()
    # 平南社区's handler may not even see it
    pingnan = page_login(console, "pingnan")
    assert pingnan.get(f"/orders/{hazard.order_number}").status_code == 404
    refused = post_form(
        pingnan, f"/grid/hazards/orders/{hazard.order_number}", {"op": "rectify", "rectify_by": deadline}
    )
    assert refused.status_code == 404 and "好又多便利店" not in refused.text
    # 夏北's handler sees the order but sets no deadline
    xiabei = page_login(console, "xiabei")
    page = xiabei.get(f"/orders/{hazard.order_number}").text
    assert 'data-testid="grid-hazards"' in page and 'data-action="grid-rectify"' not in page
    forbidden = post_form(
        xiabei, f"/grid/hazards/orders/{hazard.order_number}", {"op": "rectify", "rectify_by": deadline}
    )
    assert forbidden.status_code == 403
    # without the CSRF token nothing is done
    town = page_login(console, "town")
    town.get(f"/orders/{hazard.order_number}")
    bare = town.post(
        f"/grid/hazards/orders/{hazard.order_number}", data={"op": "rectify", "rectify_by": deadline}
    )
    assert bare.status_code in (400, 403)
    [view] = console.services.get(GridHazardService).hazards_of_order(TEST_ADMIN, hazard.order_id)
    assert view.rectify_by is None
