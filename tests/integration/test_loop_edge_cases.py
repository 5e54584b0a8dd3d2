"""Edge cases of the loop and of need-to-know found in review: each child keeps one owner per
referral, a task always has someone who can take it, and late decisions are recorded as breaches."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import select

from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.handover import DeadlineMark, Handover
from tests.support.loop import InProcessWorker


def only_handover(app, referral_id: str) -> Handover:
    with app.extensions["referral_db"].session() as session:
        [handover] = session.exec(select(Handover).where(Handover.referral_id == referral_id)).all()
        return handover


def test_another_organisations_referral_of_the_same_child_changes_nothing_in_the_first(world, app):
    body = world.referral_body()  # home Askøy
    first = world.post("gp", "/api/v1/referrals", json=body).json
    world.act("gp", first["id"], "submit")
    other_body = world.referral_body(home_municipality="4601")
    other_body["child"] = {**other_body["child"], "national_id": body["child"]["national_id"],
                           "given_name": "Annet", "family_name": "Navn"}
    assert world.post("nurse_bergen", "/api/v1/referrals", json=other_body).status_code == 201
    seen_by_bup = world.get("bup", f"/api/v1/referrals/{first['id']}").json["child"]
    assert (seen_by_bup["given_name"], seen_by_bup["home_municipality"]) == ("Ola", "4627")
    world.act("bup", first["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                             "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    assert only_handover(app, first["id"]).municipality_number == "4627"
    assert world.get("coordinator_bergen", f"/api/v1/referrals/{first['id']}").status_code == 404


def test_withdrawing_consent_to_the_municipality_sends_an_open_task_back_to_the_referrer(world, app):
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    handover = only_handover(app, referral["id"])
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 200
    changed = world.post("gp", f"/api/v1/referrals/{referral['id']}/consent",
                         json={"given_by": ["guardian"], "share_with": ["bup"]})
    assert changed.status_code == 200
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 404
    task = world.get("gp", f"/api/v1/handovers/{handover.id}").json
    assert task["addressed_to"] == "referrer" and task["content"]["municipal_contacts"] == []
    assert world.post("gp", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200


def test_a_child_from_a_municipality_not_in_the_service_is_handed_back_to_the_referrer(world, app):
    referral = world.create_referral("gp", home_municipality="0301")
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                                "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    handover = only_handover(app, referral["id"])
    assert handover.addressed_to == "referrer" and handover.municipality_number == "0301"
    assert world.post("gp", f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200


def test_a_task_nobody_can_be_told_about_is_reported_to_administrators(world, app):
    referral = world.create_referral("ppt", home_municipality="4601",
                                     consent={"given_by": ["guardian"], "share_with": ["bup", "school"]})
    world.act("ppt", referral["id"], "submit")
    world.post("ppt", f"/api/v1/referrals/{referral['id']}/consent",
               json={"given_by": ["guardian"], "share_with": ["bup"]})
    world.act("bup", referral["id"], "reject", {"reason_code": "other", "explanation": "Nei.",
                                                "municipal_advice": "Følg opp."})
    InProcessWorker(app).run()
    assert "handover_unrouted" in {a["kind"] for a in world.get("admin", "/api/v1/alerts").json["items"]}


def test_a_co_referrer_needing_school_consent_cannot_read_a_draft_without_it(world, app):
    draft = world.create_referral("gp", home_municipality="4601")  # consent: bup and municipality only
    world.post("gp", f"/api/v1/referrals/{draft['id']}/co-referrers", json={"organisation_id": world.orgs["ppt"].id})
    assert world.get("ppt", f"/api/v1/referrals/{draft['id']}").status_code == 404


def test_an_idempotent_replay_is_logged_as_a_read(world, app):
    body = world.referral_body()
    headers = {"Idempotency-Key": "same-key"}
    first = world.post("gp", "/api/v1/referrals", json=body, headers=headers).json
    with app.extensions["referral_db"].session() as session:
        before = session.exec(select(func.count()).select_from(AccessLogEntry)).one()
    assert world.post("gp", "/api/v1/referrals", json=body, headers=headers).json["id"] == first["id"]
    with app.extensions["referral_db"].session() as session:
        assert session.exec(select(func.count()).select_from(AccessLogEntry)).one() == before + 1


def test_a_decision_after_the_deadline_is_recorded_as_a_breach_without_a_sweep(world, app, clock):
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    late = world.referral_in("submitted")
    clock.set(datetime(2026, 3, 30, 9, tzinfo=UTC))
    world.act("bup", late["id"], "accept", {"care_start_due": "2026-04-10"})
    world.act("bup", late["id"], "start-treatment", {"first_appointment_on": "2026-04-20"})
    with app.extensions["referral_db"].session() as session:
        kinds = sorted(session.exec(select(DeadlineMark.kind).where(DeadlineMark.referral_id == late["id"])).all())
    assert kinds == ["assessment_breach", "care_start_breach"]


def test_pages_with_child_data_are_never_cached(world, app):
    assert app.test_client().get("/logg-inn").headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/static/app.css").headers.get("Cache-Control", "")
