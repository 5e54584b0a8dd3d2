"""How `serve` starts (issue 15): a busy port is one clear line and nothing started; `make run PORT=…` takes
another port; the address and the demo logins are the last thing `serve` prints, once its worker consumes."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from referral_service.demo import DEMO_PASSWORD, USERS
from tests.integration import test_embedded_serve
from tests.integration.test_embedded_serve import ROOT, cli
from tests.integration.test_embedded_serve_killed import started_by
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow

#: `serve` after `db upgrade` and `seed-demo` on an empty DATA_DIR, as `make run` does.
served = test_embedded_serve.served


@pytest.mark.timeout(120)
def test_a_busy_port_is_one_line_and_nothing_starts(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        process = subprocess.Popen([*cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        out, err = process.communicate(timeout=90)
        assert started_by(process.pid, port) == [], "no worker was started"

    assert process.returncode != 0
    assert err.splitlines() == [f"Port {port} on 127.0.0.1 is in use; stop the other program or choose another port "
                                "with --port (make run PORT=…)."]
    assert out == "", "nothing printed before the error, no 'Serving on'"
    assert not (tmp_path / "var" / "celerybeat-schedule").exists(), "no scheduler ever ran"


def make_run(*args: str, **environ: str) -> str:
    """The commands `make run` would run (make -n), with these variables on the command line or in the environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "MAKEFLAGS")}
    env.update(environ)
    done = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    [serve] = [line for line in done.stdout.splitlines() if "referral-service serve" in line]
    return serve


def test_make_run_takes_another_port_and_host():
    assert make_run().endswith("referral-service serve --host 127.0.0.1 --port 8080")
    assert make_run("PORT=9191").endswith("serve --host 127.0.0.1 --port 9191")
    assert make_run(PORT="9192").endswith("serve --host 127.0.0.1 --port 9192")
    assert make_run("HOST=0.0.0.0", "PORT=9193").endswith("serve --host 0.0.0.0 --port 9193")
    # A shell's own HOST (the machine's name) never moves the service off the loopback address.
    assert make_run(HOST="workstation.example").endswith("serve --host 127.0.0.1 --port 8080")


@pytest.mark.timeout(180)
def test_serve_prints_the_address_and_the_demo_logins_last(served):
    base = served.http.base
    wait_until(lambda: "Stop with Ctrl-C." in served.log.read_text(errors="replace"), timeout=30,
               what="serve's closing block")
    log = served.log.read_text(errors="replace")
    start = log.index(f"Serving on {base}")
    block = log[start:log.index("Stop with Ctrl-C.", start)].splitlines()

    assert block[0] == f"Serving on {base}  (API docs: {base}/api/docs)"
    assert log.count("Serving on") == 1
    assert f"Demo logins (password for all: {DEMO_PASSWORD}):" in block
    shown = [line.split()[0] for line in block if line.startswith("  ")]
    assert shown == [email for email, *_ in USERS], "every demo login, in the demo's order"
    assert any(line.startswith("  fastlege@askoy.example") and "referrer" in line and "Askøy legesenter" in line
               for line in block)
    assert any(line.startswith("SECRET_KEY: kept in ") for line in block)
    # After the worker's banner and its start: nothing of the start scrolls the block away.
    before = log[:start]
    assert "celery worker starting" in before and "Connected to atomicfs" in before
