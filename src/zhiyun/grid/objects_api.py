"""Managed objects (网格管理对象) over REST, read only: the list (keyset pages), the counts per
grid or village, the objects in a map box as GeoJSON, one object, the attribute schemas.

Every answer is scoped to the reader (`ManagedObjectService`, `domain.managed_objects.object_scope`):
an object out of the reader's sight answers 404, exactly as one that does not exist.
Importing is the command line's (`zhiyun grid-objects import`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.grid import ObjectKind, RiskLevel
from zhiyun.domain.managed_objects import ATTRIBUTE_SCHEMAS
from zhiyun.grid.objects_service import (
    MAP_CAP,
    ManagedObjectService,
    ObjectCounts,
    ObjectDetail,
    ObjectQuery,
    ObjectSummary,
    parse_bbox,
)

router = APIRouter(
    prefix="/grid/objects",
    tags=["managed objects 网格管理对象"],
    responses={401: ERROR_RESPONSES[401], 422: ERROR_RESPONSES[422]},
)

MAX_ID = 2**31 - 1


def objects_service(services: ServicesDep) -> ManagedObjectService:
    return services.get(ManagedObjectService)


ObjectsDep = Annotated[ManagedObjectService, Depends(objects_service)]
KindParam = Annotated[
    ObjectKind | None, Query(description="类型：building rental_house shop enterprise facility")
]
RiskParam = Annotated[RiskLevel | None, Query(description="风险等级：low medium high major")]
GridParam = Annotated[str | None, Query(max_length=15, description="网格编码（15 位）")]
VillageParam = Annotated[str | None, Query(max_length=64, description="村居：单位编码、名称或编号")]
TextParam = Annotated[
    str | None, Query(max_length=100, description="名称或地址中的文字（空格分隔的词都要出现）")
]


class ObjectOut(BaseModel):
    id: int
    kind: ObjectKind
    kind_label: str
    name: str
    address: str
    lon: float | None = Field(description="经度（WGS-84）")
    lat: float | None = Field(description="纬度（WGS-84）")
    grid_code: str | None = Field(description="所在网格编码；不在任何网格为 null")
    grid_name: str | None
    village_unit_id: int | None
    village_name: str | None
    town_name: str | None
    component_id: str | None = Field(description="16 位部件编码")
    risk: RiskLevel
    risk_label: str
    active: bool

    @classmethod
    def of(cls, o: ObjectSummary) -> ObjectOut:
        return cls(
            id=o.id,
            kind=o.kind,
            kind_label=o.kind_label,
            name=o.name,
            address=o.address,
            lon=o.lon,
            lat=o.lat,
            grid_code=o.grid_code,
            grid_name=o.grid_name,
            village_unit_id=o.village_unit_id,
            village_name=o.village_name,
            town_name=o.town_name,
            component_id=o.component_id,
            risk=o.risk,
            risk_label=o.risk_label,
            active=o.active,
        )


class ObjectDetailOut(ObjectOut):
    attributes: dict[str, Any] = Field(description="本类对象的属性（键为中文属性名）")
    source_key: str = Field(description="导入时的编号（或“h:”开头的类型+名称+地址摘要）")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def detail_of(cls, d: ObjectDetail) -> ObjectDetailOut:
        return cls(
            **ObjectOut.of(d.summary).model_dump(),
            attributes=d.attributes,
            source_key=d.source_key,
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class ObjectPageOut(BaseModel):
    items: list[ObjectOut]
    total: int = Field(description="符合条件的对象数（至多计到 10,000）")
    more: bool = Field(description="对象数超过 10,000")
    next_cursor: str | None = Field(description="下一页游标；最后一页为 null")


class CountsOut(BaseModel):
    village_unit_id: int | None
    village_code: str | None
    village_name: str | None
    town_name: str | None
    grid_code: str | None = Field(description="按网格统计时的网格编码；null：该村居不在任何网格内的对象")
    grid_name: str | None
    total: int
    by_kind: dict[str, int]
    by_risk: dict[str, int]

    @classmethod
    def of(cls, c: ObjectCounts) -> CountsOut:
        return cls(
            village_unit_id=c.village_unit_id,
            village_code=c.village_code,
            village_name=c.village_name,
            town_name=c.town_name,
            grid_code=c.grid_code,
            grid_name=c.grid_name,
            total=c.total,
            by_kind=c.by_kind,
            by_risk=c.by_risk,
        )


class AttributeOut(BaseModel):
    name: str
    type: str
    description: str
    values: str = Field(description="取值：选项、范围或长度")
    choices: list[str]
    minimum: float | None
    maximum: float | None
    unit: str


class SchemaOut(BaseModel):
    kind: ObjectKind
    kind_label: str
    attributes: list[AttributeOut]


@router.get("", response_model=ObjectPageOut, summary="网格管理对象列表（最新的在前，游标分页）")
def list_objects(
    actor: ActorDep,
    objects: ObjectsDep,
    kind: KindParam = None,
    risk: RiskParam = None,
    grid: GridParam = None,
    village: VillageParam = None,
    q: TextParam = None,
    include_inactive: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ObjectPageOut:
    query = ObjectQuery(kind, risk, grid, village, q, include_inactive)
    page = objects.search(actor, query, cursor=cursor, limit=limit)
    return ObjectPageOut(
        items=[ObjectOut.of(o) for o in page.items],
        total=page.total,
        more=page.more,
        next_cursor=page.next_cursor,
    )


@router.get("/counts", response_model=list[CountsOut], summary="各网格或各村居的对象数（按类型、风险等级）")
def object_counts(
    actor: ActorDep,
    objects: ObjectsDep,
    by: Literal["grid", "village"] = "grid",
    kind: KindParam = None,
    risk: RiskParam = None,
    village: VillageParam = None,
) -> list[CountsOut]:
    rows = objects.counts(actor, by=by, query=ObjectQuery(kind, risk, None, village))
    return [CountsOut.of(r) for r in rows]


@router.get(
    "/geojson",
    summary="地图范围内的对象（GeoJSON 点，WGS-84；至多 2,000 个，truncated 表示还有更多）",
    response_class=JSONResponse,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def objects_geojson(
    actor: ActorDep,
    objects: ObjectsDep,
    bbox: Annotated[str, Query(max_length=100, description="最小经度,最小纬度,最大经度,最大纬度（WGS-84）")],
    kind: KindParam = None,
    risk: RiskParam = None,
    limit: Annotated[int, Query(ge=1, le=MAP_CAP)] = MAP_CAP,
) -> JSONResponse:
    collection = objects.geojson(actor, parse_bbox(bbox), query=ObjectQuery(kind, risk), limit=limit)
    return JSONResponse(collection, media_type="application/geo+json")


@router.get("/schemas", response_model=list[SchemaOut], summary="各类对象的属性（类型与取值）")
def attribute_schemas(actor: ActorDep) -> list[SchemaOut]:
    return [
        SchemaOut(
            kind=kind,
            kind_label=kind.label,
            attributes=[
                AttributeOut(
                    name=s.name,
                    type=s.type.value,
                    description=s.description,
                    values=s.describe(),
                    choices=list(s.choices),
                    minimum=s.minimum,
                    maximum=s.maximum,
                    unit=s.unit,
                )
                for s in specs
            ],
        )
        for kind, specs in ATTRIBUTE_SCHEMAS.items()
    ]


@router.get(
    "/{object_id}",
    response_model=ObjectDetailOut,
    summary="一个网格管理对象及其属性（无权查看的与不存在的一样回答 404）",
    responses={404: ERROR_RESPONSES[404]},
)
def get_object(
    actor: ActorDep, objects: ObjectsDep, object_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> ObjectDetailOut:
    return ObjectDetailOut.detail_of(objects.get(actor, object_id))


__all__ = ["router"]
