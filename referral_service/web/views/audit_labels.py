"""The auditor's pages in Norwegian words: what each access-log action, basis and role means."""

from __future__ import annotations

from referral_service.services.admin.insight import FAMILY_ORGANISATION_NAME

ACTION = {
    "read": "Leste henvisningen",
    "list": "Så henvisningen i en liste",
    "create": "Opprettet henvisningen",
    "update": "Endret henvisningen",
    "read_case": "Leste barnets historikk",
    "read_events": "Leste hendelsene",
    "read_consent": "Leste samtykket",
    "change_consent": "Endret samtykket",
    "check_completeness": "Sjekket om henvisningen var komplett",
    "duplicate_lookup": "Så etter andre henvisninger av barnet",
    "read_duplicates": "Leste mulige dobbelthenvisninger",
    "read_repeat_count": "Så hvor mange ganger barnet er henvist før",
    "invite_co_referrer": "Inviterte en medhenviser",
    "update_municipal_contacts": "Endret kontaktene i kommunen",
    "reveal_national_id": "Viste hele fødselsnummeret",
    "list_handovers": "Så tilbakehenvisningen i en liste",
    "read_handover": "Leste tilbakehenvisningen",
    "readdress": "Sendte tilbakehenvisningen videre",
    "transfer_in": "Tok imot en tilbakehenvisning etter flytting",
    "transfer_out": "Sendte en tilbakehenvisning etter flytting",
    "handover_reassign_on_deactivation": "Flyttet oppgaven fra en som sluttet",
    "read_alerts": "Leste varsler",
    "list_check_ins": "Så oppfølgingssamtalen i en liste",
    "read_check_in": "Leste oppfølgingssamtalen",
    "record_check_in": "Registrerte oppfølgingssamtalen",
    "cancel_check_in": "Avlyste oppfølgingssamtalen",
    "insight_request": "Hentet tilgangsloggen for et innsynskrav",
    "denied:referral": "Forsøkte å åpne en henvisning uten tilgang",
    "denied:handover": "Forsøkte å åpne en tilbakehenvisning uten tilgang",
    "denied:check_in": "Forsøkte å åpne en oppfølgingssamtale uten tilgang",
    "denied:patient": "Forsøkte å åpne barnets opplysninger (FHIR Patient) uten tilgang",
    # The family page (issue 14): the family's own reading, and the letters to them.
    "family_list": "Så henvisningen i listen på familiesiden",
    "family_read": "Leste henvisningen på familiesiden",
    "family_share": "Delte saken med de foresatte",
    "family_unshare": "Sluttet å dele saken med de foresatte",
    "read_family_letter": "Leste et brev til familien",
    "send_family_letter": "Sendte et brev til familien",
    "change_family_letter_language": "Endret målformen i et brev til familien",
}
ACTION_OTHER = "Annen handling"

BASIS = {
    "receiving_clinic": "Mottakende BUP",
    "referring_organisation": "Henvisende tjeneste",
    "co_referrer": "Medhenviser",
    "handover_with_consent": "Kommunen, med samtykke",
    "child_welfare_partner": "Barnevernstjenesten som samarbeidspart",
    "administration": "Administrasjon",
    "insight_request": "Innsynskrav fra familien",
    "denied": "Ingen tilgang (avvist)",
    "family:guardian": "Foresatt registrert på henvisningen",
    "family:child": "Barnet selv",
    "family:young_person": "Ungdommen selv (fra 16 år)",
}

ROLE = {
    "referrer": "Henviser",
    "bup_intake": "BUP-inntak",
    "municipal_coordinator": "Koordinator i kommunen",
    "municipal_lead": "Leder i kommunen",
    "referrer_lead": "Leder i henvisende tjeneste",
    "admin": "Administrator",
    "auditor": "Revisor",
    "guardian": "Foresatt",
    "child": "Barnet selv",
    "young_person": "Ungdommen selv",
    "family": FAMILY_ORGANISATION_NAME,
}

RETENTION_KIND = {
    "case": "Avsluttede saker anonymisert",
    "alert": "Varsler slettet",
    "outbox": "Leverte meldinger slettet",
    "kept_form": "Tatt vare på skjemaer slettet",
    "login_throttle": "Tellere for feil pålogging slettet",
    "web_session": "Gamle innlogginger slettet",
    "sign_in_address": "Gamle merker om hvor brukere logget inn fra slettet",
    "access_log": "Tilgangslogg slettet",
    "family_session": "Gamle innlogginger på familiesiden slettet",
    "family_person": "Familiemedlemmer som ikke har logget inn på lenge, slettet",
}


def action_words(action: str) -> str:
    return ACTION.get(action, ACTION_OTHER)


def basis_words(basis: str) -> str:
    return BASIS.get(basis, basis)


def role_words(role: str) -> str:
    return ROLE.get(role, role)


#: What the verification found (security/access_log_verification.py PROBLEMS), in Norwegian.
VERIFICATION_PROBLEM = {
    "changed": "En rad er endret etter at den ble skrevet.",
    "deleted": "En rad midt i loggen er slettet.",
    "truncated": "De siste radene i loggen er slettet.",
    "rewound": "De siste radene er slettet, og loggens hode er spolt tilbake for å skjule det.",
    "wiped": "Hele loggen er slettet, men kontrollpunktene utenfor databasen viser at den fantes.",
    "rehashed": "Kjeden er regnet om uten tjenestens nøkkel: rader er skrevet om eller fjernet og skjult.",
    "forged": "Et kontrollpunkt er ikke signert av tjenesten: forfalsket eller endret.",
}


def verification_reason(problem: str | None, reason: str | None = None) -> str:
    """The finding in Norwegian; a finding without a known kind is shown with its technical reason."""
    if problem in VERIFICATION_PROBLEM:
        return VERIFICATION_PROBLEM[problem]
    return f"Teknisk årsak: {reason}" if reason else ""
