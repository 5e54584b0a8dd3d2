"""The auditor's pages in Norwegian words: what each access-log action, basis and role means."""

from __future__ import annotations

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
}

ROLE = {
    "referrer": "Henviser",
    "bup_intake": "BUP-inntak",
    "municipal_coordinator": "Koordinator i kommunen",
    "municipal_lead": "Leder i kommunen",
    "referrer_lead": "Leder i henvisende tjeneste",
    "admin": "Administrator",
    "auditor": "Revisor",
}

RETENTION_KIND = {
    "case": "Avsluttede saker anonymisert",
    "alert": "Varsler slettet",
    "outbox": "Leverte meldinger slettet",
    "kept_form": "Tatt vare på skjemaer slettet",
    "login_throttle": "Tellere for feil pålogging slettet",
    "web_session": "Gamle innlogginger slettet",
    "access_log": "Tilgangslogg slettet",
}


def action_words(action: str) -> str:
    return ACTION.get(action, ACTION_OTHER)


def basis_words(basis: str) -> str:
    return BASIS.get(basis, basis)


def role_words(role: str) -> str:
    return ROLE.get(role, role)


#: The verification's reasons (security/access_log_verification.py) in Norwegian; an unknown one is shown as it is.
VERIFICATION_REASON = {
    "the row was changed": "Raden er endret etter at den ble skrevet.",
    "a row is missing before this one": "En rad før denne er fjernet.",
    "rows at the end of the log are missing": "Rader på slutten av loggen er fjernet.",
    "the log does not end where its head says": "Loggen slutter ikke der den skal.",
}


def verification_reason(reason: str | None) -> str:
    if not reason:
        return ""
    if reason in VERIFICATION_REASON:
        return VERIFICATION_REASON[reason]
    if reason.startswith("the checkpoint"):
        return "Et kontrollpunkt er ikke signert av tjenesten: forfalsket eller endret."
    if "rewritten" in reason:
        return "Rader er skrevet om etter et signert kontrollpunkt."
    return f"Teknisk årsak: {reason}"
