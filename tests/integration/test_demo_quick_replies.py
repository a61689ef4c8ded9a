"""The demo district's quick replies (常用语): seeded once, with known placeholders only, in the
sets a village handler sees."""

from __future__ import annotations

from pathlib import Path

from zhiyun.bootstrap import build_services
from zhiyun.config import Settings
from zhiyun.demo.district import DemoDirectory, ensure_district
from zhiyun.demo.quick_replies import PERSONAL_REPLIES, UNIT_REPLIES, ensure_quick_replies
from zhiyun.replies.placeholders import PLACEHOLDERS, placeholders_in
from zhiyun.replies.service import QuickReplyService
from zhiyun.store.db import Database


def test_the_demo_seeds_its_quick_replies_once_with_known_placeholders(
    sqlite_database: Database, tmp_path: Path
) -> None:
    services = build_services(sqlite_database, Settings(attachment_dir=tmp_path / "att"))
    ensure_district(services)
    assert ensure_quick_replies(services) == len(UNIT_REPLIES) + len(PERSONAL_REPLIES)
    assert ensure_quick_replies(services) == 0  # already there: nothing more

    for _, _, text in (*UNIT_REPLIES, *PERSONAL_REPLIES):
        assert set(placeholders_in(text)) <= set(PLACEHOLDERS), text
    directory = DemoDirectory.load(services)
    usable = services.get(QuickReplyService).usable(directory.actor("gc_xb_handler"))
    assert [(e.reply.set_label, e.reply.title) for e in usable][:4] == [
        ("夏北社区", "签收核实"),
        ("我的常用语", "自我介绍"),
        ("桂城街道", "请办理"),
        ("桂城街道", "现场核查"),
    ]
    assert [e.reply.title for e in usable][4:] == [title for code, title, _ in UNIT_REPLIES if code == "NH"]
    assert "夏北社区" in usable[1].text  # {本单位} filled for its user
    # another town's handler: the district center's set only
    other = services.get(QuickReplyService).usable(directory.actor("jj_rl_handler"))
    assert {e.reply.set_label for e in other} == {"南海区"}
    services.close()
