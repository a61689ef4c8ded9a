"""Sensing's figures over REST, read only: `GET /api/v1/sensing/figures`.

`from`/`to` (local days, inclusive; default the last 30 days), `town` (a town or village by
code or name: its part). Scoped to the reader (`domain.sensing_figures.sensing_villages`): a
town's staff get their town's figures, another town is 404; grid workers 403.
docs/sensing.md, "统计与反馈 Figures", has each figure's definition.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from zhiyun.api.deps import ActorDep, ServicesDep
from zhiyun.api.errors import ERROR_RESPONSES
from zhiyun.domain.access import Actor
from zhiyun.domain.sensing_figures import require_sensing_reader
from zhiyun.sensing.figures import PLACE_MAX, SensingFigures

router = APIRouter(
    prefix="/sensing",
    tags=["sensing figures 感知统计"],
    responses={k: ERROR_RESPONSES[k] for k in (401, 403, 404, 422)},
)


def reader(actor: ActorDep) -> Actor:
    """The acting user, if they may read sensing's figures (403 before anything is parsed)."""
    require_sensing_reader(actor)
    return actor


def figures_service(services: ServicesDep) -> SensingFigures:
    return services.get(SensingFigures)


Reader = Annotated[Actor, Depends(reader)]
FiguresDep = Annotated[SensingFigures, Depends(figures_service)]


@router.get("/figures", summary="感知统计：告警漏斗、核实准确率、误报热点、告警到立案时间")
def figures(
    actor: Reader,
    service: FiguresDep,
    start: Annotated[
        date | None, Query(alias="from", description="开始日期（含）YYYY-MM-DD，默认近 30 天")
    ] = None,
    end: Annotated[date | None, Query(alias="to", description="结束日期（含）YYYY-MM-DD，默认今天")] = None,
    town: Annotated[
        str | None, Query(max_length=PLACE_MAX, description="只看一个镇街或村居（单位编码或名称）")
    ] = None,
) -> dict[str, Any]:
    """The funnel, alarms by outcome, precision per scene, algorithm version and device (with
    the Wilson interval and the vendor flag), hot spots, time to order, verification
    timeliness, orders per month and silent devices."""
    return service.figures(actor, start=start, end=end, place=town).as_json()


__all__ = ["router"]
