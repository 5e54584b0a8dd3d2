"""The outbox's doorbell: a unit of work that wrote outbox rows rings it, and the worker relays at once.

The relay also runs on its tick (`RELAY_INTERVAL_SECONDS`), which alone would keep every decision waiting
for up to a second before its handover is made. The bell is not a message and never talks to the broker:
- on PostgreSQL it is `NOTIFY`, sent inside the decision's transaction, so it is delivered at commit and
  never for a transaction that rolled back;
- on SQLite (one host) it is a file in `REFERRAL_DATA_DIR` whose time is set after the commit.
A lost ring costs only the wait for the next tick; a spurious one costs one empty relay.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

log = logging.getLogger(__name__)

CHANNEL = "referral_outbox"
FILE_NAME = "outbox.bell"


class OutboxBell:
    """Rings for a unit of work that wrote outbox rows; `wait` is the worker's side."""

    def __init__(self, *, database_url: str, data_dir: str) -> None:
        self.postgres = make_url(database_url).get_backend_name() == "postgresql"
        self.path = Path(data_dir) / FILE_NAME

    def ring_in(self, session: Session) -> None:
        """Inside the transaction, before its commit (PostgreSQL delivers the notification at commit)."""
        if self.postgres:
            session.execute(text(f"NOTIFY {CHANNEL}"))

    def rung(self) -> None:
        """After the commit (SQLite: set the bell file's time; it never waits on anything)."""
        if self.postgres:
            return
        try:
            self.path.touch()
        except OSError as exc:  # the tick relays the rows anyway
            log.warning("outbox bell: could not ring", extra={"error_type": type(exc).__name__})

    def listener(self, engine: Engine) -> BellListener:
        return PostgresListener(engine) if self.postgres else FileListener(self.path)


class BellListener:
    def wait(self, timeout: float) -> bool:
        """Block until the bell rang or `timeout` seconds passed; True when it rang."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of what the listener holds."""


class FileListener(BellListener):
    """Watches the bell file's time (a stat every 20 ms: no database, no broker)."""

    POLL_SECONDS = 0.02

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = self._stamp()

    def _stamp(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns
        except OSError:
            return 0

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            stamp = self._stamp()
            if stamp != self.seen:
                self.seen = stamp
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.POLL_SECONDS)


class PostgresListener(BellListener):
    """LISTENs on a connection of its own (taken out of the engine's pool) and waits for a notification."""

    def __init__(self, engine: Engine) -> None:
        self.connection: Any = engine.raw_connection()
        self.driver: Any = cast(Any, self.connection).driver_connection  # a psycopg.Connection
        # Out of the pool for good: it is put in autocommit and listens, which no session may inherit.
        self.connection.detach()
        self.driver.autocommit = True
        self.driver.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        rang = any(True for _ in self.driver.notifies(timeout=timeout, stop_after=1))
        if rang:  # the rings that arrived meanwhile: one relay serves them all
            for _ in self.driver.notifies(timeout=0):
                pass
        return rang

    def close(self) -> None:
        self.connection.close()
