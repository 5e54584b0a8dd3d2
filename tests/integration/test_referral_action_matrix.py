"""Every referral action from every reachable status, through the HTTP API, against API.md.

The expected outcomes are API.md's action table written out by hand here, not read from the code.
A refused action must answer problem+json and leave the referral exactly as it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from referral_service.bootstrap import dependencies

API = "/api/v1/referrals"

#: API.md: "withdraw | referrer or bup_intake | any open state".
OPEN_STATES = ("draft", "submitted", "information_requested", "accepted", "in_treatment")

#: API.md's action table: (from, action) -> to.
ALLOWED: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "request-information"): "information_requested",
    ("information_requested", "supplement"): "submitted",
    ("submitted", "accept"): "accepted",
    ("submitted", "reject"): "rejected",
    ("information_requested", "reject"): "rejected",
    ("submitted", "forward"): "forwarded",
    ("accepted", "start-treatment"): "in_treatment",
    ("in_treatment", "discharge"): "discharged",
    **{(state, "withdraw"): "withdrawn" for state in OPEN_STATES},
}

#: Every status `world.referral_in` can reach.
STATUSES = ("draft", "submitted", "information_requested", "accepted", "in_treatment", "discharged", "rejected",
            "forwarded", "withdrawn")

#: Each action with the user who, by API.md's "who" column, performs it (gp = referrer, bup = bup_intake).
PERFORMERS: tuple[tuple[str, str], ...] = (
    ("submit", "gp"),
    ("request-information", "bup"),
    ("supplement", "gp"),
    ("accept", "bup"),
    ("reject", "bup"),
    ("forward", "bup"),
    ("start-treatment", "bup"),
    ("discharge", "bup"),
    ("withdraw", "gp"),
    ("withdraw", "bup"),
)

REFERRER_ONLY = ("submit", "supplement")
CLINIC_ONLY = ("request-information", "accept", "reject", "forward", "start-treatment", "discharge")


def today(world) -> date:
    """The service's today (Norwegian date), so dates in bodies agree with its checks."""
    return dependencies(world.app).clock.today()


def valid_body(world, action: str) -> dict[str, Any] | None:
    """A body API.md's table accepts for `action`."""
    return {
        "submit": None,
        "request-information": {"questions": "Hvor lenge har skolefraværet vart?"},
        "supplement": {"text": "Fraværet startet i august."},
        "accept": {"care_start_due": (today(world) + timedelta(days=30)).isoformat(), "priority": "moderate"},
        "reject": {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialisthelsetjeneste.",
                   "municipal_advice": "Tilbud hos kommunepsykolog."},
        "forward": {"clinic_id": world.orgs["bup2"].id, "reason": "Barnet hører til et annet opptaksområde."},
        "start-treatment": {"first_appointment_on": today(world).isoformat()},
        "discharge": {"summary": "God bedring.", "follow_up_recommendations": "Oppfølging hos helsesykepleier.",
                      "epikrise_sent": True},
        "withdraw": {"reason": "Familien flytter."},
    }[action]


def post_action(world, who: str, referral_id: str, action: str, body: dict | None, **kwargs: Any):
    return world.post(who, f"{API}/{referral_id}/{action}", json=body, **kwargs)


def snapshot(world, referral_id: str, who: str = "gp") -> dict[str, Any]:
    """The referral as its referrer reads it: full payload, ETag and event ids."""
    response = world.get(who, f"{API}/{referral_id}")
    assert response.status_code == 200, response.json
    events = world.get(who, f"{API}/{referral_id}/events")
    assert events.status_code == 200, events.json
    return {"referral": response.json, "etag": response.headers["ETag"], "events": events.json["items"]}


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    for key in ("type", "title", "detail"):
        assert isinstance(body[key], str) and body[key], key
    return body


