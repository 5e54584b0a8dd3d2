"""The compose file's healthchecks, run as written against real processes (issue 15, deployment): Redis with its
password, a Celery worker and beat as compose starts them. Each check passes while its service works and fails when
it does not. What differs from a container is only what a container gives for free: the loopback port of this test's
Redis, this test's schedule file, and `$HOSTNAME` (Docker sets it to the container's host name)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from referral_service.migrations import upgrade
from tests.integration.test_deployment_compose import REQUIRED, _compose
from tests.support.redis_server import find_redis_server
from tests.support.servers import free_port, unavailable
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = secrets.token_hex(16)


@pytest.fixture(scope="module")
def services() -> dict:
    import yaml

    done = _compose("config", env=REQUIRED)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"]


def _check(service: dict, *, replace: dict[str, str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a service's healthcheck as Docker would: CMD-SHELL through sh, CMD as is; `$$` is compose's `$`."""
    kind, *command = service["healthcheck"]["test"]
    command = [part.replace("$$", "$") for part in command]
    for old, new in replace.items():
        command = [part.replace(old, new) for part in command]
    argv = ["sh", "-c", command[0]] if kind == "CMD-SHELL" else command
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def redis(tmp_path_factory) -> Iterator[int]:
    """redis-server with a password, as compose runs it; its port."""
    binary = find_redis_server()
    if binary is None or shutil.which("redis-cli") is None:
        unavailable("redis-server and redis-cli are not installed (.ci/setup-system installs redis-server)")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                "--save", "", "--appendonly", "no", "--requirepass", PASSWORD],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: process.poll() is not None or _port_open(port), timeout=10, what="redis-server to listen")
        assert process.poll() is None
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _base_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REFERRAL_")}
    # The image has its venv's commands (celery, gunicorn) on PATH; so does this run, whatever called pytest.
    env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", HOSTNAME=socket.gethostname(),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


@pytest.fixture()
def celery_env(redis, tmp_path) -> dict[str, str]:
    database = f"sqlite:///{tmp_path / 'referrals.sqlite'}"
    upgrade(database)
    return {**_base_env(), "REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": database, "REFERRAL_SMTP_HOST": "",
            "REFERRAL_BROKER_URL": f"redis://:{PASSWORD}@127.0.0.1:{redis}/0", "REFERRAL_DATA_DIR": str(tmp_path),
            # The lines the tests wait for: the worker's "ready." (INFO) and beat's routine ticks (DEBUG).
            "REFERRAL_LOG_LEVEL": "DEBUG"}


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.redis
def test_the_redis_check_passes_with_its_password_only(services, redis):
    check = {"replace": {"redis-cli": f"redis-cli -p {redis}"}}
    assert _check(services["redis"], **check, env={**_base_env(), "REDISCLI_AUTH": PASSWORD}).returncode == 0
    assert _check(services["redis"], **check, env={**_base_env(), "REDISCLI_AUTH": "wrong"}).returncode != 0


@pytest.mark.redis
@pytest.mark.slow
def test_the_worker_check_answers_while_its_worker_runs_and_fails_once_it_stops(services, celery_env, tmp_path):
    command = ["--concurrency=1" if part.startswith("--concurrency=") else part
               for part in services["worker"]["command"]]
    assert command[:2] == ["celery", "-A"]
    log = tmp_path / "worker.log"
    worker = _start([sys.executable, "-m", *command], celery_env, log)
    try:
        wait_until(lambda: " ready." in log.read_text() or worker.poll() is not None, timeout=60,
                   what="the worker to be ready")
        assert worker.poll() is None, log.read_text()[-3000:]
        healthy = _check(services["worker"], replace={}, env=celery_env)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    finally:
        _stop(worker)
    # Nobody answers now (a shorter wait for the answer than compose's, only to keep the test quick).
    stopped = _check(services["worker"], replace={"--timeout 10": "--timeout 2"}, env=celery_env)
    assert stopped.returncode != 0
    assert "--timeout 10" in " ".join(services["worker"]["healthcheck"]["test"])


@pytest.mark.redis
@pytest.mark.slow
def test_the_beat_check_passes_while_beat_writes_its_schedule_and_fails_when_it_is_stale(services, celery_env,
                                                                                          tmp_path):
    compose_schedule = next(part.removeprefix("--schedule=") for part in services["beat"]["command"]
                            if part.startswith("--schedule="))
    schedule = str(tmp_path / "celerybeat-schedule")
    command = [f"--schedule={schedule}" if part.startswith("--schedule=") else part
               for part in services["beat"]["command"]]
    check = {"replace": {compose_schedule: schedule}, "env": celery_env}
    assert _check(services["beat"], **check).returncode != 0, "no schedule file: beat never ran"
    log = tmp_path / "beat.log"
    beat = _start([sys.executable, "-m", *command], celery_env, log)
    try:
        wait_until(lambda: "Sending due task relay-outbox" in log.read_text() or beat.poll() is not None,
                   timeout=60, what="beat to send its first relay tick")
        assert beat.poll() is None, log.read_text()[-3000:]
        healthy = _check(services["beat"], **check)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    finally:
        _stop(beat)
    # Beat stopped long ago: its schedule file was last written an hour back.
    hour_ago = time.time() - 3600
    for written in tmp_path.glob("celerybeat-schedule*"):
        os.utime(written, (hour_ago, hour_ago))
    assert _check(services["beat"], **check).returncode != 0
