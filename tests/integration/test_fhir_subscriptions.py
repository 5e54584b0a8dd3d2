"""FHIR Subscriptions (R4 backport, rest-hook, id-only), in-process on both databases: an organisation subscribes,
sees and turns off only its own subscriptions; every Task change is told once to each subscriber that may see the
Task, as an id-only notification a real HTTP receiver on loopback gets; a dead endpoint is retried, then the
subscription shows `error` to its owner and the administrators."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.handover import DeadlineMark, Handover
from referral_service.domain.organisation import User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.domain.subscription import FhirSubscription, SubscriptionNotification
from referral_service.fhir.codes import CANON
from referral_service.fhir.subscription import notification_bundle
from referral_service.services.fhir.subscription_delivery import (
    SUBSCRIBER_ERROR,
    EndpointNotPublic,
    NotificationSettings,
    http_post,
)
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.loop.sweeps import run_sweeps
from tests.integration.test_web_decisions import WebUser
from tests.support.fhir import FHIR_JSON, fhir_get, outcome_of, validated
from tests.support.loop import InProcessWorker
from tests.support.rest_hook import RestHookReceiver, event_of, subscription_of

TOPIC = f"{CANON}/SubscriptionTopic/task-changed"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}


def subscription(endpoint: str, *, criteria: str | None = None, **channel: object) -> dict:
    resource = {"resourceType": "Subscription", "status": "requested", "reason": "Henvisninger og oppfølging",
                "criteria": TOPIC,
                "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": FHIR_JSON,
                            "_payload": {"extension": [{"url": f"{BACKPORT}/backport-payload-content",
                                                        "valueCode": "id-only"}]}, **channel}}
    if criteria:
        resource["_criteria"] = {"extension": [{"url": f"{BACKPORT}/backport-filter-criteria",
                                                "valueString": criteria}]}
    return resource


def subscribe(world, who: str, endpoint: str, **kwargs) -> str:
    response = world.client.post("/fhir/Subscription", json=subscription(endpoint, **kwargs),
                                 headers=world.headers(who))
    assert response.status_code == 201, response.get_data(as_text=True)
    created = validated(response.get_json(), "Subscription")
    assert response.headers["Location"].endswith(f"/fhir/Subscription/{created['id']}")
    return created["id"]


@pytest.fixture
def receiver() -> Iterator[RestHookReceiver]:
    server = RestHookReceiver()
    yield server
    server.close()


def real_post(url: str, body: bytes) -> int:
    return requests.post(url, data=body, timeout=5, headers={"Content-Type": FHIR_JSON}).status_code


def worker_for(world) -> InProcessWorker:
    return InProcessWorker(world.app, fhir_post=real_post)


def test_an_organisation_subscribes_sees_only_its_own_subscription_and_turns_it_off(world, receiver):
    sub_id = subscribe(world, "bup", receiver.url, criteria=f"Task?owner=Organization/{world.orgs['bup'].id}")

    read = fhir_get(world, "bup", f"Subscription/{sub_id}")
    assert read["status"] == "active"
    assert read["criteria"] == TOPIC
    assert read["_criteria"]["extension"] == [{"url": f"{BACKPORT}/backport-filter-criteria",
                                               "valueString": f"Task?owner=Organization/{world.orgs['bup'].id}"}]
    assert read["channel"]["type"] == "rest-hook" and read["channel"]["endpoint"] == receiver.url
    assert read["channel"]["payload"] == FHIR_JSON
    assert read["channel"]["_payload"]["extension"] == [{"url": f"{BACKPORT}/backport-payload-content",
                                                         "valueCode": "id-only"}]
    assert "error" not in read

    # Another organisation: 404, exactly as an id that does not exist.
    unknown = world.client.get("/fhir/Subscription/00000000-0000-0000-0000-000000000000",
                               headers=world.headers("bup2"))
    hidden = world.client.get(f"/fhir/Subscription/{sub_id}", headers=world.headers("bup2"))
    assert hidden.status_code == unknown.status_code == 404
    assert outcome_of(hidden)["issue"] == outcome_of(unknown)["issue"]
    assert world.client.delete(f"/fhir/Subscription/{sub_id}", headers=world.headers("bup2")).status_code == 404
    assert fhir_get(world, "bup", f"Subscription/{sub_id}")["status"] == "active"

    assert world.client.delete(f"/fhir/Subscription/{sub_id}", headers=world.headers("bup")).status_code == 204
    turned_off = world.client.get(f"/fhir/Subscription/{sub_id}", headers=world.headers("bup"))
    assert validated(turned_off.get_json(), "Subscription")["status"] == "off"
    assert turned_off.headers["ETag"] == 'W/"2"' and read["meta"]["versionId"] == "1"  # the change has a version

    statement = fhir_get(world, "bup", "metadata")
    served = {r["type"]: {i["code"] for i in r["interaction"]} for r in statement["rest"][0]["resource"]}
    assert {"read", "create", "delete"} <= served["Subscription"]


@pytest.mark.parametrize("change, field", [
    (lambda s: s.update(criteria=f"{CANON}/SubscriptionTopic/patient-changed"), "criteria"),
    (lambda s: s["channel"].update(type="websocket"), "channel.type"),
    (lambda s: s["channel"]["_payload"]["extension"][0].update(valueCode="full-resource"), "channel.payload"),
    (lambda s: s.update(_criteria={"extension": [{"url": f"{BACKPORT}/backport-filter-criteria",
                                                  "valueString": "Patient?identifier=12345678901"}]}), "criteria"),
    (lambda s: s["channel"].update(endpoint="http://user:secret@127.0.0.1:9/hook"), "channel.endpoint"),
    (lambda s: s["channel"].update(header=["Authorization: Bearer x"]), "channel.header"),
])
def test_a_subscription_that_cannot_be_served_is_refused_and_nothing_is_kept(world, change, field):
    body = subscription("http://127.0.0.1:9/hook")
    change(body)
    response = world.client.post("/fhir/Subscription", json=body, headers=world.headers("bup"))
    assert response.status_code == 422
    outcome = outcome_of(response)
    text = response.get_data(as_text=True)
    assert field in text
    assert "12345678901" not in text and "secret" not in text  # nothing the client sent is echoed
    assert outcome["issue"][0]["severity"] == "error"
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(FhirSubscription)).all() == []


def test_an_endpoint_must_use_https_when_plain_http_is_not_allowed(world, monkeypatch):
    config = dependencies(world.app).config
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_ALLOW_HTTP", False)
    refused = world.client.post("/fhir/Subscription", json=subscription("http://journal.example/hook"),
                                headers=world.headers("bup"))
    assert refused.status_code == 422
    assert "https" in outcome_of(refused)["issue"][0]["diagnostics"] + refused.get_data(as_text=True)
    assert "journal.example" not in refused.get_data(as_text=True)
    subscribe(world, "bup", "https://journal.example/hook")
    monkeypatch.setattr(config, "ENV", "production")  # production never takes http, whatever the setting says
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_ALLOW_HTTP", True)
    assert world.client.post("/fhir/Subscription", json=subscription("http://journal.example/hook"),
                             headers=world.headers("bup")).status_code == 422


def test_each_task_change_is_told_once_to_each_subscriber_that_may_see_the_task(world, receiver):
    worker = worker_for(world)
    subscribers = {subscribe(world, who, receiver.url): who for who in ("gp", "bup", "bup2", "coordinator_askoy")}
    owner_filtered = subscribe(world, "bup", receiver.url, criteria=f"Task?owner=Organization/{world.orgs['bup'].id}")
    subscribers[owner_filtered] = "bup owner filter"

    body = world.referral_body()
    national_id = body["child"]["national_id"]
    created = world.post("gp", "/api/v1/referrals", json=body)
    assert created.status_code == 201
    referral_id = created.json["id"]
    by_id = subscribe(world, "gp", receiver.url, criteria=f"Task?_id={referral_id}")
    subscribers[by_id] = "gp id filter"
    world.act("gp", referral_id, "submit")
    world.act("bup", referral_id, "reject", REJECTION)
    worker.run()  # the worker creates the handover task (and tells of it)
    with world.app.extensions["referral_db"].session() as session:
        handover = session.exec(select(Handover).where(Handover.referral_id == referral_id)).one()
        referral_actions = [e.action for e in session.exec(select(ReferralEvent).where(
            ReferralEvent.referral_id == referral_id).order_by(ReferralEvent.at))]
    ack = world.post("coordinator_askoy", f"/api/v1/handovers/{handover.id}/acknowledge", json={})
    assert ack.status_code == 200, ack.json
    worker.run()

    received = receiver.received()
    for bundle in received:
        validated(bundle, "Bundle")
        assert bundle["type"] == "history"
        status = validated(bundle["entry"][0]["resource"], "Parameters")
        params = {p["name"]: p for p in status["parameter"]}
        assert params["topic"]["valueCanonical"] == TOPIC
        assert params["status"]["valueCode"] == "active"
        assert params["type"]["valueCode"] == "event-notification"
        task_id, number = event_of(bundle)
        assert params["events-since-subscription-start"]["valueString"] == str(number)
        focus = bundle["entry"][1]
        assert set(focus) == {"fullUrl", "request", "response"}  # id-only: the address, no resource
        assert focus["fullUrl"].endswith(f"/fhir/Task/{task_id}")
    assert all(t.startswith(FHIR_JSON) for t in receiver.content_types)
    raw = repr(received)
    assert national_id not in raw and "Ola" not in raw  # ids only: no identity number, no name

    heard: dict[str, Counter] = {who: Counter() for who in subscribers.values()}
    for bundle in received:
        heard[subscribers[subscription_of(bundle)]][event_of(bundle)] += 1
    referral_changes_seen_by_gp = len(referral_actions)  # the draft's creation, submit, reject
    assert referral_actions[-2:] == ["submit", "reject"]
    expected = {
        # The referrer: every change of its referral's Task, and of the handover Task (create, acknowledge).
        "gp": [referral_id] * referral_changes_seen_by_gp + [handover.id] * 2,
        # BUP: not the draft (it never saw it), then everything.
        "bup": [referral_id] * 2 + [handover.id] * 2,
        # Another clinic: nothing at all.
        "bup2": [],
        # The municipality: only the handover Task, which it owns.
        "coordinator_askoy": [handover.id] * 2,
        # Filters: BUP's own Tasks (the referral Task; the handover Task belongs to the municipality); one Task.
        "bup owner filter": [referral_id] * 2,
        "gp id filter": [referral_id] * 2,
    }
    for who, tasks in expected.items():
        numbers = sorted(n for _task, n in heard[who])
        assert numbers == list(range(1, len(tasks) + 1)), (who, heard[who])  # each number once, none missing
        assert Counter(t for t, _n in heard[who]) == Counter(tasks), (who, heard[who])
        assert set(heard[who].values()) <= {1}, who  # exactly once each

    # A redelivered task of an already delivered notification sends nothing again.
    before = len(receiver.received())
    with world.app.extensions["referral_db"].session() as session:
        delivered = session.exec(select(OutboxMessage).where(OutboxMessage.topic == "fhir.notification")).all()
    for message in delivered:
        worker.process(message.topic, message.id)
    worker.run()
    assert len(receiver.received()) == before


def test_a_dead_endpoint_is_retried_then_its_subscription_shows_the_error_to_its_owner_and_the_administrators(
        world, clock, monkeypatch):
    config = dependencies(world.app).config
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS", 60.0)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS", 600.0)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS", 1.0)
    dead = RestHookReceiver()
    dead_url = dead.url
    dead.close()  # nothing listens there any more
    sub_id = subscribe(world, "bup", dead_url)
    worker = worker_for(world)
    referral = world.referral_in("submitted")

    worker.run()
    waiting = world.get("admin", "/api/v1/admin/operations").json
    assert waiting["subscription_retries_waiting"] == 1 and waiting["email_retries_waiting"] == 0
    moves = worker.run_retries(clock)

    assert moves >= 3  # tried again, with growing waits, until the window ended
    with world.app.extensions["referral_db"].session() as session:
        notes = session.exec(select(SubscriptionNotification)).all()
    assert [(n.task_id, n.state, n.event_number) for n in notes] == [(referral["id"], "failed", 1)]
    assert notes[0].attempts == moves + 1
    shown = fhir_get(world, "bup", f"Subscription/{sub_id}")
    assert shown["status"] == "error"
    assert "could not be reached" in shown["error"] and "Notification 1" in shown["error"]
    operations = world.get("admin", "/api/v1/admin/operations")
    assert operations.status_code == 200
    assert operations.json["subscription_notifications_failed"] == 1
    assert operations.json["subscriptions_in_error"] == 1
    drift = WebUser(world.app, "admin").get("/admin/drift").text()
    assert "FHIR-abonnementer som har stoppet" in drift
    assert world.orgs["bup"].name in drift
    assert sub_id[:8] in drift and "could not be reached" in drift

    # A subscription in error is told of nothing more (its owner makes a new one).
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    with world.app.extensions["referral_db"].session() as session:
        assert len(session.exec(select(SubscriptionNotification)).all()) == 1


def test_an_escalation_of_the_handover_task_is_told_to_the_municipality(world, receiver, clock):
    worker = worker_for(world)
    sub_id = subscribe(world, "coordinator_askoy", receiver.url)
    referral = world.referral_in("rejected")
    worker.run()
    with world.app.extensions["referral_db"].session() as session:
        handover = session.exec(select(Handover).where(Handover.referral_id == referral["id"])).one()
    assert [event_of(b) for b in receiver.received()] == [(handover.id, 1)]  # its creation

    clock.set(clock() + timedelta(days=14))  # long past the acknowledgement's deadline: the task escalates
    deps = dependencies(world.app)
    run_sweeps(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)
    worker.run()

    with world.app.extensions["referral_db"].session() as session:
        escalated = session.get(Handover, handover.id)
        marks = session.exec(select(DeadlineMark).where(DeadlineMark.handover_id == handover.id)).all()
    assert escalated.escalation_level >= 1 and marks
    told = [event_of(b) for b in receiver.received()]
    assert told == [(handover.id, n) for n in range(1, len(marks) + 2)]  # one notification per escalation step
    shown = fhir_get(world, "coordinator_askoy", f"Subscription/{sub_id}")
    assert shown["status"] == "active"


# --- delivery: claim, POST outside any transaction under a total deadline, record; public endpoints only; -------
# --- a notification the subscriber may no longer have is not sent (review 2, items 1, 2 and 8) ------------------

class HeldEndpoint:
    """A rest-hook endpoint on loopback that holds its answer until released (or drips it, one byte at a time)."""

    def __init__(self, *, drip_seconds: float | None = None) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.posts = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.posts += 1
                endpoint.arrived.set()
                if drip_seconds is not None:
                    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                        if endpoint.release.wait(drip_seconds):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                endpoint.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notify"

    def close(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def notifications_of(world) -> list[SubscriptionNotification]:
    with world.app.extensions["referral_db"].session() as session:
        return list(session.exec(select(SubscriptionNotification).order_by(SubscriptionNotification.event_number)))


def test_while_the_endpoint_holds_its_answer_the_database_takes_other_writes(world):
    held = HeldEndpoint()
    try:
        subscribe(world, "bup", held.url)
        world.referral_in("submitted")
        worker = InProcessWorker(world.app, fhir_post=http_post(10.0))
        delivering = threading.Thread(target=worker.run)
        delivering.start()
        held.arrived.wait(10)
        assert held.arrived.is_set(), "the notification was not posted"
        started = time.monotonic()
        other = world.post("gp", "/api/v1/referrals", json=world.referral_body())  # a write, while the POST waits
        assert other.status_code == 201, other.get_data(as_text=True)
        assert time.monotonic() - started < 5
        held.release.set()
        delivering.join(20)
        assert not delivering.is_alive()
    finally:
        held.close()
    assert [(n.state, n.attempts) for n in notifications_of(world)] == [("delivered", 1)]


def test_an_endpoint_that_drips_its_answer_is_cut_at_the_total_deadline(world, clock):
    dripping = HeldEndpoint(drip_seconds=0.25)  # 38 bytes: almost 10 s, each byte well within a read timeout
    try:
        subscribe(world, "bup", dripping.url)
        world.referral_in("submitted")
        worker = InProcessWorker(world.app, fhir_post=http_post(1.0))
        started = time.monotonic()
        worker.run()
        elapsed = time.monotonic() - started
    finally:
        dripping.close()
    assert dripping.posts == 1
    assert elapsed < 4, elapsed
    [note] = notifications_of(world)
    assert note.state == "pending" and note.attempts == 1
    assert note.last_error == "the endpoint did not answer in time"
    [message] = InProcessWorker(world.app).pending_outbox()
    assert message.dispatched_at is None and message.next_attempt_at > clock()  # waits for its next attempt


class WorkerKilled(BaseException):
    """Stands for a worker killed while its POST is under way (nothing in the service catches it)."""


def test_a_worker_killed_between_claim_and_record_leaves_the_notification_to_be_tried_again(world, receiver, clock):
    def killed_mid_post(url: str, body: bytes) -> int:
        raise WorkerKilled()

    subscribe(world, "bup", receiver.url)
    world.referral_in("submitted")
    dying = InProcessWorker(world.app, fhir_post=killed_mid_post)
    dying.relay()
    [(topic, message_id)] = [item for item in dying.queue if item[0] == "fhir.notification"]
    with pytest.raises(WorkerKilled):
        dying.process(topic, message_id)

    [note] = notifications_of(world)
    assert (note.state, note.attempts) == ("pending", 1)  # claimed, never recorded
    worker = worker_for(world)
    worker.process(topic, message_id)  # a twin delivery while the claim holds: nothing is posted
    worker.run()
    assert receiver.received() == []

    deps = dependencies(world.app)
    settings = NotificationSettings.from_settings(deps.config)
    clock.set(clock() + timedelta(seconds=settings.claim_seconds + deps.config.RECONCILE_GRACE_SECONDS + 1))
    repairs = reconcile(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines,
                        grace=timedelta(seconds=deps.config.RECONCILE_GRACE_SECONDS))
    assert repairs.stuck_messages >= 1
    worker.run()
    assert [event_of(b)[1] for b in receiver.received()] == [1]  # tried again once the claim ran out: once
    [note] = notifications_of(world)
    assert (note.state, note.attempts) == ("delivered", 2)


PRIVATE_HOSTS = ["127.0.0.1", "169.254.169.254", "10.0.0.5", "[::1]", "localhost"]


def test_endpoints_not_on_the_public_internet_are_refused_at_creation_and_never_posted_to(world, clock, monkeypatch):
    config = dependencies(world.app).config
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_PUBLIC_ONLY", True)
    for host in PRIVATE_HOSTS:
        refused = world.client.post("/fhir/Subscription", json=subscription(f"https://{host}:6379/hook"),
                                    headers=world.headers("bup"))
        assert refused.status_code == 422, host
        outcome = validated(outcome_of(refused), "OperationOutcome")
        assert outcome["issue"][0]["severity"] == "error"
        text = refused.get_data(as_text=True)
        assert "channel.endpoint" in text and "public" in text
        assert host.strip("[]") not in text and "6379" not in text  # the address is never echoed
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(FhirSubscription)).all() == []
    subscribe(world, "bup", "https://93.184.215.14/hook")  # a public address is taken

    # Made while the rule was off (or a name that resolves elsewhere now): checked again at each delivery.
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_PUBLIC_ONLY", False)
    private = [subscribe(world, "bup", f"https://{host}:6379/hook") for host in PRIVATE_HOSTS]
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_PUBLIC_ONLY", True)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS", 600.0)
    monkeypatch.setattr(config, "FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS", 1.0)
    posted: list[str] = []

    def recording_post(url: str, body: bytes) -> int:
        posted.append(url)
        return 200

    world.referral_in("submitted")
    InProcessWorker(world.app, fhir_post=recording_post).run_retries(clock)
    assert not any(host.strip("[]") in url for url in posted for host in PRIVATE_HOSTS)
    assert posted == ["https://93.184.215.14/hook"]  # the public one only
    failed = [n for n in notifications_of(world) if n.subscription_id in private]
    assert len(failed) == len(PRIVATE_HOSTS) and {n.state for n in failed} == {"failed"}
    assert all("not public" in n.last_error for n in failed)  # the detail, for the administrators
    for sub_id in private:
        shown = fhir_get(world, "bup", f"Subscription/{sub_id}")
        assert shown["status"] == "error"
        assert SUBSCRIBER_ERROR in shown["error"] and "public" not in shown["error"]  # a generic reason only


def test_the_real_channel_takes_no_proxy_from_the_environment_and_refuses_a_private_peer(monkeypatch, receiver):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")
    now = datetime.now(UTC)
    body = json.dumps(notification_bundle(notification_id="n-1", subscription_id="s-1", status="active",
                                          event_number=1, occurred_at=now, sent_at=now, task_id="t-1",
                                          base_url="http://127.0.0.1/fhir")).encode()
    assert http_post(5.0)(receiver.url, body) == 200  # the proxy was not used: it would have refused
    with pytest.raises(EndpointNotPublic):  # a name that resolved to a public address but connects to loopback
        http_post(5.0, public_only=True)(receiver.url, body)
    assert len(receiver.received()) == 1


def test_a_notification_the_subscriber_may_no_longer_have_is_cancelled_not_sent(world, receiver):
    moved_away = subscribe(world, "bup", receiver.url)
    left = subscribe(world, "gp", receiver.url)
    referral = world.referral_in("submitted")
    database = world.app.extensions["referral_db"]
    with database.session() as session:
        session.get(Referral, referral["id"]).clinic_id = world.orgs["bup2"].id  # the referral went elsewhere
        session.get(User, world.users["gp"].id).active = False  # the referrer who subscribed left
        session.commit()
    try:
        worker_for(world).run()
    finally:
        with database.session() as session:  # the demo users are shared by every test
            session.get(User, world.users["gp"].id).active = True
            session.commit()
    assert receiver.received() == []
    states = Counter((n.subscription_id, n.state) for n in notifications_of(world))
    assert states[(moved_away, "cancelled")] == 1 and states[(left, "cancelled")] >= 1
    assert not any(state != "cancelled" for _sub, state in states)
