"""What every `zhiyun` command group shares: consoles, the `--db` option and error handling.

A refused operation (a DomainError) prints its message in red on stderr and exits 1; a
database or file problem does the same with a one-line explanation; nothing prints a
traceback for bad input.
"""

from __future__ import annotations

import getpass
import logging
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from zhiyun.config import database_url
from zhiyun.domain.access import Actor, Role
from zhiyun.domain.errors import DomainError
from zhiyun.kernel.logs import scrub_handlers
from zhiyun.store.db import Database
from zhiyun.store.migrate import current_revision, head_revision

if TYPE_CHECKING:
    from zhiyun.bootstrap import Services

ServicesFactory = Callable[[Database], "Services"]
"""How the root command builds the services over an opened database (the composition root,
`bootstrap.build_services`). The root app puts it in its context's `obj`, so that a
capability's command group never imports the composition root itself."""

_services_factory: ContextVar[ServicesFactory | None] = ContextVar("zhiyun_services_factory", default=None)

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
    It also hands the services factory of the root app (its context's `obj`) to
    `open_services` for the length of the command.
    """

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        factory = ctx.find_root().obj
        token = _services_factory.set(factory) if callable(factory) else None
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            fail(exc.message)
        except DBAPIError as exc:
            fail(database_message(exc))
        except OSError as exc:  # a file that is a directory, unreadable, a port taken, …
            where = f"：{exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}")
        finally:
            if token is not None:
                _services_factory.reset(token)


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def open_database(
    db: str | None, *, create: bool = False, current_schema: bool = False
) -> Iterator[Database]:
    """The database of `--db` (else ZHIYUN_DATABASE_URL, else var/zhiyun.db), disposed afterwards.

    A SQLite file must already exist unless `create` (`zhiyun db upgrade` makes it): a typo in
    `--db` must not leave an empty file behind. With `current_schema`, a database whose schema
    is behind the code is refused with the command that fixes it.
    """
    url = make_url(database_url(db))
    file = url.database if url.get_backend_name() == "sqlite" else None
    if not create and file and file != ":memory:" and not Path(file).exists():
        fail(f"数据库文件不存在：{file}（请检查 --db，或先运行 `zhiyun db upgrade`）")
    database = Database(url.render_as_string(hide_password=False))
    try:
        if current_schema:
            require_current_schema(database)
        yield database
    finally:
        database.dispose()


def require_current_schema(database: Database) -> None:
    """Refuse to run on a database whose schema is behind the code, naming the fix."""
    current, head = current_revision(database), head_revision(database)
    if current != head:
        fail(
            f"数据库结构不是最新版本（当前 {current or '空库'}，最新 {head}）：请先运行 `zhiyun db upgrade`"
            + ("" if database.url.startswith("sqlite") else f"（--db {safe_url(database.url)}）")
        )


@contextmanager
def open_services(db: str | None, *, create: bool = False) -> Iterator[Services]:
    """Every service over the database of `--db` (see `open_database`), closed afterwards."""
    with open_database(db, create=create) as database:
        factory = _services_factory.get()
        if factory is None:
            raise RuntimeError("command group run outside the `zhiyun` root app: no services factory")
        yield factory(database)


def cli_actor() -> Actor:
    """The actor of a command-line change: an administrator named after the operating-system
    user (whoever may run `zhiyun` against the database holds its credentials anyway). The
    audit trail and the `updated_by` columns record the name, 命令行:<user>."""
    try:
        who = getpass.getuser()
    except Exception:
        who = "?"
    return Actor(user_id=None, role=Role.ADMIN, unit_id=None, name=f"命令行:{who}")


def display_host(host: str) -> str:
    """The host to print in a URL a person can open (a wildcard bind is reached at 127.0.0.1)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def port_free(host: str, port: int) -> bool:
    """Whether `port` on `host` can be bound now (to say so before starting a server)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def configure_logging(level: int = logging.INFO) -> None:
    """Logs of a long-running command (server, worker, demo) on stderr, with personal numbers scrubbed."""
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True
    )
    scrub_handlers()  # no citizens' numbers in the logs (zhiyun.kernel.logs)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def parse_date(value: str) -> date:
    """A YYYY-MM-DD option value, or a usage error naming it."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value!r}") from None
