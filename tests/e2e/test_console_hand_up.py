"""An order registered at a town whose responsible unit is a district department: the dispatch
suggestion offers 上报 to the district center with the reason, and taking it hands the order up."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api
from zhiyun.domain.routing import Thresholds
from zhiyun.orders.service import NewOrder

TAXONOMY = "code,name,parent_code,keywords\nCX,城乡建设,,违建|加建\nCG,城市管理,,垃圾\n"
RULES = "category_code,area_code,unit_code,priority\nCX,,ZJJ,0\nCG,GC,GC-CG,0\n"


@dataclass(frozen=True)
class _Scored:
    label: str
    probability: float


@dataclass(frozen=True)
class _Prediction:
    categories: list[_Scored]
    urgent: bool = False
    urgent_signals: list[str] = field(default_factory=list)


class _SureModel:
    """A classifier that is sure every order is about illegal building (城乡建设)."""

    version = "test-1"

    def predict(self, title: str, content: str) -> _Prediction:
        return _Prediction([_Scored("CX", 0.95), _Scored("CG", 0.05)])


def test_the_suggestion_offers_to_hand_the_order_up_with_the_reason(console: Api) -> None:
    services, admin = console.services, console.district.actors["admin"]
    services.taxonomy.import_csv(admin, TAXONOMY)
    services.responsibility.import_csv(admin, RULES)
    services.auto_dispatch.model_source = lambda _session: _SureModel()
    services.auto_dispatch.thresholds = Thresholds(0.6)
    new = NewOrder(title="楼顶违建", content="邻居在楼顶违建铁皮房，请尽快处理")
    number = services.orders.register(console.district.actors["town"], new).order.summary.number

    town = page_login(console, "town")
    page = town.get(f"/orders/{number}").text
    panel = page.split('id="h-suggest"', 1)[1]
    assert "待人工派单" not in panel
    reason = "权责清单：该事项由区级部门（区住建局）承办，需上报区中心（南海区）"
    assert reason in panel
    offer = re.search(
        rf'<form method="post" action="/orders/{number}/actions/return"[^>]*>(.*?)</form>', panel, re.S
    )
    assert offer is not None, "the suggestion offers no 上报"
    assert "上报南海区" in offer.group(1)
    version = re.search(r'name="version" value="(\d+)"', offer.group(1))
    assert version is not None

    done = post_form(
        town,
        f"/orders/{number}/actions/return",
        {"version": version.group(1), "note": reason},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "已上报" in done.text
    detail = services.orders.get(console.district.actors["district"], number)
    assert detail.summary.status == "pending_dispatch" and detail.summary.current_unit is not None
    assert detail.summary.current_unit.name == "南海区" and detail.registered_unit is not None
    timeline = re.findall(r'<li data-action="(\w+)">\s*<div><strong>([^<]+)</strong>', done.text)
    assert timeline[-1] == ("return", "上报")
    # the district, which can dispatch to its department, is offered no hand-up
    district = page_login(console, "district").get(f"/orders/{number}").text
    assert f'action="/orders/{number}/actions/return"' not in district
