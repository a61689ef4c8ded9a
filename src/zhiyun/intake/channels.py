"""The channel registry: every system that sends requests, its payload in its own terms, and its adapter.

Each channel posts JSON as such systems send it (a hotline call record, a 110 transfer,
an opinion item, an IoT alarm, …). A pydantic model validates the payload (422 with a
message per field, nothing stored) and an adapter turns it into an IntakeDraft. The
examples here are the ones docs/channels.md shows and the tests post.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhiyun.domain import channels as domain_channels
from zhiyun.domain.channels import ChannelBook
from zhiyun.domain.workorder import OrderType, Urgency
from zhiyun.intake.draft import IntakeDraft
from zhiyun.kernel.geo import CoordSystem

MAX_TEXT = 20_000
# Markup in a channel's text: script-bearing tags, an event handler inside any tag (quoted or
# not, `<svg/onload=…>` too) and `javascript:` URLs. A second wall only: what protects the
# console is that every page and script shows text as text (docs/security.md).
_SCRIPT = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|svg|math|style|link|meta|base|form)\b"
    r"|<[^>]*[\s/\"'`]on[a-z]+\s*="
    r"|javascript\s*:",
    re.I,
)


def _no_markup(value: str) -> str:
    if _SCRIPT.search(value):
        raise ValueError("内容含有不允许的脚本或标记")
    return value


Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(_no_markup)]
ShortText = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_no_markup)]
OptText = Annotated[
    str | None, Field(default=None, max_length=500), AfterValidator(lambda v: v and _no_markup(v))
]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/#]+$")]
Latitude = Annotated[float | None, Field(default=None, ge=-90, le=90)]
Longitude = Annotated[float | None, Field(default=None, ge=-180, le=180)]

_TYPE_WORDS: dict[str, OrderType] = {
    "咨询": OrderType.CONSULT,
    "求助": OrderType.HELP,
    "投诉": OrderType.COMPLAINT,
    "举报": OrderType.REPORT,
    "建议": OrderType.SUGGESTION,
    "表扬": OrderType.PRAISE,
    **{t.value: t for t in OrderType},
}
RequestType = Literal[
    "咨询",
    "求助",
    "投诉",
    "举报",
    "建议",
    "表扬",
    "consult",
    "help",
    "complaint",
    "report",
    "suggestion",
    "praise",
]


class Payload(BaseModel):
    """Base of every channel payload: unknown fields are refused, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _title_from(text: str, prefix: str = "", limit: int = 40) -> str:
    first = re.split(r"[。！？!?\n]", text.strip(), maxsplit=1)[0].strip() or text.strip()
    title = first if len(first) <= limit else first[: limit - 1] + "…"
    return f"{prefix}{title}"


# --------------------------------------------------------------------------- hotlines


class HotlineCall(Payload):
    """A call record from a hotline call center (12345 市长直通车, 城管热线)."""

    call_id: Ident
    caller_number: str = Field(max_length=32)
    caller_name: str | None = Field(default=None, max_length=50)
    call_time: datetime
    agent_id: str = Field(max_length=32)
    recording_id: str | None = Field(default=None, max_length=128)
    request_type: RequestType | None = None  # None: the channel's default type
    urgent: bool = False
    title: ShortText | None = None
    content: Text
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.WGS84


def adapt_hotline(p: HotlineCall) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.call_id,
        title=p.title or _title_from(p.content),
        content=p.content,
        order_type=_TYPE_WORDS[p.request_type] if p.request_type else None,
        urgency=Urgency.URGENT if p.urgent else None,
        citizen_name=p.caller_name,
        citizen_phone=p.caller_number,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.call_time,
        attributes={"agent_id": p.agent_id, "recording_id": p.recording_id},
    )


class DistrictMessage(Payload):
    """A message to 区长直通车: by phone, web form or WeChat, with the citizen's own subject."""

    message_id: Ident
    via: Literal["phone", "web", "wechat"] = "web"
    submitted_at: datetime
    citizen_name: str | None = Field(default=None, max_length=50)
    citizen_phone: str | None = Field(default=None, max_length=32)
    subject: ShortText
    body: Text
    request_type: RequestType = "投诉"
    town: str | None = Field(default=None, max_length=50)
    address: OptText = None
    confidential: bool = False


