"""What citizens of the demo district ask about: topics with Chinese titles, contents and replies.

Each topic says which order type it usually is, where it is handled (a village, a town
office or a district department), whether it happens at a place (address and coordinates),
and gives templates filled per order. Used by the seeder and by the live simulator.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from zhiyun.domain.workorder import OrderType

# Routes: "village" (district → town → village), "office" (district → town → town office,
# falling back to a village where the town has no office), or a department code.
VILLAGE = "village"
OFFICE = "office"


@dataclass(frozen=True)
class Variant:
    """One way a matter is reported: its title, the citizen's words and the unit's reply."""

    title: str
    content: str
    reply: str


@dataclass(frozen=True)
class Topic:
    key: str
    order_type: OrderType
    routes: tuple[str, ...]
    variants: tuple[Variant, ...]
    weight: int = 10
    located: bool = True
    urgent_share: float = 0.03
    answer: str | None = None  # a consultation answered on the phone (即时办结)
    channels: tuple[str, ...] = ("12345", "district_hotline")


def _t(
    key: str, order_type: OrderType, routes: tuple[str, ...], *variants: tuple[str, str, str], **kw: object
) -> Topic:
    return Topic(key, order_type, routes, tuple(Variant(*v) for v in variants), **kw)  # type: ignore[arg-type]


GRID = ("12345", "district_hotline", "grid")

TOPICS: tuple[Topic, ...] = (
    _t(
        "streetlight",
        OrderType.HELP,
        (OFFICE, VILLAGE),
        (
            "{road}路灯不亮",
            "市民来电反映：{town}{village}{road}{no}号附近约{n}盏路灯已连续{days}天不亮，晚上行人和电动车通行很不安全，希望尽快派人维修。",
            "经核查，该路段路灯因线路老化损坏，已安排维修人员更换灯具及线路，现已恢复照明，并已电话告知市民。",
        ),
        (
            "{village}路灯时亮时灭",
            "市民反映{village}{road}与{road2}交界处的路灯时亮时灭，夜间视线很差，前几天有老人在此摔倒，请相关部门尽快处理。",
            "已联系路灯维护单位到场检修，更换损坏的镇流器{n}个，路灯已恢复正常。",
        ),
        weight=14,
        channels=GRID,
    ),
    _t(
        "nightlife_noise",
        OrderType.COMPLAINT,
        ("GAJ", VILLAGE),
        (
            "{road}{shop}深夜喧哗",
            "市民反映{village}{road}{no}号的{shop}{time}仍在营业，客人大声喧哗、划拳，严重影响附近居民休息，多次劝说无果，要求处理。",
            "辖区派出所已到场核查，对{shop}负责人进行了批评教育，责令其控制客人喧哗，后续将加强夜间巡查。",
        ),
        (
            "{shop}夜间噪音扰民",
            "来电人称其居住在{village}，楼下{shop}{time}播放音乐声音很大，家中老人小孩无法入睡，希望有关部门管一管。",
            "经现场核实情况属实，已约谈经营者并签订承诺书，要求晚上十点后降低音量，村居将持续跟进。",
        ),
        weight=10,
        channels=("12345", "police_110", "district_hotline"),
    ),
    _t(
        "square_dance",
        OrderType.COMPLAINT,
        (VILLAGE,),
        (
            "{vshort}文化广场广场舞音响太大",
            "市民反映{village}文化广场每天晚上七点至九点半有广场舞，音响声音开得很大，附近居民家中学生无法学习，希望协调降低音量。",
            "村居工作人员已与广场舞队负责人沟通，双方约定音量控制在规定范围内并于晚上九点前结束，已将协调结果告知来电人。",
        ),
        (
            "{road}广场舞噪音扰民",
            "来电人反映{village}{road}边的空地{time}有人跳广场舞，音箱噪音很大，希望村居出面协调。",
            "已到现场劝导，广场舞队同意更换为小功率音箱，活动时间调整为晚上八点半前结束。",
        ),
        weight=6,
    ),
    _t(
        "construction_noise",
        OrderType.COMPLAINT,
        ("ZJJ-ZF", "STJ-ZF"),
        (
            "{road}工地夜间施工噪音",
            "市民反映{town}{road}附近的在建工地{time}仍在打桩、浇筑混凝土，噪音很大，已连续多日，严重影响周边居民休息，询问是否办理了夜间施工许可。",
            "经执法人员夜间现场检查，该工地未办理夜间施工许可，已责令立即停止夜间作业并立案调查，后续将加强夜间巡查。",
        ),
        (
            "{vshort}楼盘工地夜间施工扬尘大",
            "来电人称{village}旁边的楼盘工地夜间施工，泥头车进出频繁，噪音和扬尘都很大，要求查处。",
            "核查发现该工地持有混凝土连续浇筑的夜间施工证明，已要求其落实降噪抑尘措施、提前公告周边居民，并控制泥头车进出时间。",
        ),
        weight=9,
    ),
    _t(
        "illegal_parking",
        OrderType.REPORT,
        ("JTJ", "GAJ", OFFICE),
        (
            "{road}{no}号附近车辆占用消防通道",
            "市民反映{village}{road}{no}号附近长期有车辆停放在人行道和消防通道上，行人只能走机动车道，存在安全隐患，希望加强管理。",
            "已对该路段违停车辆依法贴单处罚，并协调加装隔离桩、施划禁停标线，违停现象明显减少。",
        ),
        (
            "{road}高峰期车辆违停拥堵",
            "来电人反映{road}路段早晚高峰有大量车辆违停，造成严重拥堵，公交车无法进站，请交警部门处理。",
            "交警中队已安排警力在早晚高峰到现场开展违停整治，并协调设置禁停标志。",
        ),
        weight=9,
        channels=("12345", "police_110", "grid"),
    ),
    _t(
        "street_vendor",
        OrderType.REPORT,
        ("CGJ-ZF", OFFICE),
        (
            "{road}流动摊贩占道经营",
            "市民反映{village}{road}{no}号附近每天傍晚有大量流动摊贩占用人行道和车道经营，垃圾遍地，交通拥堵，希望城管处理。",
            "城管执法队员已到场整治，劝离占道摊贩{n}个，暂扣经营工具一批，并引导摊贩进入规范经营区域。",
        ),
        (
            "{vshort}市场周边摊档占道",
            "网格员巡查发现{village}{road}一带有{n}个水果、小吃摊档占道经营，已现场劝导，摊贩仍未离开，上报处理。",
            "已会同村居开展联合整治，并将该路段列入每日巡查点位，目前占道经营现象已消除。",
        ),
        weight=8,
        channels=("12345", "grid", "city_mgmt_hotline"),
    ),
    _t(
        "garbage",
        OrderType.COMPLAINT,
        (VILLAGE, "CGJ-HW"),
        (
            "{vshort}{road}垃圾收集点清运不及时",
            "市民反映{village}{road}的垃圾收集点已经{days}天没有清运，垃圾满溢、气味很大，蚊蝇滋生，希望尽快清理。",
            "已安排保洁公司当天清运垃圾，并对收集点进行消杀，同时增加该点位的清运频次为每日两次。",
        ),
        (
            "{village}装修垃圾乱堆放",
            "来电人反映{village}{road}{no}号旁边空地被人倾倒了大量装修垃圾，占用通道，请相关部门清理并查处。",
            "已组织人员清理建筑垃圾约{n}车，并在该处设置监控和警示牌，防止再次乱倒。",
        ),
        weight=9,
        channels=GRID,
    ),
    _t(
        "water_supply",
        OrderType.HELP,
        ("SLJ", VILLAGE),
        (
            "{vshort}停水未提前通知",
            "市民反映{village}一带从今天早上起停水，事先没有收到任何通知，家中老人做饭用水困难，询问何时恢复供水。",
            "经联系供水公司，停水原因为管网抢修，已于当晚恢复供水；已要求供水公司今后计划停水须提前公告。",
        ),
        (
            "{road}自来水管爆裂",
            "来电人称{village}{road}{no}号路边自来水管爆裂，大量自来水涌出路面，请尽快派人抢修。",
            "供水公司已派抢修队到场关阀抢修，更换破损管段，供水已恢复正常。",
        ),
        (
            "{village}水压低高层无水",
            "市民反映居住的{village}小区近一周水压很低，六楼以上基本无水，希望供水部门排查原因。",
            "经排查为片区加压泵站故障，已维修完毕，小区水压已恢复正常。",
        ),
        weight=8,
        urgent_share=0.3,
    ),
    _t(
        "school_enrollment",
        OrderType.CONSULT,
        ("JYJ",),
        (
            "咨询{year}年积分入学材料",
            "市民咨询：孩子今年满六周岁，户籍在外地，父母在{town}务工并缴纳社保，想了解积分入学需要准备哪些材料、什么时候报名。",
            "区教育局已电话回复：积分入学报名时间为每年4月，需准备居住证、社保缴纳证明、房屋租赁或产权证明等材料，详见区教育局官网公告。",
        ),
        (
            "咨询{school}招生范围",
            "家长来电咨询{school}今年的招生地段范围，以及房产证未办好的情况下能否报名。",
            "已回复家长：{school}招生地段以当年公布的招生简章为准，购房合同已备案的可凭备案证明报名。",
        ),
        weight=8,
        located=False,
        answer="已告知市民：积分入学报名时间为每年4月，需准备居住证、社保缴纳证明、居住证明等材料，具体以区教育局当年公告为准。",
    ),
    _t(
        "medical_insurance",
        OrderType.CONSULT,
        ("YBJ",),
        (
            "咨询城乡居民医保缴费",
            "市民咨询{year}年度城乡居民基本医疗保险的缴费时间、缴费标准，以及家中老人能否通过手机缴费。",
            "区医保局已回复：城乡居民医保集中缴费期为每年9月至12月，可通过“粤税通”小程序或银行网点缴费，老人可由家属代缴。",
        ),
        (
            "新生儿医保参保咨询",
            "来电人咨询孩子刚出生，如何办理城乡居民医保参保，需要什么材料。",
            "已告知市民：新生儿可凭出生医学证明在村居服务站或线上办理参保，出生90天内参保的可享受出生当日起的待遇。",
        ),
        (
            "咨询医保异地就医备案",
            "市民咨询父母长期在外地居住，看病如何办理异地就医备案，报销比例是多少。",
            "已告知市民：可通过国家医保服务平台App办理异地长期居住备案，备案后在就医地直接结算，报销比例按参保地政策执行。",
        ),
        weight=8,
        located=False,
        answer="已告知市民：城乡居民医保集中缴费期为每年9月至12月，可通过“粤税通”小程序、银行网点缴费，困难人员由政府资助参保。",
    ),
    _t(
        "social_security",
        OrderType.CONSULT,
        ("RSJ",),
        (
            "咨询退休手续办理",
            "市民咨询：本人下个月达到退休年龄，在{town}参保{n}0年，想了解办理退休需要哪些材料、养老金如何计算。",
            "区人社局已回复：退休可通过“广东人社”小程序或社保经办窗口申请，需提供身份证、社保卡等材料，养老金按缴费年限和缴费基数计算。",
        ),
        (
            "社保转移接续咨询",
            "来电人咨询从外省换工作到南海，原来的养老保险如何转移过来。",
            "已告知市民：养老保险关系转移可在新参保地直接申请，无需回原参保地办理。",
        ),
        weight=5,
        located=False,
        answer="已告知市民：退休可通过“广东人社”小程序或社保经办窗口申请，材料为身份证和社保卡，养老金按缴费年限和缴费基数计算。",
    ),
    _t(
        "wage_arrears",
        OrderType.HELP,
        ("RSJ-JC",),
        (
            "{company}拖欠工资",
            "市民求助：本人在{town}{company}工作，公司已拖欠{n}个月工资共约{money}元，多次催讨无果，请求帮助追讨。",
            "劳动保障监察大队已约谈该公司负责人，公司承诺分期支付拖欠工资，首期款项已到账，将持续跟踪。",
        ),
        (
            "工地拖欠农民工工资",
            "来电人称与{n}名工友在{village}附近的工地做工，包工头拖欠工资后失联，请求劳动监察部门介入。",
            "经调查核实，已责令总承包单位先行垫付工人工资共计{money}元，工人已全部领取。",
        ),
        weight=6,
        located=False,
    ),
    _t(
        "food_safety",
        OrderType.REPORT,
        ("SJJ-JC",),
        (
            "{shop}后厨卫生差",
            "市民举报{village}{road}{no}号的{shop}后厨卫生很差，老鼠蟑螂多，员工没有健康证，吃后出现腹泻，要求查处。",
            "市场监管部门已到场检查，责令该店立即整改后厨卫生，对未持健康证上岗的员工依法处理，并立案调查。",
        ),
        (
            "举报{vshort}无证食品作坊",
            "来电人反映{village}一处出租屋内有人无证生产腊肠、凉茶等食品，环境脏乱，并在附近市场销售。",
            "执法人员现场查获无证生产的食品一批，已依法查封扣押并立案查处。",
        ),
        weight=6,
    ),
    _t(
        "consumer_dispute",
        OrderType.COMPLAINT,
        ("SJJ",),
        (
            "健身房预付卡无法退款",
            "市民投诉：在{village}附近的健身房办理了年卡{money}元，现健身房突然关门，无法联系老板退款，请求帮助。",
            "经调解，经营者同意按剩余期限退还部分费用，消费者表示接受。",
        ),
        (
            "{shop}商品质量纠纷",
            "来电人反映在{shop}购买的商品存在质量问题，商家拒绝退换，要求维权。",
            "已组织双方调解，商家同意退货退款。",
        ),
        weight=5,
        located=False,
    ),
    _t(
        "road_damage",
        OrderType.HELP,
        ("JTJ", OFFICE, VILLAGE),
        (
            "{road}路面坑洼",
            "市民反映{village}{road}{no}号附近路面坑洼不平，下雨积水后看不清，已有电动车在此摔倒，希望尽快修补。",
            "已安排道路养护单位对坑洼路面进行修补，共修补面积约{n}0平方米，路面已恢复平整。",
        ),
        (
            "{vshort}人行道井盖缺失",
            "来电人称{village}{road}人行道上有一个井盖缺失，只用几根树枝围着，晚上很危险，请立即处理。",
            "已联系权属单位当天补装井盖，并对周边井盖进行排查。",
        ),
        weight=8,
        urgent_share=0.25,
        channels=GRID,
    ),
    _t(
        "illegal_building",
        OrderType.REPORT,
        (OFFICE, "ZJJ-ZF", VILLAGE),
        (
            "{vshort}楼顶违章加建",
            "市民举报{village}{road}{no}号业主正在楼顶加建铁皮房，已搭起钢架，影响楼宇安全，请尽快制止。",
            "执法人员已到场责令停工，当事人已自行拆除加建部分，将继续跟踪巡查。",
        ),
        (
            "{road}旁空地违法搭建厂房",
            "网格员巡查发现{village}{road}旁空地有人擅自搭建简易厂房，面积约{n}00平方米，现场未见规划许可，上报处理。",
            "经核查该建筑未取得规划许可，已下达限期拆除通知书并立案处理。",
        ),
        weight=7,
        channels=GRID,
    ),
    _t(
        "river_pollution",
        OrderType.COMPLAINT,
        ("STJ-ZF", "SLJ"),
        (
            "{vshort}河涌黑臭有污水排入",
            "市民反映{village}的河涌近期水体发黑发臭，并有不明污水从暗管排入，附近居民不敢开窗，请相关部门调查。",
            "执法人员沿河排查，发现一处小作坊偷排废水，已封堵排污口并立案查处，同时安排清淤保洁。",
        ),
        (
            "河涌漂浮大量垃圾",
            "来电人称{village}{road}旁边的河涌漂浮着大量生活垃圾和死鱼，气味难闻。",
            "已安排河道保洁队打捞漂浮物，并将该河段纳入每日巡河范围。",
        ),
        weight=5,
    ),
    _t(
        "factory_smell",
        OrderType.COMPLAINT,
        ("STJ-ZF",),
        (
            "{company}废气扰民",
            "市民反映{village}附近的{company}经常在{time}排放刺鼻废气，附近居民出现咳嗽、头晕，要求环保部门查处。",
            "环境执法人员已对该企业进行突击检查，发现废气处理设施未正常运行，已责令整改并立案处罚。",
        ),
        (
            "{road}喷涂厂油漆味重",
            "来电人称{road}一带的喷涂厂没有废气处理设施，油漆味很重。",
            "经监测，该企业排放浓度达标，已要求企业加强设施运维并调整生产时间，减少对周边影响。",
        ),
        weight=5,
    ),
    _t(
        "elderly_subsidy",
        OrderType.CONSULT,
        ("MZJ",),
        (
            "咨询高龄老人津贴申领",
            "市民咨询家中老人今年满{age}岁，如何申领高龄津贴，需要带什么材料到哪里办理。",
            "区民政局已回复：高龄津贴可由本人或家属到村居服务站申请，提供身份证、户口本和银行账户即可。",
        ),
        (
            "咨询低保申请条件",
            "来电人咨询家庭收入较低，申请最低生活保障需要满足什么条件。",
            "已告知市民低保申请条件及办理流程，可到户籍所在镇街社会事务办申请。",
        ),
        weight=5,
        located=False,
        answer="已告知市民：80周岁以上老人可持身份证、户口本、银行账户到村居服务站申领高龄津贴，次月起发放。",
    ),
    _t(
        "hospital_service",
        OrderType.COMPLAINT,
        ("WJJ",),
        (
            "投诉医院候诊时间过长",
            "市民投诉在{town}某医院就诊，挂号后等候超过{n}小时，期间多次询问无人答复，要求改进。",
            "区卫健局已督促该医院优化预约分时段就诊，增加高峰时段医生，并向市民致歉。",
        ),
        (
            "社区卫生服务站服务态度差",
            "来电人反映{village}社区卫生服务站工作人员服务态度差，对老人不耐烦。",
            "已约谈服务站负责人，对涉事人员进行批评教育，并开展服务礼仪培训。",
        ),
        weight=4,
        located=False,
    ),
    _t(
        "bus_route",
        OrderType.SUGGESTION,
        ("JTJ",),
        (
            "建议开通{vshort}至地铁站接驳公交",
            "市民建议：{village}居民到最近的地铁站需要步行二十多分钟，建议开通接驳公交或延长现有线路。",
            "区交通运输局已将该建议纳入公交线网优化方案研究，计划下季度开通微循环线路。",
        ),
        (
            "建议{road}公交高峰加密班次",
            "来电人建议{road}方向的公交线路高峰期加密班次，目前等车经常超过半小时。",
            "已协调公交企业在早晚高峰加密班次，发车间隔缩短至15分钟。",
        ),
        weight=4,
        located=False,
    ),
    _t(
        "gov_service",
        OrderType.COMPLAINT,
        ("ZSJ",),
        (
            "投诉行政服务中心排队久",
            "市民投诉到{town}行政服务中心办理业务，取号后等待了{n}个小时，窗口开放不足，要求改进。",
            "区政数局已协调增开高峰时段窗口，并推行预约办理，市民表示理解。",
        ),
        (
            "网上办事系统无法提交",
            "来电人反映在“粤省事”上办理业务时系统一直提示错误，无法提交材料。",
            "经排查为系统接口故障，已修复，已指导市民重新提交。",
        ),
        weight=3,
        located=False,
    ),
    _t(
        "fire_hazard",
        OrderType.REPORT,
        ("YJJ", OFFICE),
        (
            "{vshort}出租屋楼道电动车充电",
            "市民举报{village}{road}{no}号出租屋内有人在楼道给电动车充电，线路乱拉，存在严重火灾隐患。",
            "已会同消防、村居开展联合检查，清理楼道电动车{n}辆，责令房东设置集中充电点。",
        ),
        (
            "{shop}违规存放液化气瓶",
            "来电人反映{road}的{shop}门口堆放多个液化气瓶，靠近居民楼，担心发生危险。",
            "执法人员已到场检查，责令商户将气瓶移至专用储存间，并开展燃气安全宣传。",
        ),
        weight=6,
        urgent_share=0.3,
        channels=("12345", "grid", "police_110"),
    ),
    _t(
        "farmland",
        OrderType.HELP,
        ("NYJ",),
        (
            "{vshort}鱼塘死鱼求助",
            "养殖户求助：{village}的鱼塘近两天出现大量死鱼，怀疑水质问题，请求农业部门派技术人员指导。",
            "区农业农村局已派技术人员到场取样检测，指导养殖户增氧换水、科学投药，死鱼情况已好转。",
        ),
        (
            "{vshort}农田灌溉水渠堵塞",
            "村民反映{village}农田的灌溉水渠被杂物堵塞，影响耕种，请求疏通。",
            "已协调村委组织人员疏通水渠，灌溉已恢复。",
        ),
        weight=3,
    ),
    _t(
        "rental_housing",
        OrderType.COMPLAINT,
        (VILLAGE,),
        (
            "{vshort}出租屋群租扰民",
            "市民反映{village}{road}{no}号出租屋隔成十几个单间群租，人员进出复杂，噪音大，希望村居管理。",
            "村居已上门核查并约谈房东，责令整改群租问题，并纳入出租屋重点管理。",
        ),
        (
            "房东不退押金",
            "来电人称退租时房东无故扣留押金{money}元，多次沟通无果，请求村居调解。",
            "经村居调解，房东已退还押金。",
        ),
        weight=5,
    ),
    _t(
        "praise",
        OrderType.PRAISE,
        (VILLAGE,),
        (
            "表扬{village}工作人员",
            "市民来电表扬{village}工作人员，上周家中老人走失，村居工作人员连夜帮忙寻找，最终平安找回，特此致谢。",
            "已将市民的表扬转达相关工作人员，并在单位内部通报表扬。",
        ),
        (
            "感谢{vshort}网格员热心帮助",
            "来电人表扬{village}网格员主动帮助独居老人联系维修漏水的水管，服务热情周到。",
            "已将表扬转达网格员本人，并在村居内部通报表扬。",
        ),
        weight=3,
        located=False,
    ),
)

SHOPS = (
    "旺记大排档",
    "好再来烧烤",
    "金曲KTV",
    "明记茶餐厅",
    "兴旺五金店",
    "阿强士多店",
    "丰泰汽修厂",
    "美佳便利店",
    "老表宵夜",
    "鸿运酒家",
)
COMPANIES = ("某五金制品厂", "某铝型材厂", "某家具厂", "某纺织有限公司", "某陶瓷厂", "某喷涂加工厂")
TIMES = ("晚上十一点后", "凌晨一两点", "晚上十点到凌晨", "每天早上六点前", "深夜十二点")
# mainland mobile prefixes (China Mobile, Unicom, Telecom)
MOBILE_PREFIXES = (130, 133, 135, 136, 137, 138, 139, 150, 151, 158, 159, 177, 186, 188, 189)

RETURN_REASONS = (
    "经核实，该地址不在本辖区范围内，请重新派单。",
    "该事项不属于本单位职责范围，建议派往相关职能部门。",
    "诉求地址不详，无法核实，请补充具体位置后重新派单。",
)
EXTENSION_REASONS = (
    "需协调供电、供水等多个单位共同处理，施工周期较长，申请延期。",
    "涉及多部门联合执法，需等待调查结果，申请延长办理期限。",
    "需走采购流程更换设施，预计需要较长时间，申请延期。",
)
REFUSE_EXTENSION = "该问题较简单，请按原期限办结。"
SUSPENSION_REASONS = (
    "诉求人出差在外，要求待其返回后再上门核实，申请挂起。",
    "该事项已进入司法程序，需等待法院判决结果，申请挂起。",
)
REWORK_NOTES = (
    "回复内容过于简单，未说明具体处理结果，请补充现场照片后重新回复。",
    "回复与诉求不对应，请核实后重新办理。",
)
SUPERVISE_NOTES = ("该问题群众反映强烈，请承办单位高度重视，限期办结。", "此件已多次来电，请加快办理进度。")
INSTRUCT_NOTES = (
    "请相关单位高度重视，务必本周内解决并向我报告处理结果。",
    "请区智运中心牵头，相关部门和镇街配合，举一反三做好排查。",
)
URGE_NOTES = ("该工单即将超时，请尽快办理。", "请加快办理进度并及时反馈。")
CALLBACK_NOTES = {
    "satisfied": "回访市民，对处理结果表示满意。",
    "basically_satisfied": "回访市民，表示问题基本解决，基本满意。",
    "unsatisfied": "回访市民，表示问题仍未解决，不满意。",
    "unreachable": "回访电话无人接听。",
}
CANCEL_NOTES = {
    "invalid": "来电人表示问题已自行解决，诉求无效。",
    "harassment": "来电人多次来电无实质诉求内容，属骚扰来电。",
    "out_of_scope": "该诉求属于民事纠纷，已告知诉求人通过法律途径解决，不属受理范围。",
}


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(_Fill(values))


def phone(rng: random.Random) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def pick_topic(rng: random.Random) -> Topic:
    return rng.choices(TOPICS, weights=[t.weight for t in TOPICS])[0]


CHANNEL_LABELS = {
    "12345": "12345市长直通车",
    "district_hotline": "区长直通车",
    "grid": "网格化平台",
    "police_110": "110非警务警情转办",
    "city_mgmt_hotline": "城管热线",
    "online_opinion": "网络舆情",
    "people_first": "我为群众办实事平台",
}
GRID_REPORT = "网格员巡查发现"
_CALLER = re.compile(
    r"^(市民来电反映|市民反映|来电人反映|来电人称|市民举报|市民投诉|市民求助|市民建议|市民咨询|"
    r"养殖户求助|村民反映|家长来电咨询|来电人咨询|来电人建议|市民来电表扬|来电人表扬)[：:，,]?"
)


_PATROL = re.compile(r"^(网格员)?巡查(时)?发现[：:，,]?")


def is_patrol_report(content: str) -> bool:
    """Whether a variant's words are a grid worker's (网格员巡查发现…) rather than a citizen's."""
    return content.startswith(GRID_REPORT)


