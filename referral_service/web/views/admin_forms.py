"""The administration pages' words and forms: Norwegian labels for roles and professions, and the services'
refusals said in Norwegian. The verdicts come from the API's schemas and the services (the pages accept what
the API accepts); this module only reads the forms and finds the words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema
from werkzeug.datastructures import MultiDict

from referral_service.errors import InvalidData
from referral_service.services.admin import events, grants, roles
from referral_service.services.admin.contact_details import CONTACT_CHANGED
from referral_service.web.blueprint import web
from referral_service.web.forms.dates import iso_date
from referral_service.web.forms.messages import FILL_IN, NOT_ACCEPTED, REASONS, schema_errors
from referral_service.web.labels import ORGANISATION_KIND
from referral_service.workflows.contact_details import HOURS_TOO_LONG, PHONE_INVALID
from referral_service.workflows.role_fit import ROLE_UNFIT, ROLES_SEPARATE, roles_for_kind

ROLE = {
    "referrer": "Henviser",
    "referrer_lead": "Leder for henvisende tjeneste",
    "bup_intake": "BUP-inntak",
    "municipal_coordinator": "Kommunal koordinator",
    "municipal_lead": "Kommunal leder",
    "admin": "Administrator",
    "auditor": "Revisor",
}

PROFESSION = {
    "doctor": "Lege",
    "psychologist": "Psykolog",
    "child_welfare_leader": "Barnevernsleder",
    "ppt_adviser": "PP-rådgiver",
    "school_nurse": "Helsesykepleier",
    "other": "Annet",
}

ACTION = {
    events.USER_CREATED: "Bruker opprettet",
    events.ROLES_CHANGED: "Roller endret",
    events.USER_DEACTIVATED: "Bruker deaktivert",
    events.ORGANISATION_CREATED: "Virksomhet opprettet",
    events.GRANT_ADDED: "Henvisningsrett gitt",
    events.GRANT_ENDED: "Henvisningsrett avsluttet tidlig",
    events.PASSWORD_RESET: "Nytt midlertidig passord gitt",
    events.ALERT_EMAIL_RESENT: "E-postvarsel sendt på nytt",
    events.SUBSCRIPTION_CREATED: "FHIR-abonnement opprettet",
    events.SUBSCRIPTION_TURNED_OFF: "FHIR-abonnement slått av",
    events.SUBSCRIPTION_REACTIVATED: "FHIR-abonnement aktivt igjen",
    CONTACT_CHANGED: "Telefon og tid for familier endret",
}

#: The services' reasons by code, in Norwegian (those of other services are in web/forms/messages.py).
CODES = {
    "municipality_unknown": "Finner ingen kommune i kraft med dette nummeret. Velg kommunen fra listen.",
    grants.PROFESSION_NOT_CONDITIONAL: "Bare yrker som får henvisningsrett av kommunen kan velges "
                                       "(PP-rådgiver og helsesykepleier).",
    grants.PERIOD_BACKWARDS: "Siste dag kan ikke være før første dag.",
    grants.GRANT_OVERLAP: "Perioden overlapper en annen henvisningsrett for samme kommune og yrke. "
                          "Avslutt den andre først.",
    grants.GRANT_ALREADY_ENDED: "Henvisningsretten slutter allerede før denne datoen.",
    ROLES_SEPARATE: "Administrator og revisor kan ikke være samme person: revisoren kontrollerer det "
                    "administratorene gjør.",
    roles.OWN_ROLES: "Du kan ikke endre dine egne roller. Be en annen administrator om å gjøre det.",
    PHONE_INVALID: "Telefonnummeret kan bare ha sifre, mellomrom og +, og høyst 30 tegn.",
    HOURS_TOO_LONG: "Teksten om når familier kan ringe, kan være høyst 200 tegn.",
}

#: What a refused field means when the service's reason carries no code.
FIELDS = {
    "email": "Det finnes allerede en bruker med denne e-postadressen.",
    "password": "Passordet er for kort. Det må ha minst 10 tegn.",
    "organisation_id": "Velg en virksomhet fra listen.",
    "roles": "Velg minst én rolle.",
    "successor_user_id": "Velg en kollega i samme virksomhet som kan ta over arbeidet, eller velg køen.",
    "user_id": "Du kan ikke deaktivere deg selv. Be en annen administrator om å gjøre det.",
    "municipality_number": "Velg kommunen fra listen.",
    "hpr_number": "HPR-nummeret er 4 til 9 sifre, og ingen annen bruker kan ha det samme.",
    "phone": "Telefonnummeret kan bare ha sifre, mellomrom og +, og høyst 30 tegn.",
    "reachable_hours": "Teksten om når familier kan ringe, kan være høyst 200 tegn.",
    "contact_hours": "Teksten om når familier kan ringe, kan være høyst 200 tegn.",
}


@web.app_template_filter("rolle")
def _role(value: str) -> str:
    return ROLE.get(value, value)


@web.app_template_filter("yrke")
def _profession(value: str) -> str:
    return PROFESSION.get(value, value)


def role_unfit_text(kind: str | None) -> str:
    allowed = ", ".join(ROLE[r].lower() for r in sorted(roles_for_kind(kind or ""))) or "ingen roller"
    return (f"Rollen passer ikke for denne typen virksomhet. {ORGANISATION_KIND.get(kind or '', 'Virksomheten')} "
            f"kan bare ha disse rollene: {allowed}.")


def refusal(exc: InvalidData, *, kind: str | None = None) -> dict[str, list[str]]:
    """A service's refusal, field by field, in Norwegian."""
    out: dict[str, list[str]] = {}
    for field, messages in (exc.errors or {}).items():
        words = []
        for message in messages:
            code = getattr(message, "code", None)
            if code == ROLE_UNFIT:
                words.append(role_unfit_text(kind))
            elif code in CODES or code in REASONS:
                words.append(CODES.get(code) or REASONS[code])
            else:
                words.append(FIELDS.get(field, NOT_ACCEPTED))
        out[field] = list(dict.fromkeys(words))
    return out or {"skjema": [NOT_ACCEPTED]}


