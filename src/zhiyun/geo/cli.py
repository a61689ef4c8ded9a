"""`zhiyun geo …`: import unit boundaries (GeoJSON) and locate a point or an address.

A Typer sub-app, wired into `zhiyun.cli.main.app` as `geo`. Like every command it takes `--db`
(a SQLite file path or a database URL; default ZHIYUN_DATABASE_URL, else var/zhiyun.db); a
refused operation (a DomainError) prints its message in red on stderr and exits with 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, open_database
from zhiyun.geo.service import GeoService
from zhiyun.kernel.geo import CoordSystem, gcj02_to_wgs84, validate_coordinates
from zhiyun.reference.repo import load_org

geo_app = typer.Typer(
    cls=ZhiyunGroup,
    help="地理：导入镇街、村居边界（GeoJSON），按坐标或地址定位。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@geo_app.command("import-boundaries")
def import_boundaries(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON FeatureCollection：properties.code 为单位编码，几何为多边形")
    ],
    gcj02: Annotated[
        bool, typer.Option("--gcj02", help="文件坐标为 GCJ-02（高德、腾讯地图），导入时转为 WGS-84")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="删除文件中没有的单位的边界")] = False,
    db: DbOption = None,
) -> None:
    """导入镇街、村居边界（按单位编码新增或更新；文件有任何错误则整个文件不导入）。"""
    with open_database(db) as database:
        report = GeoService(database).import_geojson(cli_actor(), file, gcj02=gcj02, replace=replace)
    for warning in report.warnings:
        err_console.print(f"[yellow]警告：{warning}[/yellow]", soft_wrap=True)
    removed = f"，删除(removed) {report.removed}" if replace else ""
    console.print(
        f"导入完成：新增(created) {report.created}，更新(updated) {report.updated}，"
        f"未变(unchanged) {report.unchanged}{removed}"
    )


@geo_app.command("locate")
def locate(
    lat: Annotated[float | None, typer.Argument(help="纬度（南纬为负时请在前面加 --）")] = None,
    lon: Annotated[float | None, typer.Argument(help="经度")] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="地址或诉求描述（无坐标或坐标不在边界内时使用）")
    ] = None,
    gcj02: Annotated[bool, typer.Option("--gcj02", help="坐标为 GCJ-02（高德、腾讯地图）")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出一行 JSON")] = False,
    db: DbOption = None,
) -> None:
    """按坐标（落在哪个网格、村居、镇街的边界内）或地址（匹配单位名称与别名）定位。"""
    if (lat is None) != (lon is None):
        raise typer.BadParameter("纬度和经度必须同时提供")
    if lat is None and not (address or "").strip():
        raise typer.BadParameter("请提供坐标 LAT LON，或 --address")
    wgs: tuple[float, float] | None = None
    if lat is not None and lon is not None:
        wgs = validate_coordinates(lat, lon)
        if gcj02:
            wgs = gcj02_to_wgs84(*wgs)
    with open_database(db) as database:
        service = GeoService(database)
        location = service.locate(
            lat, lon, address, coord_system=CoordSystem.GCJ02 if gcj02 else CoordSystem.WGS84
        )
        with database.reading() as session:
            org = load_org(session)
    town = org.units.get(location.town_unit_id) if location.town_unit_id is not None else None
    village = org.units.get(location.village_unit_id) if location.village_unit_id is not None else None
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "latitude": round(wgs[0], 7) if wgs else None,
                    "longitude": round(wgs[1], 7) if wgs else None,
                    "town": town.code if town else None,
                    "village": village.code if village else None,
                    "grid": location.grid_code,
                    "source": location.source,
                },
                ensure_ascii=False,
            )
        )
        return
    if wgs is not None:
        console.print(f"坐标（WGS-84）：{wgs[0]:.6f}, {wgs[1]:.6f}")
    if not location.found:
        console.print("[yellow]未能定位：坐标不在任何边界内，地址也未匹配到镇街或村居[/yellow]")
        return
    how = {"gps": "坐标落在边界内 (gps)", "address": "地址匹配单位名称 (address)"}[location.source]
    console.print(f"镇街：{town.name}（{town.code}）" if town else "镇街：—")
    console.print(f"村居：{village.name}（{village.code}）" if village else "村居：—（仅定位到镇街）")
    if location.grid_code is not None:
        console.print(f"网格：{location.grid_code}")
    console.print(f"依据：{how}")


__all__ = ["geo_app"]
