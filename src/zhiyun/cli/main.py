"""The `zhiyun` command line: the root app, the database schema, serving and the worker.

Each capability keeps its own command group (`org/cli.py`, `accounts/cli.py`, `geo/cli.py`, …)
and declares it in its `capability.py`; this module mounts what the installed capabilities
declare (zhiyun.capabilities) and adds the commands of the whole platform (db, serve, worker, demo). Every command takes `--db` (a SQLite file path or a database
URL such as postgresql://user@host/zhiyun); without it ZHIYUN_DATABASE_URL applies, else
var/zhiyun.db. A refused operation (a DomainError) prints its message in red on stderr and
exits with 1; a malformed command line exits with 2. Nothing runs at import time.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from zhiyun.bootstrap import build_services
from zhiyun.capabilities import installed
from zhiyun.cli.support import (
    DbOption,
    ZhiyunGroup,
    configure_logging,
    console,
    display_host,
    open_services,
    require_current_schema,
    safe_url,
)
from zhiyun.demo.cli import demo
from zhiyun.kernel.capability import resolve
from zhiyun.kernel.logs import uvicorn_log_config
from zhiyun.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(
    cls=ZhiyunGroup,
    name="zhiyun",
    help="智运 zhiyun：区智慧城市运行中心工单平台的命令行。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    # every command group opens its services through cli.support.open_services, which builds
    # them with this factory: the composition root is known here only
    context_settings={"obj": build_services},
)

db_app = typer.Typer(cls=ZhiyunGroup, help="数据库结构（Alembic 迁移）。", no_args_is_help=True)
app.add_typer(db_app, name="db")
for capability in installed():
    for command in capability.commands:
        if command.group:
            app.add_typer(resolve(command.ref), name=command.name)
        else:
            app.command(command.name)(resolve(command.ref))


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """创建或升级数据库结构到最新版本（可重复执行）。"""
    with open_services(db, create=True) as services:
        before = current_revision(services.db)
        upgrade(services.db)
        after = current_revision(services.db)
        where = safe_url(services.db.url)
    if before == after:
        console.print(f"数据库已是最新版本 {after}（{where}）")
    else:
        console.print(f"数据库已升级：{before or '空库'} → {after}（{where}）")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """显示数据库当前的结构版本与最新版本。"""
    with open_services(db) as services:
        current, head = current_revision(services.db), head_revision(services.db)
        where = safe_url(services.db.url)
    console.print(f"数据库：{where}")
    console.print(f"当前版本：{current or '空库（未初始化）'}")
    console.print(f"最新版本：{head}")
    if current == head:
        console.print("[green]结构已是最新[/green]")
    else:
        console.print("[yellow]需要升级：请运行 `zhiyun db upgrade`[/yellow]")


@app.command("worker")
def worker(
    interval: Annotated[
        float | None,
        typer.Option("--interval", min=1, help="扫描间隔秒数；默认 ZHIYUN_SWEEP_INTERVAL_SECONDS 或 60"),
    ] = None,
    db: DbOption = None,
) -> None:
    """后台进程：定时执行时限扫描（可多个同时运行，不会重复催办）。Ctrl-C 或 SIGTERM 停止。"""
    from zhiyun.worker import run_worker

    configure_logging()
    with open_services(db) as services:
        require_current_schema(services.db)
        seconds = interval or services.settings.sweep_interval_seconds
        logging.getLogger("zhiyun.worker").info("database %s", safe_url(services.db.url))
        run_worker(services, seconds)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口")] = 8000,
    db: DbOption = None,
) -> None:
    """启动 API 服务（数据库须已执行 `zhiyun db upgrade`）。"""
    import uvicorn

    from zhiyun.server import create_server_app

    with open_services(db) as services:
        require_current_schema(services.db)
        console.print(
            f"智运：http://{display_host(host)}:{port}/  （控制台；接口 /api/v1，文档 /docs，数据库 {safe_url(services.db.url)}）"
        )
        uvicorn.run(
            create_server_app(services),
            host=host,
            port=port,
            log_level="info",
            log_config=uvicorn_log_config(),
            proxy_headers=True,
        )


app.command("demo")(demo)  # demo/cli.py


def main() -> None:
    """Entry point of the `zhiyun` script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
