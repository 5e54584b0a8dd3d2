"""The in-app inbox says which child an alert is about (name and masked number), and the reading is logged;
the e-mail still names no child."""

from __future__ import annotations

from sqlmodel import select

from referral_service.domain.access_log import AccessLogEntry
from tests.integration.test_web_decisions import WebUser
from tests.support.loop import InProcessWorker


def test_the_coordinators_inbox_names_the_child_and_logs_the_reading(app, world):
    referral = world.referral_in("rejected")
    worker = InProcessWorker(app)
    worker.run()
    inbox = WebUser(app, "coordinator_askoy").get("/varsler").text()
    assert "Gjelder Ola Testesen (10.05.12 *****)" in inbox
    with app.extensions["referral_db"].session() as session:
        logged = session.exec(select(AccessLogEntry.action).where(
            AccessLogEntry.user_id == world.users["coordinator_askoy"].id,
            AccessLogEntry.referral_id == referral["id"])).all()
    assert "read_alerts" in logged
    for message in worker.mailer.sent:
        assert "Ola" not in message.get_content() and "Testesen" not in message.get_content()
