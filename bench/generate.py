"""`python -m bench.generate --url URL --years N --scale S`: fill a database with a national data set.

Migrates the database, seeds the demo data (referral_service/demo.py), then writes N years of national
activity before `--today` in bulk: ~35 000 referrals a year x scale across 357 municipalities and ~50 clinics,
with their events, handovers, alerts, outbox rows, deadline marks and a chained access log that
`referral-service audit verify` accepts. Deterministic with `--seed` (except the identity numbers' ciphertext,
which Fernet salts at random; their blind index is deterministic). Prints the row counts as JSON.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from bench.generator.directory import Place, build_directory, created_at
from bench.generator.referrals import FAMILY, GIVEN, Child, write_referral
from bench.generator.world import World, is_working_day
from bench.generator.writer import BulkWriter
from config.settings import BaseConfig
from referral_service.db import build_engine
from referral_service.demo import seed_demo
from referral_service.domain import models  # noqa: F401 - registers every table for count_rows
from referral_service.domain.child import Child as ChildTable
from referral_service.domain.national_id import make_national_id
from referral_service.domain.organisation import Organisation, User
from referral_service.migrations import upgrade
from referral_service.security.identity_crypto import IdentityVault
from referral_service.security.passwords import hash_password
from referral_service.services.dashboard_counts import rebuild_counts
from referral_service.services.dashboard_facts import CountingRules
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.calendar import WorkingDayCalendar

REFERRALS_A_YEAR = 35_000
REPEAT_CHILD_SHARE = 0.15
CHILDREN = ChildTable.__table__  # type: ignore[attr-defined]


def bulk_engine(url: str) -> Engine:
    """A plain engine for loading: on SQLite no per-transaction BEGIN IMMEDIATE and no fsync per chunk."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
            cursor.close()
    return engine


class Children:
    """The children of the nation: new ones with a synthetic identity number, and some referred again."""

    def __init__(self, world: World, vault: IdentityVault, *, shard: int = 0, shards: int = 1) -> None:
        self.world, self.vault, self.shard, self.shards = world, vault, shard, shards
        self.by_place: dict[str, list[Child]] = {}
        self.numbers: set[str] = set()

    def synthetic_number(self, birth: date) -> str:
        """A synthetic fødselsnummer no other child has (individual numbers 500-999 for 2000-2039, 000-499 before)."""
        low = 500 if birth.year >= 2000 else 0
        while True:
            individual = self.world.rng.randint(low, low + 499)
            if individual % self.shards != self.shard:  # shards written in parallel never meet on a number
                continue
            try:
                number = make_national_id(birth, individual=individual, synthetic=True)
            except ValueError:  # a check digit of 10: the next individual number
                continue
            if number not in self.numbers:
                return number

    def for_referral(self, place: Place, at: datetime) -> Child:
        rng, known = self.world.rng, self.by_place.setdefault(place.number, [])
        if known and rng.random() < REPEAT_CHILD_SHARE:
            child = known[rng.randrange(max(0, len(known) - 300), len(known))]  # referred again within a few years
            if (at.date() - child.birth_date).days < 17 * 365:
                return child
        birth = at.date() - timedelta(days=rng.randint(6 * 365, 16 * 365 + 180))
        number = self.synthetic_number(birth)
        self.numbers.add(number)
        family = rng.choice(FAMILY)
        child = Child(self.world.id(), rng.choice(GIVEN), family, birth,
                      [{"name": f"{rng.choice(GIVEN)} {family}", "phone": f"4{rng.randrange(10**7):07d}"}])
        self.world.writer.add(CHILDREN, {
            "id": child.id, "national_id_ciphertext": self.vault.encrypt(number),
            "national_id_index": self.vault.blind_index(number), "national_id_kind": "fodselsnummer",
            "synthetic": True, "given_name": child.given_name, "family_name": child.family_name,
            "birth_date": birth, "home_municipality": place.number, "guardians": child.guardians, "created_at": at})
        known.append(child)
        return child


