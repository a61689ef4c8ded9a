"""The admin sections of the taxonomy (事项分类) and the responsibility list (权责清单):
both are listed, imported from a CSV (added to or replacing what there is) and exported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import FormData

from zhiyun.domain.access import Actor
from zhiyun.web.admin import AdminPage, text, upload_text

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _replace(form: FormData) -> bool:
    return text(form, "replace") == "yes"


def _taxonomy_post(services: Services, actor: Actor, form: FormData) -> str:
    report = services.taxonomy.import_csv(actor, upload_text(form, "file"), replace=_replace(form))
    return f"新增 {report.created} 个，更新 {report.updated} 个，未变 {report.unchanged} 个，删除 {report.removed} 个"


def _responsibility_post(services: Services, actor: Actor, form: FormData) -> str:
    counts = services.responsibility.import_csv(actor, upload_text(form, "file"), replace=_replace(form))
    return "导入完成：" + "，".join(str(n) for n in counts) + "（新增，更新，未变，删除）"


TAXONOMY = AdminPage(
    context=lambda services, actor: {"categories": services.taxonomy.categories()},
    post=_taxonomy_post,
    export=lambda services, actor: ("taxonomy.csv", services.taxonomy.export_csv()),
)
RESPONSIBILITY = AdminPage(
    context=lambda services, actor: {"rules": services.responsibility.rules()},
    post=_responsibility_post,
    export=lambda services, actor: ("responsibility.csv", services.responsibility.export_csv()),
)
