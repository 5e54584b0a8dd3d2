"""No silent end at BUP: whatever BUP does to a received referral that is still being assessed, the child is
either kept (in assessment, or accepted), forwarded to another clinic, or handed back with a handover task.
BUP cannot withdraw it; only the referrer can (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from referral_service.workflows.referral_lifecycle import REQUESTABLE_ACTIONS
from tests.integration.test_loop_edge_cases import only_handover
from tests.support.loop import InProcessWorker

#: BUP still holds the child in these; the assessment is not finished.
STILL_WITH_BUP = {"submitted", "information_requested", "accepted"}


def bodies(world) -> dict[str, dict]:
    """A valid body for every action BUP could ask for."""
    later = "2027-03-01"
    return {
        "reject": {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                   "municipal_advice": "Tilbud hos kommunepsykolog."},
        "accept": {"care_start_due": later},
        "municipal-outcome": {"assessment_conversation_on": "2026-01-05", "explanation": "Hjelp i kommunen.",
                              "municipal_advice": "Samtaler med helsesykepleier."},
        "plan-discharge": {"planned_discharge_on": later},
        "record-epikrise": {},
        "forward": {"clinic_id": world.orgs["bup2"].id, "reason": "Bosted"},
        "transfer-to-dps": {"clinic_id": world.orgs["dps"].id, "reason": "Ungdommen fyller 18 år."},
        "request-information": {"questions": "Hvor lenge har dette vart?"},
        "withdraw": {"reason": "BUP avslutter."},
        "start-treatment": {"first_appointment_on": later},
        "discharge": {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.", "epikrise_sent": True},
        "supplement": {"text": "Svar."},
        "submit": {},
    }


@pytest.mark.parametrize("status", ["submitted", "information_requested"])
@pytest.mark.parametrize("action", sorted(REQUESTABLE_ACTIONS))
def test_every_bup_action_on_an_open_referral_keeps_forwards_or_hands_the_child_back(app, world, status, action):
    referral = world.referral_in(status)
    response = world.post("bup", f"/api/v1/referrals/{referral['id']}/{action}", json=bodies(world)[action])
    if response.status_code >= 400:
        assert response.status_code in (403, 409), (action, response.status_code, response.json)
        assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == status
        return
    InProcessWorker(app).run()
    after = response.json["status"]
    if after in STILL_WITH_BUP or after == "forwarded":
        return
    handover = only_handover(app, referral["id"])  # exactly one, with an owner who can act
    assert handover.owner_org_id is not None, (action, after)


@pytest.mark.parametrize("status", ["submitted", "information_requested"])
def test_bup_cannot_withdraw_a_referral_it_is_assessing_but_the_referrer_can(app, world, status):
    referral = world.referral_in(status)
    refused = world.post("bup", f"/api/v1/referrals/{referral['id']}/withdraw", json={"reason": "Avslutter."})
    assert refused.status_code == 403
    assert world.act("gp", referral["id"], "withdraw", {"reason": "Familien flytter."})["status"] == "withdrawn"
