"""The database handle and the unit of work (one transaction per use case)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN is turned off; the "begin" listeners below emit it.
    dbapi_connection.isolation_level = None


def _sqlite_begin_deferred(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so that two writers never deadlock on upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def driver_execute(session: Session, statement: str, params: Any) -> Any:
    """Run `statement` on the driver's own connection (psycopg) inside `session`'s transaction.

    For the few PostgreSQL statements on the path of every channel message: SQLAlchemy adds
    about 60 µs to each statement it runs, as much as psycopg itself. Parameters and results
    are the driver's (no SQLAlchemy type conversions: UTCDateTime's naive UTC is the caller's
    to give); errors are SQLAlchemy's as usual (IntegrityError for a unique key, …), so that
    callers handle them as those of any other statement. Returns the driver's cursor.
    """
    conn = session.connection()
    driver = conn.connection.driver_connection
    assert driver is not None  # a live pooled connection always has its driver connection
    try:
        return driver.execute(statement, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, params, exc, conn.dialect.loaded_dbapi.Error, hide_parameters=True
        ) from exc


# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "zhiyun_idle_since"


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with a round trip only when it sat idle for `idle_seconds`.

    SQLAlchemy's pool_pre_ping pings on every checkout: one more round trip for every
    transaction, a few percent of a busy server. A connection in steady use has just
    proved itself; one that sat idle (the database restarted overnight, a firewall dropped
    it) is pinged, and a dead one is replaced before anyone uses it (DisconnectionError
    makes the pool discard it and check out another). A database restarted while
    connections are in use fails the statements under way; SQLAlchemy then invalidates the
    whole pool, so the next transactions reconnect.
    """

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use a moment ago
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
        except Exception as exc:
            raise DisconnectionError("pooled connection closed while idle") from exc

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def _with_option(options: str | tuple[str, ...] | None, setting: str) -> str:
    """libpq's `options` from the URL, plus `-c setting` (the URL's own settings are kept)."""
    given = " ".join(options) if isinstance(options, tuple) else (options or "")
    return f"{given} -c {setting}".strip()


class Database:
    """One engine and its session factory for a database URL."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        ping_after_idle_s: float = IDLE_PING_SECONDS,
    ) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        # Bound parameters stay out of errors and logs: they are citizens' names, phones and texts.
        kwargs: dict[str, Any] = {"echo": echo, "future": True, "hide_parameters": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.dialect != "sqlite":
            _ping_when_idle(self.engine, ping_after_idle_s)
        self.read_engine: Engine = self.engine
        if self.dialect == "sqlite":
            # Writers take SQLite's write lock at BEGIN (IMMEDIATE) and so run one after the
            # other instead of failing on a stale snapshot; readers use a second engine.
            self.read_engine = create_engine(url, **kwargs)
            for engine in (self.engine, self.read_engine):
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "connect", _no_pysqlite_transactions)
                event.listen(engine, "begin", _sqlite_begin_deferred)
            event.remove(self.engine, "begin", _sqlite_begin_deferred)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        # PostgreSQL: autocommit connections for counters taken outside the caller's transaction
        # (order numbers). A small pool of its own (each use holds a connection for one short
        # statement, so a few serve a whole process), without the ping after idling that the
        # main pool does: a connection that died meanwhile fails its statement and
        # `run_counter` retries once on a fresh one. Creating an engine opens no connection.
        # Its commits do not wait for the disk (synchronous_commit off): a number is only ever
        # used by a transaction that commits later on the main pool, and that commit flushes
        # the write-ahead log up to its own record, the counter's step included; a step lost in
        # a crash was never used, a gap as a rolled-back registration leaves.
        self.counter_engine: Engine = self.engine
        if self.dialect == "postgresql":
            self.counter_engine = create_engine(
                url,
                future=True,
                isolation_level="AUTOCOMMIT",
                hide_parameters=True,
                pool_size=2,
                max_overflow=6,
                pool_recycle=3600,
                connect_args={"options": _with_option(parsed.query.get("options"), "synchronous_commit=off")},
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    def run_counter(self, statement: str, params: dict[str, Any]) -> Any:
        """Run a counter statement (PostgreSQL SQL text) in a transaction of its own; its one value.

        On a pooled autocommit connection (`counter_engine`), through the driver: every
        registration runs one, and SQLAlchemy's share of a statement costs as much as the
        driver's. A connection that died (the database restarted) is discarded and the
        statement run once more on a fresh one.
        """
        for attempt in (1, 2):
            connection = self.counter_engine.raw_connection()
            try:
                driver = connection.driver_connection
                assert driver is not None
                return driver.execute(statement, params).fetchone()[0]
            except Exception as exc:
                dbapi = self.counter_engine.dialect.loaded_dbapi
                if not isinstance(exc, dbapi.Error):
                    raise
                lost = self.counter_engine.dialect.is_disconnect(exc, driver, None)
                if lost:
                    connection.invalidate(exc)
                if attempt == 2 or not lost:
                    raise DBAPIError.instance(
                        statement, params, exc, dbapi.Error, hide_parameters=True, connection_invalidated=lost
                    ) from exc
            finally:
                connection.close()
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only; nothing is committed."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
        if self.counter_engine is not self.engine:
            self.counter_engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