def creation_moments(world: World, *, today: date, years: int, count: int) -> list[datetime]:
    """When the referrals were written: working days over the years before today, in order."""
    first = date(today.year - years, today.month, min(today.day, 28))
    days = [first + timedelta(days=n) for n in range((today - first).days)]
    working = [d for d in days if is_working_day(d)]
    return sorted(world.office_hours(world.rng.choice(working)) for _ in range(count))


def generate(url: str, *, years: int, scale: float, seed: int, today: date, id_encryption_key: str,
             log: Any = sys.stderr, workers: int = 1) -> dict[str, Any]:
    """The whole data set; with several workers (SQLite only) the referrals are written by that many processes
    into shards that are then merged, and the access log chained once over all of them."""
    started = time.monotonic()
    upgrade(url)
    service_engine = build_engine(url)
    try:
        seed_demo(SqlUnitOfWork(lambda: Session(service_engine, expire_on_commit=False), close=True))
    finally:
        service_engine.dispose()
    rng = random.Random(seed)
    engine = bulk_engine(url)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=5)
    with Session(engine) as session:
        directory = build_directory(session, rng, today=today, password_hash=hash_password("demo-passord-2026"),
                                    created=created_at(today, years))
    writer = BulkWriter(engine, new_id=lambda: world.id())
    world = World(rng, writer, directory, now)
    for row in directory.organisations:
        writer.add(Organisation.__table__, row)  # type: ignore[attr-defined]
    for row in directory.users:
        writer.add(User.__table__, row)  # type: ignore[attr-defined]
    writer.flush()
    vault = IdentityVault(id_encryption_key)
    moments = creation_moments(world, today=today, years=years, count=round(REFERRALS_A_YEAR * scale * years))
    if workers > 1 and engine.dialect.name == "sqlite":
        from bench.generator.shards import write_in_shards

        write_in_shards(url, writer, directory, moments, now=now, seed=seed, vault=vault, workers=workers, log=log)
    else:
        write_referrals(world, Children(world, vault), moments, log=log,
                        started=started)
    writer.finish()
    with engine.begin() as connection:  # Oversikt's counts, which bulk inserts do not keep (dashboard_counts.py)
        rebuild_counts(connection, CountingRules(calendar=WorkingDayCalendar(),
                                                 timezone=ZoneInfo(BaseConfig.TIMEZONE)))
    engine.dispose()
    return {"url_backend": url.split(":", 1)[0], "years": years, "scale": scale, "seed": seed,
            "today": today.isoformat(), "seconds": round(time.monotonic() - started, 1), "rows": count_rows(url)}


def write_referrals(world: World, children: Children, moments: list[datetime], *, log: Any, started: float,
                    label: str = "") -> None:
    """Each referral's story, in the order they were written; the access log chained month by month."""
    rng, writer, directory = world.rng, world.writer, world.directory
    who = [(place, org) for place in directory.places for org, _ in place.referrers]
    cumulative = list(accumulate(place.weight * share for place in directory.places for _, share in place.referrers))
    month = None
    for n, moment in enumerate(moments):
        if (moment.year, moment.month) != month:
            month = (moment.year, moment.month)
            writer.chain_months_before(month)
            print(f"generate{label}: {moment:%Y-%m} ({n}/{len(moments)} referrals, "
                  f"{time.monotonic() - started:.0f} s)", file=log, flush=True)
        place, org = who[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
        write_referral(world, place=place, referrer_org=org, child=children.for_referral(place, moment),
                       created=moment)
        writer.maybe_flush()


def count_rows(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                    for table in SQLModel.metadata.sorted_tables}
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0, help="x 35 000 referrals a year (default 1)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),
                        help="the service's today: data lies in the years before it (default: today)")
    parser.add_argument("--workers", type=int, default=1,
                        help="SQLite only: write the referrals in this many processes, then merge (default 1)")
    parser.add_argument("--id-encryption-key", default=os.environ.get("REFERRAL_ID_ENCRYPTION_KEY", ""),
                        help="the REFERRAL_ID_ENCRYPTION_KEY the service will run with (default: that variable; "
                             "`referral-service keys new` makes one)")
    args = parser.parse_args(argv)
    result = generate(args.url, years=args.years, scale=args.scale, seed=args.seed, today=args.today,
                      id_encryption_key=args.id_encryption_key, workers=args.workers)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
