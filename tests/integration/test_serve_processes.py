"""What `serve`'s two processes are made of (issue 11: `serve` under 200 MB resident, all processes together).

The worker (tasks/embedded_worker.py) is the same Celery worker as `celery -A worker worker --beat-thread`:
it runs the background work on schedule, in a process that loads neither the web application, Celery's
command line nor the cryptography library; the web application builds no Celery app. The loop itself
(decision -> handover -> alert -> e-mail through `serve`) is tests/integration/test_embedded_serve.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def service_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **settings)
    return env


def python(code: str, env: dict[str, str]) -> str:
    """Run `code` in a fresh interpreter of this checkout (cwd first on the path) and return what it printed."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def loaded_modules(code: str, env: dict[str, str]) -> set[str]:
    """The top-level packages and modules loaded once `code` has run."""
    printed = python(code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))", env)
    return {name for name in json.loads(printed.splitlines()[-1])}


def test_the_worker_loads_neither_the_web_nor_celerys_command_line_nor_cryptography(tmp_path):
    worker = """
from config import load_config
from referral_service import create_worker
from referral_service.tasks.embedded_worker import worker_options
import celery.beat, celery.concurrency.thread, celery.worker.consumer  # what start() loads
config = load_config()
create_worker(config).Worker(**worker_options(config))
"""
    modules = loaded_modules(worker, service_env(tmp_path / "var"))

    assert {"celery.apps.worker", "referral_service.tasks.jobs", "referral_service.tasks.bell_relay"} <= modules
    for unused in ("flask", "werkzeug", "jinja2", "flask_smorest", "marshmallow", "apispec", "waitress",
                   "referral_service.web", "referral_service.api", "celery.bin.celery", "click_repl",
                   "prompt_toolkit", "cryptography"):
        assert unused not in modules, f"the worker loads {unused}"


def test_the_web_application_builds_no_celery_app_and_still_asks_the_broker(tmp_path):
    web = """
from referral_service import create_app
client = create_app().test_client()
print(client.get("/ready").get_json()["checks"])
"""
    env = service_env(tmp_path / "var")
    modules = loaded_modules(web, env)

    assert "celery" not in modules and "celery.app.base" not in modules
    assert "cryptography.fernet" in modules, "the web loads the identity keys when it starts"
    assert "'broker': 'ok'" in python(web, env)


@pytest.mark.timeout(180)
def test_the_worker_runs_the_scheduled_background_work_in_its_own_threads(tmp_path):
    data_dir = tmp_path / "var"
    # DEBUG: the scheduled tasks' "succeeded" lines are at DEBUG (tasks/task_logging.py).
    env = service_env(data_dir, REFERRAL_LOG_LEVEL="DEBUG", REFERRAL_SWEEP_INTERVAL_SECONDS="1",
                      REFERRAL_RECONCILE_INTERVAL_SECONDS="1")
    python("from referral_service.cli import main; main(['db', 'upgrade'], standalone_mode=False)", env)
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "referral_service.tasks.embedded_worker"], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def ran(task: str) -> bool:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            return any(task in line and "succeeded" in line for line in log.read_text(errors="replace").splitlines())

        for task in ("deadlines.sweep", "outbox.reconcile", "outbox.relay"):
            wait_until(lambda task=task: ran(task), timeout=60, what=f"the scheduler's {task} to run")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0, log.read_text(errors="replace")[-3000:]
