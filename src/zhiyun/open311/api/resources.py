"""The documents that describe the endpoint: the service list, a service definition and the
discovery document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request

from zhiyun.open311 import catalog as spec
from zhiyun.open311.api.parameters import site_jurisdiction, site_setting

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

PREFIX = "/open311/v2"


def service_list_item(svc: spec.Service) -> dict[str, Any]:
    return {
        "service_code": svc.code,
        "service_name": svc.name,
        "description": svc.description,
        "metadata": svc.metadata,
        "type": svc.type.value,
        "keywords": ",".join(svc.keywords),
        "group": svc.group,
    }


def service_definition(svc: spec.Service) -> dict[str, Any]:
    attributes = []
    for order, attr in enumerate(svc.attributes, start=1):
        item: dict[str, Any] = {
            "variable": attr.variable,
            "code": attr.code,
            "datatype": attr.datatype.value,
            "required": attr.required,
            "datatype_description": attr.datatype_description,
            "order": order,
            "description": attr.description,
        }
        if attr.values:
            item["values"] = [{"key": key, "name": name} for key, name in attr.values]
        attributes.append(item)
    return {"service_code": svc.code, "attributes": attributes}


def discovery_document(services: Services, request: Request) -> dict[str, Any]:
    base = site_setting(services, "open311_base_url", str(request.base_url)).rstrip("/")
    jurisdiction = site_jurisdiction(services)
    return {
        "changeset": spec.SERVICES_CHANGESET,
        "contact": site_setting(
            services,
            "open311_contact",
            "南海区智慧城市运行中心（智运中心），政务服务便民热线 12345",
        ),
        "key_service": (
            "api_key 由平台管理员签发：zhiyun channel key open311（每个对接系统一个，可随时吊销）；"
            f"jurisdiction_id 为 {jurisdiction}，可不传。"
        ),
        "endpoints": [
            {
                "specification": spec.SPECIFICATION,
                "url": base + PREFIX,
                "changeset": spec.SERVICES_CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
