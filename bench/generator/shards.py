"""Writing the referrals in parallel on SQLite: each worker process writes a contiguous stretch of time into its
own shard file (its access-log rows unchained), then the shards are copied into the database with
INSERT ... SELECT and the access log is chained once, in time order, over all of them.

On a loaded two-core machine a single writer gets a fraction of a core; several get several fractions.
"""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from bench.generator.directory import Directory
from bench.generator.world import World
from bench.generator.writer import ORDER, Access, BulkWriter, digest
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.types import UTCDateTime
from referral_service.security.identity_crypto import IdentityVault

PENDING = Table("bench_pending_access", MetaData(), Column("at", UTCDateTime), Column("user_id", String(36)),
                Column("organisation_id", String(36)), Column("role", String(32)), Column("action", String(64)),
                Column("referral_id", String(36)), Column("child_id", String(36)), Column("basis", String(64)))
ACCESS_COLUMNS = ("at", "user_id", "organisation_id", "role", "action", "referral_id", "child_id", "basis")


class ShardWriter(BulkWriter):
    """Keeps access-log rows unchained in the shard; the merge chains them."""

    def access(self, row: Access) -> None:
        self.add(PENDING, dict(zip(ACCESS_COLUMNS, row, strict=True)))

    def chain_months_before(self, month: tuple[int, int]) -> None:
        return None

    def finish(self) -> None:
        self.flush()


def _write_shard(shard: int, shards: int, path: str, directory: Directory, moments: list[datetime],
                 now: datetime, seed: int, vault: IdentityVault) -> None:
    from bench.generate import Children, bulk_engine, write_referrals

    url = f"sqlite:///{path}"
    engine = bulk_engine(url)
    SQLModel.metadata.create_all(engine)
    PENDING.metadata.create_all(engine)
    rng = random.Random(seed * 7919 + shard + 1)
    writer = ShardWriter(engine, new_id=lambda: world.id())
    world = World(rng, writer, directory, now)
    write_referrals(world, Children(world, vault, shard=shard, shards=shards), moments,
                    log=open(f"{path}.log", "w"), started=time.monotonic(), label=f"[{shard}]")  # noqa: SIM115
    writer.finish()
    engine.dispose()


def write_in_shards(url: str, writer: BulkWriter, directory: Directory, moments: list[datetime], *,
                    now: datetime, seed: int, vault: IdentityVault, workers: int, log: Any) -> None:
    database = Path(make_url(url).database or "")
    paths = [str(database.with_name(f"{database.name}.shard{k}")) for k in range(workers)]
    for path in paths:
        Path(path).unlink(missing_ok=True)
    size = -(-len(moments) // workers)
    context = multiprocessing.get_context("fork")  # the directory travels with the fork
    processes = [context.Process(target=_write_shard, args=(k, workers, paths[k], directory,
                                                            moments[k * size:(k + 1) * size], now, seed, vault))
                 for k in range(workers)]
    for process in processes:
        process.start()
    started = time.monotonic()
    while any(p.is_alive() for p in processes):
        time.sleep(15)  # progress report interval
        tails = [_last_line(f"{path}.log") for path in paths]
        print(f"generate: {time.monotonic() - started:.0f} s: " + " | ".join(tails), file=log, flush=True)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a shard writer failed (exit {process.exitcode})")
    print("generate: merging the shards", file=log, flush=True)
    _merge(str(database), paths, writer, log=log)
    for path in paths:
        Path(path).unlink(missing_ok=True)
        Path(f"{path}.log").unlink(missing_ok=True)


def _last_line(path: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return "-"
    return lines[-1] if lines else "-"


def _merge(database: str, paths: list[str], writer: BulkWriter, *, log: Any) -> None:
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")
    for k, path in enumerate(paths):
        conn.execute(f"ATTACH DATABASE ? AS s{k}", (path,))
    conn.execute("BEGIN")
    for table in ORDER[2:]:  # organisations and users are the main process's
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        for k in range(len(paths)):
            conn.execute(f'INSERT INTO main."{table.name}" ({names}) SELECT {names} FROM s{k}."{table.name}"')
        print(f"generate: merged {table.name}", file=log, flush=True)
    conn.execute("COMMIT")
    _chain(conn, len(paths), writer, log=log)
    conn.close()


def _chain(conn: sqlite3.Connection, shards: int, writer: BulkWriter, *, log: Any) -> None:
    """The access log over all shards in time order, chained as security/access_log.py chains it."""
    columns = ", ".join(ACCESS_COLUMNS)
    union = " UNION ALL ".join(f"SELECT {columns} FROM s{k}.bench_pending_access" for k in range(shards))
    reader = conn.execute(f"SELECT {columns} FROM ({union}) ORDER BY at")
    table = AccessLogEntry.__table__  # type: ignore[attr-defined]
    names = ("id", "seq", *ACCESS_COLUMNS, "prev_hash", "entry_hash")
    statement = (f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})')
    seq, last_hash = writer.seq, writer.last_hash
    conn.execute("BEGIN")
    while rows := reader.fetchmany(50_000):
        batch = []
        for row in rows:
            seq += 1
            at = datetime.fromisoformat(row[0]).replace(tzinfo=UTC)  # stored as UTC without its zone
            entry_hash = digest(seq, at, (at, *row[1:]), last_hash)
            batch.append((writer.new_id(), seq, *row, last_hash, entry_hash))
            last_hash = entry_hash
        conn.executemany(statement, batch)
        if seq % 1_000_000 < 50_000:
            print(f"generate: chained {seq} access-log rows", file=log, flush=True)
    conn.execute("COMMIT")
    writer.seq, writer.last_hash = seq, last_hash
