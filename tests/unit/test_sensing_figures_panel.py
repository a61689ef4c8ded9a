"""The sensing panel of the leader dashboard, from the figures' summary: the funnel's ends, the
precision, the worst scenes (flagged ones in red), flags, time to order, overdue checks."""

from __future__ import annotations

from typing import Any

from zhiyun.sensing.panel import panel_view


def _numbers(**over: Any) -> dict[str, Any]:
    stages = ("alarms", "counted", "events", "raised", "verified", "orders")
    numbers: dict[str, Any] = {
        "start": "2026-11-21",
        "end": "2026-12-20",
        "funnel": [{"key": k, "count": n} for k, n in zip(stages, (500, 400, 60, 50, 40, 12), strict=True)],
        "precision": 0.55,
        "labels": 40,
        "worst_scenes": [
            {"name": "暴露垃圾", "precision": 0.3, "confirmed": 6, "false_alarm": 14, "flagged": True},
            {"name": "占道经营", "precision": 0.8, "confirmed": 16, "false_alarm": 4, "flagged": False},
        ],
        "flags": 2,
        "time_to_order": {"orders": 12, "median_minutes": 42.0, "p90_minutes": 150.0},
        "overdue_now": 3,
        "silent": 0,
    }
    return numbers | over


def test_the_panel_shows_the_funnels_ends_the_precision_and_the_worst_scenes() -> None:
    view = panel_view("sensing", _numbers())
    figures = {f.label: f for f in view.figures}
    assert figures["告警 → 工单"].value == "500 → 12"
    assert figures["核实准确率"].value == "55.0%"
    assert figures["准确率较低：暴露垃圾"].tone == "bad" and figures["准确率较低：占道经营"].tone == ""
    assert figures["需厂商整改"].value == "2" and figures["需厂商整改"].tone == "bad"
    assert figures["告警到立案"].value == "42 分钟" and "2.5 小时" in figures["告警到立案"].sub
    assert figures["核实超时"].tone == "warn" and figures["设备离线"].tone == ""
    assert view.link == "/sensing/figures" and "2026-11-21" in view.title


def test_an_empty_period_shows_dashes_not_errors() -> None:
    view = panel_view(
        "sensing",
        _numbers(
            precision=None,
            labels=0,
            worst_scenes=[],
            flags=0,
            time_to_order={"orders": 0, "median_minutes": None, "p90_minutes": None},
        ),
    )
    figures = {f.label: f for f in view.figures}
    assert figures["核实准确率"].value == "—" and figures["告警到立案"].value == "—"
    assert not any(f.label.startswith("准确率较低") for f in view.figures)
