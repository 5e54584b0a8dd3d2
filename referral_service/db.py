"""The database: one engine per app, sessions opened explicitly, commits only in services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def build_engine(url: str, *, foreign_keys: bool = True, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys (unless turned off) and a busy timeout."""
    # A database error's message would otherwise carry the statement's values (a child's name, say)
    # into the log line of the unhandled error (rule 5).
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, start transactions, so BEGIN IMMEDIATE below takes effect.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        # Writers queue on the database lock at BEGIN instead of failing on upgrade mid-transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """Holds the engine; created unbound and set up in create_app."""

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def configure(self, url: str) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = build_engine(url)

    def new_session(self) -> Session:
        if self.engine is None:
            raise RuntimeError("the database is not configured")
        return Session(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is always closed (and rolled back if not committed)."""
        session = self.new_session()
        try:
            yield session
        finally:
            session.close()