def as_citizen_report(content: str) -> str:
    """A grid worker's words retold as a citizen's report (网格员巡查发现X → 市民反映X); others unchanged."""
    return "市民反映" + content[len(GRID_REPORT) :] if is_patrol_report(content) else content


def patrol_finding(content: str) -> str:
    """What was found, without any opening (网格员巡查发现…, 巡查发现…, 市民反映：…): a grid
    report's description puts its own "巡查发现" in front, once."""
    return _PATROL.sub("", citizen_words(content)).lstrip("：:，, ")


def compose(topic: Topic, variant: Variant, channel: str, values: dict[str, str]) -> tuple[str, str, str]:
    """(title, content, channel) of an order: the words follow the channel it came in by."""
    title = fill(variant.title, values)
    content = fill(variant.content, values)
    if is_patrol_report(content):
        if "grid" in topic.channels:
            return title, content, "grid"
        content = as_citizen_report(content)
    if channel == "grid":
        return title, f"{GRID_REPORT}：{_CALLER.sub('', content)}", channel
    if channel == "online_opinion":
        return title, f"网民在本地论坛发帖反映：{_CALLER.sub('', content)}", channel
    if channel == "police_110":
        return title, f"110转办：{content}", channel
    return title, content, channel


# --------------------------------------------------------------------------- live traffic (demo/traffic/)


