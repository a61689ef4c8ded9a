"""The database handle and the unit of work (one transaction per use case)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
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
    try:
        return driver.execute(statement, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, params, exc, conn.dialect.loaded_dbapi.Error) from exc


class Database:
    """One engine and its session factory for a database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: Engine = create_engine(url, **kwargs)
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
        # statement, so a few serve a whole process), without the ping on every checkout that
        # the main pool does: a connection that died meanwhile fails its statement and
        # `run_counter` retries once on a fresh one. Creating an engine opens no connection.
        self.counter_engine: Engine = self.engine
        if self.dialect == "postgresql":
            self.counter_engine = create_engine(
                url, future=True, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=6, pool_recycle=3600
            )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    def run_counter(self, statement: Any, params: dict[str, Any]) -> Any:
        """Run a counter statement in a transaction of its own (`counter_engine`); its one value."""
        for attempt in (1, 2):
            try:
                with self.counter_engine.connect() as conn:
                    return conn.execute(statement, params).scalar_one()
            except DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
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