def adapt_district_message(p: DistrictMessage) -> IntakeDraft:
    address = " ".join(x for x in (p.town, p.address) if x) or None
    return IntakeDraft(
        external_id=p.message_id,
        title=p.subject,
        content=p.body,
        order_type=_TYPE_WORDS[p.request_type],
        citizen_name=p.citizen_name,
        citizen_phone=p.citizen_phone,
        address=address,
        reported_at=p.submitted_at,
        confidential=p.confidential,
        attributes={"via": p.via},
    )


# --------------------------------------------------------------------------- grid, 110, people-first


class GridReport(Payload):
    """A problem a grid worker found on patrol (网格化平台), with photos and position."""

    report_id: Ident
    grid_code: str = Field(max_length=32)
    worker_id: str = Field(max_length=32)
    worker_name: str | None = Field(default=None, max_length=50)
    found_at: datetime
    event_type: ShortText
    description: Text
    photos: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=20)
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.GCJ02


def adapt_grid(p: GridReport) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.report_id,
        title=f"{p.event_type}：{_title_from(p.description, limit=30)}",
        content=p.description,
        order_type=OrderType.REPORT,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.found_at,
        attributes={
            "grid_code": p.grid_code,
            "worker_id": p.worker_id,
            "worker_name": p.worker_name,
            "photos": p.photos,
        },
    )


class PoliceTransfer(Payload):
    """A non-police matter that the 110 command center transfers (非警务警情分流)."""

    incident_no: Ident
    transferred_at: datetime
    police_station: str = Field(max_length=100)
    caller_number: str | None = Field(default=None, max_length=32)
    caller_name: str | None = Field(default=None, max_length=50)
    incident_address: OptText = None
    summary: Text
    category: str = Field(default="其他非警务", max_length=50)
    urgent: bool = False
    lat: Latitude = None
    lon: Longitude = None


def adapt_police(p: PoliceTransfer) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.incident_no,
        title=_title_from(p.summary, prefix="110转办："),
        content=p.summary,
        order_type=OrderType.HELP,
        urgency=Urgency.URGENT if p.urgent else None,
        citizen_name=p.caller_name,
        citizen_phone=p.caller_number,
        address=p.incident_address,
        latitude=p.lat,
        longitude=p.lon,
        reported_at=p.transferred_at,
        attributes={"incident_no": p.incident_no, "police_station": p.police_station, "category": p.category},
    )


class PeopleFirstItem(Payload):
    """A request from 我为群众办实事 (the 'practical things for the people' platform)."""

    item_id: Ident
    submitted_at: datetime
    submitter: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, max_length=32)
    title: ShortText
    content: Text
    area: str | None = Field(default=None, max_length=100)


def adapt_people_first(p: PeopleFirstItem) -> IntakeDraft:
    return IntakeDraft(
        external_id=p.item_id,
        title=p.title,
        content=p.content,
        order_type=OrderType.SUGGESTION,
        citizen_name=p.submitter,
        citizen_phone=p.phone,
        address=p.area,
        reported_at=p.submitted_at,
    )


# --------------------------------------------------------------------------- opinion, environment


class OpinionItem(Payload):
    """A post found by online public-opinion monitoring (网络舆情)."""

    item_id: Ident
    source_site: str = Field(max_length=100)
    url: str = Field(max_length=1000, pattern=r"^https?://")
    author: str | None = Field(default=None, max_length=100)
    published_at: datetime
    title: ShortText
    text: Text
    repost_count: int = Field(default=0, ge=0)
    comment_count: int = Field(default=0, ge=0)
    sentiment: Literal["negative", "neutral", "positive"] = "negative"
    place: OptText = None


def adapt_opinion(p: OpinionItem) -> IntakeDraft:
    urgent = p.repost_count >= 1000
    return IntakeDraft(
        external_id=p.item_id,
        title=f"舆情：{p.title}",
        content=p.text,
        order_type=OrderType.COMPLAINT,
        urgency=Urgency.URGENT if urgent else None,
        address=p.place,
        reported_at=p.published_at,
        attributes={
            "source_site": p.source_site,
            "url": p.url,
            "author": p.author,
            "repost_count": p.repost_count,
            "comment_count": p.comment_count,
            "sentiment": p.sentiment,
        },
    )