#: The contact forms' fields: what a refusal of each means.
CONTACT_FIELDS = {name: FIELDS[name] for name in ("phone", "reachable_hours", "contact_hours")}


def checked(schema: Schema, data: Mapping[str, Any],
            refused: Mapping[str, str] | None = None) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The form's values as the API's schema loads them, or the schema's refusal in Norwegian (`refused`: what a
    refusal of these fields means, where the general words would not say)."""
    messages = schema.validate(data)
    if messages:
        return None, schema_errors(schema, data, messages, missing_for=lambda _: FILL_IN,
                                   refused_for=lambda path: (refused or {}).get(path, NOT_ACCEPTED))
    return schema.load(data), {}


def text(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "").strip()


def user_contact_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"phone": text(form, "phone") or None, "reachable_hours": text(form, "reachable_hours") or None}


def organisation_contact_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"phone": text(form, "phone") or None, "contact_hours": text(form, "contact_hours") or None}


def organisation_data(form: MultiDict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": text(form, "kind"), "name": text(form, "name")}
    if number := text(form, "municipality_number"):
        data["municipality_number"] = number
    return data


def user_data(form: MultiDict[str, str]) -> dict[str, Any]:
    return {"email": text(form, "email"), "name": text(form, "name"), "password": form.get("password", ""),
            "organisation_id": text(form, "organisation_id"), "roles": form.getlist("roles"),
            "profession": text(form, "profession") or "other", "hpr_number": text(form, "hpr_number") or None}


def grant_data(form: MultiDict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {"municipality_number": text(form, "municipality_number"),
                            "profession": text(form, "profession"), "valid_from": iso_date(text(form, "valid_from")),
                            "basis": text(form, "basis")}
    if valid_to := text(form, "valid_to"):
        data["valid_to"] = iso_date(valid_to)
    return data
