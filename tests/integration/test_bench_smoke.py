"""The benchmark still works: the national data generator fills SQLite and PostgreSQL with data that
`audit verify` accepts, and `python -m bench` at a tiny scale completes and produces every row of its table.
Nothing here asserts a timing (timings are reported by bench/, never asserted)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from bench.generate import generate
from bench.parts import PAGES
from config.secret_strength import new_fernet_key
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.dashboard_count import DashboardCount
from referral_service.domain.handover import Handover
from referral_service.domain.referral import Referral

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def audit_verify(database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATABASE_URL=database_url, REFERRAL_LOG_LEVEL="WARNING", PYTHONPATH=str(ROOT),
               REFERRAL_DATA_DIR=str(data_dir))  # the access log's checkpoints outside the database go there
    return subprocess.run([sys.executable, "-c", "from referral_service.cli import main; main()", "audit", "verify"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def count(database_url: str, table: type) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "sqlite-in-shards", "postgres"])
def generated(request, tmp_path) -> str:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_server").create_database(f"bench_{tmp_path.name.replace('-', '_')}")
    else:
        url = f"sqlite:///{tmp_path / 'national.sqlite'}"
    generate(url, years=2, scale=0.004, seed=3, today=date.today(), id_encryption_key=new_fernet_key(),
             log=open(os.devnull, "w"), workers=2 if request.param == "sqlite-in-shards" else 1)
    return url


@pytest.mark.timeout(900)
def test_generated_data_has_referrals_handovers_and_an_access_log_that_audit_verify_accepts(generated, tmp_path):
    assert count(generated, Referral) == 280
    assert count(generated, Handover) > 0
    assert count(generated, DashboardCount) > 0, "Oversikt would show nothing on generated data"
    checked = count(generated, AccessLogEntry)
    result = audit_verify(generated, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"intact: {checked} rows checked" in result.stdout


def run_bench(*args: str, timeout: float) -> tuple[int, str, str]:
    """`python -m bench` in its own process group; on a timeout it is asked to stop (SIGTERM: it stops the
    servers it started), then killed."""
    process = subprocess.Popen([sys.executable, "-m", "bench", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
        raise AssertionError(f"python -m bench did not finish in {timeout} s: {stderr[-3000:]}") from None
    return process.returncode, stdout, stderr


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_benchmark_completes_and_produces_every_row_of_its_table(backend, tmp_path):
    out = tmp_path / "latest.json"
    code, stdout, stderr = run_bench("--db", backend, "--years", "1", "--scale", "0.002", "--small-scale", "0.002",
                                     "--effort", "smoke", "--loop-n", "3", "--out", str(out), timeout=1200)
    assert code == 0, stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    parts = [r["part"] for r in rows]
    assert parts.count("a") == 6  # pairs/s, p50, p99 at 1 and 8 clients
    assert parts.count("b") == 2
    assert parts.count("c") == len(PAGES)
    assert parts.count("d") == 4  # decision -> handover and -> e-mail, p50 and p99
    # per background job: its duration, a read and a login while it runs; and the own time of each pass it printed
    # (the sweep's, the reconciler's, audit verify's)
    assert parts.count("e") == 9
    assert parts.count("f") == 2
    assert all(r["measured"] is not None for r in rows), [r["what"] for r in rows if r["measured"] is None]
    assert not [r for r in rows if r.get("failures_5xx") or r.get("database_is_locked")]
    every_status = [s for r in rows for group in _status_groups(r) for s in group]
    assert every_status and all(s.startswith("2") for s in every_status), every_status
    assert all(line in stdout for line in ("create+submit", "Oversikt", "audit verify"))


def _status_groups(row: dict) -> list[dict]:
    statuses = row.get("statuses") or {}
    return list(statuses.values()) if statuses and isinstance(next(iter(statuses.values())), dict) else [statuses]
