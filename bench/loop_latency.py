"""How long from a decision to its handover and to its alert e-mail (DESIGN.md rule 1), in both deployments.

N rejections are decided through the HTTP API of `referral-service serve`, one every PACE seconds:
  (i)  embedded: the default of `make run`: SQLite, the filesystem broker, the worker `serve` starts;
  (ii) postgres_redis: the same `serve` on PostgreSQL, its worker on Redis.
Times come from the database: ReferralEvent.at (stamped in the decision's transaction) to
Handover.created_at and to the coordinator's Alert.email_sent_at; the workers' own log lines
("referral event processed", commit_to_processed_ms) are reported beside them as a cross-check.

The baseline, measured in the same run on the same database once `serve` has stopped, is the same
decision processed in-process right after its commit with no broker and no relay tick
(tests/support/loop.py): the cost of the work itself. Results are reported as ratios against it.
Loopback only, bounded by timeouts; timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
LOGINS = {"gp": "fastlege@askoy.example", "bup": "inntak@bup.example", "admin": "admin@demo.example"}


# --- statistics ------------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p99 of 40 samples is the largest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": round(statistics.median(values), 1), "p99": round(percentile(values, 99), 1),
            "min": round(min(values), 1), "max": round(max(values), 1)}


def ratio(measured: dict, baseline: dict) -> dict[str, float | None]:
    return {q: (round(measured[q] / baseline[q], 1) if measured.get(q) and baseline.get(q) else None)
            for q in ("median", "p99")}


# --- processes and HTTP ----------------------------------------------------------------------------------------

def wait_for(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s waiting for {what}")
        time.sleep(interval)


def cli() -> list[str]:
    """`referral-service` from this checkout: the console script would import the installed (editable) copy,
    which may be another worktree's code; run with cwd=ROOT (and PYTHONPATH=ROOT for the worker it starts)."""
    return [sys.executable, "-c", "from referral_service.cli import main; main()"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Api:
    base: str
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: object = None, *, who: str | None = None,
             expect: int = 200) -> object:
        headers = {"Accept": "application/json"}
        data = json.dumps(body).encode() if body is not None else None
        if data is not None:
            headers["Content-Type"] = "application/json"
        if who is not None:
            if who not in self.tokens:
                self.tokens[who] = self.call("POST", "/api/v1/auth/token",
                                             {"email": LOGINS[who], "password": DEMO_PASSWORD})["access_token"]
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        if status != expect:
            raise RuntimeError(f"{method} {path}: {status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/ready", timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False


@dataclass
class Served:
    """`referral-service serve` (web, worker and scheduler) in its own process group."""

    process: subprocess.Popen
    log: Path
    api: Api

    @classmethod
    def start(cls, env: dict[str, str], workdir: Path) -> Served:
        workdir.mkdir(parents=True, exist_ok=True)
        for step in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([*cli(), *step], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180)
        port, log = free_port(), workdir / "serve.log"
        with open(log, "wb") as out:
            process = subprocess.Popen([*cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                       env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        served = cls(process, log, Api(f"http://127.0.0.1:{port}"))
        try:
            wait_for(lambda: served.process.poll() is not None or served.api.ready(), timeout=60, what="/ready")
            if served.process.poll() is not None:
                raise RuntimeError(f"serve exited: {log.read_text(errors='replace')[-2000:]}")
        except BaseException:
            served.stop()
            raise
        return served

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        try:  # anything left in its group (a worker that outlived it) goes too
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


def referral_body(orgs: dict[str, str], seq: int) -> dict:
    return {
        "child": {"national_id": make_synthetic_national_id(date(2012, 5, 10), seed=seq * 7 + 3),
                  "given_name": "Bench", "family_name": "Testesen", "home_municipality": "4627",
                  "guardians": [{"name": "Mor Testesen", "phone": "40000000"}]},
        "clinic_id": orgs["BUP Bergen sentrum"], "reasons": ["anxiety"],
        "description": "Økende angst og skolefravær siden høsten, sover dårlig og trekker seg unna.",
        "urgency": "normal", "measures_tried": "Samtaler med helsesykepleier i åtte uker.",
        "child_view": "Jeg vil gjerne snakke med noen.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"},
        "municipal_contacts": [],
    }


# --- reading the outcome ---------------------------------------------------------------------------------------

class Outcome:
    """Read-only look at the database (a plain engine: no BEGIN IMMEDIATE competing with the worker)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)

    def close(self) -> None:
        self.engine.dispose()

    def unprocessed(self) -> int:
        with Session(self.engine) as session:
            return session.exec(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.processed_at.is_(None))).one()

    def rows(self, referral_ids: list[str]) -> list[tuple]:
        """(decided, handover created, coordinator e-mail sent, outbox processed) per rejection."""
        with Session(self.engine) as session:
            return list(session.exec(
                select(ReferralEvent.at, Handover.created_at, Alert.email_sent_at, OutboxMessage.processed_at)
                .join(Handover, Handover.trigger_event_id == ReferralEvent.id)
                .join(Alert, (Alert.handover_id == Handover.id) & (Alert.kind == "handover_created"))
                .join(OutboxMessage, OutboxMessage.event_id == ReferralEvent.id)
                .where(ReferralEvent.referral_id.in_(referral_ids), ReferralEvent.action == "reject")).all())

    def closed(self, referral_ids: list[str]) -> bool:
        rows = self.rows(referral_ids)
        return len(rows) == len(referral_ids) and all(r[2] is not None for r in rows)

    def latencies(self, referral_ids: list[str]) -> dict[str, list[float]]:
        def ms(start: datetime, end: datetime) -> float:
            return (end - start).total_seconds() * 1000

        rows = self.rows(referral_ids)
        return {"decision_to_handover_ms": [ms(r[0], r[1]) for r in rows],
                "decision_to_email_ms": [ms(r[0], r[2]) for r in rows]}


def logged_processing_ms(log: Path) -> list[float]:
    """commit_to_processed_ms of the rejections, from the worker's JSON log lines."""
    values = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"referral event processed"' in line:
            entry = json.loads(line)
            if entry.get("action") == "reject":
                values.append(float(entry["commit_to_processed_ms"]))
    return values


# --- the measurements ------------------------------------------------------------------------------------------

def measure_served(env: dict[str, str], workdir: Path, database_url: str, *, n: int, pace: float) -> dict:
    """N paced rejections through `serve`; the loop measured from the database."""
    outcome = Outcome(database_url)
    served = Served.start(env, workdir)
    try:
        api = served.api
        orgs = {o["name"]: o["id"] for o in api.call("GET", "/api/v1/organisations?per_page=100", who="admin")["items"]}
        referral_ids = []
        for seq in range(n):
            referral = api.call("POST", "/api/v1/referrals", referral_body(orgs, seq), who="gp", expect=201)
            api.call("POST", f"/api/v1/referrals/{referral['id']}/submit", who="gp")
            referral_ids.append(referral["id"])
        wait_for(lambda: outcome.unprocessed() == 0, timeout=600, what="the submissions to be processed")
        api.call("GET", f"/api/v1/referrals/{referral_ids[0]}", who="bup")  # log in before timing
        request_ms = []
        for rid in referral_ids:
            started = time.perf_counter()
            api.call("POST", f"/api/v1/referrals/{rid}/reject", REJECTION, who="bup")
            request_ms.append((time.perf_counter() - started) * 1000)
            time.sleep(pace)  # the shape of the load, not synchronisation
        wait_for(lambda: outcome.closed(referral_ids), timeout=600, interval=0.2,
                 what="every rejection's handover and e-mail")
        result = {name: summary(values) for name, values in outcome.latencies(referral_ids).items()}
        result["decision_request_ms"] = summary(request_ms)
        result["log_commit_to_processed_ms"] = summary(logged_processing_ms(served.log))
    finally:
        served.stop()
        outcome.close()
    return result


def measure_in_process(database_url: str, data_dir: Path, *, n: int) -> dict:
    """The baseline: the same rejections, each processed in this process right after its commit."""
    from config import load_config
    from referral_service import create_app
    from referral_service.notify.mailer import FileMailer
    from tests.support.loop import InProcessWorker
    from tests.support.world import build_world

    app = create_app(load_config("development", DATABASE_URL=database_url, DATA_DIR=str(data_dir), SMTP_HOST="",
                                 LOG_LEVEL="WARNING"))
    outcome = Outcome(database_url)
    try:
        world = build_world(app)
        worker = InProcessWorker(app, mailer=FileMailer(data_dir / "mail-baseline"))
        referral_ids = [world.referral_in("submitted")["id"] for _ in range(n)]
        worker.run()
        for rid in referral_ids:
            world.act("bup", rid, "reject", REJECTION)
            worker.run()
        return {name: summary(values) for name, values in outcome.latencies(referral_ids).items()}
    finally:
        outcome.close()
        app.extensions["referral_db"].engine.dispose()


def base_env(data_dir: Path, relay_interval: float | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(data_dir), REFERRAL_LOG_LEVEL="INFO", PYTHONUNBUFFERED="1",
               PYTHONPATH=str(ROOT), **extra)
    if relay_interval is not None:
        env["REFERRAL_RELAY_INTERVAL_SECONDS"] = str(relay_interval)
    return env


def run_embedded(workdir: Path, *, n: int, pace: float, relay_interval: float | None) -> dict:
    data_dir = workdir / "embedded"
    database_url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    result = measure_served(base_env(data_dir, relay_interval), data_dir, database_url, n=n, pace=pace)
    result["baseline"] = measure_in_process(database_url, data_dir, n=n)
    result["description"] = "serve on SQLite + filesystem broker (make run)"
    return result


def run_postgres_redis(workdir: Path, *, n: int, pace: float, relay_interval: float | None) -> dict:
    from tests.support.redis_server import find_redis_server, start_redis
    from tests.support.servers import find_postgres_bin, start_postgres

    if find_postgres_bin() is None or find_redis_server() is None:
        return {"skipped": "PostgreSQL or redis-server is not installed"}
    postgres = start_postgres()
    redis = None
    try:
        redis = start_redis()
        database_url = postgres.create_database("bench_loop")
        data_dir = workdir / "postgres_redis"
        env = base_env(data_dir, relay_interval, REFERRAL_DATABASE_URL=database_url,
                       REFERRAL_BROKER_URL=redis.url(0))
        result = measure_served(env, data_dir, database_url, n=n, pace=pace)
        result["baseline"] = measure_in_process(database_url, data_dir, n=n)
        result["description"] = "serve on PostgreSQL, its worker on Redis"
        return result
    finally:
        if redis is not None:
            redis.close()
        postgres.stop()


# --- reporting -------------------------------------------------------------------------------------------------

def add_ratios(result: dict) -> None:
    if "baseline" not in result:
        return
    result["ratio_to_baseline"] = {name: ratio(result[name], result["baseline"][name])
                                   for name in ("decision_to_handover_ms", "decision_to_email_ms")}


def table(configurations: dict[str, dict]) -> str:
    header = (f"{'configuration':16} {'metric':22} {'median ms':>10} {'p99 ms':>9} {'base med':>9} "
              f"{'base p99':>9} {'x median':>9} {'x p99':>7}")
    lines = [header, "-" * len(header)]
    for name, result in configurations.items():
        if "skipped" in result:
            lines.append(f"{name:16} skipped: {result['skipped']}")
            continue
        for metric, label in (("decision_to_handover_ms", "decision -> handover"),
                              ("decision_to_email_ms", "decision -> e-mail sent")):
            m, b, r = result[metric], result["baseline"][metric], result["ratio_to_baseline"][metric]
            lines.append(f"{name:16} {label:22} {m['median']:>10} {m['p99']:>9} {b['median']:>9} {b['p99']:>9} "
                         f"{r['median']!s:>9} {r['p99']!s:>7}")
        for metric, label in (("log_commit_to_processed_ms", "log: commit->processed"),
                              ("decision_request_ms", "HTTP decision request")):
            m = result[metric]
            lines.append(f"{name:16} {label:22} {m.get('median', '-')!s:>10} {m.get('p99', '-')!s:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="rejections per configuration (default 40)")
    parser.add_argument("--pace", type=float, default=0.1, help="seconds between decisions (default 0.1)")
    parser.add_argument("--relay-interval", type=float, default=None,
                        help="REFERRAL_RELAY_INTERVAL_SECONDS for the workers (default: the service's default)")
    parser.add_argument("--only", choices=["embedded", "postgres_redis"], default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, databases)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="referral-bench-"))
    runners = {"embedded": run_embedded, "postgres_redis": run_postgres_redis}
    configurations: dict[str, dict] = {}
    started = time.monotonic()
    try:
        for name, run in runners.items():
            if args.only and name != args.only:
                continue
            print(f"bench: {name} ({args.n} rejections) ...", file=sys.stderr, flush=True)
            configurations[name] = run(workdir, n=args.n, pace=args.pace, relay_interval=args.relay_interval)
            add_ratios(configurations[name])
    finally:
        if args.keep:
            print(f"bench: working directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    from config.settings import BaseConfig

    report = {
        "benchmark": "loop_latency",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "parameters": {"n": args.n, "pace_seconds": args.pace,
                       "relay_interval_seconds": args.relay_interval or BaseConfig.RELAY_INTERVAL_SECONDS},
        "baseline": "the same rejection processed in-process right after its commit, no broker, same database",
        "configurations": configurations,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(table(configurations))
    print(f"\nratios are measured / baseline; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
