"""The web under gunicorn with config/gunicorn.conf.py (as the image runs it): every line it writes is JSON; the
access log names the status, the path without its query string and the request id the client was answered; the
app's own line for the same request carries the same id; no identity number reaches any line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from config import load_config
from referral_service import create_app
from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.migrations import upgrade
from tests.support.servers import free_port
from tests.support.world import USERS, World, build_world

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NATIONAL_ID = make_synthetic_national_id(date(2011, 8, 21), seed=4242)


@dataclass
class Gunicorn:
    base: str
    process: subprocess.Popen
    out: Path
    err: Path
    world: World

    def call(self, method: str, path: str, body: object = None, headers: dict[str, str] | None = None
             ) -> tuple[int, dict[str, str], object]:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answered, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            status, answered, raw = exc.code, dict(exc.headers), exc.read()
        return status, answered, json.loads(raw) if raw else None

    def lines(self) -> list[dict]:
        """Every line gunicorn and the app wrote, each parsed as JSON (a line that is not JSON fails the test)."""
        text = self.out.read_text(errors="replace") + self.err.read_text(errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def text(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def wait_for_line(gunicorn: Gunicorn, condition, what: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in gunicorn.lines() if condition(line)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no log line for {what}\n{gunicorn.text()[-4000:]}")


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory) -> Iterator[Gunicorn]:
    data_dir = tmp_path_factory.mktemp("gunicorn")
    database_url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(database_url)
    # The demo organisations and users, seeded in-process on the same database (and its keys, in DATA_DIR).
    app = create_app(load_config("test", DATABASE_URL=database_url, DATA_DIR=str(data_dir)))
    world = build_world(app)
    app.extensions["referral_db"].engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": database_url, "REFERRAL_DATA_DIR": str(data_dir),
                "REFERRAL_LOG_LEVEL": "INFO", "REFERRAL_WEB_BIND": f"127.0.0.1:{port}", "REFERRAL_WEB_WORKERS": "1",
                "PYTHONUNBUFFERED": "1"})
    out, err = data_dir / "gunicorn.out", data_dir / "gunicorn.err"
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.conf.py",
                                    "referral_service.wsgi:app"], cwd=ROOT, env=env, stdout=stdout, stderr=stderr,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Gunicorn(base=f"http://127.0.0.1:{port}", process=process, out=out, err=err, world=world)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, server.text()[-4000:]
            try:
                if server.call("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, server.text()[-4000:]
            time.sleep(0.2)
        yield server
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_the_access_log_line_is_json_with_status_path_and_the_callers_request_id(gunicorn):
    path = "/api/v1/openapi.json"
    status, headers, _ = gunicorn.call("GET", f"{path}?sok={NATIONAL_ID}", headers={"X-Request-ID": "proxy.7-abc"})
    assert status == 200 and headers["X-Request-ID"] == "proxy.7-abc"

    access = wait_for_line(gunicorn, lambda line: line["logger"] == "gunicorn.access"
                           and line.get("request_id") == "proxy.7-abc", "the access of the OpenAPI document")
    assert (access["level"], access["method"], access["path"], access["status"]) == ("info", "GET", path, 200)
    assert isinstance(access["duration_ms"], float | int)
    app_line = wait_for_line(gunicorn, lambda line: line["logger"] == "referral_service.request"
                             and line.get("request_id") == "proxy.7-abc", "the app's line for the document")
    assert (app_line["level"], app_line["path"], app_line["status"]) == ("info", path, 200)
    assert app_line["endpoint"]
    assert NATIONAL_ID not in gunicorn.text()  # the query string is never logged


def test_a_healthcheck_is_in_the_access_log_but_the_apps_line_for_it_is_below_info(gunicorn):
    status, headers, _ = gunicorn.call("GET", "/health", headers={"X-Request-ID": "probe-1"})
    assert status == 200 and headers["X-Request-ID"] == "probe-1"
    wait_for_line(gunicorn, lambda line: line["logger"] == "gunicorn.access" and line.get("request_id") == "probe-1",
                  "the access of /health")
    assert not [line for line in gunicorn.lines()
                if line["logger"] == "referral_service.request" and line.get("request_id") == "probe-1"]


def test_a_made_request_id_is_answered_and_logged_for_an_error_too(gunicorn):
    status, headers, _ = gunicorn.call("GET", "/api/v1/referrals/no-such-referral",
                                       headers={"X-Request-ID": "x" * 65})  # too long: not taken
    assert status in (401, 404)
    made = headers["X-Request-ID"]
    assert made != "x" * 65 and len(made) == 32

    access = wait_for_line(gunicorn, lambda line: line["logger"] == "gunicorn.access"
                           and line.get("request_id") == made, "the access of the missing referral")
    assert (access["path"], access["status"]) == ("/api/v1/referrals/no-such-referral", status)


def test_a_referral_made_through_gunicorn_leaves_its_identity_number_in_no_line(gunicorn):
    _, _, token = gunicorn.call("POST", "/api/v1/auth/token", {"email": USERS["gp"], "password": DEMO_PASSWORD})
    body = gunicorn.world.referral_body()
    body["child"] = {**body["child"], "national_id": NATIONAL_ID}
    status, headers, created = gunicorn.call("POST", "/api/v1/referrals", body,
                                             headers={"Authorization": f"Bearer {token['access_token']}"})
    assert status == 201, created
    wait_for_line(gunicorn, lambda line: line["logger"] == "gunicorn.access"
                  and line.get("request_id") == headers["X-Request-ID"] and line["status"] == 201,
                  "the access of the new referral")
    lines = gunicorn.lines()  # all JSON
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "gunicorn.access", "referral_service.request"}
    assert NATIONAL_ID not in gunicorn.text()


@pytest.mark.parametrize(("command", "started"), [
    (["-m", "celery", "-A", "worker", "beat", "--loglevel=INFO"], "beat: Starting..."),
    (["-m", "referral_service.tasks.embedded_worker"], " ready."),
], ids=["celery-beat", "embedded-worker"])
def test_beat_and_the_embedded_worker_write_only_json_lines_from_start_to_shutdown(tmp_path, command, started):
    data_dir = tmp_path / "var"
    database_url = f"sqlite:///{tmp_path / 'referrals.sqlite'}"
    upgrade(database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": database_url, "REFERRAL_DATA_DIR": str(data_dir),
                "REFERRAL_SMTP_HOST": "", "REFERRAL_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
    if "beat" in command:
        command = [*command, f"--schedule={tmp_path / 'beat-schedule'}"]
    log = tmp_path / "process.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while started not in log.read_text(errors="replace"):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text(errors="replace").splitlines() if line.strip()]
    messages = [line["message"] for line in lines]
    assert any(message.startswith("celery ") and message.endswith(" starting") for message in messages), messages
    assert not [line for line in lines if line["level"] == "info" and "outbox.relay" in line["message"]], messages
