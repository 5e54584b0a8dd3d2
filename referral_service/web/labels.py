"""The Norwegian words on screen for the domain's codes (UI.md, "Words")."""

from __future__ import annotations

import re

from referral_service.domain.enums import Priority
from referral_service.domain.languages import INTERPRETER_LANGUAGES
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
    "merged": "Slått sammen med en annen henvisning",
    "transferred_to_dps": "Overført til voksenpsykiatrien (DPS)",
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
    "parent_mental_illness_or_substance_use": "Pårørende: forelder med psykisk sykdom eller rus",
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
    "join": "En annen henviser ble med som medhenviser",
    "merge": "BUP slo sammen to henvisninger for barnet",
    "merged-into": "Slått sammen med en annen henvisning",
    "transfer-to-dps": "Overført til voksenpsykiatrien (DPS)",
    "receive-dps-transfer": "Mottatt fra BUP ved overgang til voksenpsykiatrien",
    "name-child-welfare-partner": "Barnevernstjenesten ble ført opp som samarbeidspart",
    "move": "Familien flyttet til en annen kommune",
    "send-family-letter": "Brev til familien sendt",
}

HANDOVER_ACTION = {
    "create": "Tilbakehenvisningen ble opprettet",
    "acknowledge": "Bekreftet mottatt",
    "assign": "Tildelt",
    "plan": "Første kontakt planlagt",
    "close": "Avsluttet",
    "readdress": "Sendt tilbake til henviser fordi samtykket ble endret",
    "reassign": "Flyttet til en kollega fordi den som hadde den, sluttet",
    "release": "Tilbake i køen fordi den som hadde den, ikke lenger bruker tjenesten",
    "check_in_scheduled": "Oppfølgingssamtale planlagt",
    "check_in_recorded": "Oppfølgingssamtale registrert",
    "check_in_cancelled": "Oppfølgingssamtale avlyst",
    "check_in_moved": "Oppfølgingssamtale flyttet til en annen koordinator",
    "transfer_out": "Familien flyttet: overført til ny hjemkommune",
    "transfer_in": "Overført fra forrige hjemkommune etter flytting",
}

ORGANISATION_KIND = {
    "municipality": "Kommune",
    "bup_clinic": "BUP-poliklinikk",
    "ppt_office": "PPT",
    "school_health_service": "Skolehelsetjenesten",
    "gp_office": "Fastlegekontor",
    "child_welfare": "Barnevernstjenesten",
    "operator": "Driftsorganisasjon",
    "adult_mental_health": "DPS (distriktspsykiatrisk senter)",
}

CONSENT_GIVER = {"guardian": "Foresatte", "child": "Barnet/ungdommen selv", "child_welfare": "Barnevernstjenesten"}
SHARE_WITH = {"bup": "BUP", "municipality": "Kommunale tjenester", "school": "Skole og PPT",
              "child_welfare": "Barnevernstjenesten"}
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
CHECK_IN_STATUS = {"planned": "Planlagt", "done": "Gjennomført", "cancelled": "Avlyst"}

CHECK_IN_OUTCOME = {
    "doing_well": "Det går bra med barnet",
    "needs_help_again": "Barnet trenger hjelp igjen",
    "not_reached": "Fikk ikke kontakt med familien",
}

#: What each outcome leads to (workflows/check_ins.py NEXT_STEP), as the page says it.
CHECK_IN_NEXT_STEP = {
    "none": "Ingen videre oppfølging trengs.",
    "offer_help_or_refer_again": "Tilby hjelp i kommunen igjen, eller henvis barnet på nytt.",
    "contact_family_again": "Prøv å nå familien på nytt.",
}

#: Why the service called a check-in off (a person's own reason is shown as they wrote it).
CHECK_IN_CANCEL_REASON = {
    "child_referred_again": "Barnet er henvist på nytt, og den nye henvisningen følger barnet opp.",
}
#: Why the child welfare service is a partner on the referral.
CHILD_WELFARE_BASIS = {"consent": "Samtykke til å dele med barnevernstjenesten",
                       "legal_duty": "Opplysningsplikt til barnevernet (barnevernsloven § 13-2, "
                                     "helsepersonelloven § 33)"}

