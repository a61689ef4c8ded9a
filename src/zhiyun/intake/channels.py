"""The channel registry: every system that sends requests, its payload model, its adapter and defaults.

Each channel posts JSON as such systems send it (a hotline call record, a 110 transfer,
an opinion item, an IoT alarm, …). A pydantic model validates the payload (422 with a
message per field, nothing stored) and an adapter turns it into an IntakeDraft; the models
and adapters are in `zhiyun.intake.payloads`. The examples here are the ones
docs/channels.md shows and the tests post.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhiyun.domain import channels as domain_channels
from zhiyun.domain.channels import ChannelBook
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.intake.payloads.fields import Payload
from zhiyun.intake.payloads.hotlines import (
    DistrictMessage,
    HotlineCall,
    adapt_district_message,
    adapt_hotline,
)
from zhiyun.intake.payloads.platforms import (
    EnvironmentComplaint,
    GridReport,
    OpinionItem,
    PeopleFirstItem,
    PoliceTransfer,
    adapt_environment,
    adapt_grid,
    adapt_opinion,
    adapt_people_first,
    adapt_police,
)
from zhiyun.intake.payloads.sensing import IotAlarm, RemoteSensingDetection, adapt_iot, adapt_remote_sensing


@dataclass(frozen=True)
class ChannelSpec:
    """A kind of channel: its code, name, payload model, adapter and defaults."""

    code: str
    name: str
    payload: type[Payload] | None
    adapter: Callable[[Any], IntakeDraft] | None
    default_type: OrderType
    default_urgency: Urgency
    description: str
    example: dict[str, Any]

    def adapt(self, raw: dict[str, Any]) -> IntakeDraft:
        """Validate `raw` against the payload model (pydantic ValidationError) and adapt it."""
        if self.payload is None or self.adapter is None:
            raise LookupError(f"channel {self.code} has no JSON intake")
        return self.adapter(self.payload.model_validate(raw))


_HOTLINE_EXAMPLE = {
    "call_id": "C20261126093015001",
    "caller_number": "13812345678",
    "caller_name": "陈先生",
    "call_time": "2026-11-26T09:30:15+08:00",
    "agent_id": "A0417",
    "recording_id": "REC-20261126-0930-0417",
    "request_type": "投诉",
    "content": "桂城街道夏北社区夏北路3号附近路灯连续一周不亮，晚上行人很不安全，请尽快维修。",
    "address": "桂城街道夏北路3号",
    "lat": 23.0412,
    "lon": 113.1450,
    "coord_system": "gcj02",
}

MANUAL = domain_channels.MANUAL  # orders registered by hand (console, API): no payloads and no keys
PROACTIVE = domain_channels.PROACTIVE  # 未诉先办: orders made from a warning (zhiyun.outlook)
WEB = domain_channels.WEB  # 网上诉求: the citizens' portal (zhiyun.portal)

CHANNEL_SPECS: dict[str, ChannelSpec] = {
    spec.code: spec
    for spec in (
        ChannelSpec(
            "12345",
            "12345 市长直通车",
            HotlineCall,
            adapt_hotline,
            OrderType.HELP,
            Urgency.NORMAL,
            "12345 政务服务便民热线的来电记录。",
            _HOTLINE_EXAMPLE,
        ),
        ChannelSpec(
            "district_hotline",
            "区长直通车",
            DistrictMessage,
            adapt_district_message,
            OrderType.COMPLAINT,
            Urgency.NORMAL,
            "区长直通车的来电、网上留言和微信留言。",
            {
                "message_id": "QZ-2026-118842",
                "via": "web",
                "submitted_at": "2026-11-26T10:02:00+08:00",
                "citizen_name": "李女士",
                "citizen_phone": "13922223333",
                "subject": "大沥镇盐步社区夜间施工噪音扰民",
                "body": "盐步社区广佛路旁工地每晚十一点后仍在施工打桩，噪音很大，老人小孩无法休息。",
                "request_type": "投诉",
                "town": "大沥镇",
                "address": "盐步社区广佛路",
            },
        ),
        ChannelSpec(
            "grid",
            "网格化平台",
            GridReport,
            adapt_grid,
            OrderType.REPORT,
            Urgency.NORMAL,
            "网格员巡查上报的问题，带照片和位置（默认 GCJ-02 坐标）。",
            {
                "report_id": "WG-20261126-000731",
                "grid_code": "GC-XB-03",
                "worker_id": "W4410",
                "worker_name": "黄网格",
                "found_at": "2026-11-26T08:40:00+08:00",
                "event_type": "占道经营",
                "description": "夏北市场东门有流动摊贩占用人行道经营，影响通行。",
                "photos": ["https://grid.example.gov.cn/photo/731-1.jpg"],
                "address": "夏北市场东门",
                "lat": 23.0420,
                "lon": 113.1462,
                "coord_system": "gcj02",
            },
        ),
        ChannelSpec(
            "police_110",
            "110 非警务转办",
            PoliceTransfer,
            adapt_police,
            OrderType.HELP,
            Urgency.NORMAL,
            "区110指挥中心分流的非警务警情。",
            {
                "incident_no": "J4406052026112600123",
                "transferred_at": "2026-11-26T11:15:00+08:00",
                "police_station": "桂城派出所",
                "caller_number": "13700001111",
                "caller_name": "王先生",
                "incident_address": "南海大道北与海八路交界",
                "summary": "市政消防栓漏水，路面大量积水，请相关部门处理。",
                "category": "市政设施",
                "urgent": False,
            },
        ),
        ChannelSpec(
            "city_mgmt_hotline",
            "城管热线",
            HotlineCall,
            adapt_hotline,
            OrderType.COMPLAINT,
            Urgency.NORMAL,
            "区数字城管话务的来电记录（与 12345 同格式）。",
            {
                **_HOTLINE_EXAMPLE,
                "call_id": "CG20261126101500007",
                "content": "夏北路有商铺长期占道摆卖，请城管处理。",
            },
        ),
        ChannelSpec(
            "people_first",
            "我为群众办实事",
            PeopleFirstItem,
            adapt_people_first,
            OrderType.SUGGESTION,
            Urgency.NORMAL,
            "“我为群众办实事”平台收集的群众诉求与建议。",
            {
                "item_id": "SS-2026-00921",
                "submitted_at": "2026-11-25T16:20:00+08:00",
                "submitter": "周先生",
                "phone": "13600002222",
                "title": "建议在丹灶镇仙岗村增设公交站点",
                "content": "仙岗村距离最近公交站有两公里，老人出行困难，建议增设一个站点。",
                "area": "丹灶镇仙岗村",
            },
        ),
        ChannelSpec(
            "online_opinion",
            "网络舆情",
            OpinionItem,
            adapt_opinion,
            OrderType.COMPLAINT,
            Urgency.NORMAL,
            "网络舆情监测发现的帖子；转发超过 1000 次的按紧急处理。",
            {
                "item_id": "YQ-9F2C1A",
                "source_site": "本地论坛",
                "url": "https://bbs.example.cn/thread/123456",
                "author": "南海街坊",
                "published_at": "2026-11-26T07:55:00+08:00",
                "title": "里水镇某小区连续三天停水无人管",
                "text": "里水镇和顺某小区从周一开始停水，物业说是管道维修，但一直没有通知恢复时间。",
                "repost_count": 320,
                "comment_count": 85,
                "sentiment": "negative",
                "place": "里水镇和顺",
            },
        ),
        ChannelSpec(
            "environment",
            "环保投诉",
            EnvironmentComplaint,
            adapt_environment,
            OrderType.COMPLAINT,
            Urgency.NORMAL,
            "生态环境部门（12369 等）转来的环境污染投诉。",
            {
                "complaint_id": "HB-2026-33817",
                "reported_at": "2026-11-26T06:30:00+08:00",
                "pollution_type": "大气",
                "company_name": "某五金加工厂",
                "description": "狮山镇小塘工业区某五金厂夜间排放刺鼻废气，附近居民开窗都能闻到。",
                "reporter_phone": "13500003333",
                "address": "狮山镇小塘工业区",
            },
        ),
        ChannelSpec(
            "remote_sensing",
            "空天地一体化",
            RemoteSensingDetection,
            adapt_remote_sensing,
            OrderType.REPORT,
            Urgency.NORMAL,
            "卫星、无人机和地面影像比对发现的变化（疑似违建、耕地占用等）。",
            {
                "detection_id": "RS-2026Q4-000518",
                "source": "drone",
                "captured_at": "2026-11-24T14:00:00+08:00",
                "change_type": "疑似违法建设",
                "area_m2": 180.5,
                "confidence": 0.87,
                "lat": 23.0765,
                "lon": 113.0012,
                "image_url": "https://rs.example.gov.cn/tiles/518.png",
            },
        ),
        ChannelSpec(
            "iot",
            "物联感知",
            IotAlarm,
            adapt_iot,
            OrderType.REPORT,
            Urgency.NORMAL,
            "物联网传感器和视频场景算法的告警；等级 1 按紧急处理。",
            {
                "alarm_id": "IOT-CAM0231-20261126-0007",
                "device_id": "CAM-0231",
                "device_type": "视频监控",
                "scene": "积水",
                "alarm_time": "2026-11-26T05:12:00+08:00",
                "level": 2,
                "value": 18.0,
                "threshold": 10.0,
                "lat": 23.0301,
                "lon": 113.1380,
                "address": "桂城南海大道地下通道",
            },
        ),
        ChannelSpec(
            "open311",
            "Open311 GeoReport v2",
            None,
            None,
            OrderType.HELP,
            Urgency.NORMAL,
            "按 Open311 GeoReport v2 标准提交的请求（/open311/v2）。",
            {},
        ),
        ChannelSpec(
            WEB,
            "网上诉求",
            None,
            None,
            OrderType.REPORT,
            Urgency.NORMAL,
            "市民在平台网站（市民门户 /portal）上反映的问题，带照片和位置；无需密钥，按手机号、地点和网络限流。",
            {},
        ),
        ChannelSpec(
            PROACTIVE,
            "未诉先办",
            None,
            None,
            OrderType.REPORT,
            Urgency.NORMAL,
            "预警转成的主动工单：某类诉求在某镇街激增，中心在市民再来电之前先行处置（zhiyun.outlook）。",
            {},
        ),
        ChannelSpec(
            MANUAL,
            "人工登记",
            None,
            None,
            OrderType.HELP,
            Urgency.NORMAL,
            "派单员在平台上直接登记的工单。",
            {},
        ),
    )
}


def channel_book() -> ChannelBook:
    """The site's channels as the registration rules see them: Open311, the portal's web reports,
    the proactive orders the outlook makes from warnings and every channel with a JSON payload push their own ids; manual
    registration has none."""
    pushed = {code for code, spec in CHANNEL_SPECS.items() if spec.payload is not None} | {
        "open311",
        PROACTIVE,
        WEB,
    }
    return ChannelBook(known=frozenset(CHANNEL_SPECS), pushed=frozenset(pushed))


def channel_spec(code: str) -> ChannelSpec:
    try:
        return CHANNEL_SPECS[code]
    except KeyError:
        raise LookupError(code) from None
