"""Partners and needs: the child welfare service as a partner hears BUP's decisions that hand the child back
(by consent or on the duty to inform), and BUP sees a priority flag; the interpreter need and the pårørende
reason travel to BUP; bad input is refused and changes nothing."""

from __future__ import annotations

import csv
import io

import pytest

from referral_service.bootstrap import dependencies
from tests.integration.test_web_decisions import WebUser
from tests.support.loop import InProcessWorker

PAROERENDE = "parent_mental_illness_or_substance_use"
WITHOUT_CHILD_WELFARE = {"given_by": ["guardian"], "share_with": ["bup", "municipality"]}
WITH_CHILD_WELFARE = {"given_by": ["guardian"], "share_with": ["bup", "municipality", "child_welfare"]}


def partner(world, basis: str) -> dict:
    return {"organisation_id": world.orgs["barnevern_askoy"].id, "basis": basis}


def decision_alerts(world, who: str, referral_id: str) -> list[dict]:
    items = world.get(who, "/api/v1/alerts?per_page=200").json["items"]
    return [a for a in items if a["referral_id"] == referral_id and a["kind"] == "referral_decision"]


def submitted_with_partner(world, *, basis: str, consent: dict) -> str:
    rid = world.create_referral("gp", consent=consent, municipal_contacts=[],
                                child_welfare=partner(world, basis))["id"]
    world.act("gp", rid, "submit")
    return rid


def reject(world, rid: str) -> None:
    world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                     "municipal_advice": "Kommunepsykolog."})


@pytest.mark.parametrize("basis, consent", [("legal_duty", WITHOUT_CHILD_WELFARE), ("consent", WITH_CHILD_WELFARE)])
def test_the_child_welfare_partner_gets_the_handover_alert_on_rejection(app, world, basis, consent):
    rid = submitted_with_partner(world, basis=basis, consent=consent)
    reject(world, rid)
    InProcessWorker(app).run()
    alerts = decision_alerts(world, "barnevern_askoy", rid)
    assert len(alerts) == 1
    assert alerts[0]["handover_id"] == world.get("bup", f"/api/v1/referrals/{rid}").json["handover_id"]


def test_the_child_welfare_partner_gets_the_handover_alert_on_discharge(app, world):
    rid = submitted_with_partner(world, basis="legal_duty", consent=WITHOUT_CHILD_WELFARE)
    today = dependencies(app).clock.today().isoformat()
    world.act("bup", rid, "accept", {"care_start_due": "2027-06-01"})
    world.act("bup", rid, "start-treatment", {"first_appointment_on": today})
    world.act("bup", rid, "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.",
                                        "epikrise_sent": True})
    InProcessWorker(app).run()
    assert len(decision_alerts(world, "barnevern_askoy", rid)) == 1


def test_a_partner_by_consent_hears_nothing_once_the_consent_no_longer_shares_with_it(app, world):
    rid = submitted_with_partner(world, basis="consent", consent=WITH_CHILD_WELFARE)
    assert world.get("barnevern_askoy", f"/api/v1/referrals/{rid}").status_code == 200
    changed = world.post("gp", f"/api/v1/referrals/{rid}/consent", json=WITHOUT_CHILD_WELFARE)
    assert changed.status_code == 200, changed.json
    assert world.get("barnevern_askoy", f"/api/v1/referrals/{rid}").status_code == 404
    reject(world, rid)
    InProcessWorker(app).run()
    assert decision_alerts(world, "barnevern_askoy", rid) == []


def test_consent_as_the_basis_needs_a_consent_that_shares_with_barnevern(world):
    rid = world.create_referral("gp", consent=WITHOUT_CHILD_WELFARE, child_welfare=partner(world, "legal_duty"))["id"]
    refused = world.patch("gp", f"/api/v1/referrals/{rid}", json={"child_welfare": partner(world, "consent")})
    assert refused.status_code == 422
    assert "child_welfare.basis" in refused.json["errors"]
    # The consent and the basis given together are checked against each other.
    moved = world.patch("gp", f"/api/v1/referrals/{rid}",
                        json={"consent": WITH_CHILD_WELFARE, "child_welfare": partner(world, "consent")})
    assert moved.status_code == 200, moved.json
    assert moved.json["child_welfare"]["basis"] == "consent"


