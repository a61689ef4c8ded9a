"""The demo traffic's catalog (data): channel weights, what each channel reports, places, scenes, events."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from zhiyun.demo import topics as tp
from zhiyun.demo.traffic.open311_reports import OPEN311_CHANNEL, Open311Form
from zhiyun.demo.traffic.values import b62
from zhiyun.domain.workorder import OrderType

# How often each channel sends something (per 100 single requests).
CHANNEL_WEIGHTS: dict[str, float] = {
    "12345": 30,
    "district_hotline": 12,
    "grid": 14,
    "police_110": 6,
    "city_mgmt_hotline": 5,
    "people_first": 4,
    "online_opinion": 7,
    "environment": 5,
    "remote_sensing": 4,
    "iot": 13,
}
TRAFFIC_CHANNELS: tuple[str, ...] = tuple(CHANNEL_WEIGHTS)

# The payload field that carries each channel's external id (the idempotency key).
EXTERNAL_ID_FIELDS: dict[str, str] = {
    "12345": "call_id",
    "city_mgmt_hotline": "call_id",
    "district_hotline": "message_id",
    "grid": "report_id",
    "police_110": "incident_no",
    "people_first": "item_id",
    "online_opinion": "item_id",
    "environment": "complaint_id",
    "remote_sensing": "detection_id",
    "iot": "alarm_id",
}

DISTRICT_AREA_CODE = "440605"  # 南海区's administrative division code, as in 110 incident numbers

ALL_TOPICS: tuple[tp.Topic, ...] = tp.TOPICS + tp.SEASONAL_TOPICS
TOPICS_BY_KEY = {t.key: t for t in ALL_TOPICS + tp.TYPHOON_TOPICS}

# Which matters each channel hears about (12345 and 区长直通车 hear about everything).
TOPIC_CHANNELS: dict[str, frozenset[str]] = {
    "city_mgmt_hotline": frozenset(
        {"streetlight", "street_vendor", "garbage", "illegal_building", "road_damage"}
    ),
    "grid": frozenset(
        {
            "streetlight",
            "street_vendor",
            "garbage",
            "road_damage",
            "illegal_building",
            "fire_hazard",
            "rental_housing",
            "illegal_parking",
            "water_supply",
            "river_pollution",
        }
    ),
    "police_110": frozenset(
        {
            "nightlife_noise",
            "square_dance",
            "construction_noise",
            "illegal_parking",
            "wage_arrears",
            "rental_housing",
            "consumer_dispute",
            "water_supply",
            "road_damage",
            "fire_hazard",
        }
    ),
    "online_opinion": frozenset(
        {
            "water_supply",
            "construction_noise",
            "factory_smell",
            "river_pollution",
            "garbage",
            "hospital_service",
            "gov_service",
            "school_enrollment",
            "graduate_registration",
            "medical_insurance",
            "consumer_dispute",
            "bus_route",
        }
    ),
}

GRID_EVENTS = {
    "streetlight": "路灯故障",
    "street_vendor": "占道经营",
    "garbage": "垃圾乱堆乱放",
    "road_damage": "道路破损",
    "illegal_building": "违法建设",
    "fire_hazard": "消防安全隐患",
    "rental_housing": "出租屋安全隐患",
    "illegal_parking": "违规停车",
    "water_supply": "供水管网破损",
    "river_pollution": "河涌污染",
    "fallen_tree": "树木倒伏",
    "flooding": "路面水浸",
    "power_cut": "电力设施损坏",
    "loose_signboard": "广告牌松脱",
}
POLICE_CATEGORIES = {
    "nightlife_noise": "噪音扰民",
    "square_dance": "噪音扰民",
    "construction_noise": "噪音扰民",
    "illegal_parking": "交通秩序",
    "wage_arrears": "劳资纠纷",
    "rental_housing": "民事纠纷",
    "consumer_dispute": "消费纠纷",
    "water_supply": "市政设施",
    "road_damage": "市政设施",
    "fire_hazard": "安全隐患",
    "fallen_tree": "自然灾害",
    "flooding": "自然灾害",
    "power_cut": "市政设施",
    "loose_signboard": "安全隐患",
}
POLICE_STATIONS = {
    "GC": ("桂城派出所", "平洲派出所", "南海派出所"),
    "DL": ("大沥派出所", "黄岐派出所", "盐步派出所"),
    "SS": ("狮山派出所", "松岗派出所", "罗村派出所", "官窑派出所", "小塘派出所"),
    "LS": ("里水派出所", "和顺派出所"),
    "XQ": ("西樵派出所",),
    "JJ": ("九江派出所",),
    "DZ": ("丹灶派出所", "金沙派出所"),
}
REQUEST_TYPES = {
    OrderType.CONSULT: "咨询",
    OrderType.HELP: "求助",
    OrderType.COMPLAINT: "投诉",
    OrderType.REPORT: "举报",
    OrderType.SUGGESTION: "建议",
    OrderType.PRAISE: "表扬",
}
OPINION_SITES: tuple[tuple[str, Callable[[random.Random], str]], ...] = (
    ("新浪微博", lambda r: f"https://weibo.com/{r.randrange(10**9, 10**10)}/{b62(r, 9)}"),
    ("抖音", lambda r: f"https://www.douyin.com/video/{r.randrange(10**18, 10**19)}"),
    ("今日头条", lambda r: f"https://www.toutiao.com/article/{r.randrange(10**18, 10**19)}/"),
    ("百度贴吧", lambda r: f"https://tieba.baidu.com/p/{r.randrange(10**9, 10**10)}"),
    ("小红书", lambda r: f"https://www.xiaohongshu.com/explore/{r.randrange(16**23, 16**24):024x}"),
    ("本地论坛", lambda r: f"https://bbs.example.cn/thread/{r.randrange(100_000, 999_999)}"),
)
OPINION_AUTHORS = (
    "南海街坊",
    "桂城小陈",
    "佛山打工人",
    "里水阿姨",
    "狮山老表",
    "西樵山下",
    "大沥吃货",
    "九江鱼仔",
    "丹灶人家",
    "千灯湖跑者",
    "南海二胎妈妈",
    "广佛通勤族",
)


# The field of each payload that carries the citizen's words (for updates of a repeat).
TEXT_FIELDS = {
    "12345": "content",
    "city_mgmt_hotline": "content",
    "district_hotline": "body",
    "grid": "description",
    "police_110": "summary",
    "people_first": "content",
    "online_opinion": "text",
    "environment": "description",
    "remote_sensing": "note",
}
SUPPLEMENTS = (
    "（补充：来电人再次来电，问题仍未解决，希望加快处理。）",
    "（补充：现场情况有所加重。）",
    "（补充：已附新的现场照片。）",
)
TYPHOON_NAMES = ("海葵", "苏拉", "摩羯", "山竹", "韦帕", "桦加沙")

# 我为群众办实事: (key, route, title, content, reply)
PEOPLE_FIRST: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "pf_elevator",
        "ZJJ",
        "建议{vshort}老旧小区加装电梯",
        "{village}{road}一带多是七八层的老楼，住着不少老人，上下楼很困难，希望政府牵头推动加装电梯并给予补贴。",
        "已将建议转区住建局，纳入老旧小区改造加装电梯计划，符合条件的可申请补贴。",
    ),
    (
        "pf_pocket_park",
        tp.VILLAGE,
        "建议把{vshort}{road}旁闲置地改成口袋公园",
        "{village}{road}旁有一块闲置空地长期杂草丛生、乱堆杂物，建议改造成口袋公园，给老人小孩一个休闲的地方。",
        "村居已将该地块纳入微改造项目，计划年内建成口袋公园。",
    ),
    (
        "pf_charging",
        tp.VILLAGE,
        "建议{vshort}增设电动车集中充电桩",
        "{village}出租屋多，不少人把电动车推进楼道充电，很危险，建议在村内空地增设集中充电桩。",
        "村居已联系供电和充电运营企业，在村内选址建设集中充电点两处。",
    ),
    (
        "pf_canteen",
        "MZJ",
        "建议在{vshort}开设长者饭堂",
        "{village}独居老人较多，做饭吃饭都不方便，建议在村居党群服务中心开设长者饭堂。",
        "区民政局已将{village}纳入今年长者饭堂建设计划，预计下季度开餐。",
    ),
    (
        "pf_school_safety",
        "JTJ",
        "建议{school}门口设置减速带和护学岗",
        "{road}{school}门口上下学时段车多人多，车速快，建议设置减速带、护学岗和临时停车接送区。",
        "交警部门已在学校门口施划减速标线、设置护学岗，并划设临时接送车位。",
    ),
    (
        "pf_court_lights",
        tp.VILLAGE,
        "建议{vshort}篮球场安装夜间照明",
        "{village}篮球场晚上没有灯，年轻人下班后没法打球，建议安装照明并开放到晚上十点。",
        "村居已安装照明灯具，篮球场晚上开放至十点。",
    ),
)

# 环保: (pollution type, company, route, content, reply)
ENVIRONMENT: tuple[tuple[str, str | None, str, str, str], ...] = (
    (
        "大气",
        "{company}",
        "STJ-ZF",
        "{village}{road}附近的{company}每天{time}排放刺鼻废气，附近居民开窗就能闻到，有人咳嗽头晕。",
        "环境执法人员已对该企业突击检查，发现废气处理设施未正常运行，已责令整改并立案查处。",
    ),
    (
        "水",
        "{company}",
        "STJ-ZF",
        "{village}的河涌有{company}通过暗管排放污水，河水发黑发臭，岸边有死鱼。",
        "执法人员沿河排查，已封堵排污暗管并对涉事企业立案查处，同时安排河涌清淤。",
    ),
    (
        "噪声",
        "某建筑工程有限公司",
        "ZJJ-ZF",
        "{road}{no}号附近工地{time}仍在打桩施工，噪音很大，周边居民无法休息。",
        "经夜间检查，该工地未办理夜间施工许可，已责令停止夜间作业并立案处理。",
    ),
    (
        "固废",
        None,
        "STJ-ZF",
        "{village}{road}旁空地被人倾倒大量工业固废和建筑垃圾，下雨后有黑水渗出流进河涌。",
        "已组织清运固废约{n}车并取样送检，对倾倒行为立案调查，在该处加装监控。",
    ),
    (
        "其他",
        "{shop}",
        "CGJ-ZF",
        "{road}{no}号{shop}油烟直排，没有安装油烟净化设施，楼上住户家里全是油烟味。",
        "已责令该商户限期安装油烟净化设施，整改前停止明火作业。",
    ),
)

# 空天地一体化: (change type, route, min area, max area, reply)
REMOTE_SENSING: tuple[tuple[str, str, float, float, str], ...] = (
    (
        "疑似违法建设",
        tp.OFFICE,
        80,
        600,
        "经现场核查为未经审批的新建厂房，已下达责令停止违法行为通知书并立案。",
    ),
    ("疑似耕地非农化", "NYJ", 500, 5000, "经核查为临时堆放建材，已责令当事人限期清理、恢复耕种条件。"),
    (
        "疑似违规堆土",
        tp.VILLAGE,
        200,
        2000,
        "村居已核实为道路施工临时堆土，已要求施工单位覆盖防尘网并限期清运。",
    ),
    ("河道疑似违法占用", "SLJ", 100, 800, "经核查为河道管理范围内违规搭建的棚架，已责令当事人自行拆除。"),
    ("新增彩钢棚", tp.VILLAGE, 50, 400, "经核查为居民自建雨棚，已要求当事人补办手续或拆除。"),
)

# 物联感知: (device type, id prefix, scene, unit, min, max, threshold, level, route, reply, grid event)
IOT_SCENES: tuple[tuple[str, str, str, str, float, float, float, int, str, str, str], ...] = (
    (
        "视频监控",
        "CAM",
        "积水",
        "cm",
        12,
        40,
        10,
        2,
        "SLJ",
        "已调派排涝队伍抽排积水并疏通雨水口。",
        "路面水浸",
    ),
    ("视频监控", "CAM", "占道经营", "", 0, 0, 0, 3, "CGJ-ZF", "城管执法队员已到场劝离占道摊贩。", "占道经营"),
    (
        "视频监控",
        "CAM",
        "明火",
        "",
        0,
        0,
        0,
        1,
        "YJJ",
        "已通知消防和村居到场处置，明火已扑灭。",
        "消防安全隐患",
    ),
    ("视频监控", "CAM", "违规停车", "", 0, 0, 0, 3, "JTJ", "交警已到场对违停车辆贴单并拖离。", "违规停车"),
    (
        "垃圾桶满溢传感器",
        "BIN",
        "垃圾满溢",
        "%",
        88,
        100,
        85,
        3,
        tp.VILLAGE,
        "保洁员已清运满溢垃圾并清洗收集点。",
        "垃圾满溢",
    ),
    (
        "水位传感器",
        "WL",
        "河涌水位超警戒",
        "m",
        2.6,
        3.4,
        2.5,
        2,
        "SLJ",
        "已开闸排水，河涌水位回落至警戒线以下。",
        "河涌水位异常",
    ),
    (
        "智能井盖",
        "MH",
        "井盖位移",
        "°",
        8,
        40,
        5,
        2,
        "JTJ",
        "养护单位已到场复位井盖并加装防坠网。",
        "井盖缺失或破损",
    ),
    (
        "烟感",
        "SMK",
        "烟雾浓度超标",
        "dB/m",
        0.12,
        0.4,
        0.1,
        1,
        "YJJ",
        "村居和消防已到场核查，系厨房油烟引发，已排除火情。",
        "消防安全隐患",
    ),
)


@dataclass(frozen=True)
class EventSpec:
    """A matter several channels report: the words each channel uses, and who reports it."""

    title: str
    content: str  # the hotline agent's record
    reply: str
    route: str
    grid_event: str
    grid_words: str
    police_words: str
    iot: tuple[
        str, str, str, tuple[float, float, float] | None, int
    ]  # device type, prefix, scene, reading, level
    reporters: tuple[str, ...]
    optional: tuple[str, ...] = ()
    order_type: OrderType = OrderType.HELP
    urgent: bool = False
    follow_up: str = ""
    environment: tuple[str, str | None] = ("其他", None)
    environment_words: str = ""
    remote_sensing: str = "疑似违法建设"
    # The Open311 app's report: its service code and attribute answers (when it is a reporter).
    open311: tuple[str, Open311Form] | None = None


EVENTS: dict[str, EventSpec] = {
    "burst_pipe": EventSpec(
        title="{road}{no}号自来水管爆裂路面积水",
        content="市民来电反映：{village}{road}{no}号路边自来水管爆裂，大量自来水涌出路面，路面积水严重，车辆和行人通行困难，请尽快派人抢修。",
        reply="供水公司已派抢修队到场关阀抢修，更换破损管段，路面积水已清除，供水已恢复正常。",
        route="SLJ",
        grid_event="供水管网破损",
        grid_words="巡查发现{village}{road}{no}号路边自来水管爆裂，大量自来水涌出路面，路面积水严重，已设置警示标志并通知供水公司。",
        police_words="{village}{road}{no}号路边自来水管爆裂，大量自来水涌出，路面积水严重，请供水部门抢修。",
        iot=("管网压力监测", "WP", "自来水管爆裂，管网压力骤降，路面积水", (0.05, 0.15, 0.2), 1),
        reporters=("12345", "grid", "iot"),
        optional=("police_110",),
        urgent=True,
    ),
    "open_burning": EventSpec(
        title="{village}{road}旁空地焚烧垃圾浓烟很大",
        content="市民来电反映：{village}{road}旁空地有人焚烧垃圾，明火很大，浓烟飘进附近居民楼，请尽快派人处理。",
        reply="村居和消防人员已到场扑灭明火，对焚烧垃圾的当事人进行教育，并清理现场。",
        route=tp.VILLAGE,
        grid_event="露天焚烧",
        grid_words="巡查发现{village}{road}旁空地有人焚烧垃圾，有明火和浓烟，浓烟飘进附近居民楼，已现场制止。",
        police_words="{village}{road}旁空地有人焚烧垃圾，明火很大，浓烟飘进居民楼。",
        iot=("视频监控", "CAM", "明火：空地焚烧垃圾，浓烟", None, 1),
        reporters=("iot", "police_110", "grid"),
        optional=("12345",),
        order_type=OrderType.REPORT,
        urgent=True,
    ),
    "garbage_overflow": EventSpec(
        title="{vshort}{road}垃圾收集点垃圾满溢",
        content="市民反映：{village}{road}的垃圾收集点垃圾满溢，已经两天没有清运，垃圾堆到路边，气味很大，蚊蝇滋生。",
        reply="已安排保洁公司当天清运满溢垃圾，对收集点消杀，并将清运频次增加为每日两次。",
        route=tp.VILLAGE,
        grid_event="垃圾满溢",
        grid_words="巡查发现{village}{road}的垃圾收集点垃圾满溢，垃圾堆到路边，气味很大，未及时清运。",
        police_words="{village}{road}垃圾收集点垃圾满溢堆到路边，气味很大。",
        iot=("垃圾桶满溢传感器", "BIN", "垃圾收集点垃圾满溢", (92.0, 100.0, 85.0), 3),
        reporters=("iot", "12345", "grid"),
        optional=(OPEN311_CHANNEL,),
        order_type=OrderType.COMPLAINT,
        open311=("garbage", {"attribute[waste_type][]": ["household"]}),
    ),
    "street_vendors": EventSpec(
        title="{road}{no}号附近流动摊贩占道经营",
        content="市民反映：{village}{road}{no}号附近每天傍晚有大量流动摊贩占用人行道和车道经营，交通拥堵，垃圾遍地，希望城管处理。",
        reply="城管执法队员已到场整治，劝离占道摊贩，并将该路段列入每日巡查点位。",
        route="CGJ-ZF",
        grid_event="占道经营",
        grid_words="巡查发现{village}{road}{no}号附近流动摊贩占用人行道和车道经营，交通拥堵，已现场劝导。",
        police_words="{village}{road}{no}号附近流动摊贩占道经营，堵塞交通。",
        iot=("视频监控", "CAM", "流动摊贩占道经营，占用人行道和车道", None, 3),
        reporters=("city_mgmt_hotline", "iot", "grid"),
        optional=(OPEN311_CHANNEL,),
        order_type=OrderType.REPORT,
        open311=(
            "street_vending",
            {"attribute[kind]": "mobile_vendor", "attribute[time_of_day][]": ["evening"]},
        ),
    ),
    "manhole": EventSpec(
        title="{road}{no}号人行道井盖缺失",
        content="市民来电反映：{village}{road}{no}号人行道上的井盖缺失，只用几根树枝围着，晚上很危险，请立即处理。",
        reply="已联系权属单位当天补装井盖，并对周边井盖进行排查。",
        route="JTJ",
        grid_event="井盖缺失",
        grid_words="巡查发现{village}{road}{no}号人行道井盖缺失，存在行人坠落危险，已设置临时围挡。",
        police_words="{village}{road}{no}号人行道井盖缺失，很危险。",
        iot=("智能井盖", "MH", "人行道井盖缺失，井盖位移", (20.0, 90.0, 5.0), 1),
        reporters=("iot", "12345", "grid"),
        optional=(OPEN311_CHANNEL,),
        urgent=True,
        open311=("manhole_cover", {}),
    ),
    "night_construction": EventSpec(
        title="{road}工地夜间施工噪音扰民",
        content="市民来电反映：{village}{road}附近的在建工地{time}仍在打桩施工，噪音很大，已连续多日，周边居民无法休息，询问是否办理了夜间施工许可。",
        reply="经执法人员夜间检查，该工地未办理夜间施工许可，已责令停止夜间作业并立案调查。",
        route="ZJJ-ZF",
        grid_event="夜间施工扰民",
        grid_words="巡查发现{village}{road}附近在建工地{time}仍在打桩施工，噪音很大。",
        police_words="{village}{road}附近工地夜间打桩施工，噪音扰民。",
        iot=("噪声监测", "NS", "工地夜间施工噪声超标", (68.0, 85.0, 55.0), 2),
        reporters=("12345", "district_hotline", "environment"),
        order_type=OrderType.COMPLAINT,
        follow_up="我已经打过12345，到现在还在施工，请区长过问。",
        environment=("噪声", "某建筑工程有限公司"),
        environment_words="{village}{road}附近的在建工地{time}仍在打桩施工，噪音很大，周边居民无法休息，怀疑没有夜间施工许可。",
    ),
    "illegal_building": EventSpec(
        title="{vshort}{road}旁空地违法搭建厂房",
        content="市民举报：{village}{road}旁空地有人擅自搭建简易厂房，已搭起钢架和彩钢瓦，现场未见规划许可公示。",
        reply="经核查该建筑未取得规划许可，已下达限期拆除通知书并立案处理。",
        route=tp.OFFICE,
        grid_event="违法建设",
        grid_words="巡查发现{village}{road}旁空地有人擅自搭建简易厂房，已搭起钢架和彩钢瓦，现场未见规划许可。",
        police_words="{village}{road}旁空地有人搭建厂房。",
        iot=("视频监控", "CAM", "违法搭建", None, 3),
        reporters=("remote_sensing", "grid", "12345"),
        order_type=OrderType.REPORT,
        remote_sensing="疑似违法建设：空地新建钢架厂房",
    ),
}
