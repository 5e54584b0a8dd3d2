"""Must show 1 of issue 13: a fresh installation makes its own secrets and keeps them across restarts; a session
cookie signed with the old constant is refused; production refuses `x` and `notakey` at start, saying which setting
is wrong and never what it was."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import load_config
from config.secret_files import keys_folder
from config.secret_strength import new_fernet_key, new_signing_secret
from config.settings import SECRET_NAMES
from referral_service import create_app
from referral_service.demo import DEMO_PASSWORD
from tests.integration.test_embedded_serve import ROOT, Http, cli, new_referral
from tests.integration.test_web_referral_form import Browser
from tests.support.servers import free_port
from tests.support.waiting import wait_until
from tests.support.world import USERS

OLD_CONSTANT = "development-only-secret-not-for-production"
SESSION_COOKIE = "henvisning_session"


# --- restarts on one data dir -----------------------------------------------------------------------------------

def restarted(app):
    """The service started again on the same database and data dir, with nothing in its environment."""
    return create_app(load_config("test", DATABASE_URL=app.config["DATABASE_URL"], DATA_DIR=app.config["DATA_DIR"]))


def revealed_by(app, referral_id: str) -> str:
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": USERS["gp"], "password": DEMO_PASSWORD}).json
    response = client.post(f"/api/v1/referrals/{referral_id}/national-id",
                           headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.status_code == 200, response.json
    return response.json["national_id"]


def test_an_identity_number_encrypted_before_a_restart_decrypts_after_it(world, app):
    body = world.referral_body()
    referral = world.post("gp", "/api/v1/referrals", json=body).json

    again = restarted(app)
    try:
        assert again.config["ID_ENCRYPTION_KEY"] == app.config["ID_ENCRYPTION_KEY"]
        assert revealed_by(again, referral["id"]) == body["child"]["national_id"]
        for name in SECRET_NAMES:
            assert stat.S_IMODE((keys_folder(app.config["DATA_DIR"]) / name).stat().st_mode) == 0o600
    finally:
        again.extensions["referral_db"].engine.dispose()


# --- the old constant -----------------------------------------------------------------------------------------------

def signed_with(secret_key: str, payload: dict) -> str:
    """The session cookie Flask would write for `payload` in an app whose secret key is `secret_key`."""
    forger = Flask("forger")
    forger.secret_key = secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps(payload)


def signed_in_payload(app) -> dict:
    """What a real sign-in puts in the GP's session cookie."""
    browser = Browser(app, "gp")
    cookie = browser.client.get_cookie(SESSION_COOKIE)
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)
    return dict(serializer.loads(cookie.value))


def referral_list_with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, value)
    return client.get("/henvisninger", follow_redirects=True)


def test_a_session_cookie_signed_with_the_old_constant_gets_the_sign_in_page(world, app):
    payload = signed_in_payload(app)

    forged = referral_list_with_cookie(app, signed_with(OLD_CONSTANT, payload))
    genuine = referral_list_with_cookie(app, signed_with(app.config["SECRET_KEY"], payload))

    assert forged.request.path == "/logg-inn"
    assert 'name="password"' in forged.get_data(as_text=True)
    assert genuine.request.path == "/henvisninger", "the same payload signed with the installation's key gets in"


# --- the real start, embedded and production ------------------------------------------------------------------------

def service_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **settings)
    return env


@contextmanager
def serving(data_dir: Path, log: Path) -> Iterator[Http]:
    """`referral-service serve` on the data dir, until the block ends (then SIGTERM, as an operator stops it)."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([*cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                   env=service_env(data_dir), stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    http = Http(f"http://127.0.0.1:{port}")
    try:
        def ready() -> bool:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                return http.call("GET", "/ready", expect=None)[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout=60, what="/ready", interval=0.1)
        yield http
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*cli(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_make_run_makes_its_own_keys_says_where_and_keeps_them_across_a_restart(tmp_path):
    data_dir = tmp_path / "var"
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = run_cli(*step, env=service_env(data_dir))
        assert done.returncode == 0, (step, done.stderr[-2000:])

    with serving(data_dir, tmp_path / "first.log") as http:
        orgs = {o["name"]: o["id"] for o in http.get("admin", "/api/v1/organisations?per_page=100")["items"]}
        referral = new_referral(http, orgs, seq=1)
    said = (tmp_path / "first.log").read_text()
    secrets_made = {name: (keys_folder(data_dir) / name).read_text().strip() for name in SECRET_NAMES}

    with serving(data_dir, tmp_path / "second.log") as http:
        revealed = http.post("gp", f"/api/v1/referrals/{referral['id']}/national-id")

    assert revealed["national_id"] == referral["national_id"]
    for name, value in secrets_made.items():
        assert f"{name}: kept in {keys_folder(data_dir.resolve()) / name}" in said
        assert value not in said
        assert stat.S_IMODE((keys_folder(data_dir) / name).stat().st_mode) == 0o600
    assert {name: (keys_folder(data_dir) / name).read_text().strip() for name in SECRET_NAMES} == secrets_made


def production_env(tmp_path: Path, **secrets: str) -> dict[str, str]:
    settings = {"REFERRAL_ENV": "production", "REFERRAL_SECRET_KEY": new_signing_secret(),
                "REFERRAL_AUDIT_KEY": new_signing_secret(), "REFERRAL_ID_ENCRYPTION_KEY": new_fernet_key(),
                "REFERRAL_DATABASE_URL": "postgresql+psycopg://referral@127.0.0.1:1/referral",
                "REFERRAL_BROKER_URL": "redis://127.0.0.1:1/0", "REFERRAL_SMTP_HOST": "smtp"}
    settings.update({f"REFERRAL_{name}": value for name, value in secrets.items()})
    return service_env(tmp_path, **settings)


WSGI_START = "import referral_service.wsgi"


@pytest.mark.parametrize("start", ["serve", "wsgi"])
@pytest.mark.parametrize(("name", "value", "said"), [
    ("SECRET_KEY", "x", "production refuses REFERRAL_SECRET_KEY: it is shorter than 32 characters"),
    ("ID_ENCRYPTION_KEY", "notakey", "REFERRAL_ID_ENCRYPTION_KEY is refused: its key 1 of 1 is not a Fernet key"),
])
def test_production_refuses_a_weak_or_malformed_secret_at_start(tmp_path, start, name, value, said):
    env = production_env(tmp_path, **{name: value})
    if start == "serve":
        done = run_cli("serve", "--port", str(free_port()), env=env)
    else:  # what gunicorn imports (Dockerfile)
        done = subprocess.run([sys.executable, "-c", WSGI_START], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    assert done.returncode != 0
    assert said in done.stderr
    assert "notakey" not in done.stderr
    assert not keys_folder(tmp_path).exists(), "production never makes its own secrets"