def assert_unchanged(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert after["referral"]["status"] == before["referral"]["status"]
    assert after["referral"]["version"] == before["referral"]["version"]
    assert after["etag"] == before["etag"]
    assert len(after["events"]) == len(before["events"])
    assert after == before


#: The one narrowing of API.md's table (README, "Using the API"): while BUP assesses a referral it may reject
#: it (a handover) or forward it, never withdraw it; it may withdraw only after accepting the child.
CLINIC_MAY_NOT_WITHDRAW = ("submitted", "information_requested")


def expected_code(status: str, action: str, who: str) -> int:
    if who == "bup" and status in ("draft", "withdrawn"):
        # A draft is not visible to the clinic, nor a draft withdrawn before it was sent (world.referral_in's
        # "withdrawn"): the clinic never received it.
        return 404
    if who == "bup" and action == "withdraw" and status in CLINIC_MAY_NOT_WITHDRAW:
        return 403
    return 200 if (status, action) in ALLOWED else 409


MATRIX = [
    pytest.param(status, action, who, id=f"{status}-{action}-by-{who}")
    for status in STATUSES
    for action, who in PERFORMERS
]


@pytest.mark.parametrize(("status", "action", "who"), MATRIX)
def test_action_matrix_follows_the_api_table(world, status, action, who):
    rid = world.referral_in(status)["id"]
    before = snapshot(world, rid)
    expected = expected_code(status, action, who)

    response = post_action(world, who, rid, action, valid_body(world, action))

    after = snapshot(world, rid)
    if expected != 200:
        assert_problem(response, expected)
        assert_unchanged(before, after)
        return
    to_status = ALLOWED[(status, action)]
    assert response.status_code == 200, response.json
    assert response.json["status"] == to_status
    assert after["referral"]["status"] == to_status
    assert response.headers["ETag"] == after["etag"] != before["etag"]
    old_ids = {e["id"] for e in before["events"]}
    new_events = [e for e in after["events"] if e["id"] not in old_ids]
    assert len(after["events"]) == len(before["events"]) + 1
    assert [(e["action"], e["actor_id"], e["from_status"], e["to_status"]) for e in new_events] == [
        (action, world.users[who].id, status, to_status)]


# --- the wrong side: a role that may never take the action ------------------------------------------------

WRONG_SIDE = [
    *[pytest.param("gp", action, state, id=f"gp-{action}-on-{state}")
      for action, state in (("request-information", "submitted"), ("accept", "submitted"), ("reject", "submitted"),
                            ("reject", "information_requested"), ("forward", "submitted"),
                            ("start-treatment", "accepted"), ("discharge", "in_treatment"))],
    pytest.param("bup", "submit", "submitted", id="bup-submit-on-submitted"),
    pytest.param("bup", "supplement", "information_requested", id="bup-supplement-on-information_requested"),
]


@pytest.mark.parametrize(("who", "action", "status"), WRONG_SIDE)
def test_the_other_side_gets_403_even_from_the_right_state(world, who, action, status):
    rid = world.referral_in(status)["id"]
    before = snapshot(world, rid)
    assert_problem(post_action(world, who, rid, action, valid_body(world, action)), 403)
    assert_unchanged(before, snapshot(world, rid))


@pytest.mark.parametrize(("who", "action", "status"), [
    pytest.param("gp", "accept", "withdrawn", id="gp-accept-on-withdrawn"),
    pytest.param("gp", "discharge", "submitted", id="gp-discharge-on-submitted"),
    pytest.param("bup", "supplement", "discharged", id="bup-supplement-on-discharged"),
])
def test_the_other_side_gets_403_not_409_from_a_wrong_state(world, who, action, status):
    rid = world.referral_in(status)["id"]
    before = snapshot(world, rid)
    assert_problem(post_action(world, who, rid, action, valid_body(world, action)), 403)
    assert_unchanged(before, snapshot(world, rid))


# --- the wrong user: not a party to this referral at all -> 404 -------------------------------------------

@pytest.mark.parametrize("action", sorted({action for action, _ in PERFORMERS}))
def test_another_clinic_cannot_act_on_the_referral_and_gets_404(world, action):
    rid = world.referral_in("submitted")["id"]
    before = snapshot(world, rid)
    assert_problem(post_action(world, "bup2", rid, action, valid_body(world, action)), 404)
    assert_unchanged(before, snapshot(world, rid))


@pytest.mark.parametrize("who", ["coordinator_askoy", "lead_askoy", "coordinator_bergen", "lead_bergen", "admin",
                                 "auditor"])
@pytest.mark.parametrize("action", ["accept", "withdraw"])
def test_users_without_a_part_in_the_referral_get_404(world, who, action):
    rid = world.referral_in("submitted")["id"]
    before = snapshot(world, rid)
    assert_problem(post_action(world, who, rid, action, valid_body(world, action)), 404)
    assert_unchanged(before, snapshot(world, rid))


@pytest.mark.parametrize(("status", "action"), [("draft", "submit"), ("submitted", "withdraw")])
def test_another_referring_organisation_gets_404(world, status, action):
    rid = world.referral_in(status)["id"]
    before = snapshot(world, rid)
    assert_problem(post_action(world, "ppt", rid, action, valid_body(world, action)), 404)
    assert_unchanged(before, snapshot(world, rid))


def test_an_unknown_referral_id_gets_404(world):
    assert_problem(post_action(world, "bup", "00000000-0000-0000-0000-000000000000", "accept",
                               valid_body(world, "accept")), 404)


# --- forward ----------------------------------------------------------------------------------------------

def forward(world) -> tuple[dict[str, Any], dict[str, Any]]:
    """A submitted referral forwarded from bup to bup2: (old as the referrer sees it, new as bup2 sees it)."""
    old = world.referral_in("forwarded")
    assert old["forwarded_to_id"], old
    new = world.get("bup2", f"{API}/{old['forwarded_to_id']}")
    assert new.status_code == 200, new.json
    return old, new.json


def test_forward_creates_a_submitted_referral_at_the_other_clinic(world):
    old, new = forward(world)
    assert new["id"] != old["id"]
    assert new["status"] == "submitted"
    assert new["clinic_id"] == world.orgs["bup2"].id
    assert old["clinic_id"] == world.orgs["bup"].id


def test_forward_links_the_two_referrals_both_ways(world):
    old, new = forward(world)
    assert new["forwarded_from_id"] == old["id"]
    assert old["forwarded_to_id"] == new["id"]
    assert world.get("gp", f"{API}/{old['id']}").json["forwarded_to_id"] == new["id"]


def test_the_forwarded_referral_is_visible_to_the_referrer(world):
    old, new = forward(world)
    response = world.get("gp", f"{API}/{new['id']}")
    assert response.status_code == 200
    assert response.json["forwarded_from_id"] == old["id"]
    listed = world.get("gp", API, query_string={"per_page": 200}).json["items"]
    assert new["id"] in {r["id"] for r in listed}


def test_the_forwarded_referral_is_in_the_new_clinics_list(world):
    _old, new = forward(world)
    listed = world.get("bup2", API, query_string={"per_page": 200}).json["items"]
    assert [r["id"] for r in listed] == [new["id"]]


def test_the_forwarded_referral_is_not_visible_to_the_first_clinic(world):
    _old, new = forward(world)
    assert_problem(world.get("bup", f"{API}/{new['id']}"), 404)


def test_the_new_clinic_can_decide_on_the_forwarded_referral(world):
    _old, new = forward(world)
    accepted = world.act("bup2", new["id"], "accept", valid_body(world, "accept"))
    assert accepted["status"] == "accepted"


def test_the_forwarded_referral_gets_its_own_assessment_deadline_from_the_day_it_was_forwarded(world, clock):
    for who in ("gp", "bup", "bup2"):
        world.headers(who)  # log in at real time, so tokens outlive the clock change
    a_week_ago = clock() - timedelta(days=7)
    clock.set(a_week_ago)
    rid = world.referral_in("submitted")["id"]
    clock.reset()
    forwarded = world.act("bup", rid, "forward", valid_body(world, "forward"))
    new = world.get("bup2", f"{API}/{forwarded['forwarded_to_id']}").json
    old = world.get("gp", f"{API}/{rid}").json

    assert old["received_on"] == a_week_ago.astimezone(dependencies(world.app).clock.timezone) \
        .date().isoformat()
    assert new["received_on"] == today(world).isoformat()
    assert new["assessment_due"] is not None
    assert new["assessment_due"] > old["assessment_due"]


# --- concurrency and If-Match -----------------------------------------------------------------------------

def test_two_decisions_with_the_same_etag_first_wins_second_gets_412(world):
    rid = world.referral_in("submitted")["id"]
    etag = snapshot(world, rid, "bup")["etag"]

    first = post_action(world, "bup", rid, "accept", valid_body(world, "accept"), headers={"If-Match": etag})
    after_first = snapshot(world, rid)
    second = post_action(world, "bup", rid, "reject", valid_body(world, "reject"), headers={"If-Match": etag})

    assert first.status_code == 200, first.json
    assert_problem(second, 412)
    assert_unchanged(after_first, snapshot(world, rid))
    decisions = [e["action"] for e in after_first["events"] if e["action"] in ("accept", "reject")]
    assert decisions == ["accept"]


def test_the_same_action_twice_with_the_same_etag_is_done_once(world):
    rid = world.referral_in("submitted")["id"]
    etag = snapshot(world, rid, "bup")["etag"]
    body = valid_body(world, "request-information")
    first = post_action(world, "bup", rid, "request-information", body, headers={"If-Match": etag})
    second = post_action(world, "bup", rid, "request-information", body, headers={"If-Match": etag})
    assert first.status_code == 200, first.json
    assert_problem(second, 412)
    assert [e["action"] for e in snapshot(world, rid)["events"]].count("request-information") == 1


def test_a_second_decision_without_if_match_gets_409(world):
    rid = world.referral_in("submitted")["id"]
    world.act("bup", rid, "accept", valid_body(world, "accept"))
    before = snapshot(world, rid)
    assert_problem(post_action(world, "bup", rid, "reject", valid_body(world, "reject")), 409)
    assert_unchanged(before, snapshot(world, rid))


def test_a_stale_if_match_gets_412_and_changes_nothing(world):
    rid = world.referral_in("submitted")["id"]
    stale = snapshot(world, rid, "bup")["etag"]
    world.act("bup", rid, "request-information", valid_body(world, "request-information"))
    before = snapshot(world, rid)
    assert before["etag"] != stale

    response = post_action(world, "gp", rid, "supplement", valid_body(world, "supplement"),
                           headers={"If-Match": stale})

    assert_problem(response, 412)
    assert_unchanged(before, snapshot(world, rid))


def test_a_current_if_match_is_accepted(world):
    rid = world.referral_in("submitted")["id"]
    etag = snapshot(world, rid, "bup")["etag"]
    response = post_action(world, "bup", rid, "accept", valid_body(world, "accept"), headers={"If-Match": etag})
    assert response.status_code == 200, response.json
    assert response.headers["ETag"] != etag


# --- invalid data -----------------------------------------------------------------------------------------

REQUIRED_FIELDS = [
    ("request-information", "submitted", "questions"),
    ("supplement", "information_requested", "text"),
    ("accept", "submitted", "care_start_due"),
    ("reject", "submitted", "reason_code"),
    ("reject", "submitted", "explanation"),
    ("reject", "submitted", "municipal_advice"),
    ("forward", "submitted", "clinic_id"),
    ("forward", "submitted", "reason"),
    ("start-treatment", "accepted", "first_appointment_on"),
    ("discharge", "in_treatment", "summary"),
    ("discharge", "in_treatment", "follow_up_recommendations"),
    ("discharge", "in_treatment", "epikrise_sent"),
    ("withdraw", "submitted", "reason"),
]


@pytest.mark.parametrize(("action", "status", "field"), [
    pytest.param(action, status, field, id=f"{action}-without-{field}") for action, status, field in REQUIRED_FIELDS
])
def test_a_missing_required_field_gets_422_naming_it(world, action, status, field):
    who = "gp" if action in REFERRER_ONLY or action == "withdraw" else "bup"
    rid = world.referral_in(status)["id"]
    before = snapshot(world, rid)
    body = {k: v for k, v in valid_body(world, action).items() if k != field}

    problem = assert_problem(post_action(world, who, rid, action, body), 422)

    assert field in problem["errors"], problem
    assert_unchanged(before, snapshot(world, rid))


def test_submitting_a_draft_without_what_the_law_needs_gets_422_naming_what_is_missing(world):
    rid = world.create_referral("gp", measures_tried="", reasons=[])["id"]
    before = snapshot(world, rid)
    problem = assert_problem(post_action(world, "gp", rid, "submit", None), 422)
    assert "reasons" in problem["errors"], problem
    assert "measures_tried" not in problem["errors"], problem  # only a warning (soft completeness, README)
    assert_unchanged(before, snapshot(world, rid))


def test_a_draft_missing_only_what_bup_would_like_is_sent_with_a_warning(world):
    rid = world.create_referral("gp", measures_tried="")["id"]
    response = post_action(world, "gp", rid, "submit", None)
    assert response.status_code == 200 and response.json["status"] == "submitted"


def test_accept_with_a_start_of_care_deadline_in_the_past_gets_422(world):
    rid = world.referral_in("submitted")["id"]
    before = snapshot(world, rid)
    body = {"care_start_due": (today(world) - timedelta(days=30)).isoformat()}
    problem = assert_problem(post_action(world, "bup", rid, "accept", body), 422)
    assert "care_start_due" in problem["errors"], problem
    assert_unchanged(before, snapshot(world, rid))


def test_forward_to_the_same_clinic_gets_422(world):
    rid = world.referral_in("submitted")["id"]
    before = snapshot(world, rid)
    body = {**valid_body(world, "forward"), "clinic_id": world.orgs["bup"].id}
    problem = assert_problem(post_action(world, "bup", rid, "forward", body), 422)
    assert "clinic_id" in problem["errors"], problem
    assert_unchanged(before, snapshot(world, rid))



def test_two_decisions_racing_in_parallel_make_exactly_one_decision(world, monkeypatch):
    """Two clinicians decide at once with the same ETag: one 200, the other 412, one decision event.

    On PostgreSQL both requests are held until both have passed the If-Match check, so only the version
    claim can stop the second; its If-Match is stale by then, and it answers 412 as API.md promises.
    SQLite serialises whole transactions (BEGIN IMMEDIATE), so the requests cannot overlap there and the
    later one sees the stale ETag at the check (412 as well).
    """
    import threading

    from referral_service.services.referrals import actions as referral_actions

    rid = world.referral_in("submitted")["id"]
    etag = snapshot(world, rid, "bup")["etag"]
    overlap = world.app.extensions["referral_db"].engine.dialect.name != "sqlite"
    if overlap:
        both_checked = threading.Barrier(2, timeout=10)
        real_check = referral_actions.check_if_match

        def check_then_wait(referral, if_match):
            real_check(referral, if_match)
            both_checked.wait()

        monkeypatch.setattr(referral_actions, "check_if_match", check_then_wait)
    headers = world.headers("bup", **{"If-Match": etag})
    bodies = {action: valid_body(world, action) for action in ("accept", "reject")}
    codes: dict[str, int] = {}

    def decide(action: str) -> None:
        client = world.app.test_client()
        codes[action] = client.post(f"{API}/{rid}/{action}", json=bodies[action], headers=headers).status_code

    threads = [threading.Thread(target=decide, args=(action,)) for action in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.undo()

    winners = [action for action, code in codes.items() if code == 200]
    losers = [code for code in codes.values() if code != 200]
    assert len(winners) == 1 and losers == [412], codes
    after = snapshot(world, rid)
    assert after["referral"]["status"] == ALLOWED[("submitted", winners[0])]
    assert [e["action"] for e in after["events"] if e["action"] in bodies] == winners