def test_the_partner_reads_the_referral_it_is_told_about_and_the_reading_is_logged(app, world):
    from sqlmodel import select

    from referral_service.domain.access_log import AccessLogEntry

    rid = submitted_with_partner(world, basis="legal_duty", consent=WITHOUT_CHILD_WELFARE)
    seen = world.get("barnevern_askoy", f"/api/v1/referrals/{rid}")
    assert seen.status_code == 200
    # It reads; it does not act for the referring side.
    assert world.post("barnevern_askoy", f"/api/v1/referrals/{rid}/withdraw",
                      json={"reason": "Nei."}).status_code in (403, 404, 409)
    with app.extensions["referral_db"].session() as session:
        bases = session.exec(select(AccessLogEntry.basis).where(
            AccessLogEntry.user_id == world.users["barnevern_askoy"].id, AccessLogEntry.referral_id == rid)).all()
    assert "child_welfare_partner" in bases
    other = world.referral_in("submitted")
    assert world.get("barnevern_askoy", f"/api/v1/referrals/{other['id']}").status_code == 404


def test_without_a_partner_the_child_welfare_service_is_not_told(app, world):
    referral = world.referral_in("submitted")
    reject(world, referral["id"])
    InProcessWorker(app).run()
    assert decision_alerts(world, "barnevern_askoy", referral["id"]) == []


def test_naming_the_partner_is_an_event_in_the_case(world):
    rid = world.create_referral("gp", child_welfare=partner(world, "legal_duty"))["id"]
    events = world.get("gp", f"/api/v1/referrals/{rid}/events").json["items"]
    named = [e for e in events if e["action"] == "name-child-welfare-partner"]
    assert [e["data"] for e in named] == [partner(world, "legal_duty")]


def test_the_interpreter_need_the_partner_and_the_paaroerende_reason_travel_to_bup(app, world):
    rid = world.create_referral("gp", reasons=["anxiety", PAROERENDE], interpreter={"needed": True, "language": "so"},
                                child_welfare=partner(world, "legal_duty"))["id"]
    world.act("gp", rid, "submit")
    seen = world.get("bup", f"/api/v1/referrals/{rid}").json
    assert seen["interpreter"] == {"needed": True, "language": "so", "language_name": "Somali"}
    assert seen["child_welfare"] == {**partner(world, "legal_duty"),
                                     "organisation_name": world.orgs["barnevern_askoy"].name}
    assert PAROERENDE in seen["reasons"]

    bup = WebUser(app, "bup")
    queue = bup.get("/inntak").text()
    assert "Prioriter: barnevern" in queue and "Tolk: Somali" in queue and "Pårørende" in queue
    page = bup.get(f"/inntak/{rid}")
    assert "Prioriter: barnevernet er samarbeidspart" in page.by_id["barnevern"]
    assert "Opplysningsplikt" in page.by_id["barnevern"]
    assert page.by_id["tolk"] == "Trenger tolk: Somali"
    assert page.by_id["parorende"] == "Pårørende: forelder med psykisk sykdom eller rus"


def test_a_referral_without_partners_or_needs_says_so(world):
    seen = world.create_referral("gp")
    assert seen["interpreter"] == {"needed": False, "language": None, "language_name": ""}
    assert seen["child_welfare"] is None


