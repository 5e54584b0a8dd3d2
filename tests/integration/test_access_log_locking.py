"""Reading does not hold up writing, and the access log keeps up with many requests at once.

On SQLite only one transaction at a time may write. A transaction that only reads (`audit verify`, a GET's
reading) begins DEFERRED and takes no write lock, so while it reads, a log-in, a new referral or another
reader's access-log rows are written at once. Were it holding the lock, they would wait out the busy timeout
and answer 500 "database is locked". Requests are paused inside the reading transaction with events (no
sleeps), and run in threads with their own test clients, as a server would run them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from referral_service.demo import DEMO_PASSWORD
from referral_service.security import access_log, access_log_verification
from tests.integration.test_access_log import log_rows, some_activity, verify_over_the_api
from tests.support.world import USERS

WAIT = 60  # seconds; a safety net against a hung test, never reached when the service behaves


@contextmanager
def paused_inside(monkeypatch, module, name: str) -> Iterator[Callable[[], None]]:
    """Replace `module.name` so that the first call waits until released; yields `wait_until_reached`."""
    reached, release = threading.Event(), threading.Event()
    original = getattr(module, name)

    def paused(*args, **kwargs):
        if not reached.is_set():
            reached.set()
            release.wait(WAIT)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, paused)
    try:
        yield lambda: reached.wait(WAIT)
    finally:
        release.set()


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", work()))
    thread.start()
    return thread, result


def writes_while_paused(world, app) -> None:
    """A log-in, a new referral and a read (which writes access-log rows) are all answered."""
    client = app.test_client()
    login = client.post("/api/v1/auth/token", json={"email": USERS["nurse_askoy"], "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.get_data(as_text=True)
    nurse = {"Authorization": f"Bearer {login.json['access_token']}"}
    created = client.post("/api/v1/referrals", json=world.referral_body(), headers=nurse)
    assert created.status_code == 201, created.get_data(as_text=True)
    read = client.get(f"/api/v1/referrals/{created.json['id']}", headers=nurse)
    assert read.status_code == 200, read.get_data(as_text=True)


def test_requests_are_answered_while_audit_verify_reads_the_log(world, app, monkeypatch):
    some_activity(world)
    headers = world.headers("auditor")
    with paused_inside(monkeypatch, access_log_verification, "_hash_of") as verifying:
        thread, verification = in_thread(lambda: app.test_client().get("/api/v1/audit/verify", headers=headers))
        assert verifying()
        writes_while_paused(world, app)
    thread.join(WAIT)
    assert verification["value"].status_code == 200
    assert verification["value"].json["ok"] is True
    assert verify_over_the_api(world) == {"ok": True, "checked": len(log_rows(app)), "first_broken_seq": None,
                                          "first_broken_id": None, "reason": None, "problem": None}


def test_a_list_being_read_does_not_hold_up_a_write(world, app, monkeypatch):
    for _ in range(3):
        world.referral_in("submitted")
    headers = world.headers("bup")
    before = len(log_rows(app))
    with paused_inside(monkeypatch, access_log, "access_basis") as listing:  # the list has read its rows
        thread, page = in_thread(lambda: app.test_client().get("/api/v1/referrals", headers=headers))
        assert listing()
        writes_while_paused(world, app)
    thread.join(WAIT)
    assert page["value"].status_code == 200
    listed = [row for row in log_rows(app)[before:] if row["action"] == "list"]
    assert len(listed) == len(page["value"].json["items"]) == 3  # logged before it answered


def test_listing_fifty_referrals_writes_their_access_log_rows_with_one_statement(world, app):
    for _ in range(50):
        world.referral_in("submitted")
    headers = world.headers("bup")
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    engine = app.extensions["referral_db"].engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = world.client.get("/api/v1/referrals", query_string={"per_page": 50}, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(page.json["items"]) == 50
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO ACCESS_LOG ")]) == 1
    assert not [s for s in statements if "FOR UPDATE" in s.upper()]


def test_the_chain_stays_whole_when_many_requests_log_at_once(world, app):
    referrals = [world.referral_in("submitted")["id"] for _ in range(4)]
    who = ["bup", "gp", "bup", "gp", "bup", "gp"]
    headers = {name: world.headers(name) for name in set(who)}
    start = threading.Barrier(len(who), timeout=WAIT)

    def reader(name: str) -> list[int]:
        client = app.test_client()
        start.wait()
        codes = [client.get(f"/api/v1/referrals/{rid}", headers=headers[name]).status_code for rid in referrals]
        codes.append(client.get("/api/v1/referrals", headers=headers[name]).status_code)
        return codes

    threads = [in_thread(lambda name=name: reader(name)) for name in who]
    for thread, _ in threads:
        thread.join(WAIT)
    assert all(result["value"] == [200] * 5 for _, result in threads)
    rows = log_rows(app)
    assert [row["seq"] for row in rows] == list(range(1, len(rows) + 1))
    assert verify_over_the_api(world)["ok"] is True
