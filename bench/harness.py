"""What every part of the benchmark table uses: servers in their own process groups, a keep-alive HTTP client
that can log in to the API and the web, timed loops, resident memory from /proc, and the statistics."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.loop_latency import ROOT, Served, free_port, percentile, wait_for
from referral_service.demo import DEMO_PASSWORD


def ms_summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(statistics.median(values), 2), "p99": round(percentile(values, 99), 2)}


def service_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(data_dir), REFERRAL_DATABASE_URL=database_url, REFERRAL_LOG_LEVEL="WARNING",
               REFERRAL_SMTP_HOST="", PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **extra)
    return env


# --- HTTP --------------------------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Client:
    """One keep-alive connection (one simulated user agent); API bearer token or web session cookie."""

    port: int
    headers: dict[str, str] = field(default_factory=dict)
    _conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: object = None, *, form: dict[str, str] | None = None,
                raw: bytes | None = None) -> Response:
        headers = dict(self.headers)
        data: bytes | None = raw
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self._conn.request(method, path, body=data, headers=headers)
                response = self._conn.getresponse()
                payload = response.read()
                for cookie in response.headers.get_all("Set-Cookie") or []:
                    name_value = cookie.split(";", 1)[0]
                    self.headers["Cookie"] = name_value
                if response.headers.get("Connection", "").lower() == "close":
                    self.close()
                return Response(response.status, payload)
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def api_login(self, email: str) -> Client:
        answer = self.request("POST", "/api/v1/auth/token", {"email": email, "password": DEMO_PASSWORD})
        if answer.status != 200:
            raise RuntimeError(f"API login of {email}: {answer.status} {answer.body[:200]!r}")
        self.headers = {"Accept": "application/json", "Authorization": f"Bearer {answer.json()['access_token']}"}
        return self

    def web_login(self, email: str) -> Client:
        page = self.request("GET", "/logg-inn")
        token = re.search(rb'name="csrf_token"\s+value="([^"]+)"', page.body)
        form = {"email": email, "password": DEMO_PASSWORD, **({"csrf_token": token.group(1).decode()} if token else {})}
        answer = self.request("POST", "/logg-inn", form=form)
        if answer.status not in (302, 303):
            raise RuntimeError(f"web login of {email}: {answer.status}")
        return self


# --- servers -----------------------------------------------------------------------------------------------------

def start_serve(env: dict[str, str], workdir: Path) -> Served:
    """`referral-service serve` (web, worker, scheduler), after `db upgrade` and `seed-demo`."""
    return Served.start(env, workdir)


@dataclass
class Baseline:
    process: subprocess.Popen
    port: int

    @classmethod
    def start(cls, database_url: str, workdir: Path) -> Baseline:
        port = free_port()
        log = open(workdir / "baseline.log", "wb")  # noqa: SIM115 - the process writes to it until stopped
        process = subprocess.Popen([sys.executable, "-m", "bench.baseline_app", "--url", database_url, "--port",
                                    str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        baseline = cls(process, port)
        wait_for(lambda: process.poll() is not None or baseline.ready(), timeout=60, what="the baseline app")
        if process.poll() is not None:
            raise RuntimeError("the baseline app exited: " + (workdir / "baseline.log").read_text()[-2000:])
        return baseline

    def ready(self) -> bool:
        try:
            return Client(self.port).request("GET", "/ready").status == 200
        except OSError:
            return False

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def port_of(served: Served) -> int:
    return int(served.api.base.rsplit(":", 1)[1])


def group_rss_mb(pgid: int) -> tuple[float, int]:
    """Resident memory of every process in a process group (serve, its worker and scheduler), and their number."""
    total_kb, count = 0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            rss = re.search(r"VmRSS:\s+(\d+) kB", (entry / "status").read_text())
        except (OSError, ValueError, IndexError):
            continue
        total_kb += int(rss.group(1)) if rss else 0
        count += 1
    return round(total_kb / 1024, 1), count


# --- timed loops -------------------------------------------------------------------------------------------------

@dataclass
class Run:
    latencies_ms: list[float]
    seconds: float
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return round(len(self.latencies_ms) / self.seconds, 1) if self.seconds else 0.0


def timed(clients: list[Client], work: Callable[[Client, int], list[int]], *, per_client: int) -> Run:
    """Each client runs `work` per_client times at once (its own thread); `work` returns the statuses it saw and
    one latency is recorded per call."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop(client: Client, offset: int) -> None:
        try:
            for n in range(per_client):
                started = time.perf_counter()
                seen = work(client, offset + n)
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    for status in seen:
                        statuses[status] = statuses.get(status, 0) + 1
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(c, i * per_client)) for i, c in enumerate(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return Run(latencies, seconds, statuses)


def alternate(a: Callable[[], Run], b: Callable[[], Run], *, rounds: int) -> tuple[list[Run], list[Run]]:
    """A, B, A, B ...: both see the same machine state over the run."""
    runs_a, runs_b = [], []
    for _ in range(rounds):
        runs_a.append(a())
        runs_b.append(b())
    return runs_a, runs_b


def merged(runs: list[Run]) -> dict[str, object]:
    latencies = [v for run in runs for v in run.latencies_ms]
    statuses: dict[int, int] = {}
    for run in runs:
        for status, n in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return {"per_s": statistics.median(run.rate for run in runs), **ms_summary(latencies),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}
