"""Alert e-mails over real SMTP (a local aiosmtpd server): they arrive once, carry no name, no identity
number and no health data. A mail server that is down, or defers a recipient (4xx), is retried; one that
refuses a recipient for good (5xx) is not; a given-up e-mail is marked failed and administrators are told."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from referral_service.domain.alert import Alert
from referral_service.notify.mailer import SmtpMailer
from tests.support.loop import InProcessWorker
from tests.support.servers import free_port

REJECTION = {"reason_code": "not_specialist_need",
             "explanation": "Lette angstplager som best møtes i kommunen.",
             "municipal_advice": "Samtaler hos kommunepsykolog og tett oppfølging fra helsesykepleier."}


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it is given, as the raw bytes that came over the wire.

    `refuse` maps a recipient to the reply its RCPT TO gets (e.g. "550 ..."), `times` times (None: always)."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: dict[str, str] = field(default_factory=dict)
    times: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse and (self.times is None or self.times > 0):
            if self.times is not None:
                self.times -= 1
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    @property
    def recipients(self) -> list[str]:
        return sorted(rcpt for rcpts, _raw in self.messages for rcpt in rcpts)


@pytest.fixture
def smtp_server(request):
    inbox = getattr(request, "param", Inbox)()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def plain(port: int) -> SmtpMailer:
    """A local catcher without TLS or login (as in development and test only)."""
    return SmtpMailer("127.0.0.1", port, security="none", timeout=2)


def reject_a_referral(world) -> dict:
    """The GP refers, BUP rejects; returns the body the GP posted (with the child's identity number)."""
    body = world.referral_body()
    created = world.post("gp", "/api/v1/referrals", json=body)
    assert created.status_code == 201, created.json
    world.act("gp", created.json["id"], "submit")
    world.act("bup", created.json["id"], "reject", REJECTION)
    return body


def test_the_coordinator_and_the_gp_get_an_email_about_a_rejection(world, app, smtp_server):
    inbox, port = smtp_server
    reject_a_referral(world)
    InProcessWorker(app, mailer=plain(port)).run()
    # The GP who referred, the coordinator who owns the task, and the school nurse named as the child's contact.
    assert inbox.recipients == ["fastlege@askoy.example", "helsesykepleier@askoy.example", "koordinator@askoy.example"]
    for _recipients, raw in inbox.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == "Nytt varsel i henvisningstjenesten"
        assert "http://test.example/varsler" in message.get_content()


def test_the_emails_name_no_child_and_carry_no_identity_number_or_reason(world, app, smtp_server):
    inbox, port = smtp_server
    body = reject_a_referral(world)
    InProcessWorker(app, mailer=plain(port)).run()
    child = body["child"]
    secrets = [child["given_name"], child["family_name"], child["national_id"], child["guardians"][0]["name"],
               body["description"], body["child_view"], *REJECTION.values()]
    assert len(child["national_id"]) == 11 and inbox.messages
    for _recipients, raw in inbox.messages:
        text = email.message_from_bytes(raw, policy=email.policy.default).get_content()
        for secret in secrets:
            assert secret.encode() not in raw and secret not in text, secret


def test_a_second_run_sends_nothing_more(world, app, smtp_server):
    inbox, port = smtp_server
    reject_a_referral(world)
    worker = InProcessWorker(app, mailer=plain(port))
    worker.run()
    sent = len(inbox.messages)
    worker.run()
    assert sent == 3 and len(inbox.messages) == sent


def test_with_the_mail_server_down_the_email_is_retried_then_failed_and_administrators_are_told(world, app, clock):
    stopped = Controller(Inbox(), hostname="127.0.0.1", port=free_port())
    stopped.start()
    stopped.stop()  # nothing listens on that port any more
    reject_a_referral(world)
    InProcessWorker(app, mailer=plain(stopped.port)).run_retries(clock)  # through the day of its retry window
    with app.extensions["referral_db"].session() as session:
        coordinator_alert = session.exec(select(Alert).where(
            Alert.user_id == world.users["coordinator_askoy"].id)).one()
    assert coordinator_alert.email_state == "failed" and coordinator_alert.email_attempts > 5
    assert coordinator_alert.email_error
    admin_alerts = world.get("admin", "/api/v1/alerts").json["items"]
    assert admin_alerts and {a["kind"] for a in admin_alerts} == {"alert_delivery_failed"}
    assert world.get("coordinator_askoy", "/api/v1/alerts").json["unread"] == 1  # still in the inbox


def alert_of(app, world, who: str) -> Alert:
    with app.extensions["referral_db"].session() as session:
        return session.exec(select(Alert).where(Alert.user_id == world.users[who].id)).one()


def refusing(reply: str, times: int | None = None) -> Callable[[], Inbox]:
    """A mail server that answers RCPT TO for the coordinator with `reply`."""
    return lambda: Inbox(refuse={"koordinator@askoy.example": reply}, times=times)


@pytest.mark.parametrize("smtp_server", [refusing("550 5.1.1 No such mailbox")], indirect=True)
def test_a_recipient_the_mail_server_refuses_for_good_is_not_retried_and_administrators_are_told(
        world, app, smtp_server):
    inbox, port = smtp_server
    reject_a_referral(world)
    InProcessWorker(app, mailer=plain(port)).run()
    assert "fastlege@askoy.example" in inbox.recipients and "koordinator@askoy.example" not in inbox.recipients
    coordinator_alert = alert_of(app, world, "coordinator_askoy")
    assert (coordinator_alert.email_state, coordinator_alert.email_attempts) == ("failed", 1)
    assert {a["kind"] for a in world.get("admin", "/api/v1/alerts").json["items"]} == {"alert_delivery_failed"}


@pytest.mark.parametrize("smtp_server", [refusing("451 4.3.0 Try again later", times=1)], indirect=True)
def test_a_recipient_the_mail_server_defers_is_retried_until_sent(world, app, smtp_server, clock):
    inbox, port = smtp_server
    reject_a_referral(world)
    InProcessWorker(app, mailer=plain(port)).run_retries(clock)
    assert inbox.recipients == ["fastlege@askoy.example", "helsesykepleier@askoy.example", "koordinator@askoy.example"]
    coordinator_alert = alert_of(app, world, "coordinator_askoy")
    assert (coordinator_alert.email_state, coordinator_alert.email_attempts) == ("sent", 2)
