"""Alert e-mail retries with real processes (PostgreSQL, Redis, Celery worker and beat): the schedule lives in the
database, so a worker stopped in the middle of an outage loses nothing; once the mail server (STARTTLS and login)
is back every alert arrives exactly once, and the reconciler (grace 3 s, running every second) re-sent none."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from referral_service.domain.alert import Alert
from tests.integration.test_workers_redis import (  # noqa: F401 - the fixtures of real processes
    Loop,
    loop,
    redis_server,
    template_database,
)
from tests.support.mail_server import PASSWORD, USERNAME, MailServer, make_certificate
from tests.support.waiting import wait_until

#: Seconds the mail server is down: past the reconciler's grace (3 s) several times over.
OUTAGE_SECONDS = 10


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-workers"))


@pytest.fixture
def mail_server(certificate) -> Iterator[MailServer]:
    server = MailServer(certificate)  # not started: down
    yield server
    server.stop()


def alerts(closed_loop: Loop) -> list[Alert]:
    with closed_loop.session() as session:
        return list(session.exec(select(Alert)))


def test_real_workers_retry_from_the_database_through_an_outage_and_a_worker_restart_and_send_each_alert_once(
        loop, mail_server):  # noqa: F811 - the fixture imported above
    plain_env = Loop.env(loop)
    loop.env = lambda: {**plain_env, "REFERRAL_SMTP_HOST": "127.0.0.1", "REFERRAL_SMTP_PORT": str(mail_server.port),
                        "REFERRAL_SMTP_SECURITY": "starttls", "REFERRAL_SMTP_USERNAME": USERNAME,
                        "REFERRAL_SMTP_PASSWORD": PASSWORD,
                        "REFERRAL_SMTP_CA_FILE": str(mail_server.certificate.cert_file),
                        "REFERRAL_SMTP_TIMEOUT_SECONDS": "5", "REFERRAL_EMAIL_RETRY_BASE_SECONDS": "0.5",
                        "REFERRAL_EMAIL_RETRY_MAX_SECONDS": "2", "REFERRAL_EMAIL_RETRY_WINDOW_HOURS": "1"}
    first = loop.start_worker("w1")
    loop.start_beat("beat")
    referral_ids = loop.referrals_in("submitted", 2)
    outage_started = time.monotonic()
    loop.reject(referral_ids)

    def retrying(at_least: int) -> bool:
        found = alerts(loop)
        return len(found) == 6 and all(a.email_state == "pending" and a.email_attempts >= at_least for a in found)

    wait_until(lambda: retrying(2), timeout=60, what="the e-mails to fail and be retried", diagnostics=loop.logs)
    loop.stop(first)  # the worker goes away in the middle of the outage; the schedule is in the database
    attempts_before = {a.id: a.email_attempts for a in alerts(loop)}
    loop.start_worker("w2")
    wait_until(lambda: all(a.email_attempts > attempts_before[a.id] for a in alerts(loop))
               and time.monotonic() - outage_started >= OUTAGE_SECONDS,
               timeout=60, what="the new worker to go on retrying", diagnostics=loop.logs)
    assert mail_server.mailbox.messages == []

    mail_server.start()
    wait_until(lambda: all(a.email_state == "sent" for a in alerts(loop)), timeout=60,
               what="every e-mail to be sent once the server is back", diagnostics=loop.logs)
    copies = mail_server.mailbox.copies()
    assert sorted(copies) == sorted(f"<alert-{a.id}@henvisning.example>" for a in alerts(loop))
    assert set(copies.values()) == {1}  # each alert exactly once
    assert loop.repairs() == (0, 0)  # the reconciler took no waiting e-mail for a stuck one