def citizen_words(content: str) -> str:
    """What the citizen said, without the hotline agent's opening (市民反映：…)."""
    return _CALLER.sub("", content).lstrip("：:，, ")


# Matters that come and go with the seasons (not seeded: the seeded history keeps TOPICS).
SEASONAL_TOPICS: tuple[Topic, ...] = (
    _t(
        "graduate_registration",
        OrderType.CONSULT,
        ("RSJ",),
        (
            "咨询{year}届毕业生报到手续",
            "市民咨询：孩子今年从外省高校毕业，户籍在{town}，想了解回南海办理毕业生就业报到需要带哪些材料，报到证取消后还要不要去报到。",
            "区人社局已回复：报到证已取消，毕业生可通过“广东人社”小程序或区人才服务窗口办理就业报到登记，需提供身份证、毕业证书和就业协议（如有）。",
        ),
        (
            "毕业生档案去向查询",
            "来电人称今年7月大学毕业，学校说档案已经寄回生源地，但不知道档案现在在哪里，询问如何查询和接收毕业生档案。",
            "已告知市民：可通过广东省人才档案信息查询平台查询档案去向，档案转回后由区人才服务中心接收，可凭身份证到窗口查询。",
        ),
        (
            "应届毕业生档案托管和落户咨询",
            "市民咨询应届毕业生在{town}就业，毕业生档案能否托管在区人才服务中心，办理落户需要什么条件。",
            "区人社局已回复：应届毕业生可申请档案免费托管；落户按佛山市人才入户政策办理，可在“佛山人社”公众号查询。",
        ),
        weight=2,
        located=False,
        answer="已告知市民：毕业生就业报到可通过“广东人社”小程序或区人才服务窗口办理，档案由区人才服务中心接收。",
    ),
)

