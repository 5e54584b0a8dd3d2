"""Two requests that carry the same ETag race: one wins, the other answers 412 (API.md), on both databases.

The requests run in two threads against the real database. On PostgreSQL both are held, with a barrier, until
both have passed the If-Match check and reached the version claim, so they truly overlap: the loser waits for the
winner's row lock and then finds the version moved on. SQLite serialises writing transactions (BEGIN IMMEDIATE),
so there the two start together and the later one finds the ETag stale at the check. Without If-Match the loser
of the same race answers 409. Either way there is exactly one decision.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from referral_service.bootstrap import dependencies
from referral_service.services import repositories
from tests.support.loop import InProcessWorker

REFERRALS = "/api/v1/referrals"
HANDOVERS = "/api/v1/handovers"
#: Long enough for a loaded CI machine; a barrier that times out fails the test instead of hanging it.
WAIT_SECONDS = 20


def overlaps(world) -> bool:
    return world.app.extensions["referral_db"].engine.dialect.name != "sqlite"


def hold_both_at_the_version_claim(monkeypatch) -> None:
    """Both requests have passed every check when they claim the version: neither claims before both are there."""
    both_there = threading.Barrier(2, timeout=WAIT_SECONDS)
    real_claim = repositories.claim_row_version

    def claim_when_both_are_there(*args: Any, **kwargs: Any) -> None:
        both_there.wait()
        real_claim(*args, **kwargs)

    monkeypatch.setattr(repositories, "claim_row_version", claim_when_both_are_there)


def race(world, monkeypatch, requests: dict[str, Callable[[Any], Any]]) -> dict[str, Any]:
    """Send the two requests at once, each with its own client; their responses by name."""
    if overlaps(world):
        hold_both_at_the_version_claim(monkeypatch)
    start = threading.Barrier(len(requests), timeout=WAIT_SECONDS)
    responses: dict[str, Any] = {}

    def send(name: str) -> None:
        client = world.app.test_client()
        start.wait()
        responses[name] = requests[name](client)

    threads = [threading.Thread(target=send, args=(name,)) for name in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT_SECONDS)
    monkeypatch.undo()
    assert set(responses) == set(requests), "a request did not finish"
    return responses


def outcome(responses: dict[str, Any]) -> tuple[list[str], list[int]]:
    winners = [name for name, response in responses.items() if response.status_code == 200]
    losers = [response.status_code for response in responses.values() if response.status_code != 200]
    for response in responses.values():
        if response.status_code != 200:
            assert response.mimetype == "application/problem+json"
    return winners, losers


def today(world):
    return dependencies(world.app).clock.today()


def decisions(world, referral_id: str) -> list[str]:
    events = world.get("bup", f"{REFERRALS}/{referral_id}/events").json["items"]
    return [e["action"] for e in events if e["action"] in ("accept", "reject")]


def clinic_decisions(world) -> dict[str, dict[str, Any]]:
    return {
        "accept": {"care_start_due": (today(world) + timedelta(days=30)).isoformat(), "priority": "moderate"},
        "reject": {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialisthelsetjeneste.",
                   "municipal_advice": "Tilbud hos kommunepsykolog."},
    }


def decide_at_once(world, monkeypatch, *, if_match: str | None) -> tuple[str, dict[str, Any]]:
    rid = world.referral_in("submitted")["id"]
    etag = world.get("bup", f"{REFERRALS}/{rid}").headers["ETag"]
    headers = world.headers("bup", **({"If-Match": etag if if_match == "read" else if_match} if if_match else {}))
    bodies = clinic_decisions(world)
    return rid, race(world, monkeypatch, {
        action: (lambda client, action=action: client.post(f"{REFERRALS}/{rid}/{action}", json=bodies[action],
                                                           headers=headers))
        for action in bodies})


def test_the_loser_of_two_decisions_with_the_same_etag_gets_412_and_one_decision_is_made(world, monkeypatch):
    rid, responses = decide_at_once(world, monkeypatch, if_match="read")

    winners, losers = outcome(responses)
    assert len(winners) == 1 and losers == [412], {n: r.status_code for n, r in responses.items()}
    assert decisions(world, rid) == winners
    assert responses[winners[0]].headers["ETag"] == world.get("bup", f"{REFERRALS}/{rid}").headers["ETag"]


def test_the_loser_of_a_race_without_if_match_gets_409_and_one_decision_is_made(world, monkeypatch):
    rid, responses = decide_at_once(world, monkeypatch, if_match=None)

    winners, losers = outcome(responses)
    assert len(winners) == 1 and losers == [409], {n: r.status_code for n, r in responses.items()}
    assert decisions(world, rid) == winners


def test_if_match_star_asks_for_no_version_so_its_loser_gets_409(world, monkeypatch):
    rid, responses = decide_at_once(world, monkeypatch, if_match="*")

    winners, losers = outcome(responses)
    assert len(winners) == 1 and losers == [409], {n: r.status_code for n, r in responses.items()}
    assert decisions(world, rid) == winners


def test_two_edits_of_a_draft_with_the_same_etag_keep_the_winners_text_and_refuse_the_other_with_412(
        world, monkeypatch):
    rid = world.create_referral("gp")["id"]
    etag = world.get("gp", f"{REFERRALS}/{rid}").headers["ETag"]
    headers = world.headers("gp", **{"If-Match": etag})
    texts = {"first": "Skolevegring siden august.", "second": "Sover dårlig, trekker seg fra venner."}

    responses = race(world, monkeypatch, {
        name: (lambda client, text=text: client.patch(f"{REFERRALS}/{rid}", json={"description": text},
                                                      headers=headers))
        for name, text in texts.items()})

    winners, losers = outcome(responses)
    assert len(winners) == 1 and losers == [412], {n: r.status_code for n, r in responses.items()}
    assert world.get("gp", f"{REFERRALS}/{rid}").json["description"] == texts[winners[0]]


@pytest.fixture
def acknowledged_task(world, app) -> dict[str, Any]:
    """A handover task the coordinator has acknowledged, as they read it (with its ETag)."""
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"{REFERRALS}/{referral['id']}").json["handover_id"]
    acknowledged = world.post("coordinator_askoy", f"{HANDOVERS}/{handover_id}/acknowledge", json={})
    assert acknowledged.status_code == 200, acknowledged.json
    return {"id": handover_id, "etag": acknowledged.headers["ETag"]}


def test_two_steps_on_a_task_with_the_same_etag_make_one_step_and_the_other_gets_412(
        world, monkeypatch, acknowledged_task):
    task_url = f"{HANDOVERS}/{acknowledged_task['id']}"
    headers = world.headers("coordinator_askoy", **{"If-Match": acknowledged_task["etag"]})
    steps = {"assign": {"service": "Kommunepsykolog"}, "close": {"outcome": "Familien har takket nei."}}

    responses = race(world, monkeypatch, {
        action: (lambda client, action=action: client.post(f"{task_url}/{action}", json=steps[action],
                                                           headers=headers))
        for action in steps})

    winners, losers = outcome(responses)
    assert len(winners) == 1 and losers == [412], {n: (r.status_code, r.json) for n, r in responses.items()}
    events = world.get("coordinator_askoy", task_url).json["events"]
    assert [e["action"] for e in events if e["action"] in steps] == winners
