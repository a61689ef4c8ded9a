"""The org structure: units as a flat tree, dispatch targets; import and export for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from zhiyun.api.deps import ActorDep, OrgAdmin, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import ImportReportOut, UnitIn, UnitOut
from zhiyun.domain.org import OrgTree
from zhiyun.org.service import UnitRecord

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

router = APIRouter(prefix="/units", tags=["org 组织架构"], responses={401: ERROR_RESPONSES[401]})


def _org(services: Services) -> OrgTree:
    """The unit tree as the reference cache holds it (reloaded after every change)."""
    with services.db.reading() as session:
        return services.reference.get(session).org


def flat_tree(org: OrgTree) -> list[UnitOut]:
    """Every unit, depth first from the root(s), children ordered by code."""
    out: list[UnitOut] = []
    roots = sorted((u for u in org.units.values() if u.parent_id is None), key=lambda u: u.code)
    stack = [(r.id, 0) for r in reversed(roots)]
    while stack:
        unit_id, depth = stack.pop()
        out.append(UnitOut.of(org.units[unit_id], depth))
        stack.extend((child, depth + 1) for child in reversed(org.children.get(unit_id, [])))
    return out


@router.get("", response_model=list[UnitOut], summary="组织单位（树，平铺）")
def list_units(actor: ActorDep, services: ServicesDep) -> list[UnitOut]:
    return flat_tree(_org(services))


@router.post(
    "/import",
    response_model=ImportReportOut,
    summary="导入组织单位（管理员）",
    responses={k: ERROR_RESPONSES[k] for k in (403, 422)},
)
def import_units(body: list[UnitIn], admin: OrgAdmin, services: ServicesDep) -> ImportReportOut:
    """Upserts units by code; a list with any bad unit changes nothing."""
    records = [
        UnitRecord(
            u.code.strip(),
            u.name.strip(),
            u.kind.value,
            (u.parent_code or "").strip() or None,
            tuple(a.strip() for a in u.aliases if a.strip()),
        )
        for u in body
    ]
    report = services.org.import_records(admin, records)
    return ImportReportOut(created=report.created, updated=report.updated, unchanged=report.unchanged)


@router.get(
    "/export",
    summary="导出组织单位（管理员）",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "单位文件"},
        403: ERROR_RESPONSES[403],
    },
)
def export_units(
    admin: OrgAdmin,
    services: ServicesDep,
    format: Annotated[Literal["csv", "json"], Query(description="csv 或 json")] = "csv",
) -> Response:
    text = services.org.export_text(format)
    media = "text/csv; charset=utf-8" if format == "csv" else "application/json"
    return Response(
        text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="units.{format}"'},
    )


@router.get(
    "/{unit_id}/dispatch-targets",
    response_model=list[UnitOut],
    summary="可派往的单位",
    responses={404: ERROR_RESPONSES[404]},
)
def dispatch_targets(
    unit_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="单位 id")],
    actor: ActorDep,
    services: ServicesDep,
) -> list[UnitOut]:
    """The units below `unit_id` that it may dispatch to, depth first."""
    org = _org(services)
    org.get(unit_id)  # 404 for an unknown unit
    return [u for u in flat_tree(org) if u.id != unit_id and org.is_within(u.id, unit_id)]