@pytest.mark.parametrize("change, field", [
    ({"interpreter": {"needed": True, "language": "xx"}}, "interpreter.language"),
    ({"interpreter": {"needed": True}}, "interpreter.language"),
    ({"child_welfare": {"organisation_id": "no-such-org", "basis": "legal_duty"}}, "child_welfare.organisation_id"),
    ({"child_welfare": {"organisation_id": "GP", "basis": "legal_duty"}}, "child_welfare.organisation_id"),
    ({"child_welfare": {"organisation_id": "CW", "basis": "because"}}, "child_welfare"),
    ({"child_welfare": {"organisation_id": "CW", "basis": "consent"}}, "child_welfare.basis"),
])
def test_bad_partners_or_needs_are_refused_and_change_nothing(world, change, field):
    ids = {"GP": world.orgs["gp"].id, "CW": world.orgs["barnevern_askoy"].id}
    if "child_welfare" in change:
        change = {"child_welfare": {**change["child_welfare"],
                                    "organisation_id": ids.get(change["child_welfare"]["organisation_id"],
                                                               change["child_welfare"]["organisation_id"])}}
    before = world.get("gp", "/api/v1/referrals?per_page=200").json["total"]
    created = world.post("gp", "/api/v1/referrals", json=world.referral_body(**change))
    assert created.status_code == 422, created.json
    assert any(name.startswith(field) for name in created.json["errors"]), created.json["errors"]
    assert world.get("gp", "/api/v1/referrals?per_page=200").json["total"] == before

    draft = world.create_referral("gp")
    patched = world.patch("gp", f"/api/v1/referrals/{draft['id']}", json=change,
                          headers={"If-Match": f'"{draft["id"]}.{draft["version"]}"'})
    assert patched.status_code == 422, patched.json
    after = world.get("gp", f"/api/v1/referrals/{draft['id']}").json
    assert (after["interpreter"], after["child_welfare"], after["version"]) == (
        draft["interpreter"], draft["child_welfare"], draft["version"])


# --- the equity table on Oversikt ---------------------------------------------------------------------------

