"""`zhiyun demo`: the one-command demo — migrate, seed the district, start the sweep, live traffic and the server."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from zhiyun.bootstrap import Services, build_services
from zhiyun.cli.support import (
    configure_logging,
    console,
    display_host,
    err_console,
    fail,
    parse_date,
    port_free,
    safe_url,
)
from zhiyun.config import DEFAULT_SQLITE_PATH, Settings, database_url
from zhiyun.kernel.logs import uvicorn_log_config
from zhiyun.store.db import Database
from zhiyun.store.migrate import upgrade

if TYPE_CHECKING:
    from zhiyun.demo.orders import SeedReport
    from zhiyun.demo.sensing import DemoBroker, SensingSimulator
    from zhiyun.demo.simulator import TrafficSimulator
    from zhiyun.sensing.consumer import AlarmConsumer


# The demo writes the database every `zhiyun` command opens by default, so that after `make demo`
# `zhiyun channel list` (run in the same directory) shows the demo's data without --db.
DEMO_DB = str(DEFAULT_SQLITE_PATH)
LEGACY_DEMO_DB = "var/demo.db"  # where the demo kept its data before


def demo_database(db: str | None) -> str:
    """The demo's database URL: `--db`, else var/zhiyun.db (the commands' default).

    ZHIYUN_DATABASE_URL is deliberately not read: the demo seeds a district into its database,
    so it never writes one it was not pointed at on its own command line.
    """
    return database_url(db or DEMO_DB)


def command_db_option(db: str | None, url: str) -> str:
    """What a `zhiyun` command run here needs to open the demo's database: "" when its default
    (--db, else ZHIYUN_DATABASE_URL, else var/zhiyun.db) already is, else " --db …"."""
    if database_url() == url:
        return ""
    return f" --db {shlex.quote(db or DEMO_DB)}"


def zhiyun_command() -> str:
    """How to run `zhiyun` from here: its name when PATH finds this one, else the script's path
    (under `make demo`: .venv/bin/zhiyun)."""
    script = Path(sys.argv[0])
    if script.name != "zhiyun":
        return "zhiyun"
    found = shutil.which("zhiyun")
    if found and Path(found).resolve() == script.resolve():
        return "zhiyun"
    try:
        return str(script.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def prepare_demo(services: Services, *, progress: bool = True) -> SeedReport:
    """Migrate, load the demo district (units, users, boundaries, grids and grid workers) and
    orders where absent (idempotent)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from zhiyun.demo.boundaries import ensure_boundaries
    from zhiyun.demo.district import DEMO_ADMIN, ensure_district
    from zhiyun.demo.district import units as demo_units
    from zhiyun.demo.grids import ensure_grid_items, ensure_grid_workers, ensure_grids, ensure_patrol_plan
    from zhiyun.demo.knowledge import ensure_knowledge
    from zhiyun.demo.objects import ensure_objects
    from zhiyun.demo.orders import seed_orders
    from zhiyun.demo.patrols import ensure_patrol_history
    from zhiyun.demo.quick_replies import ensure_quick_replies
    from zhiyun.demo.sensing import ensure_sensing_history
    from zhiyun.sensing.demo_devices import ensure_demo_devices
    from zhiyun.sensing.scenes import SceneCatalogue

    upgrade(services.db)
    existing = {r.code for r in services.org.records()}
    foreign = sorted(existing - {r.code for r in demo_units()})
    if foreign:
        fail(
            f"该数据库已有非演示的组织单位（{', '.join(foreign[:5])}…）：zhiyun demo 只用于演示数据库，"
            f"请用 --db 指定新的文件（如 make demo DB={LEGACY_DEMO_DB}）"
        )
    district = ensure_district(services)
    ensure_boundaries(services, services.geo)
    grids = ensure_grids(services)
    workers = ensure_grid_workers(services)
    items = ensure_grid_items(services)
    objects = ensure_objects(services)
    plan = ensure_patrol_plan(services)
    services.taxonomy.ensure_default(DEMO_ADMIN)  # the scenes' categories (dispatch setup does it too)
    scenes = services.get(SceneCatalogue).ensure_default(DEMO_ADMIN).created
    devices = ensure_demo_devices(services, datetime.now(UTC))
    ensure_quick_replies(services)
    knowledge = ensure_knowledge(services)
    if knowledge:
        console.print(
            f"知识库：导入并发布广东政务服务事项办事指南 {knowledge} 条（zhiyun knowledge ask 试问）"
        )
    if district.units_created or district.users_created:
        console.print(f"演示区：新建单位 {district.units_created} 个，用户 {district.users_created} 个")
    if grids.created or workers.users_created or workers.posts_created:
        console.print(
            f"网格：新建 {grids.created} 个（共 {grids.total} 个，{grids.villages} 个村居）；"
            f"网格员：新建账号 {workers.users_created} 个、岗位 {workers.posts_created} 个",
            soft_wrap=True,
        )
    if items:
        console.print(f"入格事项：安装默认事项 {items} 项")
    if objects is not None:
        console.print(
            f"网格管理对象：新建 {objects.imported} 个（楼栋、出租屋、三小场所、企业、部件设施），用时 {objects.seconds:.1f} 秒"
        )
    if scenes:
        console.print(f"感知场景目录：安装默认场景 {len(scenes)} 个（zhiyun sensing scenes）")
    if devices:
        console.print(
            f"感知设备：登记 {devices} 台（摄像机、物联传感器、无人机和卫星；zhiyun sensing devices）"
        )
    if plan is not None:
        console.print(
            f"巡查计划（{plan['month']}）：合并后 {plan['tasks_made']:,} 个上门任务，"
            f"按事项分别上门需 {plan['per_item_tasks']:,} 个，合并减少 {plan['tasks_saved']:,} 个"
            f"（{float(str(plan['share_saved'])):.1%}）",
            soft_wrap=True,
        )
    if not progress:
        report = seed_orders(services)
    else:
        with Progress(
            TextColumn("生成演示工单"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("seed", total=None)
            report = seed_orders(
                services, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    sensing = ensure_sensing_history(services)
    if sensing is not None:
        console.print(
            f"感知告警历史：近一周 {sensing.alarms} 条告警归并为 {sensing.events} 个事件，已核实 {sensing.answered} 个",
            soft_wrap=True,
        )
    _seed_hot_matters(services)
    history = ensure_patrol_history(services)  # after the seeded orders: its hazard orders are new
    if history is not None and history.visits:
        console.print(
            f"夏北社区本月巡查记录：{history.visits} 次上门，发现隐患 {history.hazards} 处（已转工单，"
            f"村居就地解决 {history.solved_locally} 件）",
            soft_wrap=True,
        )
    return report


def _seed_hot_matters(services: Services) -> None:
    """The seeded repeat matters (热点问题)."""
    from zhiyun.demo.hot_matters import MATTERS, ensure_hot_matters

    matters = ensure_hot_matters(services)
    if matters.created:
        console.print(
            f"重复反映的事项：{len(MATTERS)} 件，{matters.created} 次来电（"
            + "，".join(f"{m.label} {matters.callers.get(m.label, 0)} 人" for m in MATTERS)
            + "）",
            soft_wrap=True,
        )


def prepare_history(services: Services) -> None:
    """The old system's history (bulk import) and the recent surge (预警), after the dispatch setup:
    the first classifier is trained on the seeded month only (on two years of history it takes
    half a minute)."""
    from zhiyun.demo.history import ensure_history

    history = ensure_history(services)
    if history.imported:
        console.print(
            f"历史工单（旧系统导出，批量导入）：{history.imported:,} 件，{history.first} 至 {history.last}，"
            f"用时 {history.seconds:.1f} 秒",
            soft_wrap=True,
        )
    if history.surge_created:
        console.print(
            f"近两日激增：{history.surge_town} 噪音扰民 {history.surge_created} 件（预警检测在启动时运行）",
            soft_wrap=True,
        )


def _demo_outlook_lines(services: Services) -> None:
    """The warnings the first detection raised and the seasons ahead, for the start-up lines."""
    from zhiyun.demo.district import DemoDirectory
    from zhiyun.outlook.jobs import detect_daily
    from zhiyun.outlook.service import OutlookService

    try:
        reader = DemoDirectory.load(services).leader
    except (KeyError, LookupError):
        return
    detect_daily(
        services
    )  # the job outlook-detect, before the worker starts (its first run then adds nothing)
    outlook = services.get(OutlookService)
    warnings = outlook.warnings(reader, status="raised")
    console.print(
        f"预警（outlook-detect）：{len(warnings)} 条待处理，以领导或派单员登录后见菜单「预警」"
        + ("：" + "；".join(w.explanation for w in warnings[:3]) if warnings else ""),
        soft_wrap=True,
        markup=False,
    )
    seasons = outlook.seasons(reader, months_ahead=5)
    if seasons:
        console.print("季节提示：" + "；".join(s.text for s in seasons[:4]), soft_wrap=True, markup=False)


def sign_example(services: Services) -> tuple[str, str, str] | None:
    """(login, unit name, order number): an order of the demo district waiting to be signed for
    (待签收) and the demo login of the unit holding it, 桂城街道's first; None when there is none.

    The simulator never touches it: it works only the orders it brings in itself.
    """
    from zhiyun.demo.district import DemoDirectory
    from zhiyun.domain.order_query import OrderQuery
    from zhiyun.domain.workorder import OrderStatus

    d = DemoDirectory.load(services)  # the people's accounts, not the simulator's
    try:
        reader, town = d.leader, d.id("GC")
    except (KeyError, LookupError):
        return None
    logins = {actor.user_id: username for username, actor in d.actors.items()}
    page = services.worklists.page(reader, OrderQuery(statuses=(OrderStatus.DISPATCHED.value,)), limit=500)
    held = sorted(
        (o for o in page.items if o.current_unit is not None),
        key=lambda o: (not d.org.is_within(o.current_unit.id, town) if o.current_unit else True, o.number),
    )
    for order in held:
        assert order.current_unit is not None
        holder = d.holder_at(order.current_unit.id)
        login = logins.get(holder.user_id) if holder is not None else None
        if login is not None:
            return login, order.current_unit.name, order.number
    return None


def demo_banner(
    services: Services,
    host: str,
    port: int,
    simulator: TrafficSimulator | None = None,
    *,
    db_option: str = "",
) -> None:
    """The URL, the API docs, a login for every role, where traffic comes from, the command line
    and ready-to-copy curl examples (signing for a real order of the district, posting to a channel).

    `db_option` is what a `zhiyun` command run here needs to open the demo's database ("" or " --db …").
    """
    from zhiyun.demo.district import DEMO_PASSWORD, LOGIN_EXAMPLES, TOWNS
    from zhiyun.domain.order_query import OrderQuery
    from zhiyun.domain.workorder import OrderStatus

    base = f"http://{display_host(host)}:{port}"
    accounts = {u.username: u for u in services.accounts.list_users()}
    leader = accounts.get("leader")
    counts: dict[str, int] = {}
    if leader is not None:
        for status in OrderStatus:
            counts[status.label] = services.worklists.count(
                leader.actor(), OrderQuery(statuses=(status.value,))
            )
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    for column in ("用户名", "密码", "角色", "单位"):
        table.add_column(column)
    for username in LOGIN_EXAMPLES:
        u = accounts.get(username)
        if u is not None:
            table.add_row(u.username, DEMO_PASSWORD, f"{u.role_label} {u.role}", u.unit_name or "")
    console.rule("[bold]智运 zhiyun 演示[/bold]")
    console.print(f"控制台：[bold cyan]{base}/[/bold cyan]（浏览器打开，用下表任一账号登录）")
    console.print(f"API 地址：[bold cyan]{base}/api/v1[/bold cyan]")
    console.print(f"接口文档：[bold cyan]{base}/docs[/bold cyan]   健康检查：{base}/healthz")
    if counts:
        console.print("工单：" + "，".join(f"{label} {n}" for label, n in counts.items()), soft_wrap=True)
    console.print(table)
    towns = [f"{t.code.lower()}_dispatcher" for t in TOWNS]
    zhiyun = zhiyun_command()
    console.print(
        "其他账号同样规律：镇街派单员 "
        + "、".join(towns)
        + "；村居承办人 如 ss_lc_handler，村居派单员 如 ss_lc_dispatcher；"
        "部门 如 gaj_handler、stj_dispatcher、stj_zf_handler；网格员 如 gc_xb_grid002（专职）、"
        f"gc_xb_grid002_1（兼职）、ss_lc_chief（网格长）（完整列表：{zhiyun} user list{db_option}；"
        f"各村居网格员：{zhiyun} grid workers{db_option}）",
        soft_wrap=True,
        markup=False,
    )
    where = "默认即演示数据库" if not db_option else "须加 " + db_option.strip()
    console.print(
        f"命令行（在本目录运行，{where}）：{zhiyun} channel list{db_option}；{zhiyun} user list{db_option}",
        soft_wrap=True,
        markup=False,
    )
    _demo_sign_example(services, base)
    _demo_traffic_lines(simulator)
    _demo_channel_example(services, base)
    console.rule()


def _demo_sign_example(services: Services, base: str) -> None:
    """Log in as the unit holding a real 待签收 order, list what waits to be signed, sign that order."""
    from zhiyun.demo.district import DEMO_PASSWORD

    example = sign_example(services)
    login, unit, number = example if example else ("gc_dispatcher", "桂城街道", "<工单编号>")
    if example:
        console.print(f"\n以{unit}的账号 {login} 登录，查看待签收工单并签收工单 {number}（复制即可运行）：")
    else:
        console.print("\n以桂城街道派单员登录并查看待签收工单（把 <工单编号> 换成列表中的一个）：")
    console.print(
        f"TOKEN=$(curl -s -X POST {base}/api/v1/auth/token -d username={login} -d password={DEMO_PASSWORD} \\\n"
        f"  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')\n"
        f'curl -s -H "Authorization: Bearer $TOKEN" "{base}/api/v1/orders?status=dispatched&limit=5"\n'
        f"curl -s -X POST -H \"Authorization: Bearer $TOKEN\" -H 'content-type: application/json' \\\n"
        f"  {base}/api/v1/orders/{number}/sign -d '{{}}'",
        soft_wrap=True,
        markup=False,
    )


def start_sensing(
    services: Services, settings: Settings, seed: int | None
) -> tuple[DemoBroker, AlarmConsumer, SensingSimulator]:
    """The embedded MQTT broker, the alarm consumer on it, and the simulated devices."""
    from zhiyun.demo.sensing import DemoBroker, SensingSimulator
    from zhiyun.sensing.consumer import AlarmConsumer
    from zhiyun.sensing.pipeline import AlarmPipeline

    broker = DemoBroker()
    broker.start()
    consumer_settings = settings.model_copy(
        update={
            "mqtt_host": broker.host,
            "mqtt_port": broker.port,
            "mqtt_protocol": "3.1.1",
            "mqtt_client_id": "zhiyun-demo-sensing",
        }
    )
    consumer = AlarmConsumer(services.get(AlarmPipeline), consumer_settings)
    consumer.start()
    consumer.connected.wait(10)
    devices = SensingSimulator(services, broker.host, broker.port, seed=seed)
    devices.start()
    return broker, consumer, devices


def _demo_sensing_lines(services: Services, devices: SensingSimulator | None) -> None:
    """Where the sensing alarms come from and whose phone shows the check."""
    from zhiyun.demo.sensing import home_verifier

    console.print("\n[bold]感知告警[/bold]", end="")
    if devices is None:
        console.print(
            "：已关闭（--no-traffic）。设备可经 MQTT 或 POST /api/v1/alarms 推送（docs/sensing.md）。"
        )
        return
    console.print("（模拟摄像机、传感器经真实 MQTT 推送，zhiyun sensing consume 同款消费者入库）：")
    for line in devices.describe():
        console.print(f"  {line}", soft_wrap=True, markup=False)
    verifier = home_verifier(services)
    if verifier:
        console.print(
            f"  核实：以网格员 {verifier}（密码同上）登录，打开「巡查」页的「核实」，查看证据图并点「属实」",
            soft_wrap=True,
            markup=False,
        )
    console.print("  感知事件、感知统计：以领导或派单员登录后在菜单中打开", soft_wrap=True, markup=False)


def _demo_traffic_lines(simulator: TrafficSimulator | None) -> None:
    """Where the live traffic comes from: channels, rate, events, typhoon bursts, season."""
    console.print("\n[bold]实时来件[/bold]", end="")
    if simulator is None:
        console.print("：已关闭（--no-traffic）。可按下面的示例自行推送。")
        return
    console.print("（模拟器经真实渠道接口推送；重复件自动合并或标记为疑似重复）：")
    for line in simulator.describe():
        console.print(f"  {line}", soft_wrap=True, markup=False)


def _demo_channel_example(services: Services, base: str) -> None:
    """Issue a demo key for 12345 and show how a channel posts with it (a second post: same order)."""
    import json

    from zhiyun.demo.district import DEMO_ADMIN
    from zhiyun.domain.calendar import LOCAL_TZ
    from zhiyun.intake.channels import CHANNEL_SPECS

    issued = services.channels.issue_key(DEMO_ADMIN, "12345")
    now = datetime.now(LOCAL_TZ)
    payload = {
        **CHANNEL_SPECS["12345"].example,
        "call_id": f"C-DEMO-{now:%Y%m%d%H%M%S}",
        "call_time": now.isoformat(timespec="seconds"),
        "recording_id": f"REC-{now:%Y%m%d-%H%M}-0417",
    }
    console.print(
        f"\n以 12345 渠道推送一条来电记录（已签发演示密钥 {issued.prefix}…；再推一次返回同一工单）：",
        soft_wrap=True,
    )
    console.print(
        "cat > payload.json <<'EOF'\n"
        f"{json.dumps(payload, ensure_ascii=False)}\n"
        "EOF\n"
        f"curl -X POST {base}/api/v1/intake/12345 -H 'X-Channel-Key: {issued.key}' \\\n"
        "  -H 'content-type: application/json' -d @payload.json",
        soft_wrap=True,
        markup=False,
    )
    console.print("其他渠道的报文格式见 docs/channels.md；密钥用 zhiyun channel key|revoke 管理。")


def demo(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=f"演示数据库（SQLite 路径或 URL），默认 {DEMO_DB}，即本目录下 zhiyun 命令的默认数据库；"
            "不读 ZHIYUN_DATABASE_URL",
        ),
    ] = None,
    no_traffic: Annotated[
        bool, typer.Option("--no-traffic", help="关闭模拟器：不模拟实时来件，也不模拟办理")
    ] = False,
    traffic_rate: Annotated[
        float, typer.Option("--traffic-rate", min=0.1, help="每分钟经渠道接口推送的来件数")
    ] = 3.0,
    traffic_seed: Annotated[
        int | None, typer.Option("--traffic-seed", help="随机种子（同一种子、同一数据库：同样的来件序列）")
    ] = None,
    traffic_date: Annotated[
        str | None,
        typer.Option(
            "--traffic-date",
            help="模拟日期 YYYY-MM-DD，决定季节性诉求（4月入学报名、7月毕业生报到、11月居民医保）；默认今天",
        ),
    ] = None,
    typhoon_every: Annotated[
        float, typer.Option("--typhoon-every", min=0, help="台风突发的间隔（分钟），0 为不模拟")
    ] = 20.0,
    typhoon_size: Annotated[int, typer.Option("--typhoon-size", min=0, help="每次台风突发的来件数")] = 24,
    people_share: Annotated[
        float,
        typer.Option(
            "--people-share", min=0.0, max=1.0, help="模拟器推送的新来件中留给人工办理（模拟器不动）的比例"
        ),
    ] = 0.3,
    people_duplicate_share: Annotated[
        float,
        typer.Option(
            "--people-duplicate-share",
            min=0.0,
            max=1.0,
            help="疑似重复件中留给人工判断的比例（转到所在镇街，由人工合并或排除）",
        ),
    ] = 0.5,
) -> None:
    """一键演示：迁移数据库、载入演示区（已存在则保留）、启动时限扫描、经渠道接口的实时来件与 API 服务。"""
    import uvicorn

    from zhiyun.demo.simulator import TrafficSimulator
    from zhiyun.server import create_server_app
    from zhiyun.worker import start_background_jobs

    season_date = parse_date(traffic_date) if traffic_date else None
    if not port_free(host, port):
        fail(f"端口 {port} 已被占用：请用 --port 指定其他端口（make demo PORT=8123）")
    settings = Settings()
    url = demo_database(db)
    services = build_services(Database(url), settings)
    scheduler = None
    simulator = None
    sensing: tuple[DemoBroker, AlarmConsumer, SensingSimulator] | None = None
    try:
        console.print(f"演示数据库：{safe_url(services.db.url)}")
        db_option = command_db_option(db, url)
        if db is None and os.environ.get("ZHIYUN_DATABASE_URL"):
            err_console.print(
                f"[yellow]注意：已设置 ZHIYUN_DATABASE_URL，演示不使用它；本目录下的 zhiyun 命令会打开它，"
                f"要看演示数据请加{db_option}[/yellow]",
                soft_wrap=True,
            )
        if database_url(LEGACY_DEMO_DB) != url and Path(LEGACY_DEMO_DB).exists():
            console.print(
                f"旧版演示数据库 {LEGACY_DEMO_DB} 已不再使用（可删除；要继续用它：make demo DB={LEGACY_DEMO_DB}）",
                soft_wrap=True,
            )
        report = prepare_demo(services)
        if report.created:
            console.print(f"已生成演示工单 {report.created} 件（{report.seconds:.1f} 秒）")
        elif report.existing:
            console.print(f"沿用已有演示数据（演示工单 {report.existing} 件）")
        for failure in report.failures[:5]:
            err_console.print(f"[yellow]演示工单未完全生成：{failure}[/yellow]")
        from zhiyun.demo.dispatch_setup import ensure_dispatch

        console.print(ensure_dispatch(services).summary())
        prepare_history(services)
        _demo_outlook_lines(services)
        configure_logging()
        logging.getLogger("zhiyun.demo").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # uvicorn's access log shows every post
        scheduler = start_background_jobs(services, settings.sweep_interval_seconds)
        if not no_traffic:
            # Posts over HTTP to the server started below, once /healthz answers.
            simulator = TrafficSimulator(
                services,
                base_url=f"http://{display_host(host)}:{port}",
                rate_per_minute=traffic_rate,
                seed=traffic_seed,
                season_date=season_date,
                typhoon_every_minutes=typhoon_every,
                typhoon_size=typhoon_size,
                people_share=people_share,
                people_duplicate_share=people_duplicate_share,
            )
            simulator.start()
            sensing = start_sensing(services, settings, traffic_seed)
        demo_banner(services, host, port, simulator, db_option=db_option)
        _demo_sensing_lines(services, sensing[2] if sensing else None)
        uvicorn.run(
            create_server_app(services),
            host=host,
            port=port,
            log_level="info",
            log_config=uvicorn_log_config(),
        )
    finally:
        if sensing is not None:
            broker, consumer, devices = sensing
            devices.stop()
            consumer.stop()
            broker.stop()
        if simulator is not None:
            simulator.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        services.close()
