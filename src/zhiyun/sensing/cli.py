"""`zhiyun sensing …`: the scene catalogue (场景目录) from the command line.

    zhiyun sensing scenes                    # the catalogue, a line per scene
    zhiyun sensing scenes-export [--out F]   # the catalogue as a file import reads back
    zhiyun sensing scenes-import F [--dry-run] [--note TEXT]
    zhiyun sensing scenes-defaults           # install the shipped scenes that are missing
    zhiyun sensing scene-switch CODE on|off
    zhiyun sensing consume [--host H --port P --client-id ID]   # MQTT alarms in (Ctrl-C stops)
    zhiyun sensing devices [--kind K] [--status S] [--silent] [--json]   # the device registry
    zhiyun sensing devices-import F [--dry-run]    # CSV or XLSX, all or nothing
    zhiyun sensing devices-export F                # .csv or .xlsx (import reads it back)
    zhiyun sensing device-status CODE active|disabled
    zhiyun sensing report [--from DATE --to DATE] [--town NAME] [--json]

A refused file prints every reason and exits 1 with nothing written.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Collection
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, fail, open_services
from zhiyun.domain.calendar import LOCAL_TZ
from zhiyun.domain.errors import DomainError, ValidationFailed
from zhiyun.domain.sensing_devices import DeviceStatus
from zhiyun.domain.sensing_scenes import SceneSource
from zhiyun.sensing.devices import DeviceQuery, DeviceRegistry, DeviceView
from zhiyun.sensing.figures import PrecisionRow, SensingFigures, SensingReport
from zhiyun.sensing.scenes import SceneCatalogue

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

sensing_app = typer.Typer(
    cls=ZhiyunGroup,
    help="感知：摄像头、物联传感器、无人机和卫星的场景目录和设备台账。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _catalogue(services: Services) -> SceneCatalogue:
    return services.get(SceneCatalogue)


@sensing_app.command("scenes")
def scenes(
    active: Annotated[bool, typer.Option("--active", help="只列启用的场景")] = False,
    db: DbOption = None,
) -> None:
    """场景目录：编码、名称、来源、分类、阈值、归并时间窗、允许时段、核实方式。"""
    with open_services(db) as services:
        rows = _catalogue(services).scenes(active_only=active)
    console.print(f"感知场景目录：{len(rows)} 个场景")
    for v in rows:
        s = v.scene
        handling = (
            "免核实·立即立案" if s.severe else (f"核实 {s.verify_minutes} 分钟内" if s.verify else "直接立案")
        )
        condition = f"持续 {s.min_duration_s} 秒" if s.min_duration_s else f"{s.min_repeats} 次"
        allowed = "、".join(h.label for h in s.allowed_hours)
        console.print(
            f"{s.code}  {s.name}  [{s.source.label}] 分类 {s.category_code}  阈值 {s.threshold:.2f}  "
            f"时间窗 {s.window_minutes} 分钟  {condition}  "
            + (f"允许 {allowed}  " if allowed else "")
            + handling
            + ("（紧急）" if s.urgency.value == "urgent" else "")
            + f"  第 {v.version} 版  {'启用' if v.active else '停用'}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )


@sensing_app.command("scenes-export")
def scenes_export(
    out: Annotated[Path | None, typer.Option("--out", help="写入文件（默认输出到屏幕）")] = None,
    db: DbOption = None,
) -> None:
    """导出场景目录（JSON，可原样再导入）。"""
    with open_services(db) as services:
        text = _catalogue(services).export_json()
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    err_console.print(f"已导出到 {escape(str(out))}")


@sensing_app.command("scenes-import")
def scenes_import(
    file: Annotated[Path, typer.Argument(help='场景文件：{"scenes": [...]}')],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告，不写入")] = False,
    note: Annotated[str, typer.Option("--note", help="版本说明")] = "",
    db: DbOption = None,
) -> None:
    """导入场景：新增的建第 1 版，有变化的发布新版本，未变的不动；有任何问题则一个也不写。"""
    if not file.is_file():
        fail(f"文件不存在：{file}")
    try:
        with open_services(db) as services:
            report = _catalogue(services).import_file(
                cli_actor(), file.read_text(encoding="utf-8"), dry_run=dry_run, note=note
            )
    except ValidationFailed as exc:
        listed = exc.details.get("problems")
        problems = [str(p) for p in listed] if isinstance(listed, list) else [exc.message]
        err_console.print(f"[red]错误：场景文件未导入，共 {len(problems)} 处问题：[/red]")
        for problem in problems:
            err_console.print(f"  - {escape(str(problem))}", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(("检查通过，未写入（--dry-run）：" if dry_run else "导入完成：") + report.summary)


@sensing_app.command("scenes-defaults")
def scenes_defaults(db: DbOption = None) -> None:
    """安装随软件提供的默认场景中尚未安装的场景（已有的场景不动）。"""
    try:
        with open_services(db) as services:
            report = _catalogue(services).ensure_default(cli_actor())
    except DomainError as exc:
        fail(exc.message)
        return
    console.print(f"默认场景：新增 {len(report.created)} 个，已有 {len(report.unchanged)} 个")


@sensing_app.command("scene-switch")
def scene_switch(
    code: Annotated[str, typer.Argument(help="场景编码，如 CAM-04")],
    state: Annotated[str, typer.Argument(help="on 启用，off 停用")],
    db: DbOption = None,
) -> None:
    """启用或停用一个场景：停用的场景不再受理告警。"""
    if state not in ("on", "off"):
        fail("状态须为 on 或 off", code=2)
    try:
        with open_services(db) as services:
            view = _catalogue(services).set_active(cli_actor(), code, state == "on")
    except DomainError as exc:
        fail(exc.message)
        return
    console.print(f"场景 {view.scene.code} {view.scene.name}：{'已启用' if view.active else '已停用'}")


@sensing_app.command("consume")
def consume(
    host: Annotated[str | None, typer.Option("--host", help="MQTT 服务器（默认 ZHIYUN_MQTT_HOST）")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口（默认 ZHIYUN_MQTT_PORT）")] = None,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help="会话名（默认 ZHIYUN_MQTT_CLIENT_ID）：同名即接续同一会话"),
    ] = None,
    db: DbOption = None,
) -> None:
    """接收 MQTT 告警与心跳（QoS 1、持久会话），入库、归并为事件；可随时重启，不丢不重。"""
    import logging
    import signal

    from zhiyun.sensing.consumer import AlarmConsumer
    from zhiyun.sensing.pipeline import AlarmPipeline

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with open_services(db) as services:
        settings = services.settings.model_copy(
            update={k: v for k, v in {"mqtt_host": host, "mqtt_port": port}.items() if v is not None}
        )
        consumer = AlarmConsumer(
            services.get(AlarmPipeline), settings, heard=_heard(services), client_id=client_id
        )
        signal.signal(signal.SIGTERM, lambda *_: consumer.request_stop())
        err_console.print(
            f"接收告警：{escape(settings.mqtt_host)}:{settings.mqtt_port} "
            f"主题 {escape(consumer.topics[0])}、{escape(consumer.topics[1])}（Ctrl-C 停止）"
        )
        with contextlib.suppress(KeyboardInterrupt):
            consumer.run()
        s = consumer.stats
        err_console.print(
            f"已停止：收到 {s.received} 条，新告警 {s.stored} 条，重复 {s.repeats} 条，拒收 {s.refused} 条；"
            f"{s.batches} 批，入库用时 {s.busy_s:.1f} 秒"
        )


def _heard(services: Services) -> Callable[[Collection[str], datetime], int]:
    """The devices were heard from (a heartbeat): one transaction per batch of them."""
    registry = services.get(DeviceRegistry)

    def heard(codes: Collection[str], at: datetime) -> int:
        with services.db.transaction() as session:
            return registry.heard_in(session, codes, at)

    return heard


# -- the device registry 设备台账 ------------------------------------------------------------------


def _devices(services: Services) -> DeviceRegistry:
    return services.get(DeviceRegistry)


@sensing_app.command("devices")
def devices(
    kind: Annotated[str | None, typer.Option("--kind", help="类型：camera iot drone satellite")] = None,
    status: Annotated[str | None, typer.Option("--status", help="状态：active disabled")] = None,
    silent: Annotated[bool, typer.Option("--silent", help="只列离线（超过心跳间隔未上报）的设备")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（每行一台设备）")] = False,
    limit: Annotated[int, typer.Option("--limit", help="最多列出多少台")] = 500,
    db: DbOption = None,
) -> None:
    """感知设备台账：编码、名称、类型、所在网格、维护单位、心跳、最后上报、状态。"""
    try:
        query = DeviceQuery(
            kind=SceneSource(kind) if kind else None,
            status=DeviceStatus(status) if status else None,
            silent_only=silent,
        )
    except ValueError:
        fail("类型须为 camera、iot、drone、satellite 之一；状态须为 active 或 disabled", code=2)
        return
    try:
        with open_services(db) as services:
            page = _devices(services).devices(cli_actor(), query, limit=max(1, min(limit, 500)))
    except DomainError as exc:
        fail(exc.message)
        return
    if as_json:
        for v in page.items:
            typer.echo(json.dumps(_device_json(v), ensure_ascii=False))
        return
    console.print(
        f"感知设备：{page.total} 台"
        + ("（离线）" if silent else "")
        + (f"，列出前 {len(page.items)} 台" if page.more else "")
    )
    for v in page.items:
        seen = f"{v.last_seen_at.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}" if v.last_seen_at else "从未上报"
        state = (
            "离线" + (f"（故障工单 {v.fault_order_number}）" if v.fault_order_number else "")
            if v.silent
            else v.status_label
        )
        console.print(
            f"{v.code}  {v.name}  [{v.kind_label}]  {v.grid_name or v.village_name or '—'}  "
            f"维护：{v.owner_name or '—'}  心跳 {v.heartbeat_label}  最后上报 {seen}  {state}",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )


def _device_json(v: DeviceView) -> dict[str, object]:
    return {
        "code": v.code,
        "name": v.name,
        "kind": v.kind.value,
        "scenes": list(v.scenes),
        "thresholds": v.thresholds,
        "latitude": v.latitude,
        "longitude": v.longitude,
        "address": v.address,
        "grid_code": v.grid_code,
        "village": v.village_name,
        "owner": v.owner_code,
        "vendor": v.vendor,
        "status": v.status.value,
        "heartbeat_s": v.heartbeat_s,
        "last_seen_at": v.last_seen_at.isoformat() if v.last_seen_at else None,
        "silent": v.silent,
        "fault_order": v.fault_order_number,
    }


@sensing_app.command("devices-import")
def devices_import(
    file: Annotated[Path, typer.Argument(help="设备台账文件（.csv 或 .xlsx）")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查并报告，不写入")] = False,
    db: DbOption = None,
) -> None:
    """导入感知设备：编码新的登记，已有的按文件更新；任何一行有误则一台也不写。"""
    if not file.is_file():
        fail(f"文件不存在：{file}")
    try:
        with open_services(db) as services:
            report = _devices(services).import_file(
                cli_actor(), file.name, file.read_bytes(), dry_run=dry_run
            )
    except DomainError as exc:
        listed = exc.details.get("problems")
        problems = [str(p) for p in listed] if isinstance(listed, list) else []
        err_console.print(f"[red]错误：{escape(exc.message)}[/red]", soft_wrap=True)
        for problem in problems:
            err_console.print(f"  - {escape(problem)}", soft_wrap=True)
        raise typer.Exit(1) from None
    if report.refused:
        err_console.print(f"[red]错误：{escape(report.summary())}[/red]")
        for problem in report.problems():
            err_console.print(f"  - {escape(problem)}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(("检查通过，未写入（--dry-run）：" if dry_run else "导入完成：") + report.summary())


@sensing_app.command("devices-export")
def devices_export(
    file: Annotated[Path, typer.Argument(help="写入的文件：.csv 或 .xlsx（可原样再导入）")],
    db: DbOption = None,
) -> None:
    """导出感知设备台账（CSV 或 Excel）。"""
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        fail("文件扩展名须为 .csv 或 .xlsx", code=2)
    with open_services(db) as services:
        registry = _devices(services)
        if suffix == ".csv":
            file.write_text("\ufeff" + registry.export_csv(cli_actor()), encoding="utf-8")
        else:
            file.write_bytes(registry.export_xlsx(cli_actor()))
    err_console.print(f"已导出到 {escape(str(file))}")


@sensing_app.command("device-status")
def device_status(
    code: Annotated[str, typer.Argument(help="设备编码")],
    state: Annotated[str, typer.Argument(help="active 启用，disabled 停用")],
    db: DbOption = None,
) -> None:
    """启用或停用一台设备：停用的设备不再受理告警，也不监测心跳。"""
    if state not in ("active", "disabled"):
        fail("状态须为 active 或 disabled", code=2)
    try:
        with open_services(db) as services:
            view = _devices(services).set_status(cli_actor(), code, DeviceStatus(state))
    except DomainError as exc:
        fail(exc.message)
        return
    console.print(f"设备 {view.code} {view.name}：已{view.status_label}", markup=False, highlight=False)


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} 的日期格式应为 YYYY-MM-DD（收到「{value[:20]}」）", code=2)
        raise  # fail() leaves; this line is for the type checker


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _precision_table(title: str, rows: tuple[PrecisionRow, ...], first: str, limit: int = 30) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (first, "属实", "误报", "已消失", "准确率", "95% 区间", "判定"):
        table.add_column(column)
    for r in rows[:limit]:
        p = r.precision
        interval = p.interval
        table.add_row(
            escape(f"{r.key} {r.name}" if r.kind == "device" else r.name),
            str(p.confirmed),
            str(p.false_alarm),
            str(p.gone),
            _pct(p.value),
            "—" if interval is None else f"{interval[0] * 100:.0f}–{interval[1] * 100:.0f}%",
            "[red]需厂商整改[/red]" if p.flagged else p.verdict,
        )
    return table


def _print_report(report: SensingReport) -> None:
    console.print(
        f"感知统计 · {escape(report.scope_name)} · {report.start} 至 {report.end}"
        f"（准确率下限 {report.floor:.0%}，至少 {report.min_labels} 个核实结论才判定）"
    )
    funnel = Table(title="告警漏斗", title_justify="left")
    for column in ("阶段", "数量", "占上一阶段", "占告警"):
        funnel.add_column(column)
    for stage in report.funnel:
        funnel.add_row(stage.label, str(stage.count), _pct(stage.of_previous), _pct(stage.of_first))
    console.print(funnel)
    outcomes = Table(title="告警去向", title_justify="left")
    outcomes.add_column("去向")
    outcomes.add_column("告警数")
    for _, label, n in report.outcomes:
        outcomes.add_row(label, str(n))
    console.print(outcomes)
    overall = report.overall
    console.print(
        f"核实准确率 {_pct(overall.value)}（属实 {overall.confirmed}，误报 {overall.false_alarm}；"
        f"已消失 {overall.gone}，占 {_pct(overall.gone_share)}）"
    )
    console.print(_precision_table("各场景准确率", report.scenes, "场景"))
    console.print(_precision_table("各算法版本准确率", report.versions, "场景 算法版本"))
    console.print(_precision_table("各设备准确率（最差在前）", report.devices, "设备"))
    flags = report.flags
    if flags:
        console.print(f"[red]需厂商整改：{len(flags)} 项[/red]")
        for r in flags:
            kind = {"scene": "场景", "version": "算法版本", "device": "设备"}[r.kind]
            console.print(
                f"  {kind} {escape(r.key)} {escape(r.name)}：准确率 {_pct(r.precision.value)}"
                f"（{r.precision.labels} 个结论）",
                soft_wrap=True,
            )
    else:
        console.print("需厂商整改：无")
    hot = Table(title="误报热点", title_justify="left")
    for column in ("类型", "编码", "名称", "位置", "误报", "核实结论"):
        hot.add_column(column)
    for h in (*report.hot_grids, *report.hot_devices):
        hot.add_row(
            "网格" if h.kind == "grid" else "设备",
            escape(h.key),
            escape(h.name),
            escape(h.place),
            str(h.false_alarms),
            str(h.answers),
        )
    console.print(hot)
    t = report.time_to_order
    median = "—" if t.median_minutes is None else f"{t.median_minutes:.0f} 分钟"
    p90 = "—" if t.p90_minutes is None else f"{t.p90_minutes:.0f} 分钟"
    console.print(f"告警到立案：中位数 {median}，90% 在 {p90} 内（{t.orders} 单）")
    c = report.timeliness.checks
    console.print(
        f"核实：派发 {c.made}，已答复 {c.answered}，按时 {c.on_time}（{_pct(report.timeliness.on_time_share)}），"
        f"升级 {c.escalated}，待核实 {c.pending}，当前超时 {c.overdue_now}；现场告知 {c.notices}"
    )
    months = Table(title="每月感知立案", title_justify="left")
    months.add_column("月份")
    months.add_column("工单")
    for month, n in report.months:
        months.add_row(month, str(n))
    console.print(months)
    console.print(f"当前离线设备：{report.silent_total}")
    for d in report.silent:
        since = "从未上报" if d.silent_minutes is None else f"{d.silent_minutes} 分钟未上报"
        console.print(f"  {escape(d.code)} {escape(d.name)} {escape(d.place)}：{since}", soft_wrap=True)


@sensing_app.command("report")
def report(
    start: Annotated[str | None, typer.Option("--from", help="开始日期 YYYY-MM-DD（默认近 30 天）")] = None,
    end: Annotated[str | None, typer.Option("--to", help="结束日期 YYYY-MM-DD（默认今天）")] = None,
    town: Annotated[str | None, typer.Option("--town", help="只看一个镇街或村居（编码或名称）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON（供脚本使用）")] = False,
    db: DbOption = None,
) -> None:
    """感知统计：告警漏斗、各场景/算法版本/设备的核实准确率与整改标记、误报热点、告警到立案时间、核实及时性、每月立案、离线设备。"""
    first, last = _day(start, "--from"), _day(end, "--to")
    try:
        with open_services(db) as services:
            result = services.get(SensingFigures).figures(cli_actor(), start=first, end=last, place=town)
    except DomainError as exc:
        fail(exc.message)
        return
    if as_json:
        typer.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    _print_report(result)


__all__ = ["sensing_app"]