def equity_csv(app) -> dict[tuple[str, str], str]:
    response = WebUser(app, "bup").client.get("/oversikt.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    return {(group, measure): value for table, group, measure, value in rows[1:] if table == "Likeverd"}


def test_the_equity_table_counts_the_needs_and_suppresses_small_numbers(app, world):
    # Six children with a Somali interpreter, all rejected, three of them pårørende; two with an Arabic
    # interpreter, not yet assessed; one with barnevern as partner, accepted.
    for n in range(6):
        reasons = ["anxiety", PAROERENDE] if n < 3 else ["anxiety"]
        rid = world.create_referral("gp", reasons=reasons, interpreter={"needed": True, "language": "so"})["id"]
        world.act("gp", rid, "submit")
        reject(world, rid)
    for _ in range(2):
        rid = world.create_referral("gp", interpreter={"needed": True, "language": "ar"})["id"]
        world.act("gp", rid, "submit")
    rid = world.create_referral("gp", child_welfare=partner(world, "legal_duty"))["id"]
    world.act("gp", rid, "submit")
    world.act("bup", rid, "accept", {"care_start_due": "2027-06-01"})

    figures = equity_csv(app)
    assert figures[("Tolk: Somali", "Mottatt")] == "6"
    assert figures[("Tolk: Somali", "Avslått")] == "6"
    assert figures[("Tolk: Somali", "Andel avslått (%)")] == "100,0"
    assert figures[("Tolk: Arabisk", "Mottatt")] == "<5"
    # 8 in all would give the 2 back as 8 − 6: the total is hidden too, and so is every share of it.
    assert figures[("Behov for tolk, alle språk", "Mottatt")] == ":"
    assert figures[("Behov for tolk, alle språk", "Andel avslått (%)")] == ":"
    assert figures[("Behov for tolk, alle språk", "Avslått")] == "6"  # 6 + 0: nothing hidden to give back
    assert figures[("Pårørende: forelder med psykisk sykdom eller rus", "Mottatt")] == "<5"
    assert figures[("Pårørende: forelder med psykisk sykdom eller rus", "Andel avslått (%)")] == ":"
    assert figures[("Barnevernet er samarbeidspart", "Mottatt")] == "<5"
    assert figures[("Barnevernet er samarbeidspart", "Avslått")] == "0"

    page = WebUser(app, "bup").get("/oversikt")
    assert "Likeverd: tolk, pårørende og barnevern" in page.text()
    assert page.by_id["likeverd-interpreter-so"].startswith("Tolk: Somali 6 6 100,0 %")
    assert "<5 færre enn 5" in page.by_id["likeverd-interpreter-ar"]


def test_the_equity_threshold_is_a_setting(app, world):
    for _ in range(3):
        rid = world.create_referral("gp", interpreter={"needed": True, "language": "ti"})["id"]
        world.act("gp", rid, "submit")
    assert equity_csv(app)[("Tolk: Tigrinja", "Mottatt")] == "<5"
    app.config["EQUITY_SUPPRESSION_THRESHOLD"] = 3
    try:
        assert equity_csv(app)[("Tolk: Tigrinja", "Mottatt")] == "3"
    finally:
        app.config["EQUITY_SUPPRESSION_THRESHOLD"] = 5


def test_the_equity_table_keeps_to_the_readers_statistics_scope(app, world):
    for _ in range(5):
        rid = world.create_referral("gp", interpreter={"needed": True, "language": "so"})["id"]
        world.act("gp", rid, "submit")
    assert equity_csv(app)[("Tolk: Somali", "Mottatt")] == "5"
    other_clinic = WebUser(app, "bup2").client.get("/oversikt.csv").data.decode("utf-8-sig")
    assert "Tolk: Somali" not in other_clinic


# --- the referral form ------------------------------------------------------------------------------------

def test_the_referrer_gives_the_interpreter_need_and_barnevern_in_the_form(app, world):
    from tests.integration.test_web_referral_form import LATER_STEPS, Browser, label_for, parse, start_draft

    browser = Browser(app, "nurse_bergen")
    rid = start_draft(browser, world)
    page = parse(browser.get(f"/henvisninger/{rid}/steg/2"))
    assert label_for(page, "felt-interpreter-needed") == "Barnet eller familien trenger tolk"
    assert label_for(page, "felt-interpreter-language") == "Språk tolken skal snakke"
    assert "Pårørende: forelder med psykisk sykdom eller rus" in page.text
    step2 = {**LATER_STEPS[2], "reasons": ["anxiety", PAROERENDE], "interpreter.needed": "ja",
             "interpreter.language": "ti", "handling": "neste"}
    assert browser.post(f"/henvisninger/{rid}/steg/2", step2).status_code == 302
    assert browser.post(f"/henvisninger/{rid}/steg/4", {**LATER_STEPS[4], "handling": "neste"}).status_code == 302
    step5 = {**LATER_STEPS[5], "child_welfare.organisation_id": world.orgs["barnevern_askoy"].id,
             "child_welfare.basis": "legal_duty", "handling": "neste"}
    assert browser.post(f"/henvisninger/{rid}/steg/5", step5).status_code == 302

    review = parse(browser.get(f"/henvisninger/{rid}/steg/6")).text
    assert "Trenger tolk: Tigrinja" in review
    assert "Barnevernstjenesten som samarbeidspart: " + world.orgs["barnevern_askoy"].name in review
    saved = world.get("nurse_bergen", f"/api/v1/referrals/{rid}").json
    assert saved["interpreter"]["language"] == "ti" and saved["child_welfare"]["basis"] == "legal_duty"
    assert PAROERENDE in saved["reasons"]


def test_the_form_refuses_an_interpreter_without_a_language_and_a_consent_basis_without_consent(app, world):
    from tests.integration.test_web_referral_form import LATER_STEPS, Browser, parse, start_draft

    browser = Browser(app, "nurse_bergen")
    rid = start_draft(browser, world)
    response = browser.post(f"/henvisninger/{rid}/steg/2", {**LATER_STEPS[2], "interpreter.needed": "ja",
                                                            "interpreter.language": "", "handling": "neste"})
    assert response.status_code == 422
    assert "Kryss av for tolk og velg et språk fra listen" in parse(response).text
    response = browser.post(f"/henvisninger/{rid}/steg/5", {
        **LATER_STEPS[5], "child_welfare.organisation_id": world.orgs["barnevern_askoy"].id,
        "child_welfare.basis": "consent", "handling": "neste"})
    assert response.status_code == 422
    assert "Samtykket omfatter ikke deling med barnevernstjenesten" in parse(response).text
    saved = world.get("nurse_bergen", f"/api/v1/referrals/{rid}").json
    assert saved["interpreter"]["needed"] is False and saved["child_welfare"] is None