class EnvironmentComplaint(Payload):
    """An environmental complaint (环保 12369 and the ecology bureau's platform)."""

    complaint_id: Ident
    reported_at: datetime
    pollution_type: Literal["大气", "水", "噪声", "固废", "土壤", "辐射", "其他"]
    company_name: str | None = Field(default=None, max_length=200)
    description: Text
    reporter_phone: str | None = Field(default=None, max_length=32)
    address: OptText = None
    lat: Latitude = None
    lon: Longitude = None
    coord_system: CoordSystem = CoordSystem.WGS84


def adapt_environment(p: EnvironmentComplaint) -> IntakeDraft:
    subject = f"{p.company_name}" if p.company_name else _title_from(p.description, limit=24)
    return IntakeDraft(
        external_id=p.complaint_id,
        title=f"{p.pollution_type}污染：{subject}",
        content=p.description,
        order_type=OrderType.COMPLAINT,
        citizen_phone=p.reporter_phone,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.reported_at,
        attributes={"pollution_type": p.pollution_type, "company_name": p.company_name},
    )


# --------------------------------------------------------------------------- sensing


class RemoteSensingDetection(Payload):
    """A change detected by satellite, drone or ground imagery (空天地一体化)."""

    detection_id: Ident
    source: Literal["satellite", "drone", "ground"]
    captured_at: datetime
    change_type: ShortText
    area_m2: float | None = Field(default=None, ge=0)
    confidence: float = Field(ge=0, le=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_system: CoordSystem = CoordSystem.WGS84
    image_url: str | None = Field(default=None, max_length=1000)
    note: OptText = None


def adapt_remote_sensing(p: RemoteSensingDetection) -> IntakeDraft:
    source = {"satellite": "卫星", "drone": "无人机", "ground": "地面"}[p.source]
    area = f"，面积约{p.area_m2:.0f}平方米" if p.area_m2 else ""
    content = f"{source}影像识别到{p.change_type}{area}，置信度{p.confidence:.0%}。{p.note or ''}".strip()
    return IntakeDraft(
        external_id=p.detection_id,
        title=f"{source}巡查发现{p.change_type}",
        content=content,
        order_type=OrderType.REPORT,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.captured_at,
        attributes={"source": p.source, "confidence": p.confidence, "image_url": p.image_url},
    )


class IotAlarm(Payload):
    """An alarm from an IoT sensor or a camera's scene algorithm (物联感知)."""

    alarm_id: Ident
    device_id: str = Field(max_length=64)
    device_type: str = Field(max_length=50)
    scene: ShortText
    alarm_time: datetime
    level: int = Field(ge=1, le=3, description="1 最高")
    value: float | None = None
    threshold: float | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_system: CoordSystem = CoordSystem.WGS84
    address: OptText = None
    snapshot_url: str | None = Field(default=None, max_length=1000)


def adapt_iot(p: IotAlarm) -> IntakeDraft:
    reading = ""
    if p.value is not None:
        reading = f"，读数{p.value:g}" + (f"（阈值{p.threshold:g}）" if p.threshold is not None else "")
    return IntakeDraft(
        external_id=p.alarm_id,
        title=f"{p.device_type}告警：{p.scene}",
        content=f"设备{p.device_id}于现场识别到{p.scene}{reading}，告警等级{p.level}。",
        order_type=OrderType.REPORT,
        urgency=Urgency.URGENT if p.level == 1 else None,
        address=p.address,
        latitude=p.lat,
        longitude=p.lon,
        coord_system=p.coord_system,
        reported_at=p.alarm_time,
        attributes={"device_id": p.device_id, "level": p.level, "snapshot_url": p.snapshot_url},
    )


# --------------------------------------------------------------------------- registry


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
    """The site's channels as the registration rules see them: Open311 and every channel with a
    JSON payload push their own ids; manual registration has none."""
    pushed = {code for code, spec in CHANNEL_SPECS.items() if spec.payload is not None} | {"open311"}
    return ChannelBook(known=frozenset(CHANNEL_SPECS), pushed=frozenset(pushed))


def channel_spec(code: str) -> ChannelSpec:
    try:
        return CHANNEL_SPECS[code]
    except KeyError:
        raise LookupError(code) from None