# What a typhoon day brings: fallen trees, flooding, power cuts, loose signboards (all urgent).
TYPHOON_TOPICS: tuple[Topic, ...] = (
    _t(
        "fallen_tree",
        OrderType.HELP,
        (VILLAGE, "CGJ"),
        (
            "{road}大树被台风吹倒拦路",
            "市民来电反映：台风过境，{village}{road}{no}号附近一棵大树被吹倒，横在马路中间，车辆无法通行，还压住了路边的电线，请尽快派人清理。",
            "已组织园林绿化队伍到场清理倒伏树木，道路已恢复通行，并通知供电部门检查受压线路。",
        ),
        (
            "{vshort}台风吹倒树木压住车辆",
            "来电人称{village}{road}旁的行道树被台风连根拔起，压住了两辆停在路边的小车，树枝挡住了人行道，请求紧急处理。",
            "已调派吊车和园林工人到场移除倒伏树木，受损车辆已由车主联系保险处理，现场已清理完毕。",
        ),
        weight=10,
        urgent_share=1.0,
    ),
    _t(
        "flooding",
        OrderType.HELP,
        ("SLJ", VILLAGE),
        (
            "{village}{road}水浸严重",
            "市民来电反映：台风带来暴雨，{village}{road}一带水浸到膝盖，低洼处的商铺已经进水，排水口被杂物堵住，请求紧急排涝。",
            "已调派排涝抢险队伍和移动泵车到场抽排积水，清理排水口杂物，积水已退去。",
        ),
        (
            "{road}下穿隧道积水车辆熄火",
            "来电人称台风暴雨导致{road}下穿隧道积水很深，已有小车熄火被困，请尽快封闭隧道并抽水。",
            "交警已临时封闭隧道，排涝队伍抽排积水后恢复通行，被困车辆已拖离。",
        ),
        weight=10,
        urgent_share=1.0,
    ),
    _t(
        "power_cut",
        OrderType.HELP,
        (VILLAGE, "YJJ"),
        (
            "{vshort}台风后大面积停电",
            "市民来电反映：台风过后{village}一带停电已经超过{n}个小时，家里有老人用制氧机，冰箱里的东西也坏了，请帮忙联系供电部门尽快抢修。",
            "已联系供电局抢修队，故障线路已修复，{village}已恢复供电。",
        ),
        (
            "{road}电线被台风刮断",
            "来电人称{village}{road}{no}号附近的电线被台风刮断垂到地面，周边停电，担心有人触电，请尽快处理。",
            "供电抢修人员已到场断电处置并重新架设线路，已恢复供电，现场安全隐患已消除。",
        ),
        weight=7,
        urgent_share=1.0,
    ),
    _t(
        "loose_signboard",
        OrderType.REPORT,
        ("CGJ-ZF", VILLAGE),
        (
            "{road}广告牌被台风吹得松脱",
            "市民来电反映：台风导致{village}{road}{no}号商铺的广告牌松脱，随风摇晃，随时可能掉下来砸到行人，请尽快处理。",
            "已会同城管执法人员和村居到场拆除松脱的广告牌，并在周边设置警戒。",
        ),
        weight=4,
        urgent_share=1.0,
    ),
)

