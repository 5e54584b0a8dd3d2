"""Alert e-mails retried over hours, the schedule kept in the database (the outbox row's next attempt), driven by
the service's clock. With the mail server (STARTTLS and login) down for ten minutes, the whole loop — relay, worker,
reconciler with its real grace, sweeps — runs through them in steps; once the server is back every alert arrives
exactly once, and the reconciler took none of the waiting e-mails for stuck ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, create_engine, select

from referral_service.bootstrap import dependencies
from referral_service.domain.alert import Alert
from referral_service.domain.handover import RepairReport
from referral_service.domain.outbox import OutboxMessage
from referral_service.migrations import upgrade
from referral_service.notify.mailer import SmtpMailer
from referral_service.services.loop import reconcile, sweeps
from referral_service.services.loop.relay import relay_outbox
from referral_service.services.unit_of_work import ALERT_EMAIL_TOPIC, SqlUnitOfWork
from tests.support.loop import InProcessWorker
from tests.support.mail_server import PASSWORD, USERNAME, MailServer, make_certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-retries"))


@pytest.fixture
def mail_server(certificate) -> Iterator[MailServer]:
    """A STARTTLS server with login, not started: the test says when it is up."""
    server = MailServer(certificate, security="starttls")
    yield server
    server.stop()


def mailer_for(server: MailServer) -> SmtpMailer:
    return SmtpMailer("127.0.0.1", server.port, security="starttls", username=USERNAME, password=PASSWORD,
                      ca_file=str(server.certificate.cert_file), timeout=5)


def email_rows(app) -> list[OutboxMessage]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.topic == ALERT_EMAIL_TOPIC)))


def alerts(app) -> list[Alert]:
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(Alert)))


class Loop:
    """The background work, one tick at a time, as the worker and beat run it: relay and process, the
    reconciler with its real grace (REFERRAL_RECONCILE_GRACE_SECONDS), the sweeps."""

    def __init__(self, app, mailer) -> None:
        self.worker = InProcessWorker(app, mailer=mailer)
        self.deps = dependencies(app)
        self.grace = timedelta(seconds=self.deps.config.RECONCILE_GRACE_SECONDS)
        self.stuck_found = 0

    def tick(self) -> None:
        self.worker.run()
        repairs = reconcile.reconcile(self.deps.unit_of_work(), clock=self.deps.clock, deadlines=self.deps.deadlines,
                                      grace=self.grace)
        self.stuck_found += repairs.stuck_messages
        sweeps.run_sweeps(self.deps.unit_of_work(), clock=self.deps.clock, deadlines=self.deps.deadlines)


def test_with_the_mail_server_down_for_ten_minutes_each_alert_arrives_exactly_once_and_none_is_resent_by_the_reconciler(
        world, app, clock, mail_server):
    clock.set(clock().replace(microsecond=0))
    world.referral_in("rejected")
    world.referral_in("rejected")
    loop = Loop(app, mailer_for(mail_server))
    step = timedelta(seconds=20)

    down_until = clock() + timedelta(minutes=10)
    while clock() < down_until:  # the mail server is down
        loop.tick()  # the first makes the handovers and their alerts
        clock.advance(step)
    expected = {a.id for a in alerts(app)}
    assert len(expected) >= 6
    assert mail_server.mailbox.messages == []
    assert all(a.email_state == "pending" and a.email_attempts >= 4 for a in alerts(app))  # tried, and waiting

    mail_server.start()  # back, on the same address
    give_up = clock() + timedelta(hours=1)
    while any(a.email_state == "pending" for a in alerts(app)):
        assert clock() < give_up, "the e-mails were not sent within an hour of the server's return"
        loop.tick()
        clock.advance(step)

    copies = mail_server.mailbox.copies()
    assert {message_id.strip("<>").split("@")[0].removeprefix("alert-") for message_id in copies} == expected
    assert set(copies.values()) == {1}  # every alert exactly once
    assert {a.email_state for a in alerts(app)} == {"sent"}
    assert loop.stuck_found == 0
    with app.extensions["referral_db"].session() as session:
        assert session.exec(select(RepairReport)).all() == []


def test_a_failed_attempt_waits_in_the_database_and_the_relay_hands_it_over_only_when_it_is_due(
        world, app, clock, mail_server):
    """The schedule is the outbox row's, not a countdown in the broker: a worker killed or a broker lost now
    loses nothing, and nothing is sent early."""
    clock.set(clock().replace(microsecond=0))
    world.referral_in("rejected")
    worker = InProcessWorker(app, mailer=mailer_for(mail_server))
    worker.run()
    failed_at = clock()
    rows = email_rows(app)
    assert rows and all(r.dispatched_at is None and r.processed_at is None for r in rows)
    base = dependencies(app).config.EMAIL_RETRY_BASE_SECONDS
    for row in rows:  # base seconds, give or take the jitter
        assert timedelta(seconds=base * 0.79) <= row.next_attempt_at - failed_at <= timedelta(seconds=base * 1.21)
    shown = {a.email_next_attempt_at for a in alerts(app)}
    assert shown == {r.next_attempt_at for r in rows}  # the alert shows it too
    # Waiting for a planned attempt is not backlog: an operator sees it apart, and no backlog alarm goes off.
    status = world.get("admin", "/api/v1/admin/operations").json
    assert (status["outbox_pending"], status["outbox_unprocessed"], status["oldest_pending_seconds"]) == (0, 0, None)
    assert status["email_retries_waiting"] == len(rows)

    clock.set(min(r.next_attempt_at for r in rows) - timedelta(seconds=1))
    assert worker.relay() == 0  # not yet due
    mail_server.start()
    clock.set(max(r.next_attempt_at for r in rows))
    worker.run()
    assert mail_server.mailbox.recipients == sorted(
        ["fastlege@askoy.example", "helsesykepleier@askoy.example", "koordinator@askoy.example"])
    assert {(a.email_state, a.email_attempts) for a in alerts(app)} == {("sent", 2)}


def test_past_its_window_an_email_is_failed_and_the_administrators_are_alerted_once(world, app, clock, mail_server):
    clock.set(clock().replace(microsecond=0))
    world.referral_in("rejected")
    start = clock()
    InProcessWorker(app, mailer=mailer_for(mail_server)).run_retries(clock)

    window = timedelta(hours=dependencies(app).config.EMAIL_RETRY_WINDOW_HOURS)
    customer_alerts = [a for a in alerts(app) if a.kind != "alert_delivery_failed"]
    assert customer_alerts and {a.email_state for a in customer_alerts} == {"failed"}
    for alert in customer_alerts:
        # Tried for the whole window, the last attempt at its end, with backoff in between (not every tick).
        assert window <= alert.email_failed_at - start <= window + timedelta(minutes=1)
        assert 10 <= alert.email_attempts <= 60
    admin_alerts = world.get("admin", "/api/v1/alerts").json["items"]
    assert len(admin_alerts) == len(customer_alerts)  # one per failed e-mail, not one per attempt
    assert {a["kind"] for a in admin_alerts} == {"alert_delivery_failed"}


def test_the_relays_query_keeps_to_the_pending_index(tmp_path):
    """The relay's query reads the waiting rows' index entries, never the delivered ones: its cost follows the
    backlog, not the years of e-mails sent."""
    url = f"sqlite:///{tmp_path / 'plan.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    statements: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if "FROM outbox_message" in statement and statement.lstrip().startswith("SELECT"):
            statements.append((statement, parameters))

    from datetime import UTC, datetime

    from referral_service.clock import Clock

    with Session(engine) as session:
        relay_outbox(SqlUnitOfWork.on(session), Clock(lambda: datetime.now(UTC), UTC), publish=lambda m: None)
    assert statements
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        plan = " ".join(str(row) for row in cursor.execute("EXPLAIN QUERY PLAN " + statements[0][0],
                                                             statements[0][1]).fetchall())
    # Either index that starts with a column NULL only while the row waits (dispatched_at, processed_at); which
    # one SQLite takes depends on the order its tables were rebuilt in by the migrations.
    assert "USING INDEX ix_outbox_pending" in plan or "USING INDEX ix_outbox_unprocessed" in plan, plan
    assert "SCAN outbox_message" not in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan  # the order comes from the index (ties on id aside)
