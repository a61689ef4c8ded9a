"""The admin section 系统管理 → 智能分拨: the active model, how far its confidence can be trusted,
and the target accuracy of automatic dispatch with the threshold it gives.

The page shows the active version's held-out figures, its reliability diagram and, for a few
targets, the threshold, the expected share of orders dispatched automatically and their
expected accuracy. Its form previews a target (changes nothing) or sets it; both go through
`DispatchPolicyService`, which asks `may_manage_models` itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData

from zhiyun.classifier.calibration import MIN_SUPPORT
from zhiyun.classifier.dispatch_policy import TARGET_MAX, TARGET_MIN, parse_target
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ValidationFailed
from zhiyun.web.admin import AdminPage, Outcome, operation, text

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    return {
        "overview": services.dispatch_policy.overview(actor),
        "bounds": (TARGET_MIN, TARGET_MAX),
        "min_support": MIN_SUPPORT,
    }


def _post(services: Services, actor: Actor, form: FormData) -> Outcome:
    policy = services.dispatch_policy
    op = operation(form)
    typed = text(form, "target")
    if op == "preview":
        target = parse_target(typed)
        preview = policy.overview(actor, preview=target).preview
        return f"预览：目标准确率 {target:.1%}（未保存）", {"preview": preview, "typed": typed}
    if op == "set":
        saved = policy.set_target_accuracy(actor, typed)
        return f"已将自动派单的目标准确率设为 {saved.target_accuracy:.1%}"
    raise ValidationFailed("未知的操作")


DISPATCH_POLICY = AdminPage(context=_context, post=_post)
