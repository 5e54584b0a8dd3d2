"""Load a generated SQLite database into PostgreSQL with COPY, row for row: much faster than generating the data
again, and the same data (ids, hashes, the chained access log) on both databases.

`python -m bench.generator.to_postgres --source sqlite:///x.sqlite --target postgresql+psycopg://.../db`
migrates the target (it must be empty), then copies every table of the service's metadata.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import time
from typing import TextIO

import psycopg
from sqlalchemy import Boolean
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from referral_service.domain import models  # noqa: F401 - registers every table
from referral_service.migrations import upgrade

#: Tables copied by their own process (the largest), the rest by one more: several fractions of a loaded machine.
GROUPS = (("access_log",), ("outbox_message",), ("alert", "referral_event"))


def copy_to_postgres(source_url: str, target_url: str, *, log: TextIO = sys.stderr) -> dict[str, int]:
    """Migrate the target, drop its plain indexes, COPY every table (in parallel processes), rebuild the
    indexes and ANALYZE."""
    upgrade(target_url)
    target = make_url(target_url).set(drivername="postgresql").render_as_string(hide_password=False)
    source = make_url(source_url).database or ""
    with psycopg.connect(target, autocommit=True) as pg:
        indexes = pg.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname "
                             "NOT IN (SELECT conname FROM pg_constraint)").fetchall()
        for name, _ in indexes:
            pg.execute(f'DROP INDEX "{name}"')
    names = [t.name for t in SQLModel.metadata.sorted_tables]
    groups = [list(g) for g in GROUPS] + [[n for n in names if not any(n in g for g in GROUPS)]]
    context = multiprocessing.get_context("fork")
    with context.Pool(len(groups)) as pool:
        results = pool.starmap(_copy_tables, [(source, target, group) for group in groups])
        # Let the workers leave on their own before the pool is left: its exit terminates them, and a worker
        # killed while it holds the task queue's lock leaves terminate() waiting on it for ever.
        pool.close()
        pool.join()
    counts = {name: n for result in results for name, n in result.items()}
    for name, n in counts.items():
        print(f"to_postgres: {name}: {n} rows", file=log, flush=True)
    with psycopg.connect(target, autocommit=True) as pg:
        for name, definition in indexes:
            started = time.monotonic()
            pg.execute(definition)
            print(f"to_postgres: index {name} in {time.monotonic() - started:.0f} s", file=log,
                  flush=True)
        pg.execute("ANALYZE")
    return counts


def _copy_tables(source_path: str, target: str, tables: list[str]) -> dict[str, int]:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    with psycopg.connect(target) as pg, pg.cursor() as cur:
        # Stored times are UTC without a zone on SQLite; foreign keys hold in the source already.
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SET session_replication_role = replica")
        for table in (t for t in SQLModel.metadata.sorted_tables if t.name in tables):
            names = [c.name for c in table.columns]
            flags = [isinstance(c.type, Boolean) for c in table.columns]
            quoted = ", ".join(f'"{n}"' for n in names)
            cur.execute(f'DELETE FROM "{table.name}"')  # what `db upgrade` put there, if anything
            n = 0
            with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {quoted} FROM "{table.name}"'):
                    copy.write_row([bool(v) if flag and v is not None else v
                                    for v, flag in zip(row, flags, strict=True)])
                    n += 1
            counts[table.name] = n
        cur.execute("SET session_replication_role = DEFAULT")
        pg.commit()
    source.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generator.to_postgres", description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="sqlite:///path of a generated database")
    parser.add_argument("--target", required=True, help="an empty PostgreSQL database")
    args = parser.parse_args(argv)
    started = time.monotonic()
    counts = copy_to_postgres(args.source, args.target)
    print(f"to_postgres: {sum(counts.values())} rows in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
