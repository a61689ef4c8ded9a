"""The 预警 page in Chromium: a town's dispatcher finds its town's warning with its explanation,
opens 排除, gives a reason and sees the warning dismissed with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import LiveServer
from zhiyun.domain.access import Actor
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.lifecycle import AuditRecord
from zhiyun.outlook import repo
from zhiyun.outlook.tables import OutlookWarningRow

Shot = Callable[[Any, str], Path]


def _warning(live: LiveServer, explanation: str) -> int:
    """A raised warning of 桂城街道 (stored as detection stores one: the row and its first step)."""
    now = datetime.now(UTC)
    day = now.astimezone(LOCAL_TZ).date() - timedelta(days=1)
    row = OutlookWarningRow(
        town_unit_id=live.district.units["GC"],
        category_code="BROWSER-CG05",
        window="day",
        period_start=day,
        last_day=day,
        observed=42,
        expected=15.0,
        expected_sd=6.0,
        interval_low=6,
        interval_high=27,
        p_value=1e-7,
        method="negbin",
        explanation=explanation,
        status="raised",
        raised_at=now,
        version=1,
    )
    with live.services.db.transaction() as session:
        repo.add_warning(
            session, row, AuditRecord("raise", None, "raised", explanation), Actor.system("预警检测"), now
        )
        return row.id


def test_a_town_dispatcher_dismisses_its_warning_with_a_reason(
    page: Any, live: LiveServer, login: Callable[..., None], shot: Shot
) -> None:
    explanation = "桂城街道 噪音扰民 昨日 42 件，预期 15 ± 6"
    warning_id = _warning(live, explanation)
    login(page, "town")
    page.goto("/outlook")
    row = page.locator(f'tr[data-warning="{warning_id}"]')
    assert explanation in row.inner_text()
    assert row.get_by_role("button", name="转为未诉先办工单").is_visible()
    row.locator("summary", has_text="排除").click()
    row.get_by_label("原因（必填）").fill("演唱会散场，临时现象")
    row.get_by_role("button", name="排除").click()
    page.get_by_text("已排除预警").wait_for()
    done = page.locator(f'tr[data-warning="{warning_id}"]')
    assert "已排除" in done.inner_text() and "演唱会散场，临时现象" in done.inner_text()
    shot(page, "outlook-dismissed")
