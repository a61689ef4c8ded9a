"""Quick replies (常用语) over the real services and storage, on SQLite and PostgreSQL: the sets a
user may insert and their order, filling for an order, keeping the sets, and another unit's
snippets (neither read nor changed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from tests.support import TEST_ADMIN, District, build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from zhiyun.domain.workorder import Dispatch, Sign
from zhiyun.orders.service import NewOrder
from zhiyun.replies.service import QuickReply, QuickReplyInput, QuickReplyService, Scope
from zhiyun.replies.tables import QuickReplyRow
from zhiyun.store.base import table_of


@pytest.fixture
def district(services: Services) -> District:
    district = build_small_district(services)
    gc_admin = services.accounts.add_user(
        TEST_ADMIN, username="gc_admin", password="gc-admin-password-1", role=Role.ADMIN, unit_code="GC"
    )
    district.actors["gc_admin"] = gc_admin.actor()
    return district


def _replies(services: Services) -> QuickReplyService:
    return services.get(QuickReplyService)


def _unit(services: Services, d: District, code: str, title: str, text: str, **kw: object) -> QuickReply:
    return _replies(services).create(
        d.actors["admin"],
        Scope.UNIT,
        QuickReplyInput(title, text, **kw),
        unit_id=d.units[code],  # type: ignore[arg-type]
    )


def _order_at_xiabei(services: Services, d: District) -> str:
    a = d.actors
    order = services.orders.register(
        a["district"], NewOrder(title="路灯不亮", content="夏北路路灯不亮", citizen_name="陈先生")
    ).order
    key = order.summary.id
    services.orders.act(a["district"], key, Dispatch(target_unit_id=d.units["GC"], note="请办理"))
    services.orders.act(a["town"], key, Sign())
    services.orders.act(a["town"], key, Dispatch(target_unit_id=d.units["GC-XB"], note="请办理"))
    services.orders.act(a["xiabei"], key, Sign())
    return order.summary.number


def test_a_user_inserts_their_units_set_their_own_and_the_sets_above_in_that_order(
    services: Services, district: District
) -> None:
    d, replies = district, _replies(services)
    _unit(services, d, "NH", "致谢", "感谢您对我们工作的支持！")
    _unit(services, d, "NH", "回访", "{市民称呼}您好，这里是12345回访。", sort_order=-1)
    _unit(services, d, "GC", "街道", "桂城街道已收到。")
    _unit(services, d, "GC-XB", "签收", "夏北社区已签收，正在核实。", sort_order=2)
    _unit(services, d, "GC-XB", "现场", "已派人到现场查看。", sort_order=1)
    _unit(services, d, "GC-XB", "旧的", "不再使用。", active=False)
    _unit(services, d, "DL-YB", "盐步", "盐步社区已收到。")
    replies.create(d.actors["xiabei"], Scope.PERSONAL, QuickReplyInput("我的", "我这就去看。"))
    replies.create(d.actors["pingnan"], Scope.PERSONAL, QuickReplyInput("平南", "平南的。"))

    usable = replies.usable(d.actors["xiabei"])
    assert [(e.reply.set_label, e.reply.title) for e in usable] == [
        ("夏北社区", "现场"),
        ("夏北社区", "签收"),
        ("我的常用语", "我的"),
        ("桂城街道", "街道"),
        ("南海区", "回访"),
        ("南海区", "致谢"),
    ]
    # another village's handler, another town's: the district center's set and their own
    assert [e.reply.title for e in replies.usable(d.actors["yanbu"])] == ["盐步", "回访", "致谢"]
    assert [e.reply.title for e in replies.usable(d.actors["pingnan"])] == ["平南", "街道", "回访", "致谢"]
    # staff without a unit: the district center's set
    assert [e.reply.title for e in replies.usable(d.actors["leader"])] == ["回访", "致谢"]
    # nothing for the system or a citizen
    assert replies.usable(Actor.system()) == []
    assert replies.usable(Actor.citizen(d.actors["xiabei"].user_id)) == []


def test_a_snippet_is_filled_for_an_order_its_user_may_read(services: Services, district: District) -> None:
    d, replies = district, _replies(services)
    number = _order_at_xiabei(services, d)
    hello = _unit(
        services, d, "NH", "回访", "{市民称呼}您好，您反映的{工单编号}由{承办单位}交{当前单位}办理。{未知}"
    )

    filled = replies.expand(d.actors["xiabei"], hello.id, number)
    assert filled.text == f"陈先生您好，您反映的{number}由桂城街道交夏北社区办理。{{未知}}"
    assert filled.unfilled == ("未知",)
    listed = replies.usable(d.actors["xiabei"], number)
    assert [e.text for e in listed] == [filled.text]
    # without an order the order's placeholders stay as written
    assert replies.expand(d.actors["xiabei"], hello.id).text.startswith("{市民称呼}您好")
    # another town's handler uses the snippet but may not read the order: 404, as for no order
    with pytest.raises(NotFound):
        replies.expand(d.actors["yanbu"], hello.id, number)
    with pytest.raises(NotFound):
        replies.usable(d.actors["yanbu"], number)
    with pytest.raises(NotFound):
        replies.expand(d.actors["xiabei"], hello.id, "NH209912319999")


def test_another_units_snippets_are_neither_read_nor_changed(services: Services, district: District) -> None:
    d, replies = district, _replies(services)
    theirs = _unit(services, d, "DL-YB", "盐步", "盐步社区已收到。")
    inactive_above = _unit(services, d, "GC", "停用", "街道停用的。", active=False)
    for name in ("xiabei", "town", "pingnan", "gc_admin", "zjj"):
        who = d.actors[name]
        with pytest.raises(NotFound):
            replies.get(who, theirs.id)
        with pytest.raises(NotFound):
            replies.expand(who, theirs.id)
        with pytest.raises(NotFound):
            replies.update(who, theirs.id, QuickReplyInput("改", "改掉"))
        with pytest.raises(NotFound):
            replies.delete(who, theirs.id)
        assert theirs.id not in {e.reply.id for e in replies.usable(who)}
        with pytest.raises(PermissionDenied):
            replies.unit_set(who, d.units["DL-YB"])
        with pytest.raises(PermissionDenied):
            replies.create(who, Scope.UNIT, QuickReplyInput("新", "新的"), unit_id=d.units["DL-YB"])
    # an inactive snippet of a set above is not offered to those who only use it
    with pytest.raises(NotFound):
        replies.get(d.actors["xiabei"], inactive_above.id)
    assert replies.get(d.actors["yanbu"], theirs.id).text == "盐步社区已收到。"
    assert replies.get(d.actors["admin"], theirs.id).title == "盐步"


def test_admins_keep_their_units_set_and_the_sets_below_and_only_use_the_sets_above(
    services: Services, district: District
) -> None:
    d, replies = district, _replies(services)
    gc_admin = d.actors["gc_admin"]
    village = replies.create(
        gc_admin, Scope.UNIT, QuickReplyInput("村", "夏北的。"), unit_id=d.units["GC-XB"]
    )
    town = replies.create(gc_admin, Scope.UNIT, QuickReplyInput("街", "桂城的。"), unit_id=d.units["GC"])
    district_wide = _unit(services, d, "NH", "区", "全区的。")
    assert (
        replies.update(gc_admin, village.id, QuickReplyInput("村二", "夏北的二。", 5, False)).title == "村二"
    )
    # the district center's set: used, not kept (403: they may read it)
    assert replies.get(gc_admin, district_wide.id).title == "区"
    with pytest.raises(PermissionDenied):
        replies.update(gc_admin, district_wide.id, QuickReplyInput("区", "改掉"))
    with pytest.raises(PermissionDenied):
        replies.delete(gc_admin, district_wide.id)
    with pytest.raises(PermissionDenied):
        replies.create(gc_admin, Scope.UNIT, QuickReplyInput("区二", "新"), unit_id=d.units["NH"])
    # the admin page: their own unit first, then the sets below that have snippets
    kept = replies.kept_sets(gc_admin)
    assert [(s.unit_name, [r.title for r in s.replies]) for s in kept] == [
        ("桂城街道", ["街"]),
        ("夏北社区", ["村二"]),
    ]
    assert [label for _, label in replies.kept_units(gc_admin)] == [
        "南海区 / 桂城街道",
        "南海区 / 桂城街道 / 桂城街道城管办",
        "南海区 / 桂城街道 / 平南社区",
        "南海区 / 桂城街道 / 夏北社区",
    ]
    assert [s.unit_name for s in replies.kept_sets(d.actors["admin"])] == ["南海区", "桂城街道", "夏北社区"]
    # handlers and dispatchers keep no unit's set: 403 from those who use it, 404 from the others
    for name, refusal in (
        ("xiabei", PermissionDenied),
        ("town", PermissionDenied),
        ("district", NotFound),
        ("leader", NotFound),
    ):
        with pytest.raises(PermissionDenied):
            replies.kept_sets(d.actors[name])
        with pytest.raises(refusal):
            replies.update(d.actors[name], town.id, QuickReplyInput("街", "改"))
    replies.delete(gc_admin, town.id)
    with pytest.raises(NotFound):
        replies.get(gc_admin, town.id)


def test_a_personal_set_is_its_owners_alone(services: Services, district: District) -> None:
    d, replies = district, _replies(services)
    mine = replies.create(d.actors["xiabei"], Scope.PERSONAL, QuickReplyInput("/我的", "我这就去看。"))
    assert (
        mine.title == "我的" and mine.scope is Scope.PERSONAL and mine.user_id == d.actors["xiabei"].user_id
    )
    for name in ("pingnan", "admin", "gc_admin", "town"):
        with pytest.raises(NotFound):
            replies.get(d.actors[name], mine.id)
        with pytest.raises(NotFound):
            replies.update(d.actors[name], mine.id, QuickReplyInput("我的", "改掉"))
        with pytest.raises(NotFound):
            replies.delete(d.actors[name], mine.id)
        assert mine.id not in {r.id for r in replies.personal(d.actors[name])}
    for principal in (Actor.system(), Actor.citizen(d.actors["xiabei"].user_id), TEST_ADMIN):
        with pytest.raises(PermissionDenied):
            replies.personal(principal)
        with pytest.raises(PermissionDenied):
            replies.create(principal, Scope.PERSONAL, QuickReplyInput("x", "y"))
    changed = replies.update(d.actors["xiabei"], mine.id, QuickReplyInput("我的", "我下午去看。", 3, False))
    assert (changed.text, changed.sort_order, changed.active) == ("我下午去看。", 3, False)
    assert [r.title for r in replies.personal(d.actors["xiabei"])] == ["我的"]  # inactive ones listed
    assert replies.usable(d.actors["xiabei"]) == []  # but not offered
    replies.delete(d.actors["xiabei"], mine.id)
    assert replies.personal(d.actors["xiabei"]) == []


def test_who_made_and_changed_a_snippet_and_when_are_kept(services: Services, district: District) -> None:
    d, replies = district, _replies(services)
    made = replies.create(
        d.actors["admin"], Scope.UNIT, QuickReplyInput("回访", "您好\r\n再见"), unit_id=d.units["GC"]
    )
    assert made.text == "您好\n再见"
    assert made.created_by == "admin" and made.updated_by == "admin"
    assert made.created_at.tzinfo is not None
    later = replies.update(d.actors["gc_admin"], made.id, QuickReplyInput("回访", "您好"))
    assert later.created_by == "admin" and later.updated_by == "gc_admin"
    assert later.updated_at >= made.updated_at and later.created_at == made.created_at
    assert replies.get(d.actors["town"], made.id) == later


def test_keywords_are_unique_in_a_set_and_snippets_are_checked(
    services: Services, district: District
) -> None:
    d, replies = district, _replies(services)
    first = _unit(services, d, "GC", "回访", "您好")
    with pytest.raises(Conflict):
        _unit(services, d, "GC", "回访", "又一条")
    _unit(services, d, "GC-XB", "回访", "另一套里可以同名")
    replies.create(d.actors["xiabei"], Scope.PERSONAL, QuickReplyInput("回访", "我的也可以"))
    second = _unit(services, d, "GC", "回访二", "您好")
    with pytest.raises(Conflict):
        replies.update(d.actors["admin"], second.id, QuickReplyInput("回访", "改成重名"))
    assert replies.update(d.actors["admin"], first.id, QuickReplyInput("回访", "同一条可以保存")).text
    bad = [
        QuickReplyInput("", "内容"),
        QuickReplyInput("有 空格", "内容"),
        QuickReplyInput("长" * 21, "内容"),
        QuickReplyInput("空", "   "),
        QuickReplyInput("长文", "字" * 2001),
        QuickReplyInput("序", "内容", sort_order=10_000),
    ]
    for data in bad:
        with pytest.raises(ValidationFailed):
            replies.create(d.actors["xiabei"], Scope.PERSONAL, data)
    with pytest.raises(ValidationFailed):
        replies.create(d.actors["admin"], "everyone", QuickReplyInput("x", "y"))
    with pytest.raises(ValidationFailed):
        replies.create(d.actors["admin"], Scope.UNIT, QuickReplyInput("x", "y"))  # no unit
    with pytest.raises(NotFound):
        replies.unit_set(d.actors["admin"], 999_999)


def test_the_table_keeps_exactly_one_owner(services: Services, district: District) -> None:
    now = datetime.now(UTC)
    base = {
        "title": "x",
        "text": "y",
        "sort_order": 0,
        "active": True,
        "created_by": "t",
        "updated_by": "t",
        "created_at": now,
        "updated_at": now,
    }
    owners = [
        {"scope": "unit", "unit_id": district.units["GC"], "user_id": district.actors["xiabei"].user_id},
        {"scope": "unit", "unit_id": None, "user_id": None},
        {"scope": "personal", "unit_id": district.units["GC"], "user_id": None},
        {"scope": "everyone", "unit_id": district.units["GC"], "user_id": None},
    ]
    for owner in owners:
        with pytest.raises(IntegrityError), services.db.transaction() as session:
            session.execute(insert(table_of(QuickReplyRow)), [{**base, **owner}])