# Seasonal weights: 每年4月前后入学报名，7月前后毕业生报到，11月城乡居民医保缴费 (seed article).
SEASONS: dict[str, dict[int, float]] = {
    "school_enrollment": {3: 2.5, 4: 8.0, 5: 3.0, 8: 1.5},
    "graduate_registration": {6: 3.0, 7: 10.0, 8: 3.0},
    "medical_insurance": {9: 2.0, 10: 2.5, 11: 8.0, 12: 3.0},
}
SEASON_LABELS = {4: "入学报名季", 7: "毕业生报到季", 11: "城乡居民医保缴费季"}


def season_factor(topic_key: str, month: int) -> float:
    """How much more often a matter is reported in `month` than usual."""
    return SEASONS.get(topic_key, {}).get(month, 1.0)


# The category (catalog/data/taxonomy.csv) of each topic: the label of the seeded history
# that the first classifier is trained on (demo/dispatch_setup.py).
TOPIC_CATEGORIES: dict[str, str] = {
    "streetlight": "CX0101",
    "nightlife_noise": "GA01",
    "square_dance": "CG05",
    "construction_noise": "CX0201",
    "illegal_parking": "JT02",
    "street_vendor": "CG0401",
    "garbage": "CG0101",
    "water_supply": "CX0102",
    "school_enrollment": "JY01",
    "medical_insurance": "WS02",
    "social_security": "LD02",
    "wage_arrears": "LD01",
    "food_safety": "SJ01",
    "consumer_dispute": "SJ02",
    "road_damage": "CX0103",
    "illegal_building": "CX0202",
    "river_pollution": "HB01",
    "factory_smell": "HB02",
    "elderly_subsidy": "MZ02",
    "hospital_service": "WS01",
    "bus_route": "JT01",
    "gov_service": "ZW02",
    "fire_hazard": "GA02",
    "farmland": "NY01",
    "rental_housing": "CX0302",
    "praise": "ZW04",
    "graduate_registration": "LD03",
    "fallen_tree": "CG0102",
    "flooding": "CX0102",
    "power_cut": "GA04",
    "loose_signboard": "CG0201",
}
