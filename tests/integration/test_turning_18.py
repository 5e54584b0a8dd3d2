"""Growing up (DESIGN.md rule 8): a young person referred at 17 years 10 months turns 18 with the referral open
at BUP. `sweep --at` the birthday tells BUP's intake, once, to plan the transfer to adult services; BUP
transfers the young person to a DPS clinic with a reason; the municipal coordinator stays on the case
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.integration.test_closed_loop import handovers_for
from tests.integration.test_sweeps import alerts, do, logged_in_before_the_clock_moves, sweep, worker
from tests.integration.test_web_decisions import WebUser

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
REFERRED = datetime(2026, 10, 5, 9, tzinfo=OSLO)  # a Monday
BORN = date(2008, 12, 5)  # 17 years and 10 months on the day of the referral; 18 on Saturday 5 December 2026
AFTER_THE_BIRTHDAY = datetime(2026, 12, 7, 10, tzinfo=OSLO)  # the Monday after
API = "/api/v1/referrals"
REASON = "Ungdommen er 18 år og trenger fortsatt behandling; videre oppfølging i voksenpsykiatrien."


def young_person_referred(world, clock, *, born: date = BORN, status: str = "accepted") -> dict[str, Any]:
    """A referral written, sent and (by default) accepted on REFERRED; from 16 the young person consents alone."""
    clock.set(REFERRED)
    giver = "child" if born <= date(2010, 10, 5) else "guardian"
    referral = world.create_referral(birth_date=born, consent={
        "given_by": [giver], "share_with": ["bup", "municipality"], "recorded_on": "2026-10-05"})
    rid = referral["id"]
    world.post("gp", f"{API}/{rid}/co-referrers", json={"organisation_id": world.orgs["barnevern_askoy"].id})
    referral = world.act("gp", rid, "submit")
    if status in ("accepted", "in_treatment"):
        referral = world.act("bup", rid, "accept", {"care_start_due": "2026-11-16"})
    if status == "in_treatment":
        referral = world.act("bup", rid, "start-treatment", {"first_appointment_on": "2026-10-20"})
    assert referral["status"] == status
    return referral


def transfer(world, rid: str, *, who: str = "bup", clinic: str = "dps", reason: str = REASON):
    return world.post(who, f"{API}/{rid}/transfer-to-dps", json={"clinic_id": world.orgs[clinic].id,
                                                                 "reason": reason})


# --- the 18th birthday ------------------------------------------------------------------------------------

def test_bup_intake_is_told_once_on_the_18th_birthday_not_the_day_before(world, clock, sweep):
    rid = young_person_referred(world, clock)["id"]

    sweep("2026-12-04T09:00:00+01:00")  # 17 years, 364 days: a heads-up (from 17½), not the alert
    assert alerts(world, "bup", "turning_18") == []
    [soon] = alerts(world, "bup", "turning_18_soon")
    assert soon["referral_id"] == rid and "fyller 18 år 05.12.2026" in soon["message"]
    sweep("2026-12-05T09:00:00+01:00")  # the birthday
    [told] = alerts(world, "bup", "turning_18")
    assert told["referral_id"] == rid
    assert "fylte 18 år 05.12.2026" in told["message"] and "DPS" in told["message"]
    assert "Ola" not in told["message"]
    sweep("2026-12-06T09:00:00+01:00")  # the next sweep tells nobody again
    assert len(alerts(world, "bup", "turning_18")) == 1 and len(alerts(world, "bup", "turning_18_soon")) == 1
    assert alerts(world, "bup2", "turning_18") == [] and alerts(world, "gp", "turning_18") == []


def test_a_young_person_under_17_and_a_half_gives_bup_nothing_to_plan_yet(world, clock, sweep):
    young_person_referred(world, clock, born=date(2009, 5, 6))  # 17½ on 6 November 2026

    sweep("2026-11-05T09:00:00+01:00")
    assert alerts(world, "bup", "turning_18_soon") == [] and alerts(world, "bup", "turning_18") == []
    sweep("2026-11-06T09:00:00+01:00")
    assert len(alerts(world, "bup", "turning_18_soon")) == 1


def test_a_young_person_referred_after_turning_18_is_told_to_bup_at_the_next_sweep(world, clock, sweep):
    rid = young_person_referred(world, clock, born=date(2007, 3, 1))["id"]  # 19 when referred

    sweep("2026-10-06T09:00:00+02:00")
    [told] = alerts(world, "bup", "turning_18")
    assert told["referral_id"] == rid and alerts(world, "bup", "turning_18_soon") == []
    sweep("2026-10-07T09:00:00+02:00")
    assert len(alerts(world, "bup", "turning_18")) == 1


def test_an_18th_birthday_while_no_sweep_ran_is_told_at_the_next_one(world, clock, sweep):
    rid = young_person_referred(world, clock)["id"]  # 18 on Saturday 5 December 2026

    sweep("2026-12-16T09:00:00+01:00")  # no sweep for eleven days around the birthday
    assert [a["referral_id"] for a in alerts(world, "bup", "turning_18")] == [rid]


def test_a_referral_no_longer_open_at_bup_raises_no_birthday_alert(world, clock, sweep):
    rid = young_person_referred(world, clock, status="submitted")["id"]
    world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                     "municipal_advice": "Tilbud hos kommunepsykolog."})

    sweep("2026-12-05T09:00:00+01:00")
    assert alerts(world, "bup", "turning_18") == [] and alerts(world, "bup", "turning_18_soon") == []


# --- the transfer to DPS ------------------------------------------------------------------------------------

def test_bup_transfers_the_young_person_to_dps_with_the_reason(world, clock, worker, sweep):
    old = young_person_referred(world, clock, status="in_treatment")
    clock.set(AFTER_THE_BIRTHDAY)

    response = transfer(world, old["id"])
    assert response.status_code == 200, response.json
    ended = response.json
    assert ended["status"] == "transferred_to_dps" and ended["forwarded_to_id"]
    [event] = [e for e in world.get("gp", f"{API}/{old['id']}/events").json["items"]
               if e["action"] == "transfer-to-dps"]
    assert event["from_status"] == "in_treatment" and event["data"]["reason"] == REASON
    assert event["data"]["clinic_id"] == world.orgs["dps"].id

    new = world.get("dps", f"{API}/{ended['forwarded_to_id']}").json
    assert new["status"] == "submitted" and new["clinic_id"] == world.orgs["dps"].id
    assert new["forwarded_from_id"] == old["id"] and new["assessment_due"]
    assert [c["name"] for c in new["municipal_contacts"]] == [c["name"] for c in old["municipal_contacts"]]
    assert world.orgs["barnevern_askoy"].id in {c["organisation_id"] for c in new["co_referrers"]}
    assert new["id"] in {r["id"] for r in world.get("dps", f"{API}?status=submitted").json["items"]}
    [received] = world.get("dps", f"{API}/{new['id']}/events").json["items"]
    assert received["action"] == "receive-dps-transfer" and received["data"]["reason"] == REASON

    worker.run()
    assert [a["referral_id"] for a in alerts(world, "dps", "referral_receive-dps-transfer")] == [new["id"]]
    assert [a["referral_id"] for a in alerts(world, "gp", "referral_transfer-to-dps")] == [old["id"]]
    assert handovers_for(world.app, old["id"]) == []  # handed on to DPS, not back to the municipality

    sweep("2026-12-08T09:00:00+01:00")  # an 18-year-old at DPS is where they belong: DPS is not told
    assert alerts(world, "dps", "turning_18") == []


def test_the_municipal_coordinator_stays_on_the_case(world, clock, worker, sweep):
    old = young_person_referred(world, clock, status="in_treatment")
    clock.set(AFTER_THE_BIRTHDAY)
    world.act("bup", old["id"], "plan-discharge", {"planned_discharge_on": "2026-12-21"})
    sweep("2026-12-07T11:00:00+01:00")  # the handover opens ahead of the planned discharge
    [handover] = handovers_for(world.app, old["id"])
    coordinator = world.users["coordinator_askoy"]
    do(world, "coordinator_askoy", handover.id, "acknowledge")
    before = do(world, "coordinator_askoy", handover.id, "assign", {"assignee_user_id": coordinator.id})

    assert transfer(world, old["id"]).status_code == 200
    worker.run()

    after = world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").json
    for unchanged in ("status", "owner_org_id", "assignee_user_id", "municipality_number", "version"):
        assert after[unchanged] == before[unchanged], unchanged
    assert after["assignee_user_id"] == coordinator.id
    assert handover.id in {h["id"] for h in world.get("coordinator_askoy", "/api/v1/handovers").json["items"]}
    seen = world.get("coordinator_askoy", f"{API}/{old['id']}")
    assert seen.status_code == 200 and seen.json["status"] == "transferred_to_dps"
    assert [a["referral_id"] for a in alerts(world, "coordinator_askoy", "referral_transfer-to-dps")] == [old["id"]]


def test_a_bup_clinic_is_no_dps(world, clock):
    rid = young_person_referred(world, clock)["id"]
    clock.set(AFTER_THE_BIRTHDAY)
    before = world.get("gp", f"{API}/{rid}").json

    response = transfer(world, rid, clinic="bup2")
    assert response.status_code == 422 and "clinic_id" in response.json["errors"]
    assert world.get("gp", f"{API}/{rid}").json == before


def test_a_child_of_12_is_not_transferred_to_adult_services(world, clock):
    rid = young_person_referred(world, clock, born=date(2014, 3, 1))["id"]
    clock.set(AFTER_THE_BIRTHDAY)
    before = world.get("gp", f"{API}/{rid}").json

    response = transfer(world, rid)
    assert response.status_code == 409 and "17 years and 6 months" in response.json["detail"]
    assert world.get("gp", f"{API}/{rid}").json == before


def test_from_17_and_a_half_bup_may_transfer_before_the_birthday(world, clock):
    rid = young_person_referred(world, clock, born=date(2009, 4, 5))["id"]  # 17½ on 5 October 2026
    assert transfer(world, rid).json["status"] == "transferred_to_dps"


def test_the_referrer_cannot_transfer_and_dps_cannot_pass_it_on(world, clock):
    rid = young_person_referred(world, clock)["id"]
    clock.set(AFTER_THE_BIRTHDAY)
    assert transfer(world, rid, who="gp").status_code == 403

    new_id = transfer(world, rid).json["forwarded_to_id"]
    again = transfer(world, new_id, who="dps")
    assert again.status_code == 409 and world.get("dps", f"{API}/{new_id}").json["status"] == "submitted"


# --- on BUP's page ------------------------------------------------------------------------------------------

def test_bup_transfers_on_the_assessment_page_once_the_young_person_is_old_enough(app, world, clock):
    young = young_person_referred(world, clock, born=date(2012, 5, 10))["id"]
    rid = young_person_referred(world, clock)["id"]
    clock.set(AFTER_THE_BIRTHDAY)
    bup = WebUser(app, "bup")

    assert "Overfør til DPS" not in bup.get(f"/inntak/{young}").buttons
    page = bup.get(f"/inntak/{rid}")
    assert "Overfør til DPS" in page.buttons
    assert page.field("Send til DPS")["tag"] == "select" and "Bjørgvin DPS</option>" in page.html
    assert "BUP Øyane</option>" not in page.html  # an accepted referral is not forwarded to another BUP

    refused = bup.submit("/overfor-til-dps", {"dps_clinic_id": world.orgs["dps"].id, "dps_reason": ""},
                         expect=422)
    assert "Skriv hvorfor ungdommen overføres til DPS." in refused.text()
    done = bup.submit("/overfor-til-dps", {"dps_clinic_id": world.orgs["dps"].id, "dps_reason": REASON})
    assert "Ungdommen er overført til DPS." in done.text()
    assert world.get("gp", f"{API}/{rid}").json["status"] == "transferred_to_dps"
    assert "Overført til voksenpsykiatrien (DPS)" in done.text()


def test_an_administrator_registers_a_dps_without_a_municipality(world):
    response = world.post("admin", "/api/v1/organisations", json={"kind": "adult_mental_health", "name": "Nord DPS"})
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "adult_mental_health" and response.json["municipality_number"] is None
