"""Open311 GeoReport v2 in the platform's terms: the service list (its POST form is `form.py`).

GeoReport v2 (http://wiki.open311.org/GeoReport_v2) lets existing 311 apps and clients
(FixMyStreet, SeeClickFix-style apps, city dashboards) list the kinds of problems a
jurisdiction accepts, post a request and follow it. Here a *service* is one kind of problem
citizens report to the district (路灯故障, 占道经营, …); its `service_code` is also the
category code the order is registered under, so that orders of every channel can be shown
with the service they belong to (`service_for_category`).

Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from zhiyun.domain.errors import NotFound
from zhiyun.domain.workorder import OrderType, Urgency

CHANNEL_CODE = "open311"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The jurisdiction's main website without "www" (the spec's suggestion); ZHIYUN_OPEN311_JURISDICTION_ID
# overrides it. One endpoint serves one jurisdiction, so the parameter is optional.
DEFAULT_JURISDICTION_ID = "nanhai.gov.cn"
# When the service list or a service definition last changed (the discovery document's changeset):
# clients refresh what they cached when it moves. Bump it with every change to SERVICES.
SERVICES_CHANGESET = "2026-11-20T00:00:00+08:00"

MAX_DESCRIPTION = 4000  # the spec's limit for description


class ServiceType(StrEnum):
    """How a POST answers: with the request id at once (realtime) or with a token (batch)."""

    REALTIME = "realtime"
    BATCH = "batch"
    BLACKBOX = "blackbox"


class Datatype(StrEnum):
    """The datatypes of a service definition's attributes (GeoReport v2, GET Service Definition)."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


@dataclass(frozen=True)
class Attribute:
    """One extra field a service asks for (or, with variable=False, a note shown to the user)."""

    code: str
    datatype: Datatype
    description: str
    required: bool = False
    datatype_description: str | None = None
    variable: bool = True
    values: tuple[tuple[str, str], ...] = ()  # (key, name) of a list's options
    label: str | None = None  # a short name for the order's text (default: from the description)

    def value_name(self, key: str) -> str:
        return dict(self.values).get(key, key)

    @property
    def short_label(self) -> str:
        return self.label or re.sub(r"(（可多选）|[？?])$", "", self.description)


@dataclass(frozen=True)
class Service:
    """A kind of request citizens may post: its code, names and what the order gets."""

    code: str
    name: str
    description: str
    group: str
    keywords: tuple[str, ...]
    order_type: OrderType
    notice: str
    type: ServiceType = ServiceType.REALTIME
    urgency: Urgency | None = None  # None: the channel's default
    attributes: tuple[Attribute, ...] = ()

    @property
    def metadata(self) -> bool:
        """Whether the service has a definition to fetch (GET services/{code})."""
        return bool(self.attributes)


_YES_NO = (("yes", "是"), ("no", "否"))

