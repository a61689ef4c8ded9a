"""The event taxonomy (事项分类): everyone reads it; admins edit it, every change versioned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Path, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from zhiyun.api.deps import ActorDep, CatalogAdmin, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.catalog.changes import Change
from zhiyun.domain.taxonomy import Category
from zhiyun.domain.workorder import OrderType

router = APIRouter(prefix="/taxonomy", tags=["taxonomy 事项分类"], responses={401: ERROR_RESPONSES[401]})

CodePath = Path(description="分类编码", max_length=64)


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="名称")
    parent_code: str | None = Field(default=None, max_length=64, description="上级分类编码；一级分类为空")
    keywords: list[str] = Field(default_factory=list, max_length=200, description="关键词")
    default_type: OrderType | None = Field(default=None, description="默认工单类型")
    time_limit_days: float | None = Field(
        default=None, gt=0, le=365, description="办理时限（工作日），覆盖默认"
    )
    active: bool = True


class CategoryOut(CategoryIn):
    code: str
    level: int
    path: str


class ChangeOut(BaseModel):
    id: int
    subject: str
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor_name: str
    note: str
    at: datetime

    @classmethod
    def of(cls, c: Change) -> ChangeOut:
        return cls(
            id=c.id,
            subject=c.subject,
            key=c.key,
            action=c.action,
            before=c.before,
            after=c.after,
            actor_name=c.actor_name,
            note=c.note,
            at=c.at,
        )


class ImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    removed: int


def _out(services: Any, code: str) -> CategoryOut:
    tax = services.taxonomy.taxonomy()
    c = tax.get(code)
    return CategoryOut(
        code=c.code,
        name=c.name,
        parent_code=c.parent_code,
        keywords=list(c.keywords),
        default_type=c.default_type,
        time_limit_days=c.time_limit_days,
        active=c.active,
        level=tax.level(c.code),
        path=tax.path_names(c.code),
    )


def _category(code: str, body: CategoryIn) -> Category:
    return Category(
        code=code,
        name=body.name.strip(),
        parent_code=body.parent_code or None,
        keywords=tuple(k.strip() for k in body.keywords if k.strip()),
        default_type=body.default_type,
        time_limit_days=body.time_limit_days,
        active=body.active,
    )


@router.get("", response_model=list[CategoryOut], summary="分类列表（上级在前）")
def list_categories(actor: ActorDep, services: ServicesDep) -> list[CategoryOut]:
    tax = services.taxonomy.taxonomy()
    return [
        CategoryOut(
            code=c.code,
            name=c.name,
            parent_code=c.parent_code,
            keywords=list(c.keywords),
            default_type=c.default_type,
            time_limit_days=c.time_limit_days,
            active=c.active,
            level=tax.level(c.code),
            path=tax.path_names(c.code),
        )
        for c in tax.walk()
    ]


@router.get("/export.csv", response_class=PlainTextResponse, summary="导出分类 CSV")
def export_categories(actor: ActorDep, services: ServicesDep) -> PlainTextResponse:
    return PlainTextResponse(services.taxonomy.export_csv(), media_type="text/csv; charset=utf-8")


@router.post(
    "/import",
    response_model=ImportOut,
    summary="导入分类 CSV（管理员；有任何错误则整个文件不导入）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def import_categories(
    admin: CatalogAdmin,
    services: ServicesDep,
    body: str = Body(media_type="text/csv", description="CSV 文本：code,name,parent_code,keywords,…"),
    replace: bool = False,
) -> ImportOut:
    report = services.taxonomy.import_csv(admin, body, replace=replace)
    return ImportOut(**report.__dict__)


@router.get("/history", response_model=list[ChangeOut], summary="分类修改记录")
def category_history(actor: ActorDep, services: ServicesDep, code: str | None = None) -> list[ChangeOut]:
    return [ChangeOut.of(c) for c in services.taxonomy.history(code)]


@router.get("/{code}", response_model=CategoryOut, summary="一个分类", responses={404: ERROR_RESPONSES[404]})
def get_category(actor: ActorDep, services: ServicesDep, code: str = CodePath) -> CategoryOut:
    return _out(services, code)


@router.put(
    "/{code}",
    response_model=CategoryOut,
    summary="新增或修改分类（管理员）",
    responses={403: ERROR_RESPONSES[403], 422: ERROR_RESPONSES[422]},
)
def put_category(
    body: CategoryIn, response: Response, admin: CatalogAdmin, services: ServicesDep, code: str = CodePath
) -> CategoryOut:
    exists = code in services.taxonomy.taxonomy()
    services.taxonomy.save(admin, _category(code, body), create=not exists)
    if not exists:
        response.status_code = status.HTTP_201_CREATED
    return _out(services, code)


@router.delete(
    "/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除分类（管理员；有下级或被权责清单使用时不能删除）",
    responses={403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404], 422: ERROR_RESPONSES[422]},
)
def delete_category(admin: CatalogAdmin, services: ServicesDep, code: str = CodePath) -> Response:
    services.taxonomy.delete(admin, code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
