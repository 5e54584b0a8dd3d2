"""The compose file and Caddy's configuration (issue 15, must-show 4), checked by the real tools without a Docker
engine: Debian's docker-compose resolves the file (`config`), caddy validates and adapts the Caddyfile. The file
refuses to resolve without each secret and names it; every long-running service restarts and has a healthcheck;
only Caddy (HTTPS) is published."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]

#: What an operator's .env must give; none of them has a default in docker-compose.yml.
REQUIRED = {
    "POSTGRES_PASSWORD": "5f1d3c0b9a8e7d6c5b4a39281706f5e4",
    "REDIS_PASSWORD": "0a9b8c7d6e5f40312233445566778899",
    "REFERRAL_SECRET_KEY": "a-signing-secret-for-the-compose-check-only-0123456789",
    "REFERRAL_AUDIT_KEY": "another-signing-secret-for-the-compose-check-9876543210",
    "REFERRAL_ID_ENCRYPTION_KEY": "an-identity-key-for-the-compose-check",
    "REFERRAL_SMTP_HOST": "smtp.kommune.example",
    "REFERRAL_SMTP_SENDER": "ikke-svar@kommune.example",
}
LONG_RUNNING = ("caddy", "postgres", "redis", "web", "worker", "beat")


def _compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        unavailable("docker-compose is not installed (.ci/setup-system installs Debian's)")
    # Only the variables given: nothing from the caller's environment or an .env file may fill a gap.
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    with tempfile.NamedTemporaryFile("w", suffix=".env") as empty:
        return subprocess.run(["docker-compose", "--env-file", empty.name, "-f", "docker-compose.yml", *args],
                              cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def resolved() -> dict:
    done = _compose("config", env={**REQUIRED, "REFERRAL_HOST": "henvisning.kommune.example"})
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)["services"]


def test_the_compose_file_is_valid_with_the_required_variables():
    done = _compose("config", "-q", env=REQUIRED)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_the_compose_file_refuses_to_start_without_each_secret_and_names_it(missing):
    done = _compose("config", "-q", env={name: value for name, value in REQUIRED.items() if name != missing})
    assert done.returncode != 0
    assert f"set {missing}" in done.stderr, done.stderr


def test_long_running_services_restart_and_have_healthchecks(resolved):
    for name in LONG_RUNNING:
        service = resolved[name]
        assert service.get("restart") == "unless-stopped", name
        if name != "caddy":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    checks = {name: " ".join(resolved[name]["healthcheck"]["test"]) for name in ("redis", "web", "worker", "beat")}
    assert "redis-cli ping" in checks["redis"]
    redis = resolved["redis"]
    assert redis["command"][0] == "redis-server", "the image's entrypoint drops root only for redis-server itself"
    assert redis["command"][-2:] == ["--requirepass", REQUIRED["REDIS_PASSWORD"]]
    assert redis["environment"]["REDISCLI_AUTH"] == REQUIRED["REDIS_PASSWORD"]
    assert "python" in checks["web"] and "/health" in checks["web"]
    assert "inspect ping" in checks["worker"] and "celery@$$HOSTNAME" in checks["worker"]
    assert "celerybeat-schedule" in checks["beat"]
    beat_schedule = [arg for arg in resolved["beat"]["command"] if arg.startswith("--schedule=")]
    assert beat_schedule and beat_schedule[0].removeprefix("--schedule=") in checks["beat"]
    assert resolved["migrate"].get("restart", "no") == "no", "the migration runs once"


def _published(port: str | dict) -> str:
    """The host port of a `ports` entry as docker-compose writes it (long form, or host_ip:published:target)."""
    if isinstance(port, dict):
        return str(port["published"])
    return str(port).split(":")[-2]


def test_only_caddy_is_published_and_the_app_trusts_it_for_one_hop(resolved):
    published = {name for name, service in resolved.items() if service.get("ports") and not service.get("profiles")}
    assert published == {"caddy"}, "web, PostgreSQL and Redis are reached through the internal network only"
    assert {_published(port) for port in resolved["caddy"]["ports"]} == {"80", "443"}
    for name in ("web", "worker", "beat", "migrate"):
        env = resolved[name]["environment"]
        assert env["REFERRAL_TRUSTED_PROXY_HOPS"] == "1"
        assert env["REFERRAL_BASE_URL"] == env["REFERRAL_PUBLIC_BASE_URL"] == "https://henvisning.kommune.example"
        assert env["REFERRAL_BROKER_URL"] == f"redis://:{REQUIRED['REDIS_PASSWORD']}@redis:6379/0"
        assert env["REFERRAL_SMTP_HOST"] == "smtp.kommune.example"
        assert env["REFERRAL_SMTP_PORT"] == "587" and env["REFERRAL_SMTP_SECURITY"] == "starttls"
    assert resolved["caddy"]["environment"]["REFERRAL_HOST"] == "henvisning.kommune.example"


def test_the_mail_catcher_is_only_an_optional_profile(resolved):
    assert resolved["smtp"].get("profiles") == ["mailpit"]
    for port in resolved["smtp"]["ports"]:  # its inbox, on this host only
        assert (port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]) == "127.0.0.1", port
    assert all("smtp" not in service.get("depends_on", {}) for service in resolved.values())


def _caddy(*args: str, **env: str) -> subprocess.CompletedProcess:
    if shutil.which("caddy") is None:
        unavailable("caddy is not installed (.ci/setup-system installs Debian's)")
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}
    return subprocess.run(["caddy", *args, "--config", str(ROOT / "deploy/Caddyfile"), "--adapter", "caddyfile"],
                          env=clean, capture_output=True, text=True, timeout=60)


def test_caddy_serves_the_host_over_tls_with_its_own_certificate_and_proxies_to_web():
    assert _caddy("validate", REFERRAL_HOST="henvisning.kommune.example").returncode == 0
    adapted = _caddy("adapt", REFERRAL_HOST="henvisning.kommune.example")
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    server = config["apps"]["http"]["servers"]["srv0"]
    assert server["listen"] == [":443"]
    route = server["routes"][0]
    assert route["match"] == [{"host": ["henvisning.kommune.example"]}]
    handlers = [handler for sub in route["handle"][0]["routes"] for handler in sub["handle"]]
    proxies = [handler for handler in handlers if handler["handler"] == "reverse_proxy"]
    assert [upstream["dial"] for upstream in proxies[0]["upstreams"]] == ["web:8080"]
    not_public = [sub for sub in route["handle"][0]["routes"] if sub.get("match") == [{"path": ["/metrics"]}]]
    assert not_public and not_public[0]["handle"][0]["status_code"] == 404
    issuers = config["apps"]["tls"]["automation"]["policies"][0]["issuers"]
    assert [issuer["module"] for issuer in issuers] == ["internal"], "a local certificate unless told otherwise"
