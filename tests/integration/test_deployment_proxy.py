"""Signing in through the deployment's Caddy (issue 15, deployment): the production app under gunicorn on
PostgreSQL, Caddy with deploy/Caddyfile in front (`tls internal`), as docker-compose.yml puts them. Its session
cookie is `Secure`, so over plain HTTP (the old compose) the sign-in form comes back as "Skjemaet er utløpt";
through Caddy's HTTPS the form is accepted (here: a wrong password, told as such). Caddy's configuration is the
real file; only its upstream (`web:8080`, a name of compose's network) and its ports are this test's. The same
gunicorn answers compose's and the image's web healthchecks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from config.secret_strength import new_fernet_key, new_signing_secret
from referral_service.migrations import upgrade
from tests.integration.test_deployment_compose import REQUIRED, _compose
from tests.integration.test_deployment_healthchecks import _check
from tests.integration.test_deployment_image import dockerfile_stages
from tests.support.servers import free_port, unavailable
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
FORM_EXPIRED = "Skjemaet er utløpt"
LOGIN_FAILED = "Feil e-post eller passord."
START_SECONDS = 60


def _answers(url: str, **kwargs) -> requests.Response | None:
    try:
        return requests.get(url, timeout=2, allow_redirects=False, **kwargs)
    except requests.RequestException:
        return None


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def web(postgres_server, tmp_path_factory) -> Iterator[str]:
    """The production app under gunicorn on a fresh PostgreSQL database: its base URL on plain HTTP."""
    tmp_path = tmp_path_factory.mktemp("web")
    database = postgres_server.create_database(f"deploy_{tmp_path.name.replace('-', '_')}")
    upgrade(database)
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("REFERRAL_")}
    env.update(PYTHONPATH=str(ROOT), REFERRAL_ENV="production", REFERRAL_DATABASE_URL=database,
               REFERRAL_SECRET_KEY=new_signing_secret(), REFERRAL_AUDIT_KEY=new_signing_secret(),
               REFERRAL_ID_ENCRYPTION_KEY=new_fernet_key(), REFERRAL_BROKER_URL="redis://127.0.0.1:1/0",
               REFERRAL_SMTP_HOST="smtp.invalid", REFERRAL_TRUSTED_PROXY_HOPS="1",
               REFERRAL_BASE_URL="https://localhost",
               REFERRAL_DATA_DIR=str(tmp_path / "data"))
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                "referral_service.wsgi:app"], cwd=tmp_path, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or _answers(f"{base}/health"), timeout=START_SECONDS,
                   what="gunicorn to answer /health", interval=0.2)
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
        yield base
    finally:
        _stop(process)
        log.close()


@dataclass
class Caddy:
    https: str
    http: str
    root_certificate: Path


@pytest.fixture(scope="module")
def caddy(web, tmp_path_factory) -> Iterator[Caddy]:
    """Caddy with deploy/Caddyfile, its upstream pointed at `web` and on free ports; never touches the system's
    trust store or admin port."""
    if shutil.which("caddy") is None:
        unavailable("caddy is not installed (.ci/setup-system installs Debian's)")
    site = (ROOT / "deploy/Caddyfile").read_text()
    assert site.count("reverse_proxy web:8080") == 1
    folder = tmp_path_factory.mktemp("caddy")
    (folder / "site.caddy").write_text(site.replace("reverse_proxy web:8080", f"reverse_proxy {web.removeprefix('http://')}"))
    http_port, https_port = free_port(), free_port()
    (folder / "Caddyfile").write_text(
        "{\n\tadmin off\n\tskip_install_trust\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n"
        "import site.caddy\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config"), "REFERRAL_HOST": "localhost"}
    log = (folder / "caddy.log").open("w")
    process = subprocess.Popen(["caddy", "run", "--config", "Caddyfile", "--adapter", "caddyfile"], cwd=folder,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    root = folder / "data/caddy/pki/authorities/local/root.crt"
    https = f"https://localhost:{https_port}"
    try:
        wait_until(lambda: process.poll() is not None
                   or (root.exists() and _answers(f"{https}/health", verify=str(root))),
                   timeout=START_SECONDS, what="Caddy to serve HTTPS with its local certificate", interval=0.2)
        assert process.poll() is None, (folder / "caddy.log").read_text()[-3000:]
        yield Caddy(https=https, http=f"http://localhost:{http_port}", root_certificate=root)
    finally:
        _stop(process)
        log.close()


def _sign_in_with_a_wrong_password(session: requests.Session, base: str,
                                   verify: str | bool = True) -> requests.Response:
    # `verify` on each request: a session's own would lose to REQUESTS_CA_BUNDLE in the environment.
    form = session.get(f"{base}/logg-inn", timeout=10, verify=verify)
    assert form.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "the sign-in form has its CSRF token"
    return session.post(f"{base}/logg-inn", timeout=10, allow_redirects=False, verify=verify,
                        data={"csrf_token": token.group(1), "email": "ingen@kommune.example", "password": "feil"})


@pytest.mark.postgres
@pytest.mark.slow
def test_signing_in_works_through_caddys_https_and_not_over_plain_http(web, caddy):
    # Plain HTTP straight to the app, as the old compose published it: the Secure cookie never comes back.
    plain = _sign_in_with_a_wrong_password(requests.Session(), web)
    assert FORM_EXPIRED in plain.text

    # Through Caddy: the form is accepted and the wrong password is what the answer is about.
    secure = requests.Session()
    answer = _sign_in_with_a_wrong_password(secure, caddy.https, verify=str(caddy.root_certificate))
    assert answer.status_code == 401, answer.text[:500]
    assert LOGIN_FAILED in answer.text and FORM_EXPIRED not in answer.text
    cookie = next(c for c in secure.cookies if c.name == "henvisning_session")
    assert cookie.secure
    # The app saw HTTPS through Caddy's X-Forwarded-Proto (one trusted hop).
    assert "Strict-Transport-Security" in answer.headers


@pytest.mark.postgres
@pytest.mark.slow
def test_caddy_redirects_plain_http_and_keeps_metrics_inside(caddy):
    redirect = requests.get(f"{caddy.http}/logg-inn", timeout=5, allow_redirects=False)
    assert redirect.status_code in (301, 308)
    assert redirect.headers["Location"].startswith("https://localhost")
    metrics = requests.get(f"{caddy.https}/metrics", timeout=5, verify=str(caddy.root_certificate))
    assert metrics.status_code == 404
    assert requests.get(f"{caddy.https}/health", timeout=5, verify=str(caddy.root_certificate)).status_code == 200


@pytest.mark.postgres
@pytest.mark.slow
def test_the_web_healthchecks_of_compose_and_the_image_answer_from_gunicorn(web):
    resolved = _compose("config", env=REQUIRED)
    assert resolved.returncode == 0, resolved.stderr
    services = yaml.safe_load(resolved.stdout)["services"]
    address = web.removeprefix("http://")
    assert _check(services["web"], replace={"127.0.0.1:8080": address}, env=dict(os.environ)).returncode == 0
    # The image's own HEALTHCHECK (the same for web when compose gives none).
    healthcheck = dockerfile_stages(ROOT / "Dockerfile")[-1].args("HEALTHCHECK")[0]
    command = json.loads(healthcheck[healthcheck.index("CMD ") + 4:])
    image_check = {"healthcheck": {"test": ["CMD", *command]}}
    assert _check(image_check, replace={"127.0.0.1:8080": address}, env=dict(os.environ)).returncode == 0
    # Nothing listening: both fail.
    elsewhere = f"127.0.0.1:{free_port()}"
    assert _check(services["web"], replace={"127.0.0.1:8080": elsewhere}, env=dict(os.environ)).returncode != 0