#: The interpreter languages' Norwegian names, by ISO 639-1 code (the one list: domain/languages.py).
INTERPRETER_LANGUAGE = INTERPRETER_LANGUAGES

#: What happened, as the inbox heads each alert (its sentence, notify/alert_texts.py, says the rest). One entry for
#: every kind of alert the services raise; the inbox falls back to ALERT_KIND_OTHER.
ALERT_KIND = {
    "handover_created": "Ny tilbakehenvisning til dere",
    "handover_transferred_in": "Flyttet til deres kommune",
    "handover_transferred_out": "Flyttet til en annen kommune",
    "handover_unacknowledged": "Eskalert til deg: ikke bekreftet mottatt i tide",
    "handover_no_first_contact": "Eskalert til deg: første kontakt ikke planlagt i tide",
    "handover_reassign": "Tildelt deg",
    "handover_release": "Tilbake i køen: må tildeles",
    "handover_unrouted": "Tilbakehenvisning uten mottaker",
    "municipality_not_connected": "Kommunen er ikke koblet til tjenesten",
    "referral_decision": "Svar fra BUP på henvisningen",
    "referral_request-information": "BUP ber om mer informasjon",
    "referral_accept": "Rett til helsehjelp",
    "referral_forward": "Videresendt til en annen poliklinikk",
    "referral_supplement": "Henviser har svart på spørsmålene",
    "referral_invite-co-referrer": "Invitert som medhenviser",
    "referral_submit": "Sendt til BUP av medhenviseren",
    "referral_join": "Ny medhenviser på henvisningen",
    "referral_merge": "Henvisninger slått sammen",
    "referral_merged-into": "Slått sammen med en annen henvisning",
    "referral_transfer-to-dps": "Overført til voksenpsykiatrien (DPS)",
    "referral_receive-dps-transfer": "Overført fra BUP til dere",
    "assessment_warning": "Vurderingsfristen nærmer seg",
    "assessment_breach": "Fristbrudd: vurderingsfristen er passert",
    "care_start_breach": "Fristbrudd: fristen for start av helsehjelp er passert",
    "waiting_without_municipal_helper": "Venter på BUP uten kontakt i kommunen",
    "epikrise_missing": "Epikrise ikke sendt",
    "epikrise_reminder": "Påminnelse: epikrise ikke sendt",
    "repeat_rejection": "Avslått av BUP flere ganger",
    "turning_18": "Har fylt 18 år: planlegg overgangen",
    "turning_18_soon": "Fyller snart 18 år",
    "check_in_due": "Oppfølgingssamtale i dag",
    "check_in_overdue": "Eskalert til deg: oppfølgingssamtale ikke registrert",
    "check_in_cancelled": "Oppfølgingssamtale avlyst",
    "alert_delivery_failed": "E-postvarsel kunne ikke leveres",
    "fhir_subscription_error": "FHIR-abonnement stoppet",
    "family_nudge": "Familien har ikke hørt noe",
    "family_nudge_unanswered": "Eskalert til deg: familien har ikke hørt noe",
    "family_voice": "Barnets egne ord fra familiesiden",
}
ALERT_KIND_OTHER = "Nytt varsel"


def subscription_error(error: str | None) -> str:
    """Why a FHIR subscription stopped, in Norwegian for the Drift page (the subscriber reads the English reason,
    services/fhir/subscription_errors.py, which the page shows beside it)."""
    if not error:
        return "–"
    given_up = re.match(r"Notification (\d+) was given up after (\d+) attempts", error)
    if given_up:
        return (f"Varsling {given_up[1]} ble gitt opp etter {given_up[2]} forsøk. Senere endringer varsles ikke "
                "før abonnementet er aktivt igjen.")
    if "was deactivated" in error or "no longer uses the service" in error:
        return "Brukeren som opprettet abonnementet, bruker ikke lenger tjenesten. Endringer varsles ikke."
    return "Abonnementet får ikke lenger varslinger."
