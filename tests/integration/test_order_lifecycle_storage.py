"""The whole life cycle through the service layer, stored in SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support import build_small_district

from zhiyun.bootstrap import Services
from zhiyun.domain.workorder import Callback, Dispatch, Reply, Review, Satisfaction, Sign
from zhiyun.orders.service import NewOrder


def test_an_order_goes_from_registration_to_archive_with_one_audit_row_per_step(services: Services) -> None:
    district = build_small_district(services)
    a = district.actors
    order = services.orders.register(
        a["district"], NewOrder(title="路灯不亮", content="夏北路 3 号路灯不亮")
    ).order
    oid = order.summary.id
    services.orders.act(a["district"], oid, Dispatch(target_unit_id=district.units["GC"]))
    services.orders.act(a["town"], oid, Sign())
    services.orders.act(a["town"], oid, Dispatch(target_unit_id=district.units["GC-XB"]))
    services.orders.act(a["xiabei"], oid, Sign())
    services.orders.act(a["xiabei"], oid, Reply(note="已更换灯泡"))
    services.orders.act(a["town"], oid, Review(approve=True))
    closed = services.orders.act(a["district"], oid, Callback(satisfaction=Satisfaction.SATISFIED))

    assert closed.summary.status == "closed"
    assert closed.summary.responsible_unit is not None and closed.summary.responsible_unit.code == "GC"
    trail = services.orders.transitions(a["district"], oid)
    assert [t.action for t in trail] == [
        "register",
        "dispatch",
        "sign",
        "dispatch",
        "sign",
        "reply",
        "review",
        "callback",
    ]
    assert trail[-1].to_status == "closed"
