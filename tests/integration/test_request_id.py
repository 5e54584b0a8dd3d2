"""Must-show 2 of issue 15: a rejection's request id is in the web's log line and in the log lines of everything it
causes, read from a real Celery worker's JSON output: the relay, the handover task and the e-mail task.

The web runs in-process (its JSON lines captured from the root logger); the worker is `celery -A worker worker`
with its scheduler as a thread, on the same SQLite database and the filesystem broker (no outside server).
Every line the worker writes must be a JSON object, and no line anywhere may hold the child's identity number.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from config import load_config
from referral_service import create_app
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.outbox import OutboxMessage
from referral_service.logging_setup import JsonFormatter
from referral_service.migrations import upgrade
from tests.support.waiting import wait_until
from tests.support.world import World, build_world

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
#: A child whose identity number and family name are looked for in every log line.
FAMILY_NAME = "Loggfrisen"
#: How long the worker may take to close the loop (handover and three e-mails) once the rejection is in.
SETTLE_SECONDS = 45.0



def json_lines(text: str) -> list[dict]:
    """Each non-empty line as a JSON object; fails on any line that is not one."""
    entries = []
    for line in text.splitlines():
        if line.strip():
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            entries.append(entry)
    return entries


@dataclass
class Service:
    """The web in-process (its log lines in `web_log`) and a real worker process on the same data."""

    world: World
    web_log: io.StringIO
    worker: subprocess.Popen
    worker_log: Path
    national_ids: list[str]

    def worker_text(self) -> str:
        return self.worker_log.read_text(errors="replace")

    def worker_lines(self) -> list[dict]:
        return json_lines(self.worker_text())

    def web_lines(self) -> list[dict]:
        return json_lines(self.web_log.getvalue())

    def session(self):
        return self.world.app.extensions["referral_db"].session()

    def reject_new_referral(self, headers: dict[str, str]) -> tuple[str, str]:
        """A referral made, submitted and rejected through the API; returns its id and the rejection's request id."""
        national_id = make_synthetic_national_id(date(2012, 3, 14), seed=len(self.national_ids) * 11 + 5)
        self.national_ids.append(national_id)
        body = self.world.referral_body()
        body["child"] = {**body["child"], "national_id": national_id, "family_name": FAMILY_NAME}
        created = self.world.post("gp", "/api/v1/referrals", json=body)
        assert created.status_code == 201, created.json
        referral_id = created.json["id"]
        self.world.act("gp", referral_id, "submit")
        response = self.world.post("bup", f"/api/v1/referrals/{referral_id}/reject", json=REJECTION, headers=headers)
        assert response.status_code == 200, response.json
        return referral_id, response.headers["X-Request-ID"]

    def loop_closed(self, referral_id: str) -> bool:
        with self.session() as session:
            handover = session.exec(select(Handover).where(Handover.referral_id == referral_id)).first()
            if handover is None:
                return False
            states = session.exec(select(Alert.email_state).where(Alert.handover_id == handover.id)).all()
        return len(states) == 3 and all(state == "sent" for state in states)

    def worker_lines_with(self, request_id: str) -> list[dict]:
        return [line for line in self.worker_lines() if line.get("request_id") == request_id]


def worker_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update({"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": database_url, "REFERRAL_DATA_DIR": str(data_dir),
                "REFERRAL_SMTP_HOST": "", "REFERRAL_LOG_LEVEL": "INFO", "REFERRAL_RELAY_INTERVAL_SECONDS": "0.2",
                "PYTHONUNBUFFERED": "1"})
    return env


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> Iterator[Service]:
    data_dir = tmp_path_factory.mktemp("request-id")
    database_url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(database_url)
    app = create_app(load_config("test", DATABASE_URL=database_url, DATA_DIR=str(data_dir), SMTP_HOST="",
                                 LOG_LEVEL="INFO"))
    web_log = io.StringIO()
    handler = logging.StreamHandler(web_log)
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    world = build_world(app)
    worker_log = data_dir / "worker.log"
    with open(worker_log, "ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=threads", "--concurrency=2",
             "--beat-thread", "--without-mingle", "--without-gossip", "--without-heartbeat", "--hostname=logs@%h",
             f"--schedule={data_dir / 'beat-schedule'}", "--loglevel=INFO"],
            cwd=ROOT, env=worker_env(database_url, data_dir), stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    the_service = Service(world=world, web_log=web_log, worker=worker, worker_log=worker_log, national_ids=[])
    try:
        wait_until(lambda: " ready." in the_service.worker_text() or worker.poll() is not None, timeout=60,
                   what="the worker to be ready", diagnostics=the_service.worker_text)
        assert worker.poll() is None, the_service.worker_text()
        yield the_service
    finally:
        logging.getLogger().removeHandler(handler)
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        app.extensions["referral_db"].engine.dispose()


