"""After an assessment conversation BUP can conclude that the help belongs in the municipality: not a rejection.
The recommendations go into the handover, and Oversikt counts it apart from rejections (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io

from tests.integration.test_loop_edge_cases import only_handover
from tests.integration.test_web_decisions import WebUser
from tests.integration.test_web_referral_form import Browser
from tests.support.loop import InProcessWorker

OUTCOME = {"assessment_conversation_on": "2026-01-05", "explanation": "Vanskene kan møtes i kommunen.",
           "municipal_advice": "Samtaler med helsesykepleier og kontakt med skolen."}


def test_the_help_belongs_in_the_municipality_hands_the_child_back_with_the_advice(app, world, clock):
    rid = world.referral_in("submitted")["id"]
    outcome = world.act("bup", rid, "municipal-outcome", OUTCOME)
    assert outcome["status"] == "municipal_level"
    InProcessWorker(app).run()
    handover = only_handover(app, rid)
    assert handover.trigger == "municipal_level"
    assert handover.content["municipal_advice"] == OUTCOME["municipal_advice"]
    assert handover.content["assessment_conversation_on"] == "2026-01-05"
    page = WebUser(app, "coordinator_askoy").get(f"/tilbakehenvisninger/{handover.id}").text()
    assert "Hjelpen hører hjemme i kommunen" in page and OUTCOME["municipal_advice"] in page


def test_it_is_counted_apart_from_rejections(app, world):
    for _ in range(3):
        world.act("bup", world.referral_in("submitted")["id"], "municipal-outcome", OUTCOME)
    rows = csv.reader(io.StringIO(Browser(app, "admin").client.get("/oversikt.csv").data.decode("utf-8-sig")),
                      delimiter=";")
    figures = {(table, group, measure): value for table, group, measure, value in rows}
    assert figures[("Henvisninger", "Alle", "Hjelp i kommunen etter vurderingssamtale")] == "3"
    assert figures[("Henvisninger", "Alle", "Avslått")] == "0"


def test_a_conversation_that_has_not_happened_is_refused(world):
    rid = world.referral_in("submitted")["id"]
    response = world.post("bup", f"/api/v1/referrals/{rid}/municipal-outcome",
                          json={**OUTCOME, "assessment_conversation_on": "2099-01-01"})
    assert response.status_code == 422 and "assessment_conversation_on" in response.json["errors"]
