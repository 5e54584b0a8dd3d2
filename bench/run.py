"""`python -m bench` (`make bench`): the benchmark table of issue 11, one run, every figure a ratio against a
baseline measured in the same run on the same database (A/B alternating, medians). Loopback only, bounded.

Parts: (a) write path, (b) read path, (c) pages at N years vs small, (d) decision -> handover loop,
(e) requests during background work, (f) serve's memory. `--only a,c` runs some of them.
The small database is the generator's at 1 year x --small-scale (the demo users see data in both).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench import loop_latency, parts
from bench.generate import generate
from bench.generator.to_postgres import copy_to_postgres
from bench.harness import Baseline, service_env, start_serve
from bench.loop_latency import ROOT, Served
from config.secret_strength import new_fernet_key

RESULTS = ROOT / "bench" / "results" / "latest.json"
#: The identity numbers' key the data is generated with and `serve` runs with: the environment's, else a new one.
ID_KEY = os.environ.get("REFERRAL_ID_ENCRYPTION_KEY") or new_fernet_key()
PARTS = ("a", "b", "c", "d", "e", "f")
#: The scheduler's own sweep and reconciler stay out of (a)-(c); (e) runs them on purpose.
EFFORTS = {"full": parts.Effort(), "quick": parts.Effort(rounds=3, pairs=10, reads=10, pages=3),
           "short": parts.Effort(rounds=2, pairs=5, reads=5, pages=2, background_timeout=300),
           "smoke": parts.Effort(rounds=1, pairs=2, reads=2, pages=1, background_timeout=120, idle_seconds=2)}
QUIET_SCHEDULER = {"REFERRAL_SWEEP_INTERVAL_SECONDS": "86400", "REFERRAL_RECONCILE_INTERVAL_SECONDS": "86400"}


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------------------------

@contextmanager
def databases(backend: str, workdir: Path, *, years: int, scale: float, small_scale: float,
              big_url: str | None, need_big: bool, small_url: str | None = None) -> Iterator[dict[str, Any]]:
    """The small and the N-year database for this backend: generated here, or copied from --small-sqlite,
    --big-sqlite, --small-postgres or --big-postgres (never written to: reads add access-log rows, the sweep
    adds marks)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if backend == "sqlite":
            small = f"sqlite:///{workdir / 'small.sqlite'}"
            big = f"sqlite:///{workdir / 'big.sqlite'}"
            make_big = _copy_sqlite if big_url else None
        else:
            from tests.support.servers import find_postgres_bin, start_postgres

            if find_postgres_bin() is None:
                raise SystemExit("PostgreSQL is not installed")
            server = start_postgres()
            stack.callback(server.stop)
            small = server.create_database("bench_small")
            big = server.create_database("bench_big")
            make_big = _copy_postgres if big_url else None
        started = time.monotonic()
        if small_url:
            log(f"{backend}: copying {make_url(small_url).render_as_string(hide_password=True)}")
            copy = _copy_sqlite if backend == "sqlite" else _copy_postgres
            small = copy(small_url, workdir, name="small")
            if backend == "postgres":
                stack.callback(_drop_postgres, small)
            info: dict[str, Any] = {"small": {"copied_from": make_url(small_url).render_as_string(hide_password=True)}}
        else:
            log(f"{backend}: generating the small database (1 year x {small_scale})")
            info = {"small": generate(small, years=1, scale=small_scale, seed=7, today=date.today(),
                                      id_encryption_key=ID_KEY, log=open(os.devnull, "w"))}  # noqa: SIM115
        info["small_url"] = small
        if not need_big:
            big = ""
        elif make_big is not None and big_url:
            log(f"{backend}: copying {make_url(big_url).render_as_string(hide_password=True)}")
            big = make_big(big_url, workdir)
            if backend == "postgres":
                stack.callback(_drop_postgres, big)
            info["big"] = {"copied_from": make_url(big_url).render_as_string(hide_password=True)}
        else:
            log(f"{backend}: generating the {years}-year database (x {scale})")
            source = f"sqlite:///{workdir / 'big.sqlite'}"
            info["big"] = generate(source, years=years, scale=scale, seed=11, today=date.today(),
                                   id_encryption_key=ID_KEY, log=sys.stderr, workers=2)
            if backend == "postgres":
                copy_to_postgres(source, big, log=sys.stderr)
        info["big_url"], info["prepared_seconds"] = big, round(time.monotonic() - started, 1)
        yield info


