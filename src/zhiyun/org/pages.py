"""The admin section of org units (组织机构): the unit tree as a table, edit one, import a CSV."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData

from zhiyun.domain.access import Actor
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.org import UnitKind
from zhiyun.org.service import UnitRecord, parse_units
from zhiyun.web.admin import AdminPage, operation, text, upload_text
from zhiyun.web.views import org_tree

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services


def _context(services: Services, actor: Actor) -> dict[str, Any]:
    org = org_tree(services)
    return {
        "records": list(services.org.records()),
        "kinds": [(k.value, k.label) for k in UnitKind],
        "kind_labels": {k.value: k.label for k in UnitKind},
        "names": {u.code: u.name for u in org.units.values()},
    }


def _post(services: Services, actor: Actor, form: FormData) -> str:
    op = operation(form)
    if op == "save":
        aliases = tuple(a.strip() for a in text(form, "aliases").replace("，", ",").split(",") if a.strip())
        record = UnitRecord(
            code=text(form, "code"),
            name=text(form, "name"),
            kind=text(form, "kind"),
            parent_code=text(form, "parent_code") or None,
            aliases=aliases,
        )
        current = [r for r in services.org.records() if r.code != record.code]
        report = services.org.import_records(actor, [*current, record])
    elif op == "import":
        report = services.org.import_records(actor, parse_units(upload_text(form, "file"), "csv"))
    else:
        raise ValidationFailed("未知的操作")
    if report.problems:
        raise ValidationFailed("；".join(report.problems))
    return f"新增 {report.created} 个，更新 {report.updated} 个，未变 {report.unchanged} 个"


UNITS = AdminPage(context=_context, post=_post)
