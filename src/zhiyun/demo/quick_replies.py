"""The demo district's quick replies (常用语): the district center's shared set, a town's, a
village's and one handler's own — what a 12345 center really types many times a day."""

from __future__ import annotations

from zhiyun.bootstrap import Services
from zhiyun.demo.district import DEMO_ADMIN, DISTRICT_CODE
from zhiyun.domain.errors import NotFound
from zhiyun.orders.service import reference_snapshot
from zhiyun.replies.service import QuickReplyInput, QuickReplyService, Scope

# (unit code, keyword, text): the sets of the district center, 桂城街道 and 夏北社区
UNIT_REPLIES: tuple[tuple[str, str, str], ...] = (
    (
        DISTRICT_CODE,
        "回访",
        "{市民称呼}您好，这里是南海区12345热线回访。您反映的“{工单标题}”（工单编号{工单编号}）"
        "已由{承办单位}办理完毕，请问您对办理结果是否满意？",
    ),
    (
        DISTRICT_CODE,
        "办结答复",
        "{市民称呼}您好！您反映的“{工单标题}”问题，经{承办单位}核实处理，现已办结。感谢您对我区工作的关心和支持！",
    ),
    (
        DISTRICT_CODE,
        "非本单位职责",
        "经核实，该诉求不属于{本单位}职责范围，根据权责清单应由相关职能部门办理，请中心重新派单。",
    ),
    (
        DISTRICT_CODE,
        "申请延期",
        "该问题需协调多个部门共同处理，无法在原办理期限（{办理期限}）内办结，特申请延期，"
        "办理期间将与{市民称呼}保持联系。",
    ),
    (DISTRICT_CODE, "联系不上", "{今天}三次致电{市民称呼}均无人接听，已发送短信告知办理情况，请中心知悉。"),
    ("GC", "请办理", "请按职责核实处理，于{办理期限}前反馈办理结果；如非本单位职责请及时退单并说明理由。"),
    ("GC", "现场核查", "{本单位}已安排工作人员到现场核查，将尽快处理并答复{市民称呼}。"),
    ("GC-XB", "签收核实", "夏北社区已签收，正安排网格员上门核实情况，{今天}内反馈初步结果。"),
)
# (username, keyword, text): a handler's own
PERSONAL_REPLIES: tuple[tuple[str, str, str], ...] = (
    (
        "gc_xb_handler",
        "自我介绍",
        "{市民称呼}您好，我是{本单位}的{我的姓名}，您反映的问题由我跟进，有进展会第一时间告知您。",
    ),
)


def ensure_quick_replies(services: Services) -> int:
    """Seed the demo's quick replies where the district center has none yet; how many were made."""
    replies = services.get(QuickReplyService)
    org = reference_snapshot(services.orders).org
    try:
        district = org.by_code(DISTRICT_CODE).id
    except NotFound:
        return 0
    if replies.unit_set(DEMO_ADMIN, district).replies:
        return 0
    made = 0
    for order, (code, title, text) in enumerate(UNIT_REPLIES):
        unit = org.by_code(code).id
        replies.create(DEMO_ADMIN, Scope.UNIT, QuickReplyInput(title, text, sort_order=order), unit_id=unit)
        made += 1
    users = {u.username: u for u in services.accounts.list_users()}
    for username, title, text in PERSONAL_REPLIES:
        if username in users:
            replies.create(users[username].actor(), Scope.PERSONAL, QuickReplyInput(title, text))
            made += 1
    return made