def _copy_sqlite(url: str, workdir: Path, *, name: str = "big") -> str:
    source = sqlite3.connect(f"file:{make_url(url).database}?mode=ro", uri=True)
    target = sqlite3.connect(workdir / f"{name}.sqlite")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{workdir / f'{name}.sqlite'}"


def _copy_postgres(url: str, _workdir: Path, *, name: str = "big") -> str:
    """A copy on the same server (CREATE DATABASE ... TEMPLATE: nobody may be connected to the source)."""
    parsed = make_url(url)
    name = f"bench_{name}_copy_{os.getpid()}"
    _on_server(url, f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    _on_server(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _on_server(url: str, statement: str) -> None:
    """Run one statement about databases, from the server's maintenance database, outside a transaction."""
    from sqlalchemy import create_engine, text

    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


# --- one backend ----------------------------------------------------------------------------------------------------

def run_backend(backend: str, workdir: Path, args: argparse.Namespace, effort: parts.Effort) -> dict[str, Any]:
    wanted = set(args.only)
    rows: list[dict[str, Any]] = []
    with databases(backend, workdir, years=args.years, scale=args.scale, small_scale=args.small_scale,
                   big_url=args.big_sqlite if backend == "sqlite" else args.big_postgres,
                   small_url=args.small_sqlite if backend == "sqlite" else args.small_postgres,
                   need_big=bool(wanted & {"c", "e"})) as dbs, ExitStack() as stack:
        small_env = service_env(workdir / "small", dbs["small_url"], REFERRAL_ID_ENCRYPTION_KEY=ID_KEY,
                                **QUIET_SCHEDULER)
        small = start_serve(small_env, workdir / "small")
        stack.callback(small.stop)
        under_load: list[float] = []
        if wanted & {"a", "b", "f"}:
            baseline = Baseline.start(dbs["small_url"], workdir)
            stack.callback(baseline.stop)
            idle_memory = parts.memory(small, [])
            if "a" in wanted or "f" in wanted:
                log(f"{backend}: (a) write path")
                written = parts.write_path(small, baseline, effort, memory=under_load)
                rows += written if "a" in wanted else []
            if "b" in wanted:
                log(f"{backend}: (b) read path")
                rows += parts.read_path(small, baseline, effort)
            if "f" in wanted:
                rows += parts.memory(small, under_load, idle=idle_memory[0]["measured"])
        if wanted & {"c", "e"}:
            big_env = service_env(workdir / "big", dbs["big_url"], REFERRAL_ID_ENCRYPTION_KEY=ID_KEY, **QUIET_SCHEDULER)
            log(f"{backend}: starting serve on the {args.years}-year database")
            big: Served = start_serve(big_env, workdir / "big")
            stack.callback(big.stop)
            label = f"{backend}, {args.years}y"
            ids = {"big": parts.demo_case(big, dbs["big_url"], seq=1),
                   "small": parts.demo_case(small, dbs["small_url"], seq=2)}
            if "c" in wanted:
                log(f"{backend}: (c) pages at {args.years} years vs small")
                rows += parts.pages(big, small, ids, effort, label=label)
            if "e" in wanted:
                log(f"{backend}: (e) requests during background work")
                rows += parts.background(big, big_env, effort, label=label, referral_id=ids["big"]["referral"])
    for entry in rows:
        entry["db"] = backend
    return {"rows": rows, "databases": {k: v for k, v in dbs.items() if not k.endswith("_url")}}


def run_loop(workdir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """(d): bench/loop_latency.py's two configurations, as rows of the table."""
    rows = []
    runners = {"sqlite": ("embedded", loop_latency.run_embedded),
               "postgres": ("postgres_redis", loop_latency.run_postgres_redis)}
    for backend in args.db:
        name, run = runners[backend]
        log(f"(d) decision -> handover loop: {name} ({args.loop_n} decisions)")
        try:
            result = run(workdir / f"loop-{name}", n=args.loop_n, pace=0.1, relay_interval=None)
        except (TimeoutError, RuntimeError, OSError) as exc:  # the rest of the table still stands
            result = {"skipped": f"failed: {exc}"}
        if "skipped" in result:
            rows.append(parts.row("d", f"decision -> handover ({name})", None, None, "ms", skipped=result["skipped"]))
            continue
        loop_latency.add_ratios(result)
        for metric, label in (("decision_to_handover_ms", "decision -> handover"),
                              ("decision_to_email_ms", "decision -> e-mail")):
            measured, base = result[metric], result["baseline"][metric]
            for q in ("median", "p99"):
                rows.append(parts.row("d", f"{label} {'p50' if q == 'median' else q} ({name})", measured.get(q),
                                      base.get(q), "ms", db=backend, samples=measured.get("n")))
    return rows


# --- the table -------------------------------------------------------------------------------------------------------

def table(rows: list[dict[str, Any]]) -> str:
    header = f"{'':2}{'db':9}{'what':66} {'measured':>10} {'baseline':>10} {'ratio':>8}  unit"
    lines = [header, "-" * len(header)]
    for entry in rows:
        flags = []
        if entry.get("failures_5xx") or entry.get("database_is_locked"):
            flags.append(f"5xx={entry.get('failures_5xx')} locked={entry.get('database_is_locked')}")
        failed = {s for group in _statuses(entry) for s in group if not s.startswith("2")}
        if failed:
            flags.append("HTTP " + ",".join(sorted(failed)))
        if entry.get("background_exit") not in (0, None):
            flags.append(f"exit {entry['background_exit']}: stopped at the time limit, did not finish")
        if entry.get("skipped"):
            flags.append(f"skipped: {entry['skipped']}")
        lines.append(f"{entry['part']:2}{entry.get('db', ''):9}{entry['what'][:66]:66} {_cell(entry['measured']):>10} "
                     f"{_cell(entry['baseline']):>10} {_cell(entry['ratio'], 'x'):>8}  {entry['unit']} "
                     + " ".join(flags))
    return "\n".join(lines)


def _statuses(entry: dict[str, Any]) -> list[dict[str, int]]:
    statuses = entry.get("statuses") or {}
    return list(statuses.values()) if statuses and isinstance(next(iter(statuses.values())), dict) else [statuses]


def _cell(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:g}{suffix}" if isinstance(value, float | int) else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(PARTS),
                        help="parts to run, e.g. a,c (default: all)")
    parser.add_argument("--db", type=lambda s: ["sqlite", "postgres"] if s == "both" else s.split(","),
                        default=["sqlite", "postgres"],
                        help="sqlite, postgres or both (default both)")
    parser.add_argument("--years", type=int, default=10, help="years of data in the large database")
    parser.add_argument("--scale", type=float, default=1.0, help="x 35 000 referrals a year")
    parser.add_argument("--small-scale", type=float, default=0.05, help="the small database: 1 year x this")
    parser.add_argument("--big-sqlite", default=None,
                        help="an N-year SQLite database made by bench.generate, copied instead of generating one")
    parser.add_argument("--small-sqlite", default=None,
                        help="a small SQLite database made by bench.generate (e.g. 1 year x 1), copied instead of "
                             "generating 1 year x --small-scale")
    parser.add_argument("--small-postgres", default=None, help="the same on PostgreSQL (copied as --big-postgres)")
    parser.add_argument("--big-postgres", default=None,
                        help="an N-year PostgreSQL database made by bench.generate, copied (CREATE DATABASE ... "
                             "TEMPLATE, so nobody may be connected to it) instead of generating one")
    parser.add_argument("--effort", choices=sorted(EFFORTS), default="full")
    parser.add_argument("--loop-n", type=int, default=40, help="(d): decisions per configuration")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--show", type=Path, nargs="+", default=None, help="print the table of saved results")
    args = parser.parse_args(argv)
    if args.show:
        for path in args.show:
            saved = json.loads(path.read_text())
            print(f"{path} ({saved['at']}, load average {saved['machine'].get('load_average')})")
            print(table(saved["rows"]) + "\n")
        return 0
    effort = EFFORTS[args.effort]
    # SIGTERM unwinds like Ctrl-C, so every server this run started is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    workdir = Path(tempfile.mkdtemp(prefix="referral-bench-"))
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    databases_used: dict[str, Any] = {}
    try:
        for backend in args.db:
            if set(args.only) - {"d"}:
                try:
                    result = run_backend(backend, workdir / backend, args, effort)
                except Exception as exc:  # noqa: BLE001 - one database failing leaves the other's figures
                    log(f"{backend} failed: {traceback.format_exc()}")
                    rows.append(parts.row("-", f"{backend}: failed", None, None, "", skipped=f"failed: {exc!r}"))
                    continue
                rows += result["rows"]
                databases_used[backend] = result["databases"]
        if "d" in args.only:
            rows += run_loop(workdir, args)
    finally:
        if args.keep:
            log(f"working directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report = {
        "benchmark": "issue 11 table", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()},
        "parameters": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "effort": vars(effort), "databases": databases_used, "rows": rows,
        "git": _git_head(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(table(rows))
    print(f"\nratio = measured / baseline (lower is better except pairs/s); written to {args.out}")
    return 0


def _git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except OSError:
        return ""
