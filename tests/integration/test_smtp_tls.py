"""Alert e-mail as a real relay wants it: over STARTTLS (or implicit TLS) with a login, each message with a `Date`
and a `Message-ID` of a real domain. The server's certificate is checked (a private CA given with SMTP_CA_FILE);
a wrong password or an untrusted certificate delivers nothing and logs an error that names the setting to fix,
never the password. The mailer is built from the settings, as the service builds it."""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime

import pytest
from sqlmodel import select

from config import load_config
from referral_service.bootstrap import mailer_for
from referral_service.domain.alert import Alert
from tests.support.loop import InProcessWorker
from tests.support.mail_server import PASSWORD, USERNAME, MailServer, make_certificate

#: aiosmtpd warns of AUTH without STARTTLS on the implicit-TLS server, whose whole connection is TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

RECIPIENTS = ["fastlege@askoy.example", "helsesykepleier@askoy.example", "koordinator@askoy.example"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def starttls_server(certificate):
    server = MailServer(certificate, security="starttls").start()
    yield server
    server.stop()


def mailer(server: MailServer, *, password: str = PASSWORD, ca_file: str | None = None, **settings):
    """The service's own mailer for these settings (bootstrap.mailer_for)."""
    config = load_config("test", SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_SECURITY=server.security,
                         SMTP_USERNAME=USERNAME, SMTP_PASSWORD=password, SMTP_TIMEOUT_SECONDS=5.0,
                         SMTP_CA_FILE=str(server.certificate.cert_file) if ca_file is None else ca_file,
                         DATA_DIR=settings.pop("DATA_DIR"), **settings)
    return mailer_for(config)


def emails(app) -> dict[str, Alert]:
    with app.extensions["referral_db"].session() as session:
        return {a.id: a for a in session.exec(select(Alert))}


def test_emails_arrive_over_starttls_with_login_and_carry_date_and_message_id(world, app, clock, tmp_path,
                                                                                starttls_server):
    clock.set(clock().replace(microsecond=0))
    world.referral_in("rejected")
    InProcessWorker(app, mailer=mailer(starttls_server, DATA_DIR=str(tmp_path))).run()

    box = starttls_server.mailbox
    assert box.recipients == RECIPIENTS
    assert {login for login, ok in box.logins if ok} == {USERNAME}
    alerts = emails(app)
    for message in box.messages:
        assert parsedate_to_datetime(message["Date"]) == clock()  # the service's clock
        local, _, domain = str(message["Message-ID"]).strip("<>").partition("@")
        assert domain == "henvisning.example"  # the sender's domain (REFERRAL_SMTP_SENDER)
        assert local.removeprefix("alert-") in alerts
    assert {a.email_state for a in alerts.values()} == {"sent"}


def test_the_message_id_domain_can_be_set(world, app, tmp_path, starttls_server):
    from dataclasses import replace

    world.referral_in("rejected")
    worker = InProcessWorker(app, mailer=mailer(starttls_server, DATA_DIR=str(tmp_path)))
    worker.deps.email = replace(worker.deps.email, message_id_domain="varsel.helse-bergen.example")
    try:
        worker.run()
    finally:
        worker.deps.email = replace(worker.deps.email, message_id_domain="henvisning.example")
    assert {str(m["Message-ID"]).partition("@")[2] for m in starttls_server.mailbox.messages} == {
        "varsel.helse-bergen.example>"}


def test_a_wrong_password_delivers_nothing_and_logs_an_error_naming_the_setting_not_the_password(
        world, app, tmp_path, starttls_server, caplog):
    wrong = "feil-passord-987654"
    world.referral_in("rejected")
    with caplog.at_level(logging.INFO):
        InProcessWorker(app, mailer=mailer(starttls_server, password=wrong, DATA_DIR=str(tmp_path))).run()

    assert starttls_server.mailbox.messages == []
    assert starttls_server.mailbox.logins and not any(ok for _login, ok in starttls_server.mailbox.logins)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all("REFERRAL_SMTP_PASSWORD" in r.getMessage() for r in errors)
    for record in caplog.records:
        assert wrong not in record.getMessage() and wrong not in str(record.__dict__)
    # A login refused is a configuration problem to fix: the e-mails wait for their next attempt, not failed.
    alerts = emails(app).values()
    assert {a.email_state for a in alerts} == {"pending"}
    assert all(a.email_next_attempt_at is not None and "535" in a.email_error for a in alerts)


def test_a_certificate_the_service_does_not_trust_delivers_nothing_and_names_the_ca_setting(
        world, app, tmp_path, starttls_server, caplog):
    world.referral_in("rejected")
    with caplog.at_level(logging.ERROR):
        InProcessWorker(app, mailer=mailer(starttls_server, ca_file="", DATA_DIR=str(tmp_path))).run()
    assert starttls_server.mailbox.messages == [] and starttls_server.mailbox.logins == []
    assert any("REFERRAL_SMTP_CA_FILE" in r.getMessage() for r in caplog.records)
    assert {a.email_state for a in emails(app).values()} == {"pending"}


def test_implicit_tls_with_login_works_too(world, app, tmp_path, certificate):
    server = MailServer(certificate, security="tls").start()
    try:
        world.referral_in("rejected")
        InProcessWorker(app, mailer=mailer(server, DATA_DIR=str(tmp_path))).run()
        assert server.mailbox.recipients == RECIPIENTS
        assert all(m["Date"] and m["Message-ID"] for m in server.mailbox.messages)
    finally:
        server.stop()


def test_a_login_over_an_unsecured_connection_is_refused_in_production():
    from config.settings import ConfigurationError, ProductionConfig

    config = ProductionConfig({"SMTP_SECURITY": "none", "SMTP_USERNAME": USERNAME})
    with pytest.raises(ConfigurationError, match="REFERRAL_SMTP_SECURITY=none"):
        config._check_smtp()
    ProductionConfig({"SMTP_SECURITY": "starttls", "SMTP_USERNAME": USERNAME})._check_smtp()
