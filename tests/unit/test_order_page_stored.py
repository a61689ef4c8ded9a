"""What the order page shows of what was stored: photos by who took them, recording and device ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from zhiyun.config import Settings
from zhiyun.orders.pages.stored import channel_facts, photo_groups, recording_link
from zhiyun.orders.views import AttachmentView, TransitionView

AT = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)


def _entry(entry_id: int, role: str, name: str, action: str = "attach", **details: Any) -> TransitionView:
    return TransitionView(
        id=entry_id,
        action=action,
        action_label=action,
        from_status=None,
        to_status="in_progress",
        from_unit=None,
        to_unit=None,
        actor_name=name,
        actor_role=role,
        note="",
        details=details,
        created_at=AT,
    )


def _file(file_id: int, name: str, kind: str, entry: int | None) -> AttachmentView:
    return AttachmentView(file_id, name, kind, 10, "0" * 64, AT, entry)


def test_photos_are_grouped_by_who_took_them_and_other_files_left_out() -> None:
    trail = [
        _entry(1, "grid_worker", "李网格"),
        _entry(2, "citizen", "市民"),
        _entry(3, "handler", "夏北承办"),
        _entry(4, "handler", "夏北承办"),
    ]
    files = [
        _file(10, "现场1.jpg", "image/jpeg", 1),
        _file(11, "市民拍的.png", "image/png", 2),
        _file(12, "整改后.webp", "image/webp", 3),
        _file(13, "报告.pdf", "application/pdf", 4),
        _file(14, "旧照片.gif", "image/gif", None),  # stored before uploads were linked to their entry
    ]
    groups = photo_groups(files, trail, lambda at: "12-07 10:30")
    assert [(g.key, g.label, [p.id for p in g.photos]) for g in groups] == [
        ("grid_worker", "网格员拍摄", [10]),
        ("citizen", "市民提供", [11]),
        ("staff", "办理过程", [12, 14]),
    ]
    grid = groups[0].photos[0]
    assert grid.uploader == "网格员 李网格" and grid.caption == "现场1.jpg · 网格员 李网格 · 12-07 10:30"
    assert groups[2].photos[1].uploader == "" and groups[2].photos[1].caption == "旧照片.gif · 12-07 10:30"
    assert photo_groups([files[3]], trail, str) == []


def test_recording_and_device_ids_come_from_what_the_channel_sent() -> None:
    trail = [
        _entry(
            1,
            "system",
            "12345",
            action="register",
            attributes={
                "recording_id": "REC/2026 #1",
                "device_id": "WL-0042",
                "photos": ["https://grid.example/p/1.jpg", "javascript:alert(1)", "ftp://x/y.jpg"],
                "snapshot_url": "http://cam.example/s.jpg",
            },
        ),
        _entry(2, "system", "12345", action="channel_update", attributes={"recording_id": "REC/2026 #1"}),
        _entry(3, "handler", "夏北承办", action="sign"),
    ]
    facts = channel_facts(trail, None)
    assert [(r.id, r.url) for r in facts.recordings] == [("REC/2026 #1", None)]
    assert facts.devices == ["WL-0042"]
    assert facts.photo_links == ["https://grid.example/p/1.jpg", "http://cam.example/s.jpg"]
    linked = channel_facts(trail, "http://rec.example/play/{id}?from=zhiyun")
    assert linked.recordings[0].url == "http://rec.example/play/REC%2F2026%20%231?from=zhiyun"
    assert not channel_facts([trail[2]], "http://rec.example/{id}")


def test_the_recording_address_setting_must_be_a_web_address_with_the_id() -> None:
    assert recording_link(None, "R1") is None
    assert Settings(recording_url="  ").recording_url is None
    assert Settings(recording_url="https://rec.example/{id}").recording_url == "https://rec.example/{id}"
    for bad in ("rec.example/{id}", "javascript:alert('{id}')", "http://rec.example/play"):
        with pytest.raises(ValidationError):
            Settings(recording_url=bad)
