"""The Consent entry of a transaction Bundle: who gave it, whom it shares with, whether the guardians are kept out."""

from __future__ import annotations

from typing import Any

from referral_service.fhir import shape
from referral_service.fhir.codes import PARTICIPATION_TYPE, ROLE_CODE
from referral_service.fhir.inbound_referral import ORGANIZATION_REF, Errors, InboundReferral

#: Consent.provision.actor, by the display of a recipient without an Organization -> what the consent shares with.
RECIPIENTS = {"bup": "bup", "municipality": "municipality", "kommunen": "municipality", "kommune": "municipality",
              "school": "school", "skolen": "school", "skole": "school", "child_welfare": "child_welfare",
              "barnevernet": "child_welfare", "barnevern": "child_welfare", "barneverntjenesten": "child_welfare"}
#: Consent.performer named by display only -> who gave the consent (as the Consent reader names them).
GIVERS = {"foresatte": "guardian", "guardian": "guardian", "barneverntjenesten": "child_welfare",
          "barnevernet": "child_welfare", "child_welfare": "child_welfare"}


def read_consent(inbound: InboundReferral, consent: dict[str, Any], at: str, patient_url: str,
                 errors: Errors) -> None:
    if consent.get("status") != "active":
        errors.add(f"{at}.status", "A consent sent with a referral is 'active'.")
    if shape.obj(consent.get("patient"), f"{at}.patient").get("reference") != patient_url:
        errors.add(f"{at}.patient", "The patient must be the Patient entry's fullUrl.")
    provision = shape.obj(consent.get("provision"), f"{at}.provision")
    if provision and provision.get("type", "permit") != "permit":
        errors.add(f"{at}.provision.type", "The consent's provision permits.")
    withhold = _withholds_from_guardians(provision, f"{at}.provision")
    recorded = consent.get("dateTime")
    inbound.body["consent"] = {"given_by": _consent_givers(consent, patient_url, at),
                               "share_with": _recipients(inbound, provision, at, errors),
                               "recorded_on": recorded[:10] if isinstance(recorded, str) else recorded,
                               "withhold_from_guardians": withhold}
    inbound.origins.update({"consent": at, "consent.given_by": f"{at}.performer",
                            "consent.share_with": f"{at}.provision.actor", "consent.recorded_on": f"{at}.dateTime",
                            "consent.withhold_from_guardians": f"{at}.provision.provision"})


def _consent_givers(consent: dict[str, Any], patient_url: str, at: str) -> list[str]:
    """Who gave the consent: the child (the Patient), a guardian (a RelatedPerson), or child welfare."""
    given_by: list[str] = []
    for p, performer in enumerate(shape.objs(consent.get("performer"), f"{at}.performer")):
        reference = shape.text(performer.get("reference"), f"{at}.performer[{p}].reference") or ""
        display = (shape.text(performer.get("display"), f"{at}.performer[{p}].display") or "").strip().lower()
        if reference == patient_url:
            given_by.append("child")
        elif reference.startswith("#") or reference.startswith("RelatedPerson"):
            given_by.append("guardian")
        elif ORGANIZATION_REF.match(reference):
            given_by.append("child_welfare")
        elif display in GIVERS:
            given_by.append(GIVERS[display])
    return sorted(set(given_by))


def _actor(actor: dict[str, Any], at: str) -> tuple[list[str], list[str], str, str]:
    """A provision actor's role codes (GUARD, IRCP), and its reference's address and display."""
    reference = shape.obj(actor.get("reference"), f"{at}.reference")
    role = shape.obj(actor.get("role"), f"{at}.role")
    return (shape.codes(role, ROLE_CODE, f"{at}.role"), shape.codes(role, PARTICIPATION_TYPE, f"{at}.role"),
            shape.text(reference.get("reference"), f"{at}.reference.reference") or "",
            shape.text(reference.get("display"), f"{at}.reference.display") or "")


def _withholds_from_guardians(provision: dict[str, Any], at: str) -> bool:
    """A nested deny naming the guardians (a contained RelatedPerson, the GUARD role, or "Foresatte")."""
    for n, nested in enumerate(shape.objs(provision.get("provision"), f"{at}.provision")):
        if nested.get("type") != "deny":
            continue
        for a, actor in enumerate(shape.objs(nested.get("actor"), f"{at}.provision[{n}].actor")):
            roles, _types, reference, display = _actor(actor, f"{at}.provision[{n}].actor[{a}]")
            if ("GUARD" in roles or reference.startswith(("#", "RelatedPerson"))
                    or GIVERS.get(display.strip().lower()) == "guardian"):
                return True
    return False


def _recipient(display: str) -> str | None:
    """What a recipient named by display only is: one of ours, or a municipality by its name ("Askøy kommune")."""
    words = display.strip().lower()
    return RECIPIENTS.get(words) or ("municipality" if words.endswith(" kommune") else None)


def _recipients(inbound: InboundReferral, provision: dict[str, Any], at: str, errors: Errors) -> list[str]:
    """What the consent shares with, from the recipients (IRCP) named by display; those named as an Organization
    are left to the service, which knows their kind."""
    share_with: list[str] = []
    for a, actor in enumerate(shape.objs(provision.get("actor"), f"{at}.provision.actor")):
        _roles, types, reference, display = _actor(actor, f"{at}.provision.actor[{a}]")
        if "IRCP" not in types:
            continue
        organisation = ORGANIZATION_REF.match(reference)
        recipient = _recipient(display)
        if organisation:
            inbound.recipient_organisations[organisation.group(1)] = f"{at}.provision.actor[{a}].reference"
        elif recipient is not None:
            share_with.append(recipient)
        else:
            errors.add(f"{at}.provision.actor[{a}].reference",
                       "Name a recipient as Organization/{id}, or as BUP, the municipality, the school or the "
                       "child welfare service.")
    return share_with
