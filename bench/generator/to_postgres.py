"""Load a generated SQLite database into PostgreSQL with COPY, row for row: much faster than generating the data
again, and the same data (ids, hashes, the chained access log) on both databases.

`python -m bench.generator.to_postgres --source sqlite:///x.sqlite --target postgresql+psycopg://.../db`
migrates the target (it must be empty), then copies every table of the service's metadata.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time

import psycopg
from sqlalchemy import Boolean
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from referral_service.domain import models  # noqa: F401 - registers every table
from referral_service.migrations import upgrade


def copy_to_postgres(source_url: str, target_url: str, *, log: object = sys.stderr) -> dict[str, int]:
    upgrade(target_url)
    target = make_url(target_url).set(drivername="postgresql")
    source = sqlite3.connect(f"file:{make_url(source_url).database}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    with psycopg.connect(target.render_as_string(hide_password=False)) as pg:
        with pg.cursor() as cur:
            # Stored times are UTC without a zone on SQLite; foreign keys hold in the source already.
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET session_replication_role = replica")
            for table in SQLModel.metadata.sorted_tables:
                started = time.monotonic()
                names = [c.name for c in table.columns]
                flags = [isinstance(c.type, Boolean) for c in table.columns]
                quoted = ", ".join(f'"{n}"' for n in names)
                cur.execute(f'DELETE FROM "{table.name}"')  # what `db upgrade` put there, if anything
                rows = source.execute(f'SELECT {quoted} FROM "{table.name}"')
                n = 0
                with cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([bool(v) if flag and v is not None else v for v, flag in zip(row, flags,
                                                                                                   strict=True)])
                        n += 1
                counts[table.name] = n
                print(f"to_postgres: {table.name}: {n} rows in {time.monotonic() - started:.0f} s", file=log,
                      flush=True)
            cur.execute("SET session_replication_role = DEFAULT")
        pg.commit()
        pg.autocommit = True
        pg.execute("ANALYZE")
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
