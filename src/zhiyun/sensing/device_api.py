"""The device registry (感知设备) over REST: the list (filters, offset pages), one device, the
import of a CSV or XLSX file (admins; multipart, at most `MAX_FILE_BYTES`) and the change of one
device's status, thresholds or heartbeat (admins).

Every read is scoped to the reader (`DeviceRegistry`, `domain.sensing_devices.device_scope`):
a device out of sight answers 404, exactly as one that does not exist. The admin operations
answer 403 before their body is read (`permitted`), and the use cases ask again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from zhiyun.api.deps import ActorDep, ServicesDep, permitted
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor, may_administer_devices
from zhiyun.domain.errors import ValidationFailed
from zhiyun.domain.sensing_devices import HEARTBEAT_MAX_S, HEARTBEAT_MIN_S, DeviceStatus
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.sensing.device_tables import DEVICE_CODE_MAX
from zhiyun.sensing.devices import DeviceChanges, DeviceImport, DeviceQuery, DeviceRegistry, DeviceView
from zhiyun.sensing.devices_import import MAX_FILE_BYTES

router = APIRouter(
    prefix="/sensing/devices",
    tags=["sensing devices 感知设备"],
    responses={401: ERROR_RESPONSES[401], 422: ERROR_RESPONSES[422]},
)

DevicesAdmin = Annotated[Actor, permitted(may_administer_devices)]
CodePath = Annotated[str, Path(min_length=1, max_length=DEVICE_CODE_MAX, description="设备编码")]


def registry(services: ServicesDep) -> DeviceRegistry:
    return services.get(DeviceRegistry)


RegistryDep = Annotated[DeviceRegistry, Depends(registry)]


class DeviceOut(BaseModel):
    code: str
    name: str
    kind: SceneSource
    kind_label: str
    vendor: str
    scenes: list[str] = Field(description="运行的场景编码；空：该类型的全部场景")
    thresholds: dict[str, float] = Field(description="各场景的置信度阈值（覆盖场景目录的阈值）")
    latitude: float | None = Field(description="纬度（WGS-84）")
    longitude: float | None = Field(description="经度（WGS-84）")
    address: str
    grid_code: str | None
    grid_name: str | None
    village_unit_id: int | None
    village_name: str | None
    owner_unit_code: str | None = Field(description="维护单位编码")
    owner_unit_name: str | None
    status: DeviceStatus
    status_label: str
    heartbeat_s: int | None = Field(description="心跳间隔（秒）；null：不发心跳")
    last_seen_at: datetime | None = Field(description="最后一次收到数据的时间")
    silent: bool = Field(description="是否已超过心跳间隔未上报（离线）")
    silent_since: datetime | None
    fault_order_number: str | None = Field(description="本次离线的设备故障工单编号")
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, v: DeviceView) -> DeviceOut:
        return cls(
            code=v.code,
            name=v.name,
            kind=v.kind,
            kind_label=v.kind_label,
            vendor=v.vendor,
            scenes=list(v.scenes),
            thresholds=v.thresholds,
            latitude=v.latitude,
            longitude=v.longitude,
            address=v.address,
            grid_code=v.grid_code,
            grid_name=v.grid_name,
            village_unit_id=v.village_unit_id,
            village_name=v.village_name,
            owner_unit_code=v.owner_code,
            owner_unit_name=v.owner_name,
            status=v.status,
            status_label=v.status_label,
            heartbeat_s=v.heartbeat_s,
            last_seen_at=v.last_seen_at,
            silent=v.silent,
            silent_since=v.silent_since,
            fault_order_number=v.fault_order_number,
            updated_at=v.updated_at,
            updated_by=v.updated_by,
        )


class DevicePageOut(BaseModel):
    items: list[DeviceOut]
    total: int
    offset: int
    limit: int
    more: bool


class DevicePatch(BaseModel):
    """Only the fields given change; `heartbeat_s: null` means the device sends no heartbeat."""

    model_config = ConfigDict(extra="forbid")

    status: DeviceStatus | None = None
    thresholds: dict[Annotated[str, Field(max_length=16)], float] | None = Field(
        default=None, max_length=100, description="场景编码 → 阈值（0 到 1，不含 0）；整体替换"
    )
    heartbeat_s: int | None = Field(default=None, ge=HEARTBEAT_MIN_S, le=HEARTBEAT_MAX_S)


class ImportRejectOut(BaseModel):
    row: int
    column: str
    reason: str
    code: str


class DeviceImportOut(BaseModel):
    dry_run: bool
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    summary: str

    @classmethod
    def of(cls, r: DeviceImport) -> DeviceImportOut:
        return cls(
            dry_run=r.dry_run,
            created=r.created,
            updated=r.updated,
            unchanged=r.unchanged,
            summary=r.summary(),
        )


@router.get("", response_model=DevicePageOut, summary="感知设备列表（按编码，分页）")
def list_devices(
    actor: ActorDep,
    devices: RegistryDep,
    kind: Annotated[SceneSource | None, Query(description="类型：camera iot drone satellite")] = None,
    status: Annotated[DeviceStatus | None, Query(description="状态：active disabled")] = None,
    grid: Annotated[str | None, Query(max_length=15, description="网格编码（15 位）")] = None,
    village: Annotated[str | None, Query(max_length=64, description="所在村居：单位编码、名称或编号")] = None,
    owner: Annotated[str | None, Query(max_length=64, description="维护单位：单位编码、名称或编号")] = None,
    silent: Annotated[bool, Query(description="只看离线（超过心跳间隔未上报）的设备")] = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DevicePageOut:
    query = DeviceQuery(kind, status, grid, village, owner, silent)
    page = devices.devices(actor, query, offset=offset, limit=limit)
    return DevicePageOut(
        items=[DeviceOut.of(v) for v in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
        more=page.more,
    )


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "CSV 或 XLSX 文件"}
                },
            }
        }
    },
}


async def _upload(request: Request) -> tuple[str, bytes]:
    """The one file of a multipart upload (field `file`), at most MAX_FILE_BYTES."""
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=64 * 1024)
    except (MultiPartException, AssertionError) as exc:
        raise ValidationFailed(f"上传内容格式不正确：{exc}", field="file") from None
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValidationFailed("请以 multipart/form-data 上传字段 file（CSV 或 XLSX）", field="file")
    data = await file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationFailed(f"文件过大：最多 {MAX_FILE_BYTES // 1024 // 1024} MB", field="file")
    return file.filename or "", data


@router.post(
    "/import",
    response_model=DeviceImportOut,
    summary="导入感知设备（管理员；CSV 或 XLSX；有任何一行有误则整个文件不导入）",
    responses={k: ERROR_RESPONSES[k] for k in (403, 413)},
    openapi_extra={"requestBody": _UPLOAD_BODY},
)
async def import_devices(
    request: Request,
    admin: DevicesAdmin,
    devices: RegistryDep,
    dry_run: Annotated[bool, Query(description="只检查，不写入")] = False,
) -> DeviceImportOut:
    """The caller is checked before the multipart body is read; a refused file answers 422 with
    every row's problem in `problems` and writes nothing."""
    filename, data = await _upload(request)
    report = await run_in_threadpool(devices.import_file, admin, filename, data, dry_run=dry_run)
    if report.refused:
        raise ValidationFailed(report.summary(), field="file", problems=report.problems())
    return DeviceImportOut.of(report)


@router.get(
    "/{code}", response_model=DeviceOut, summary="一台感知设备", responses={404: ERROR_RESPONSES[404]}
)
def get_device(code: CodePath, actor: ActorDep, devices: RegistryDep) -> DeviceOut:
    return DeviceOut.of(devices.get(actor, code))


@router.patch(
    "/{code}",
    response_model=DeviceOut,
    summary="修改感知设备的状态、阈值或心跳间隔（管理员）",
    responses={k: ERROR_RESPONSES[k] for k in (403, 404)},
)
def patch_device(code: CodePath, body: DevicePatch, admin: DevicesAdmin, devices: RegistryDep) -> DeviceOut:
    changes = DeviceChanges(
        status=body.status,
        thresholds=body.thresholds,
        heartbeat_s=body.heartbeat_s,
        heartbeat_given="heartbeat_s" in body.model_fields_set,
    )
    return DeviceOut.of(devices.update(admin, code, changes))