def assert_request_id_followed(service: Service, referral_id: str, request_id: str) -> None:
    """The web line of the rejection, and the relay, handover and e-mail lines in the worker, carry `request_id`."""
    web = [line for line in service.web_lines() if line.get("request_id") == request_id]
    assert [(line["level"], line["method"], line["path"], line["status"]) for line in web] == [
        ("info", "POST", f"/api/v1/referrals/{referral_id}/reject", 200)], web
    assert web[0]["endpoint"] and isinstance(web[0]["duration_ms"], float | int), web

    with service.session() as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.request_id == request_id)).all()
    topics = sorted(row.topic for row in rows)
    assert topics == ["alert.email"] * 3 + ["referral.event"], topics  # the rejection and its three e-mails

    def followed() -> bool:
        lines = service.worker_lines_with(request_id)
        relayed = {line.get("message_id") for line in lines if line["message"] == "outbox message relayed"}
        return (relayed >= {row.id for row in rows}
                and any(line["message"] == "referral event processed" for line in lines)
                and sum(line["message"] == "alert e-mail sent" for line in lines) == 3)

    wait_until(followed, timeout=SETTLE_SECONDS, what=f"the worker's lines with request id {request_id}",
               diagnostics=service.worker_text)
    lines = service.worker_lines_with(request_id)
    succeeded = {line["data"]["name"] for line in lines
                 if line["logger"] == "celery.app.trace" and "succeeded" in line["message"]}
    assert succeeded == {"outbox.process_referral_event", "alerts.deliver_email"}, lines


def test_a_rejection_with_the_callers_request_id_is_followed_into_the_relay_the_handover_and_the_emails(service):
    referral_id, request_id = service.reject_new_referral({"X-Request-ID": "nettleser-1f.3_A"})
    assert request_id == "nettleser-1f.3_A"  # the caller's sane id is kept and answered
    wait_until(lambda: service.loop_closed(referral_id), timeout=SETTLE_SECONDS,
               what="the handover and its three e-mails", diagnostics=service.worker_text)
    assert_request_id_followed(service, referral_id, request_id)


def test_a_rejection_without_one_gets_a_new_id_in_its_answer_and_in_every_line_it_causes(service):
    referral_id, request_id = service.reject_new_referral({"X-Request-ID": "not sane: <script>"})
    assert len(request_id) == 32 and int(request_id, 16) >= 0  # made here, not the caller's text
    wait_until(lambda: service.loop_closed(referral_id), timeout=SETTLE_SECONDS,
               what="the handover and its three e-mails", diagnostics=service.worker_text)
    assert_request_id_followed(service, referral_id, request_id)


def test_no_log_line_holds_an_identity_number_or_a_family_name(service):
    if not service.national_ids:
        referral_id, _ = service.reject_new_referral({})
        wait_until(lambda: service.loop_closed(referral_id), timeout=SETTLE_SECONDS,
                   what="the handover and its three e-mails", diagnostics=service.worker_text)
    text = service.web_log.getvalue() + service.worker_text()
    service.worker_lines()  # every worker line is JSON
    for national_id in service.national_ids:
        assert national_id not in text
    assert FAMILY_NAME not in text


def test_the_scheduled_tasks_routine_lines_are_not_at_info(service):
    """The relay runs every 0.2 s here: its received/succeeded lines and beat's sends are at DEBUG, not INFO."""
    wait_until(lambda: sum(1 for line in service.worker_lines() if line["logger"] == "celery.beat") >= 1,
               timeout=10, what="beat to start", diagnostics=service.worker_text)
    routine = [line for line in service.worker_lines()
               if line["level"] == "info" and ("outbox.relay" in line["message"] or "relay-outbox" in line["message"])]
    assert routine == []
