"""What an alert says is rendered from its kind and data; services never write the words."""

from __future__ import annotations

from referral_service.domain.alert import Alert
from referral_service.notify.alert_texts import FALLBACK, TEXTS, alert_text


def an_alert(kind: str, data: dict | None = None, message: str = "") -> Alert:
    return Alert(user_id="u", kind=kind, dedupe_key="k", data=data, message=message)


def test_a_new_handover_names_the_clinic_the_cause_and_the_deadline_in_norwegian():
    alert = an_alert("handover_created", {"clinic": "BUP Bergen sentrum", "trigger": "rejected",
                                          "acknowledge_due": "2026-04-02"})
    assert alert_text(alert) == "Ny tilbakehenvisning fra BUP Bergen sentrum (avslag). Bekreft mottak innen 02.04.2026."


def test_an_escalation_says_its_level_and_the_deadline_it_passed():
    alert = an_alert("handover_unacknowledged", {"due": "2026-04-02", "level": 3})
    assert alert_text(alert).startswith("Eskalert (nivå 3)") and "02.04.2026" in alert_text(alert)


def test_an_alert_stored_before_alerts_carried_data_keeps_its_sentence():
    assert alert_text(an_alert("handover_created", None, message="Gammel tekst.")) == "Gammel tekst."


def test_an_alert_with_missing_data_still_reads_as_a_sentence():
    assert alert_text(an_alert("handover_created", {"clinic": "BUP"})) == FALLBACK
    assert alert_text(an_alert("unknown_kind", {})) == FALLBACK


def test_every_kind_a_service_raises_has_words():
    raised = {"referral_request-information", "referral_accept", "referral_forward", "handover_created",
              "referral_decision", "handover_unrouted", "assessment_warning", "assessment_breach",
              "care_start_breach", "handover_unacknowledged", "handover_no_first_contact", "alert_delivery_failed",
              "check_in_due", "check_in_overdue", "check_in_cancelled"}
    assert raised <= set(TEXTS)
