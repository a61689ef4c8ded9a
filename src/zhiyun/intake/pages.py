"""The admin section of channels and their keys (渠道与密钥): enable, disable, issue and revoke keys.

A new key is shown once, on the page that made it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ValidationFailed
from zhiyun.web.admin import AdminPage, Outcome, operation, text

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    return {"channels": services.channels.channels(with_activity=True)}


def _post(services: Services, actor: Actor, form: FormData) -> Outcome:
    op, code = operation(form), text(form, "code")
    if op == "key":
        issued = services.channels.issue_key(actor, code)
        return f"已为渠道 {code} 生成新密钥", {"new_key": issued}
    if op == "revoke":
        count = services.channels.revoke_keys(actor, code, text(form, "prefix") or None)
        return f"已吊销 {count} 个密钥"
    if op in ("enable", "disable"):
        services.channels.configure(actor, code, enabled=op == "enable")
        return f"已{'启用' if op == 'enable' else '停用'}渠道 {code}"
    raise ValidationFailed("未知的操作")


CHANNELS = AdminPage(context=_context, post=_post)
