"""`python -m bench.audit_verify`: how long `audit verify` takes, and whether a write waits for it.

Against a copy of a database (`--database`, e.g. a copy of the national data set) or a SQLite file filled
here with `--rows` chained access-log rows. It times, on the same database in the same run:
- the verification as it was before checkpoints (every row as an ORM object, in a BEGIN IMMEDIATE transaction),
- a full verification now (`--full`: every row, read-only),
- the first verification from scratch (which seals checkpoints), then one after `--since` new rows,
- a log-in-like write during each verification: how long it waited, and whether it failed "database is locked".
Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from sqlalchemy import text

from config import load_config
from config.secret_strength import new_signing_secret
from referral_service.db import Database
from referral_service.migrations import upgrade
from referral_service.security.access_log import append_rows, audit_key, configure_access_log
from referral_service.security.access_log_checkpoints import checkpoint_dir
from referral_service.services.admin.audit import verify_access_log

#: Signs the checkpoints this run seals and verifies (in this process only).
SECRET = new_signing_secret()


def fill(database: Database, rows: int, *, start: datetime, batch: int = 5000) -> None:
    """Append `rows` chained rows, `batch` to a transaction, as the service writes them."""
    assert database.engine is not None
    made = 0
    while made < rows:
        size = min(batch, rows - made)
        with database.engine.begin() as connection:
            append_rows(connection, [
                {"id": f"bench-{start:%Y%m%d}-{made + i:012d}", "at": start + timedelta(seconds=made + i),
                 "user_id": f"user-{(made + i) % 997:05d}", "organisation_id": f"org-{(made + i) % 401:04d}",
                 "role": "bup_intake", "action": "read" if i % 3 else "list",
                 "referral_id": f"referral-{(made + i) % 360_000:06d}", "child_id": f"child-{(made + i) % 300_000:06d}",
                 "basis": "receiving_clinic"}
                for i in range(size)])
        made += size


def old_verifier() -> ModuleType:
    """The verification of the last release (git HEAD~ of this change), loaded from the main checkout."""
    source = subprocess.run(["git", "-C", str(Path(__file__).parent.parent), "show",
                             "248b9b5:referral_service/security/access_log.py"],
                            check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("old_access_log", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_access_log"] = module  # dataclasses look their module up
    exec(compile(source, "old_access_log.py", "exec"), module.__dict__)  # noqa: S102 - our own last release
    return module


def write_during(database: Database, work, *, started: threading.Event) -> tuple[float, str]:
    """Run `work` in a thread; once it has begun, time one small write transaction."""
    assert database.engine is not None
    thread = threading.Thread(target=work)
    thread.start()
    started.wait()
    begun = time.perf_counter()
    outcome = "ok"
    try:
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE access_log_head SET seq = seq WHERE id = 1"))
    except Exception as exc:  # noqa: BLE001 - the outcome is the measurement
        outcome = f"failed: {str(exc).splitlines()[0][:60]}"
    waited = time.perf_counter() - begun
    thread.join()
    return waited, outcome


def timed(label: str, database: Database, run) -> None:
    started = threading.Event()
    result: dict[str, object] = {}

    def work() -> None:
        begun = time.perf_counter()
        result["value"] = run(started)
        result["seconds"] = time.perf_counter() - begun

    waited, outcome = write_during(database, work, started=started)
    value = result["value"]
    summary = f"ok={value.ok} checked={value.checked}" if hasattr(value, "ok") else str(value)
    print(f"{label:<44} {result['seconds']:8.2f} s   {summary:<28} a write waited {waited * 1000:8.1f} ms ({outcome})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", help="an SQLAlchemy URL of a database to use (a copy: checkpoints are written)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows to generate when no --database is given")
    parser.add_argument("--since", type=int, default=20_000, help="rows appended between the two verifications")
    parser.add_argument("--skip-old", action="store_true", help="do not time the last release's verification")
    parser.add_argument("--skip-full", action="store_true", help="do not time a --full verification")
    args = parser.parse_args(argv)

    url = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'audit.sqlite'}"
    upgrade(url)
    database = Database()
    database.configure(url)
    assert database.engine is not None
    config = load_config("development", DATABASE_URL=url, SECRET_KEY=SECRET, DATA_DIR=tempfile.mkdtemp())
    configure_access_log(database.engine, key=audit_key(config), checkpoint_dir=checkpoint_dir(config))
    if not args.database:
        begun = time.perf_counter()
        fill(database, args.rows, start=datetime(2016, 1, 1, tzinfo=UTC))
        print(f"generated {args.rows} rows in {time.perf_counter() - begun:.1f} s")
    with database.engine.connect() as connection:
        print(f"access-log rows: {connection.execute(text('SELECT count(*) FROM access_log')).scalar()}")

    if not args.skip_old:
        old = old_verifier()

        def run_old(started: threading.Event):
            with database.session() as session:  # the release began every transaction IMMEDIATE
                session.connection()
                started.set()
                return old.verify_chain(session)

        timed("before: ORM walk in a write transaction", database, run_old)

    def run_new(*, full: bool):
        def run(started: threading.Event):
            started.set()
            return verify_access_log(database, actor=None, config=config, full=full)
        return run

    if not args.skip_full:
        timed("now: --full, read-only", database, run_new(full=True))
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM access_log_checkpoint"))
    timed("now: first verify (seals checkpoints)", database, run_new(full=False))
    fill(database, args.since, start=datetime(2026, 12, 1, tzinfo=UTC))
    timed(f"now: after {args.since} new rows, from checkpoint", database, run_new(full=False))
    timed("now: again, nothing new", database, run_new(full=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
