"""A failed alert e-mail can be sent again by an administrator, on the Drift page (a form with its token) and in the
API; the resend is a new outbox row, recorded in the administration log, and arrives once. Nobody else may
resend; an e-mail not failed answers 409, an unknown alert 404. The list shows no child data."""

from __future__ import annotations

import pytest
from sqlmodel import select

from referral_service.domain.alert import Alert
from referral_service.domain.outbox import OutboxMessage
from referral_service.notify.mailer import SmtpMailer
from tests.integration.test_web_decisions import WebUser
from tests.support.loop import InProcessWorker
from tests.support.mail_server import PASSWORD, USERNAME, MailServer, make_certificate

BUTTON = "Send e-posten på nytt"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-resend"))


@pytest.fixture
def failed(world, app, clock, certificate):
    """A rejection whose three e-mails were tried for their whole window with the mail server down, then failed;
    yields the mail server (not started), the worker, the failed alerts by recipient, the referral and how many
    e-mails failed in all (the administrators' alerts about the failures failed too: the server was down)."""
    server = MailServer(certificate)
    clock.set(clock().replace(microsecond=0))
    referral = world.referral_in("rejected")
    worker = InProcessWorker(app, mailer=SmtpMailer("127.0.0.1", server.port, username=USERNAME, password=PASSWORD,
                                                    ca_file=str(certificate.cert_file), timeout=5))
    worker.run_retries(clock)
    with app.extensions["referral_db"].session() as session:
        every = session.exec(select(Alert)).all()
    names = {user.id: name for name, user in world.users.items()}
    by_user = {names[a.user_id]: a for a in every if a.kind != "alert_delivery_failed"}
    assert {a.email_state for a in every} == {"failed"} and len(by_user) == 3
    yield server, worker, by_user, referral, len(every)
    server.stop()


def outbox_rows(app, alert_id: str) -> int:
    with app.extensions["referral_db"].session() as session:
        return len([m for m in session.exec(select(OutboxMessage)) if m.payload.get("alert_id") == alert_id])


def test_the_operations_api_lists_the_failed_emails_without_child_data(world, app, failed):
    _server, _worker, by_user, referral, _total = failed
    answer = world.get("admin", "/api/v1/admin/alerts/failed")
    assert answer.status_code == 200
    items = {item["alert_id"]: item for item in answer.json["items"]}
    coordinator = items[by_user["coordinator_askoy"].id]
    assert coordinator["organisation"] == world.orgs["askoy"].name and coordinator["attempts"] > 5
    assert coordinator["error"] and coordinator["failed_at"] and coordinator["kind"]
    child = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["child"]
    assert child["given_name"] not in answer.get_data(as_text=True)
    assert child["family_name"] not in answer.get_data(as_text=True)
    assert world.get("gp", "/api/v1/admin/alerts/failed").status_code == 403


def test_an_administrator_resends_on_the_drift_page_and_in_the_api_and_each_arrives_once(world, app, failed):
    server, worker, by_user, _referral, total = failed
    admin = WebUser(app, "admin")
    page = admin.get("/admin/drift")
    assert page.h1 == ["Drift"] and page.buttons.count(BUTTON) == total
    coordinator, gp = by_user["coordinator_askoy"], by_user["gp"]

    done = admin.submit(f"/admin/drift/varsler/{coordinator.id}/send-pa-nytt", {})
    assert "E-posten sendes på nytt." in done.text()
    assert done.buttons.count(BUTTON) == total - 1
    api = world.post("admin", f"/api/v1/admin/alerts/{gp.id}/resend")
    assert (api.status_code, api.json) == (202, {"alert_id": gp.id, "email_state": "pending"})
    assert outbox_rows(app, coordinator.id) == 2  # a new outbox row: the normal path

    server.start()
    worker.run()
    copies = server.mailbox.copies()
    assert sorted(copies) == sorted(f"<alert-{a.id}@henvisning.example>" for a in (coordinator, gp))
    assert set(copies.values()) == {1}
    assert world.get("admin", "/api/v1/admin/operations").json["alerts_failed"] == total - 2

    events = world.get("admin", "/api/v1/admin/events").json["items"]
    resent = [e for e in events if e["action"] == "alert_email_resent"]
    assert sorted(e["target_id"] for e in resent) == sorted([coordinator.id, gp.id])
    assert "E-postvarsel sendt på nytt" in admin.get("/admin").text()

    # Sent now: resending again is a conflict, in the API and on the page.
    again = world.post("admin", f"/api/v1/admin/alerts/{gp.id}/resend")
    assert again.status_code == 409 and again.content_type == "application/problem+json"
    form_page = admin.client.post(f"/admin/drift/varsler/{coordinator.id}/send-pa-nytt",
                                  data={"csrf_token": page.hidden("csrf_token")}, follow_redirects=True)
    assert "ikke lenger feilet" in form_page.get_data(as_text=True)
    worker.run()
    assert set(server.mailbox.copies().values()) == {1}


def test_nobody_but_an_administrator_may_resend_and_an_unknown_alert_is_404(world, app, failed):
    _server, _worker, by_user, _referral, total = failed
    alert = by_user["coordinator_askoy"]
    assert world.post("gp", f"/api/v1/admin/alerts/{alert.id}/resend").status_code == 403
    assert world.post("coordinator_askoy", f"/api/v1/admin/alerts/{alert.id}/resend").status_code == 403
    assert world.post("admin", "/api/v1/admin/alerts/finnes-ikke/resend").status_code == 404
    coordinator = WebUser(app, "coordinator_askoy")
    token = coordinator.get("/varsler").hidden("csrf_token")
    refused = coordinator.client.post(f"/admin/drift/varsler/{alert.id}/send-pa-nytt", data={"csrf_token": token})
    assert refused.status_code == 403
    coordinator.get("/admin/drift", expect=403)
    admin = WebUser(app, "admin")
    admin.get("/admin/drift")
    admin.submit(f"/admin/drift/varsler/{alert.id}/send-pa-nytt", {}, csrf=False, expect=400)
    assert outbox_rows(app, alert.id) == 1  # nothing was resent
    assert world.get("admin", "/api/v1/admin/operations").json["alerts_failed"] == total


def test_a_resent_email_that_fails_again_alerts_the_administrators_again_once(world, app, clock, failed):
    _server, worker, by_user, _referral, _total = failed
    alert = by_user["coordinator_askoy"]

    def told() -> int:
        return sum(1 for a in world.get("admin", "/api/v1/alerts").json["items"]
                   if a["kind"] == "alert_delivery_failed")

    before = told()
    assert world.post("admin", f"/api/v1/admin/alerts/{alert.id}/resend").status_code == 202
    worker.run_retries(clock)  # the server is still down: a new window, tried through, failed again
    with app.extensions["referral_db"].session() as session:
        again = session.get(Alert, alert.id)
    assert again.email_state == "failed" and again.email_attempts > alert.email_attempts + 5
    assert told() == before + 1


def test_a_resent_email_is_new_work_in_the_backlog_not_as_old_as_its_alert(world, app, failed):
    """The alert is a day old; its e-mail sent again is work raised now, so the backlog's age does not jump a day."""
    _server, _worker, by_user, _referral, _total = failed
    coordinator = by_user["coordinator_askoy"]
    assert world.post("admin", f"/api/v1/admin/alerts/{coordinator.id}/resend").status_code == 202
    status = world.get("admin", "/api/v1/admin/operations").json
    assert status["outbox_pending"] == 1
    assert status["oldest_pending_seconds"] < 60
