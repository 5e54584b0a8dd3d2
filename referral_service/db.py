"""The database: one engine per app, sessions opened explicitly, commits only in services.

A session says up front whether its transactions only read (`read_only=True`). On SQLite that decides
how a transaction begins: one that may write begins IMMEDIATE and so queues for the single write lock
at BEGIN, where the busy timeout applies; a deferred transaction that tried to write later could fail
at once with SQLITE_BUSY (its WAL snapshot is stale) instead of waiting. A read-only transaction begins
DEFERRED and takes no lock, so a long read (`audit verify`) never holds writers up; it reads one
snapshot (on PostgreSQL too: REPEATABLE READ). Both databases refuse a write in a read-only
transaction, so a mistake fails loudly rather than now and then.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, orm
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

#: The execution option (on the engine a read-only session is bound to) that marks its transactions read-only.
READ_ONLY = "referral_read_only"
#: How long a writer waits for SQLite's write lock before "database is locked".
BUSY_TIMEOUT_S = 30


def build_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys (unless turned off) and a busy timeout."""
    # A database error's message would otherwise carry the statement's values (a child's name, say)
    # into the log line of the unhandled error (rule 5).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)

        @event.listens_for(engine, "begin")
        def _postgres_begin(connection: Any) -> None:
            if connection.get_execution_options().get(READ_ONLY):
                # One snapshot for the whole transaction, as SQLite gives: a walk of the access log and
                # its head read at the end agree although rows are appended meanwhile.
                connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")

        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, start transactions, so BEGIN IMMEDIATE below takes effect.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Writers queue on the database lock at BEGIN instead of failing on upgrade mid-transaction;
        # readers take no lock at all.
        read_only = bool(connection.get_execution_options().get(READ_ONLY))
        state = connection.connection.info  # lives as long as the SQLite connection, across transactions
        if state.get("query_only") != read_only:
            connection.exec_driver_sql(f"PRAGMA query_only={'ON' if read_only else 'OFF'}")
            state["query_only"] = read_only
        if read_only:
            connection.exec_driver_sql("BEGIN")
        else:
            turns.begin_writing(connection)

    turns = _WriterTurns(engine)
    return engine


class _WriterTurns:
    """This process's writers wait for their turn here, in order, before BEGIN IMMEDIATE.

    SQLite's own wait for the write lock polls with growing sleeps (up to 100 ms a try), so with eight writers
    at once some waited a second or more while the lock stood free; a lock of the process's own hands it on at
    once. Other processes (the worker, a command) still meet in SQLite's busy handler, as before.
    """

    _HELD = "referral.writer_turn"  # in the SQLite connection's info while its transaction holds the turn

    def __init__(self, engine: Engine) -> None:
        self._lock = threading.Lock()
        # Given back as the transaction ends (just before the database's own COMMIT or ROLLBACK, which are quick;
        # SQLite's busy handler covers that moment), and never kept by a connection that went back to the pool
        # or broke without either: a lost turn would stop every writer of the process.
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)
        event.listen(engine, "reset", self._returned)
        event.listen(engine, "invalidate", self._returned)

    def begin_writing(self, connection: Any) -> None:
        state = connection.connection.info
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked")  # as SQLite's busy timeout would answer
        state[self._HELD] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._give_back(state)
            raise

    def _ended(self, connection: Any) -> None:
        self._give_back(connection.connection.info)

    def _returned(self, _dbapi_connection: Any, connection_record: Any, _reason: Any) -> None:
        self._give_back(connection_record.info)

    def _give_back(self, state: dict[str, Any]) -> None:
        if state.pop(self._HELD, False):
            self._lock.release()


def insert_with_on_conflict(dialect_name: str, table: Table) -> Any:
    """An INSERT into `table` that takes ON CONFLICT, in the database's own dialect (both speak it alike)."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(table)


def begin_transaction(session: orm.Session, *, read_only: bool) -> None:
    """Start the session's transaction for a use case that only reads, or may write.

    A write use case on a session that is still in a read-only transaction (the request's token check)
    ends that one first: the write lock is taken here, by BEGIN IMMEDIATE, not on a later upgrade that
    SQLite may refuse. A read-only use case is happy to join any transaction already begun.
    """
    if session.in_transaction():
        reading = bool(session.connection().get_execution_options().get(READ_ONLY))
        if read_only or not reading:
            return
        session.commit()  # nothing to write; what it loaded stays loaded (expire_on_commit=False)
    session.connection(execution_options={READ_ONLY: read_only})


class Database:
    """Holds the engine; created unbound and set up in create_app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._reading_engine: Engine | None = None

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = build_engine(url)
        self._reading_engine = self.engine.execution_options(**{READ_ONLY: True})  # same pool

    def new_session(self, *, read_only: bool = False) -> Session:
        """A session whose transactions may write, or (`read_only`) only read: those take no write lock."""
        if self.engine is None or self._reading_engine is None:
            raise RuntimeError("the database is not configured")
        return Session(self._reading_engine if read_only else self.engine, expire_on_commit=False)

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session that is always closed (and rolled back if not committed)."""
        session = self.new_session(read_only=read_only)
        try:
            yield session
        finally:
            session.close()
