"""The work order's choice sets and their Chinese labels.

The status of an order, what the citizen asks for, how urgent it is, the callback's
rating, why an order is cancelled; and the codes of the audit trail: `Action` (what a user
does to an order) and `SystemEvent` (what no life-cycle command does).
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life cycle."""

    PENDING_DISPATCH = "pending_dispatch"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    REPLIED = "replied"
    AWAITING_CALLBACK = "awaiting_callback"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MERGED = "merged"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self]

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


STATUS_LABELS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_DISPATCH: "待分拨",
    OrderStatus.DISPATCHED: "待签收",
    OrderStatus.IN_PROGRESS: "办理中",
    OrderStatus.SUSPENDED: "已挂起",
    OrderStatus.REPLIED: "待审核",
    OrderStatus.AWAITING_CALLBACK: "待回访",
    OrderStatus.CLOSED: "已归档",
    OrderStatus.CANCELLED: "已撤销",
    OrderStatus.MERGED: "已合并",
}

STATUS_COLOURS: dict[OrderStatus, str] = {
    OrderStatus.PENDING_DISPATCH: "orange",
    OrderStatus.DISPATCHED: "amber",
    OrderStatus.IN_PROGRESS: "blue",
    OrderStatus.SUSPENDED: "grey",
    OrderStatus.REPLIED: "purple",
    OrderStatus.AWAITING_CALLBACK: "teal",
    OrderStatus.CLOSED: "green",
    OrderStatus.CANCELLED: "dark-grey",
    OrderStatus.MERGED: "dark-grey",
}

TERMINAL_STATUSES = frozenset({OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.MERGED})
OPEN_STATUSES = frozenset(OrderStatus) - TERMINAL_STATUSES


class OrderType(StrEnum):
    """What the citizen asks for."""

    CONSULT = "consult"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"

    @property
    def label(self) -> str:
        return {
            "consult": "咨询",
            "help": "求助",
            "complaint": "投诉",
            "report": "举报",
            "suggestion": "建议",
            "praise": "表扬",
        }[self.value]


class Urgency(StrEnum):
    """How fast the order must move."""

    NORMAL = "normal"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"normal": "一般", "urgent": "紧急"}[self.value]


class Satisfaction(StrEnum):
    """The citizen's rating at callback (回访)."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    UNREACHABLE = "unreachable"

    @property
    def label(self) -> str:
        return {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "unsatisfied": "不满意",
            "unreachable": "联系不上",
        }[self.value]


class CancelReason(StrEnum):
    """Why an order is cancelled (撤销 / 无效件)."""

    INVALID = "invalid"
    HARASSMENT = "harassment"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label(self) -> str:
        return {"invalid": "无效诉求", "harassment": "骚扰来电", "out_of_scope": "非受理范围"}[self.value]


class Action(StrEnum):
    """Everything a user can do to an order; each is one audited transition."""

    REGISTER = "register"
    RESOLVE_ON_INTAKE = "resolve_on_intake"
    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    SIGN = "sign"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    REQUEST_SUSPENSION = "request_suspension"
    DECIDE_SUSPENSION = "decide_suspension"
    RESUME = "resume"
    REPLY = "reply"
    REVIEW = "review"
    CALLBACK = "callback"
    CLOSE = "close"
    CANCEL = "cancel"
    MERGE = "merge"
    SUPERVISE = "supervise"
    URGE = "urge"
    INSTRUCT = "instruct"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.REGISTER: "受理",
    Action.RESOLVE_ON_INTAKE: "即时办结",
    Action.DISPATCH: "派单",
    Action.REDISPATCH: "改派",
    Action.SIGN: "签收",
    Action.RETURN: "退单",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.DECIDE_EXTENSION: "审批延期",
    Action.REQUEST_SUSPENSION: "申请挂起",
    Action.DECIDE_SUSPENSION: "审批挂起",
    Action.RESUME: "恢复办理",
    Action.REPLY: "办结反馈",
    Action.REVIEW: "审核",
    Action.CALLBACK: "回访",
    Action.CLOSE: "归档",
    Action.CANCEL: "撤销",
    Action.MERGE: "合并",
    Action.SUPERVISE: "督办",
    Action.URGE: "催办",
    Action.INSTRUCT: "批示",
}


class SystemEvent(StrEnum):
    """Changes to an order that no life-cycle command makes; each is one audited change too.

    Updates from a channel, duplicate flags and the dispatcher's dismissal, category
    changes, files, imports and the deadline sweep's alerts: `record_event` builds their
    audit records as `apply` does for commands, and the order use cases store them the same
    way (the version goes up, one audit row).
    """

    UPDATE = "update"
    ATTACH = "attach"
    IMPORT = "import"
    FLAG_DUPLICATE = "flag_duplicate"
    DISMISS_DUPLICATE = "dismiss_duplicate"
    RECATEGORIZE = "recategorize"
    REPEAT_CALL = "repeat_call"
    SET_RECTIFICATION = "set_rectification"
    DEADLINE_WARNING = "deadline_warning"
    DEADLINE_OVERDUE = "deadline_overdue"

    @property
    def label(self) -> str:
        return SYSTEM_EVENT_LABELS[self.value]


# Events recorded in the audit trail that no user command causes.
SYSTEM_EVENT_LABELS: dict[str, str] = {
    SystemEvent.DEADLINE_WARNING.value: "即将超时预警",
    SystemEvent.DEADLINE_OVERDUE.value: "超时",
    SystemEvent.UPDATE.value: "诉求更新",
    SystemEvent.ATTACH.value: "上传附件",
    SystemEvent.IMPORT.value: "历史导入",
    SystemEvent.FLAG_DUPLICATE.value: "疑似重复",
    SystemEvent.DISMISS_DUPLICATE.value: "排除重复",
    SystemEvent.RECATEGORIZE.value: "修改分类",
    SystemEvent.REPEAT_CALL.value: "重复来电",
    SystemEvent.SET_RECTIFICATION.value: "整改期限",
}


def event_label(action: str) -> str:
    """The Chinese label of an audit trail entry."""
    try:
        return Action(action).label
    except ValueError:
        return SYSTEM_EVENT_LABELS.get(action, action)
