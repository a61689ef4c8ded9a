"""Manual corrections of the dispatch suggestion become training feedback; the report counts them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.classifier.report import dispatch_report
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.workorder import Dispatch
from zhiyun.orders.service import NewOrder
from zhiyun.store.tables import TransitionRow

TAXONOMY = "code,name,parent_code\nCG,城市管理,\nCG01,市容环境,CG\nHB,环境保护,\n"


def _setup(services: Services) -> tuple[dict[str, int], dict[str, Actor]]:
    district = build_small_district(services)
    admin = district.actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY)
    services.responsibility.import_csv(admin, "category_code,unit_code\nCG,GC-CG\nHB,ZJJ\n")
    return district.units, district.actors


def test_dispatching_elsewhere_than_suggested_is_recorded_as_feedback(services: Services) -> None:
    units, actors = _setup(services)
    dispatcher = actors["district"]
    order = services.orders.register(
        dispatcher, NewOrder(title="河涌发臭", content="夏北社区旁河涌发黑发臭", category_code="CG01")
    ).order
    suggestion = services.dispatch.suggestion(dispatcher, order.summary.number)
    assert suggestion.target_unit_id == units["GC-CG"] and not suggestion.applied
    services.orders.act(dispatcher, order.summary.id, Dispatch(target_unit_id=units["ZJJ"]))
    feedback = services.dispatch.feedback(order.summary.id)
    assert len(feedback) == 1
    fb = feedback[0]
    assert (
        fb.kind == "dispatch"
        and fb.predicted_unit_id == units["GC-CG"]
        and fb.corrected_unit_id == units["ZJJ"]
    )
    assert fb.predicted_category == "CG01" and fb.actor_name == "district" and not fb.after_automatic


def test_dispatching_as_suggested_records_no_feedback(services: Services) -> None:
    units, actors = _setup(services)
    dispatcher = actors["district"]
    order = services.orders.register(
        dispatcher, NewOrder(title="垃圾", content="垃圾没人清", category_code="CG01")
    ).order
    services.orders.act(dispatcher, order.summary.id, Dispatch(target_unit_id=units["GC-CG"]))
    assert services.dispatch.feedback(order.summary.id) == []


def test_changing_the_category_is_an_audited_transition_and_feedback(services: Services) -> None:
    _units, actors = _setup(services)
    dispatcher = actors["district"]
    order = services.orders.register(
        dispatcher, NewOrder(title="河涌发臭", content="河涌发黑", category_code="CG01")
    ).order
    old = services.dispatch.change_category(dispatcher, order.summary.id, "HB", "实为水污染")
    assert old == "CG01"
    assert services.orders.get(dispatcher, order.summary.id).summary.category_code == "HB"
    with services.db.reading() as session:
        actions = list(
            session.scalars(select(TransitionRow.action).where(TransitionRow.order_id == order.summary.id))
        )
    assert actions == ["register", "recategorize"]
    fb = services.dispatch.feedback(order.summary.id)
    assert [(f.kind, f.predicted_category, f.corrected_category) for f in fb] == [("category", "CG01", "HB")]
    with pytest.raises(ValidationFailed, match="分类编码 ZZ 不存在"):
        services.dispatch.change_category(dispatcher, order.summary.id, "ZZ")


def test_the_report_ignores_orders_no_model_looked_at(services: Services) -> None:
    _units, actors = _setup(services)
    services.orders.register(
        actors["district"], NewOrder(title="垃圾", content="垃圾没人清", category_code="CG01")
    )
    report = dispatch_report(services.db)
    assert report.total.orders == 0 and report.by_category == []