SERVICES: tuple[Service, ...] = (
    Service(
        "street_light",
        "路灯故障",
        "路灯不亮、闪烁、白天常亮，灯杆倾斜或电线外露。",
        "市政设施",
        ("路灯", "灯不亮", "灯杆", "照明", "电线外露"),
        OrderType.REPORT,
        "路灯故障一般在 2 个工作日内修复；涉及用电安全的立即处置。",
        attributes=(
            Attribute(
                "fault",
                Datatype.SINGLEVALUELIST,
                "路灯出了什么问题？",
                required=True,
                label="故障情况",
                values=(
                    ("not_lit", "不亮"),
                    ("flickering", "闪烁"),
                    ("on_in_daytime", "白天常亮"),
                    ("pole_damaged", "灯杆倾斜或损坏"),
                    ("exposed_wire", "电线外露"),
                ),
            ),
            Attribute(
                "pole_number",
                Datatype.STRING,
                "灯杆编号（喷涂在灯杆上，如 GC-XB-0123），便于维修人员找到",
                datatype_description="灯杆上的编号，没有可不填",
                label="灯杆编号",
            ),
        ),
    ),
    Service(
        "road_damage",
        "道路破损",
        "车行道坑槽、路面塌陷、人行道板松动破损、路缘石损坏。",
        "市政设施",
        ("坑洼", "坑槽", "塌陷", "人行道", "路面破损"),
        OrderType.REPORT,
        "道路破损一般在 5 个工作日内修复；塌陷等危及安全的先行围蔽。",
        attributes=(
            Attribute(
                "damage_type",
                Datatype.SINGLEVALUELIST,
                "破损类型",
                required=True,
                values=(
                    ("pothole", "坑槽"),
                    ("subsidence", "路面塌陷"),
                    ("sidewalk", "人行道板松动或破损"),
                    ("curb", "路缘石损坏"),
                ),
            ),
            Attribute(
                "blocks_traffic",
                Datatype.SINGLEVALUELIST,
                "是否影响车辆或行人通行？",
                values=_YES_NO,
                label="影响通行",
            ),
        ),
    ),
    Service(
        "manhole_cover",
        "井盖缺失或损坏",
        "检查井盖缺失、破损、松动或下沉，存在安全隐患。",
        "市政设施",
        ("井盖", "沙井盖", "窨井", "下水道盖"),
        OrderType.REPORT,
        "井盖缺失按紧急事项处理，权属单位到场围蔽并补装。",
        urgency=Urgency.URGENT,
    ),
    Service(
        "drainage",
        "排水不畅与积水",
        "下雨后路面、隧道或小区积水，雨水口堵塞，污水冒溢。",
        "水务",
        ("积水", "水浸", "内涝", "下水道堵塞", "污水冒溢"),
        OrderType.REPORT,
        "积水点由水务部门疏通；暴雨期间优先处理水浸街和地下通道。",
        attributes=(
            Attribute(
                "water_depth",
                Datatype.NUMBER,
                "积水大约多深（厘米）",
                datatype_description="数字，单位厘米",
                label="积水深度（厘米）",
            ),
            Attribute(
                "sewage",
                Datatype.SINGLEVALUELIST,
                "是否有污水冒溢？",
                values=_YES_NO,
                label="污水冒溢",
            ),
        ),
    ),
    Service(
        "street_vending",
        "占道经营",
        "流动摊贩、店外摆卖、夜市摆卖占用道路或人行道。",
        "市容环境",
        ("占道", "摆摊", "流动摊贩", "店外经营", "乱摆卖"),
        OrderType.COMPLAINT,
        "由属地城管部门核查处理，一般在 3 个工作日内答复。",
        attributes=(
            Attribute(
                "kind",
                Datatype.SINGLEVALUELIST,
                "占道经营的类型",
                required=True,
                values=(
                    ("mobile_vendor", "流动摊贩"),
                    ("shop_overflow", "店铺超出门店经营"),
                    ("night_market", "夜市摆卖"),
                ),
            ),
            Attribute(
                "time_of_day",
                Datatype.MULTIVALUELIST,
                "通常在什么时段出现？（可多选）",
                label="出现时段",
                values=(
                    ("morning", "早上"),
                    ("noon", "中午"),
                    ("evening", "傍晚"),
                    ("late_night", "深夜"),
                ),
            ),
            Attribute(
                "safety_note",
                Datatype.TEXT,
                "请勿与摊贩发生冲突，拍照时注意自身安全。",
                variable=False,
            ),
        ),
    ),
    Service(
        "garbage",
        "垃圾堆放与清运",
        "生活垃圾未及时清运，建筑垃圾、大件垃圾乱堆乱放。",
        "环境卫生",
        ("垃圾", "清运", "乱堆", "建筑垃圾", "垃圾桶满"),
        OrderType.COMPLAINT,
        "环卫部门一般在 1 个工作日内清运。",
        attributes=(
            Attribute(
                "waste_type",
                Datatype.MULTIVALUELIST,
                "垃圾种类（可多选）",
                required=True,
                values=(
                    ("household", "生活垃圾"),
                    ("construction", "建筑垃圾"),
                    ("bulky", "大件垃圾"),
                    ("kitchen", "餐厨垃圾"),
                ),
            ),
        ),
    ),
    Service(
        "illegal_parking",
        "违规停车",
        "车辆占用人行道、消防通道、盲道停放，共享单车乱停放。",
        "交通秩序",
        ("乱停车", "占道停车", "消防通道", "共享单车", "盲道"),
        OrderType.COMPLAINT,
        "由交警或城管部门处理；占用消防通道的优先处置。",
        attributes=(
            Attribute(
                "vehicle_type",
                Datatype.SINGLEVALUELIST,
                "车辆类型",
                required=True,
                values=(
                    ("car", "小汽车"),
                    ("truck", "货车"),
                    ("ebike", "电动自行车"),
                    ("shared_bike", "共享单车"),
                ),
            ),
            Attribute(
                "plate_number",
                Datatype.STRING,
                "车牌号（如粤E·12345），没有可不填",
                label="车牌号",
            ),
        ),
    ),
    Service(
        "noise",
        "噪声扰民",
        "夜间施工、商铺音响、娱乐场所和广场舞噪声扰民。",
        "生态环境",
        ("噪音", "噪声", "夜间施工", "广场舞", "扰民"),
        OrderType.COMPLAINT,
        "夜间施工噪声由住建或生态环境部门核查；社会生活噪声由属地镇街处理。",
        attributes=(
            Attribute(
                "source",
                Datatype.SINGLEVALUELIST,
                "噪声来源",
                required=True,
                values=(
                    ("construction", "建筑施工"),
                    ("business", "商铺经营"),
                    ("entertainment", "娱乐场所或广场舞"),
                    ("traffic", "交通"),
                    ("other", "其他"),
                ),
            ),
            Attribute(
                "heard_at",
                Datatype.DATETIME,
                "最近一次听到噪声的时间",
                datatype_description="ISO 8601 时间，如 2026-11-26T23:30:00+08:00",
            ),
        ),
    ),
    Service(
        "illegal_construction",
        "违法建设",
        "未经批准的加建、搭建，占用公共空间或绿地的构筑物。",
        "规划建设",
        ("违建", "违法建设", "乱搭建", "加建", "僭建"),
        OrderType.REPORT,
        "由属地镇街执法部门核查；查实的依法处理。",
    ),
    Service(
        "greenery",
        "绿化与树木",
        "树木倒伏、枯枝悬挂、绿化带杂草丛生、绿地被毁。",
        "园林绿化",
        ("树木", "倒树", "枯枝", "绿化带", "台风"),
        OrderType.REPORT,
        "倒伏树木影响通行的优先清理；一般养护问题 5 个工作日内处理。",
        attributes=(
            Attribute(
                "issue",
                Datatype.SINGLEVALUELIST,
                "问题类型",
                required=True,
                values=(
                    ("fallen_tree", "树木倒伏"),
                    ("dead_branch", "枯枝悬挂"),
                    ("overgrown", "杂草丛生"),
                    ("damaged", "绿地被毁"),
                ),
            ),
        ),
    ),
    Service(
        "water_supply",
        "停水与供水问题",
        "无预告停水、水压低、水质浑浊、供水管道爆裂漏水。",
        "公用事业",
        ("停水", "水压", "水质", "爆管", "漏水"),
        OrderType.HELP,
        "由供水企业处理；爆管漏水 24 小时内到场。",
    ),
    Service(
        "public_facility",
        "公共设施损坏",
        "公交站亭、护栏、路名牌、公园座椅和健身器材等损坏。",
        "市政设施",
        ("护栏", "公交站", "路牌", "健身器材", "座椅"),
        OrderType.REPORT,
        "由设施权属单位维修，一般在 5 个工作日内处理。",
    ),
    Service(
        "suggestion",
        "意见建议",
        "对城市管理和公共服务的意见和建议。",
        "其他",
        ("建议", "意见", "提议"),
        OrderType.SUGGESTION,
        "建议按批次汇总研究；提交后得到受理凭证（token），可凭此查询编号。",
        type=ServiceType.BATCH,
    ),
    Service(
        "other",
        "其他问题",
        "不属于以上类别的城市管理问题。",
        "其他",
        ("其他",),
        OrderType.HELP,
        "由区智运中心分拨到责任单位办理。",
    ),
)

SERVICES_BY_CODE: dict[str, Service] = {s.code: s for s in SERVICES}
FALLBACK_SERVICE = SERVICES_BY_CODE["other"]


def service(code: str) -> Service:
    """The service `code` (NotFound otherwise)."""
    found = SERVICES_BY_CODE.get(code)
    if found is None:
        raise NotFound(f"service_code {code} 不存在", field="service_code")
    return found


def service_for_category(category_code: str | None) -> Service:
    """The service an order of `category_code` is shown under (orders of other channels: 其他问题)."""
    return SERVICES_BY_CODE.get(category_code or "", FALLBACK_SERVICE)


__all__ = [
    "CHANNEL_CODE",
    "DEFAULT_JURISDICTION_ID",
    "FALLBACK_SERVICE",
    "SERVICES",
    "SERVICES_BY_CODE",
    "SERVICES_CHANGESET",
    "SPECIFICATION",
    "Attribute",
    "Datatype",
    "Service",
    "ServiceType",
    "service",
    "service_for_category",
]
