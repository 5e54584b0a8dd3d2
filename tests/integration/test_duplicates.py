"""Two referrals for one child: the second referrer is warned at creation (told only that another open referral
exists, where, since when and from what kind of service), can join the first as co-referrer, and BUP can merge
two at its clinic into one; nothing is lost from either, and a merged referral hands nothing back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from referral_service.bootstrap import dependencies
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.support.loop import InProcessWorker

FIRST_WORDS = {"description": "Fastlegen: tungsinn og søvnvansker i to måneder.",
               "measures_tried": "Fastlegen: to oppfølgingssamtaler.",
               "child_view": "Jeg er sliten hele tiden.",
               "reasons": ["depression"],
               "attachments": [{"title": "Legenotat", "text": "Notat fra fastlegen."}]}
SECOND_WORDS = {"description": "Helsesykepleier: mye fravær og uro i klassen.",
                "measures_tried": "Helsesykepleier: samtaler hver uke siden august.",
                "child_view": "Jeg vil ikke gå på skolen.",
                "reasons": ["school_refusal", "anxiety"],
                "urgency": "urgent",
                "attachments": [{"title": "Skolerapport", "text": "Fravær 30 prosent."}]}


def a_child(world) -> dict:
    return world.referral_body()["child"]


def contacts(world, name: str) -> list[dict]:
    return [{"role": "Kontaktlærer", "name": name, "organisation_id": world.orgs["school_askoy"].id}]


def referral(world, who: str, child: dict, words: dict, *, submit: bool = True, **extra) -> dict:
    body = world.referral_body(**{**words, **extra})
    body["child"] = child
    response = world.post(who, "/api/v1/referrals", json=body)
    assert response.status_code == 201, response.json
    if submit:
        return {**world.act(who, response.json["id"], "submit"), "created": response.json}
    return response.json


def events(world, who: str, rid: str) -> list[dict]:
    response = world.get(who, f"/api/v1/referrals/{rid}/events")
    assert response.status_code == 200, response.json
    return response.json["items"]


def alert_kinds(world, who: str, rid: str) -> list[str]:
    return [a["kind"] for a in world.get(who, "/api/v1/alerts?per_page=200").json["items"] if a["referral_id"] == rid]


def read(world, who: str, rid: str) -> dict:
    response = world.get(who, f"/api/v1/referrals/{rid}")
    assert response.status_code == 200, response.json
    return response.json


# The warning at creation -------------------------------------------------------------------------------------

def test_the_second_referrer_is_warned_at_creation_with_only_what_they_need(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    second = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    [other] = second["other_open_referrals"]
    assert other == {"referral_id": first["id"], "clinic_id": world.orgs["bup"].id,
                     "clinic_name": world.orgs["bup"].name, "open_since": first["received_on"],
                     "referrer_kind": "gp_office"}
    assert FIRST_WORDS["description"] not in str(second)  # never the first referral's content


def test_a_referral_for_a_child_with_no_other_open_referral_warns_of_nothing(world):
    child = a_child(world)
    ended = referral(world, "gp", child, FIRST_WORDS, submit=False)
    world.act("gp", ended["id"], "withdraw", {"reason": "Feil."})
    assert referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)["other_open_referrals"] == []
    assert referral(world, "nurse_askoy", a_child(world), SECOND_WORDS, submit=False)["other_open_referrals"] == []


def test_the_look_up_of_the_other_referral_is_in_the_access_log(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    entries = world.get("auditor", f"/api/v1/audit?referral_id={first['id']}&per_page=200").json["items"]
    lookups = [e for e in entries if e["action"] == "duplicate_lookup"]
    assert [(e["user_id"], e["basis"]) for e in lookups] == [(world.users["nurse_askoy"].id,
                                                              "own_referral_of_the_same_child")]


def test_the_referrer_can_ask_again_for_the_other_open_referrals(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    second = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    response = world.get("nurse_askoy", f"/api/v1/referrals/{second['id']}/other-open-referrals")
    assert response.status_code == 200
    assert [o["referral_id"] for o in response.json["items"]] == [first["id"]]
    assert world.get("ppt", f"/api/v1/referrals/{second['id']}/other-open-referrals").status_code == 404


# Joining the first as co-referrer ----------------------------------------------------------------------------

def join(world, who: str, own: str, other: str, expect: int = 200) -> dict:
    response = world.post(who, f"/api/v1/referrals/{own}/join", json={"other_referral_id": other})
    assert response.status_code == expect, response.json
    return response.json


def test_the_second_referrer_joins_the_first_and_nothing_they_wrote_is_lost(app, world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS, municipal_contacts=contacts(world, "Kari Kontaktlærer"))
    second = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False,
                      municipal_contacts=contacts(world, "Tore Trener"))
    joined = join(world, "nurse_askoy", second["id"], first["id"])
    assert joined["status"] == "merged" and joined["merged_into_id"] == first["id"]

    now = read(world, "nurse_askoy", first["id"])  # the school nurse takes part in the first referral now
    assert world.orgs["school_askoy"].id in [c["organisation_id"] for c in now["co_referrers"]]
    assert now["status"] == "submitted" and now["description"] == FIRST_WORDS["description"]
    assert [a["title"] for a in now["attachments"]] == ["Legenotat", "Skolerapport"]
    assert {c["name"] for c in now["municipal_contacts"]} == {"Kari Kontaktlærer", "Tore Trener"}
    assert set(now["reasons"]) == {"depression", "school_refusal", "anxiety"} and now["urgency"] == "urgent"
    [event] = [e for e in events(world, "gp", first["id"]) if e["action"] == "join"]
    for name in ("description", "measures_tried", "child_view"):
        assert event["data"][name] == SECOND_WORDS[name]
    assert event["data"]["attachments"] == SECOND_WORDS["attachments"]
    assert event["actor_id"] == world.users["nurse_askoy"].id
    # The second referrer's own history stays readable, ending in the merge.
    assert [e["action"] for e in events(world, "nurse_askoy", second["id"])] == ["create", "merged-into"]

    InProcessWorker(app).run()
    assert "referral_join" in alert_kinds(world, "gp", first["id"])
    assert "referral_join" not in alert_kinds(world, "nurse_askoy", first["id"])


def test_bup_sees_the_joined_content_and_never_the_draft_that_joined(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    second = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    join(world, "nurse_askoy", second["id"], first["id"])
    assert world.get("bup", f"/api/v1/referrals/{second['id']}").status_code == 404
    assert any(e["action"] == "join" for e in events(world, "bup", first["id"]))


def test_a_referrer_cannot_join_a_referral_of_another_child(world):
    first = referral(world, "gp", a_child(world), FIRST_WORDS)
    second = referral(world, "nurse_askoy", a_child(world), SECOND_WORDS, submit=False)
    response = world.post("nurse_askoy", f"/api/v1/referrals/{second['id']}/join",
                          json={"other_referral_id": first["id"]})
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert read(world, "nurse_askoy", second["id"])["status"] == "draft"
    assert read(world, "gp", first["id"])["co_referrers"] == []


def test_only_a_draft_joins_and_only_an_open_referral_is_joined(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    sent = referral(world, "barnevern_askoy", child, SECOND_WORDS)
    join(world, "barnevern_askoy", sent["id"], first["id"], expect=409)
    world.act("gp", first["id"], "withdraw", {"reason": "Feil barn."})
    draft = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    join(world, "nurse_askoy", draft["id"], first["id"], expect=409)
    assert read(world, "nurse_askoy", draft["id"])["status"] == "draft"
    assert read(world, "barnevern_askoy", sent["id"])["status"] == "submitted"


def test_bup_cannot_join_for_a_referrer(world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    sent = referral(world, "barnevern_askoy", child, SECOND_WORDS)
    join(world, "bup", sent["id"], first["id"], expect=403)
    assert read(world, "bup", sent["id"])["status"] == "submitted"


# BUP merges two referrals of one child -----------------------------------------------------------------------

@pytest.fixture
def two_at_the_clinic(world):
    """A GP's referral and child welfare's (with a school nurse as co-referrer) for one child, both at BUP."""
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS, municipal_contacts=contacts(world, "Kari Kontaktlærer"))
    body = world.referral_body(**SECOND_WORDS, municipal_contacts=contacts(world, "Tore Trener"))
    body["child"] = child
    second = world.post("barnevern_askoy", "/api/v1/referrals", json=body).json
    assert world.post("barnevern_askoy", f"/api/v1/referrals/{second['id']}/co-referrers",
                      json={"organisation_id": world.orgs["school_askoy"].id}).status_code == 200
    world.act("barnevern_askoy", second["id"], "submit")
    return first["id"], second["id"], child


def merge(world, who: str, keep: str, other: str, expect: int = 200) -> dict:
    response = world.post(who, f"/api/v1/referrals/{keep}/merge", json={"other_referral_id": other})
    assert response.status_code == expect, response.json
    return response.json


def test_bup_merges_two_referrals_of_one_child_and_nothing_is_lost(app, world, two_at_the_clinic):
    keep, other, _child = two_at_the_clinic
    history_before = events(world, "barnevern_askoy", other)
    kept = merge(world, "bup", keep, other)
    assert kept["status"] == "submitted"
    assert {c["organisation_id"] for c in kept["co_referrers"]} == {world.orgs["barnevern_askoy"].id,
                                                                    world.orgs["school_askoy"].id}
    assert [a["title"] for a in kept["attachments"]] == ["Legenotat", "Skolerapport"]
    assert {c["name"] for c in kept["municipal_contacts"]} == {"Kari Kontaktlærer", "Tore Trener"}
    assert set(kept["reasons"]) == {"depression", "school_refusal", "anxiety"}
    [event] = [e for e in events(world, "bup", keep) if e["action"] == "merge"]
    assert {name: event["data"][name] for name in ("description", "measures_tried", "child_view")} == {
        name: SECOND_WORDS[name] for name in ("description", "measures_tried", "child_view")}
    assert event["data"]["merged_referral_id"] == other

    ended = read(world, "bup", other)
    assert ended["status"] == "merged" and ended["merged_into_id"] == keep
    assert ended["description"] == SECOND_WORDS["description"]  # the other referral is still readable as it was
    after = events(world, "barnevern_askoy", other)
    assert after[:len(history_before)] == history_before and after[-1]["action"] == "merged-into"
    # Its referrer takes part in the kept referral now, and both referrers are told.
    assert read(world, "barnevern_askoy", keep)["id"] == keep
    InProcessWorker(app).run()
    assert "referral_merge" in alert_kinds(world, "gp", keep)
    assert "referral_merged-into" in alert_kinds(world, "barnevern_askoy", other)


def test_a_merged_referral_creates_no_handover_and_the_reconciler_stays_quiet(app, world, clock,
                                                                            two_at_the_clinic):
    keep, other, _child = two_at_the_clinic
    merge(world, "bup", keep, other)
    InProcessWorker(app).run()
    assert read(world, "bup", other)["handover_id"] is None
    assert world.get("coordinator_askoy", "/api/v1/handovers").json["total"] == 0
    clock.set(clock() + timedelta(days=2))
    deps = dependencies(app)
    with app.extensions["referral_db"].session() as session:
        repairs = reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines,
                            grace=timedelta(seconds=0))
    assert repairs.missing_handovers == 0


def test_the_earlier_assessment_deadline_binds_after_a_merge(world, clock):
    child = a_child(world)
    earlier = referral(world, "gp", child, FIRST_WORDS)
    clock.set(clock() + timedelta(days=7))
    later = referral(world, "barnevern_askoy", child, SECOND_WORDS)
    assert later["assessment_due"] > earlier["assessment_due"]
    kept = merge(world, "bup", later["id"], earlier["id"])
    assert (kept["received_on"], kept["assessment_due"]) == (earlier["received_on"], earlier["assessment_due"])


def assert_unchanged(world, before: dict[str, dict]) -> None:
    for rid, old in before.items():
        now = read(world, "bup", rid)
        assert (now["status"], now["version"], now["co_referrers"]) == (old["status"], old["version"],
                                                                        old["co_referrers"])


def test_merging_refusals_change_nothing(world, two_at_the_clinic):
    keep, other, child = two_at_the_clinic
    stranger = referral(world, "gp", a_child(world), FIRST_WORDS)["id"]
    elsewhere = referral(world, "nurse_bergen", child, SECOND_WORDS, clinic="bup2")["id"]
    before = {rid: read(world, "bup", rid) for rid in (keep, other, stranger)}
    merge(world, "bup", keep, stranger, expect=422)       # not the same child
    merge(world, "bup", keep, elsewhere, expect=404)      # not at this clinic
    merge(world, "bup", keep, keep, expect=422)           # itself
    merge(world, "gp", keep, other, expect=403)           # not BUP
    merge(world, "bup2", keep, other, expect=404)         # another clinic's BUP
    assert_unchanged(world, before)


def test_a_decided_referral_is_never_merged_away(world, two_at_the_clinic):
    keep, other, _child = two_at_the_clinic
    today = dependencies(world.app).clock.today()
    world.act("bup", other, "accept", {"care_start_due": (today + timedelta(days=30)).isoformat()})
    before = {rid: read(world, "bup", rid) for rid in (keep, other)}
    merge(world, "bup", keep, other, expect=409)
    assert_unchanged(world, before)
    world.act("bup", keep, "reject", {"reason_code": "not_specialist_need", "explanation": "Dobbel.",
                                      "municipal_advice": "Se den andre henvisningen."})
    merge(world, "bup", keep, other, expect=409)  # nor merged into a referral that has ended
