"""Notices to the current user's unit (urge notices on overdue orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.api.schemas import NoticeOut

router = APIRouter(prefix="/notices", tags=["notices 通知"], responses={401: ERROR_RESPONSES[401]})


@router.get("", response_model=list[NoticeOut], summary="本单位的通知（最新在前）")
def list_notices(
    actor: ActorDep, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[NoticeOut]:
    return [NoticeOut.of(n) for n in services.orders.notices(actor, limit)]
