"""The admin section of the rate definition (统计口径): its versions and the form for the next one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData

from zhiyun.analytics.definitions import RateDefinitionService
from zhiyun.domain.access import Actor
from zhiyun.domain.rate_definitions import Exclusion
from zhiyun.web.admin import AdminPage, text

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    history = services.get(RateDefinitionService).history(actor)
    return {
        "current": history[0].definition,
        "history": history,
        "exclusions": [(e.value, e.label) for e in Exclusion],
    }


def _post(services: Services, actor: Actor, form: FormData) -> str:
    made = services.get(RateDefinitionService).define(
        actor,
        {
            "exclusions": [str(v) for v in form.getlist("exclusions")],
            "not_duty_categories": text(form, "not_duty_categories"),
            "basic_counts_satisfied": text(form, "basic_counts_satisfied") == "on",
            "note": text(form, "note"),
        },
    )
    return f"已启用统计口径第 {made.version} 版；驾驶舱与报表自此按新口径统计"


RATE_DEFINITIONS = AdminPage(context=_context, post=_post)
