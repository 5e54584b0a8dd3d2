"""/metrics under gunicorn with two workers and PROMETHEUS_MULTIPROC_DIR: one scrape sums what every web process
counted, also processes gunicorn has already replaced; the figures of an earlier run are cleared at start."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from referral_service.migrations import upgrade
from tests.support.servers import free_port
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 12
#: Each web process is replaced after this many requests, so the requests are spread over several processes.
MAX_REQUESTS = 4
#: The gunicorn settings the test runs with: the service's metrics hooks, as config/gunicorn.conf.py imports them.
GUNICORN_CONF = f"""
from referral_service.metrics.gunicorn_hooks import child_exit, on_starting  # noqa: F401
workers = 2
max_requests = {MAX_REQUESTS}
max_requests_jitter = 0
"""
#: An earlier run's figures left in the folder: 100 requests to /health that this run must not count.
EARLIER_RUN = """
from referral_service.metrics.web import REQUEST_DURATION
for _ in range(100):
    REQUEST_DURATION.labels(endpoint="ops.health", method="GET", status="200").observe(0.01)
"""


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a loopback URL the test made
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def health_count(page: str) -> float:
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if (sample.name == "referral_http_request_duration_seconds_count"
                    and sample.labels == {"endpoint": "ops.health", "method": "GET", "status": "200"}):
                return sample.value
    return 0.0


@pytest.mark.timeout(120)
def test_one_scrape_sums_the_requests_of_every_gunicorn_worker(tmp_path):
    figures = tmp_path / "prometheus"
    figures.mkdir()
    data_dir = tmp_path / "data"
    database_url = f"sqlite:///{tmp_path / 'referrals.sqlite'}"
    upgrade(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_ENV="test", REFERRAL_DATA_DIR=str(data_dir), REFERRAL_DATABASE_URL=database_url,
               PROMETHEUS_MULTIPROC_DIR=str(figures), PYTHONUNBUFFERED="1")
    subprocess.run([sys.executable, "-c", EARLIER_RUN], cwd=ROOT, env=env, check=True, timeout=60)
    assert list(figures.glob("histogram_*.db")), "the earlier run left its figures"

    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(GUNICORN_CONF)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(conf), "--bind", f"127.0.0.1:{port}",
                                   "referral_service.wsgi:app"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: get(f"{base}/ready")[0] == 200 or server.poll() is not None, timeout=60,
                   what="gunicorn to answer", diagnostics=lambda: log.read_text(errors="replace")[-3000:])
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]
        assert health_count(get(f"{base}/metrics")[1]) == 0, "the earlier run's figures were not cleared"

        for _ in range(REQUESTS):
            assert get(f"{base}/health")[0] == 200

        processes = {int(m.group(1)) for f in figures.iterdir() if (m := re.fullmatch(r"histogram_(\d+)\.db", f.name))}
        assert len(processes) >= 2, f"the requests were answered by one process only: {processes}"
        status, page = get(f"{base}/metrics")
        assert status == 200
        assert health_count(page) == REQUESTS, "one scrape must count every process's requests, and only this run's"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def test_a_client_of_the_worker_app_leaves_no_metric_files(tmp_path):
    """compose's healthcheck runs `celery -A worker inspect ping` every 30 s in the worker's container, where
    PROMETHEUS_MULTIPROC_DIR and WORKER_METRICS_PORT are set: building the app there must write no metric file, or
    the folder (a tmpfs) fills and every scrape reads thousands of files. Only a starting worker counts."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(tmp_path / "data"), REFERRAL_WORKER_METRICS_PORT=str(free_port()),
               PROMETHEUS_MULTIPROC_DIR=str(folder))
    code = "import worker; from celery import signals; print(len(signals.worker_init.receivers))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) >= 1, "the worker's metrics are installed when a worker starts"
    assert list(folder.iterdir()) == []
