"""The POST Service Request form as the adapter reads it (pure: no database, no HTTP)."""

from __future__ import annotations

import uuid

import pytest

from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.kernel.geo import CoordSystem
from zhiyun.open311.catalog import SERVICES, ServiceType, service_for_category
from zhiyun.open311.form import draft_from_form


def test_a_street_light_report_becomes_a_draft_in_the_platforms_terms() -> None:
    draft = draft_from_form(
        {
            "service_code": "street_light",
            "lat": "23.0412",
            "long": "113.1450",
            "address_string": "桂城街道夏北路3号",
            "first_name": "小明",
            "last_name": "陈",
            "phone": "13812345678",
            "email": "chen@example.com",
            "account_id": "fms-1",
            "description": "夏北路3号附近路灯连续一周不亮。晚上很黑。",
            "media_url": ["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"],
            "attribute[fault]": "not_lit",
            "attribute[pole_number]": "GC-XB-0123",
            "attribute[fixmystreet_id]": "1001",
        }
    )
    assert uuid.UUID(draft.external_id)
    assert draft.title == "路灯故障：夏北路3号附近路灯连续一周不亮"
    assert (
        draft.content
        == "夏北路3号附近路灯连续一周不亮。晚上很黑。\n【补充信息】故障情况：不亮；灯杆编号：GC-XB-0123"
    )
    assert (draft.order_type, draft.urgency, draft.category_code) == (OrderType.REPORT, None, "street_light")
    assert (draft.latitude, draft.longitude, draft.coord_system) == (23.0412, 113.145, CoordSystem.WGS84)
    assert (draft.citizen_name, draft.citizen_phone, draft.address) == (
        "陈小明",
        "13812345678",
        "桂城街道夏北路3号",
    )
    assert draft.attributes == {
        "service_code": "street_light",
        "service_name": "路灯故障",
        "attributes": {"fault": "not_lit", "pole_number": "GC-XB-0123"},
        "extra_attributes": {"fixmystreet_id": "1001"},
        "email": "chen@example.com",
        "media_url": ["https://img.example.com/1.jpg", "https://img.example.com/2.jpg"],
        "account_id": "fms-1",
    }


def test_each_post_is_a_new_request_with_its_own_external_id() -> None:
    form = {"service_code": "manhole_cover", "address_id": "ADDR-88"}
    first, second = draft_from_form(form), draft_from_form(form)
    assert first.external_id != second.external_id
    assert first.urgency is Urgency.URGENT
    assert first.title == "井盖缺失或损坏：地址编号 ADDR-88" and first.address is None
    assert draft_from_form(form, external_id="tok-1").external_id == "tok-1"


def test_attribute_datatypes_are_checked_and_kept() -> None:
    draft = draft_from_form(
        {
            "service_code": "noise",
            "address_string": "盐步社区广佛路",
            "attribute[source]": "construction",
            "attribute[heard_at]": "2026-11-26T23:30:00+08:00",
        }
    )
    assert draft.attributes["attributes"] == {
        "source": "construction",
        "heard_at": "2026-11-26T23:30:00+08:00",
    }
    assert (
        draft.content
        == "噪声扰民（盐步社区广佛路）；噪声来源：建筑施工；最近一次听到噪声的时间：2026-11-26T23:30:00+08:00"
    )
    water = draft_from_form(
        {"service_code": "drainage", "lat": "23.03", "long": "113.13", "attribute[water_depth]": "30"}
    )
    assert water.attributes["attributes"] == {"water_depth": 30}
    with pytest.raises(ValidationFailed) as err:
        draft_from_form(
            {
                "service_code": "drainage",
                "lat": "23.03",
                "long": "113.13",
                "attribute[water_depth]": "deep",
                "attribute[sewage]": ["yes", "no"],
            }
        )
    assert set(err.value.details["fields"]) == {"attribute[water_depth]", "attribute[sewage]"}


def test_multivaluelist_takes_repeated_values_and_refuses_unknown_keys() -> None:
    base = {"service_code": "garbage", "address_string": "夏北市场"}
    draft = draft_from_form({**base, "attribute[waste_type][]": ["kitchen", "household", "kitchen"]})
    assert draft.attributes["attributes"] == {"waste_type": ["kitchen", "household"]}
    assert "垃圾种类：餐厨垃圾、生活垃圾" in draft.content
    with pytest.raises(ValidationFailed) as err:
        draft_from_form({**base, "attribute[waste_type][]": ["kitchen", "nuclear"]})
    assert "nuclear" in err.value.details["fields"]["attribute[waste_type]"]


def test_empty_fields_count_as_not_sent_and_the_last_repeat_wins() -> None:
    draft = draft_from_form(
        {"service_code": ["noise", "other"], "address_string": "夏北路", "lat": "", "long": "", "email": ""}
    )
    assert draft.category_code == "other" and draft.latitude is None and "email" not in draft.attributes


def test_unknown_service_is_not_found_and_a_missing_one_is_invalid() -> None:
    with pytest.raises(NotFound):
        draft_from_form({"service_code": "potholes", "address_string": "x"})
    with pytest.raises(ValidationFailed):
        draft_from_form({"address_string": "x"})


def test_the_service_list_is_consistent() -> None:
    codes = [s.code for s in SERVICES]
    assert len(codes) == len(set(codes)) >= 12
    assert {s.type for s in SERVICES} == {ServiceType.REALTIME, ServiceType.BATCH}
    for svc in SERVICES:
        attribute_codes = [a.code for a in svc.attributes]
        assert len(attribute_codes) == len(set(attribute_codes))
        for attr in svc.attributes:
            assert bool(attr.values) == (attr.datatype.value in ("singlevaluelist", "multivaluelist"))
    assert service_for_category("street_light").code == "street_light"
    assert service_for_category(None).code == service_for_category("CG-0101").code == "other"
