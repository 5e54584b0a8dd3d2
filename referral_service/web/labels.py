"""The Norwegian words on screen for the domain's codes (UI.md, "Words")."""

from __future__ import annotations

from referral_service.domain.enums import Priority
from referral_service.notify.alert_texts import TRIGGER_WORDS
from referral_service.web.forms.messages import REASONS

#: What a referral was sent without (the completeness check's codes), as the referrer was told.
GAP = REASONS

REFERRAL_STATUS = {
    "draft": "Utkast",
    "submitted": "Sendt – venter på vurdering",
    "information_requested": "BUP ber om mer informasjon",
    "accepted": "Rett til helsehjelp – venter på oppstart",
    "rejected": "Avslag",
    "municipal_level": "Hjelpen hører hjemme i kommunen",
    "forwarded": "Videresendt",
    "in_treatment": "Under behandling i BUP",
    "discharged": "Avsluttet i BUP",
    "withdrawn": "Trukket tilbake",
}

HANDOVER_STATUS = {
    "open": "Ny",
    "acknowledged": "Mottatt",
    "assigned": "Tildelt",
    "follow_up_planned": "Oppfølging planlagt",
    "closed": "Avsluttet",
}

HANDOVER_OUTCOME = {
    "followed_up": "Barnet følges opp i kommunen",
    "help_ended": "Hjelpen i kommunen er avsluttet",
    "declined": "Familien ønsket ikke hjelp fra kommunen",
    "transferred": "Overført til ny hjemkommune",
}

#: Why the organisation that holds a handover holds it (nothing to add when it is the home municipality).
OWNER_REASON = {
    "no_municipal_consent": "familien har ikke samtykket til deling med kommunen, så henviser følger opp",
    "municipality_not_connected": "kommunen er ikke koblet til tjenesten ennå, så henviser følger opp",
}

HANDOVER_TRIGGER = {trigger: word.capitalize() for trigger, word in TRIGGER_WORDS.items()}

REASON = {
    "anxiety": "Angst",
    "depression": "Depresjon",
    "self_harm": "Selvskading",
    "suicidal_thoughts": "Selvmordstanker",
    "eating_disorder": "Spiseforstyrrelse",
    "adhd_assessment": "Utredning for ADHD",
    "autism_assessment": "Utredning for autisme",
    "trauma": "Traumer",
    "behaviour": "Atferdsvansker",
    "school_refusal": "Skolevegring",
    "psychosis": "Psykose",
    "other": "Annet",
}

REJECTION_REASON = {
    "not_specialist_need": "Ikke behov for spesialisthelsetjeneste",
    "insufficient_information": "For lite informasjon",
    "municipal_measures_not_tried": "Kommunale tiltak er ikke prøvd",
    "wrong_service": "Feil tjeneste",
    "other": "Annet",
}

EVENT_ACTION = {
    "create": "Henvisningen ble opprettet",
    "submit": "Sendt til BUP",
    "request-information": "BUP ba om mer informasjon",
    "supplement": "Henviser svarte BUP",
    "accept": "BUP ga rett til helsehjelp",
    "reject": "BUP ga avslag",
    "forward": "Videresendt til en annen poliklinikk",
    "receive-forwarded": "Mottatt fra en annen poliklinikk",
    "start-treatment": "Behandling startet",
    "discharge": "Skrevet ut fra BUP",
    "withdraw": "Trukket tilbake",
    "invite-co-referrer": "Medhenviser invitert",
    "change-consent": "Samtykket ble endret",
}

HANDOVER_ACTION = {
    "create": "Tilbakehenvisningen ble opprettet",
    "acknowledge": "Bekreftet mottatt",
    "assign": "Tildelt",
    "plan": "Første kontakt planlagt",
    "close": "Avsluttet",
    "readdress": "Sendt tilbake til henviser fordi samtykket ble endret",
}

ORGANISATION_KIND = {
    "municipality": "Kommune",
    "bup_clinic": "BUP-poliklinikk",
    "ppt_office": "PPT",
    "school_health_service": "Skolehelsetjenesten",
    "gp_office": "Fastlegekontor",
    "child_welfare": "Barnevernstjenesten",
    "operator": "Driftsorganisasjon",
}

CONSENT_GIVER = {"guardian": "Foresatte", "child": "Barnet/ungdommen selv", "child_welfare": "Barnevernstjenesten"}
SHARE_WITH = {"bup": "BUP", "municipality": "Kommunale tjenester", "school": "Skole og PPT"}
URGENCY = {"normal": "Vanlig", "urgent": "Haster"}

#: BUP's priority when granting the right to care (the priority guide's severity).
PRIORITY = {Priority.SEVERE: "Alvorlig", Priority.MODERATE: "Moderat", Priority.MILD: "Lett"}

#: The child's case (Barnets historikk): an entry of a kind the page has no words for yet.
CASE_OTHER_ENTRY = "Annen hendelse"
#: Why an entry of the child's case shows less than all (services/cases, security/case_access.py).
CASE_DETAIL = {
    "conclusion": "Fra en annen BUP-poliklinikk: bare at henvisningen fantes og hva utfallet ble.",
    "advice": "Fra en henvisning du ikke var med på: bare rådet BUP ga kommunen.",
}
