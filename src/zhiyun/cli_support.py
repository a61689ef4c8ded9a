"""What every `zhiyun` command group shares: consoles, the `--db` option and error handling.

A refused operation (a DomainError) prints its message in red on stderr and exits 1; a
database or file problem does the same with a one-line explanation; nothing prints a
traceback for bad input.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError, OperationalError

from zhiyun.domain.errors import DomainError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite 文件路径或数据库 URL；默认取 ZHIYUN_DATABASE_URL，否则 var/zhiyun.db",
        show_default=False,
    ),
]


def fail(message: str, code: int = 1) -> None:
    """Print `message` as an error and leave with exit code `code`."""
    err_console.print(f"[red]错误：{escape(message)}[/red]", soft_wrap=True)
    raise typer.Exit(code)


def database_message(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    lowered = text.lower()
    if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        return f"数据库尚未初始化或结构不是最新版本（{first}），请先运行 `zhiyun db upgrade`"
    if isinstance(exc, OperationalError) and ("connect" in lowered or "unable to open" in lowered):
        return f"无法连接数据库：{first}"
    return f"数据库错误：{first}"


class ZhiyunGroup(typer.core.TyperGroup):
    """Turns refusals into a red message and exit code 1 instead of a traceback.

    Every command group uses it, so a sub-app behaves the same run on its own (as in tests).
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            fail(exc.message)
        except DBAPIError as exc:
            fail(database_message(exc))
        except OSError as exc:  # a file that is a directory, unreadable, a port taken, …
            where = f"：{exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}")
