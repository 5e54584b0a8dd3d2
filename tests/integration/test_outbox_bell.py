"""The outbox's doorbell (outbox_bell.py): a commit that wrote outbox rows rings it, so the worker relays at once
instead of on its next tick; a read, a refusal and a rollback never ring it. On both databases: a file's time on
SQLite, NOTIFY (delivered at commit) on PostgreSQL."""

from __future__ import annotations

import pytest

from referral_service.bootstrap import EXTENSION

REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
#: Long enough for a ring that was sent to arrive; the rings under test were sent before the wait begins.
RING_SECONDS = 2.0


def silence(listener) -> None:
    """Take every ring sent so far (each commit of the set-up rang), until the bell has been quiet a while."""
    while listener.wait(0.5):
        pass


@pytest.fixture
def listener(app):
    deps = app.extensions[EXTENSION]
    listening = deps.outbox_bell.listener(deps.database.engine)
    yield listening
    listening.close()


def test_a_decision_rings_the_bell_once_it_is_committed(world, listener):
    referral = world.referral_in("submitted")
    silence(listener)  # the submission rang too
    world.act("bup", referral["id"], "reject", REJECTION)
    assert listener.wait(RING_SECONDS)


def test_reading_a_referral_rings_nothing(world, listener):
    referral = world.referral_in("submitted")
    silence(listener)
    world.get("gp", f"/api/v1/referrals/{referral['id']}")
    world.get("bup", "/api/v1/referrals")
    assert not listener.wait(0.2)


def test_a_refused_decision_rings_nothing(world, listener):
    referral = world.referral_in("submitted")
    silence(listener)
    world.act("bup", referral["id"], "reject", {"reason_code": "no_such_reason"}, expect=422)
    world.act("gp", referral["id"], "accept", {"care_start_due": "2027-01-01"}, expect=403)
    assert not listener.wait(0.2)
