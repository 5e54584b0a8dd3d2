"""The child as a FHIR Patient (FHIR.md §2–3), shaped after HL7 Norway no-basis."""

from __future__ import annotations

from typing import Any

from referral_service.domain.languages import language_name
from referral_service.domain.national_id import NationalIdKind
from referral_service.fhir.codes import (
    D_NUMMER,
    FODSELSNUMMER,
    KOMMUNENUMMER,
    MUNICIPALITY_EXTENSION,
    ROLE_CODE,
    TEST_DATA_SECURITY,
    concept,
)
from referral_service.services.views import ChildDetails

#: Felles hjelpenummer (Norsk helsenett), as HL7 Norway's identifier namespaces name it.
FELLES_HJELPENUMMER = "urn:oid:2.16.578.1.12.4.1.4.3"
#: The identifier system of each kind of number. An H-number has no system we could confirm: it is not emitted.
IDENTIFIER_SYSTEMS: dict[str, str] = {
    NationalIdKind.FODSELSNUMMER: FODSELSNUMMER,
    NationalIdKind.D_NUMBER: D_NUMMER,
    NationalIdKind.FH_NUMBER: FELLES_HJELPENUMMER,
}

GUARDIAN = concept(ROLE_CODE, "GUARD", "guardian")
#: FHIR's core extension for "needs an interpreter", and the language tags' system (ours are ISO 639-1 codes).
INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
LANGUAGE_TAGS = "urn:ietf:bcp:47"


def national_identifier(number: str, kind: str) -> list[dict[str, Any]]:
    """The identity number under its kind's system (a synthetic number keeps the system of the kind it imitates)."""
    system = IDENTIFIER_SYSTEMS.get(kind)
    return [{"use": "official", "system": system, "value": number}] if system else []


def municipality_address(number: str, name: str | None, *, use: str = "home") -> dict[str, Any]:
    """A municipality: its name in `district`, its number in no-basis' municipality extension."""
    district: dict[str, Any] = {"extension": [{"url": MUNICIPALITY_EXTENSION,
                                               "valueCoding": {"system": KOMMUNENUMMER, "code": number,
                                                               **({"display": name} if name else {})}}]}
    return {"use": use, **({"district": name} if name else {}), "_district": district}


def guardian_contact(guardian: dict[str, Any]) -> dict[str, Any]:
    """One guardian as `Patient.contact`, with the ways to reach them the reader may see."""
    contact: dict[str, Any] = {"relationship": [GUARDIAN]}
    if guardian.get("name"):
        contact["name"] = {"text": guardian["name"]}
    telecom = [{"system": system, "value": guardian[field]}
               for field, system in (("phone", "phone"), ("email", "email")) if guardian.get(field)]
    if telecom:
        contact["telecom"] = telecom
    return contact


def interpreter(language: str | None) -> dict[str, Any]:
    """The referral's "needs an interpreter": FHIR's extension, and the language when it is named."""
    need: dict[str, Any] = {"extension": [{"url": INTERPRETER_REQUIRED, "valueBoolean": True}]}
    if language:
        need["communication"] = [{"language": {"coding": [{"system": LANGUAGE_TAGS, "code": language}],
                                               **({"text": name} if (name := language_name(language)) else {})},
                                  "preferred": True}]
    return need


def official_name(child: ChildDetails) -> dict[str, Any]:
    name: dict[str, Any] = {"use": "official"}
    if child.family_name:
        name["family"] = child.family_name
    if child.given_name:
        name["given"] = [child.given_name]
    return name


def patient(child: ChildDetails, *, last_updated: str, synthetic: bool, number: str | None = None,
            number_kind: str | None = None, municipality_name: str | None = None,
            interpreter_needed: bool = False, interpreter_language: str | None = None) -> dict[str, Any]:
    """The child as one referral the reader may see describes it; `number` only for a reader allowed to see it
    (the caller decides, and logs that it was shown)."""
    meta: dict[str, Any] = {"lastUpdated": last_updated}
    if synthetic:
        meta["security"] = [TEST_DATA_SECURITY]
    resource: dict[str, Any] = {"resourceType": "Patient", "id": child.id, "meta": meta}
    need = interpreter(interpreter_language) if interpreter_needed else {}
    if need:
        resource["extension"] = need["extension"]
    if number and number_kind:
        identifiers = national_identifier(number, number_kind)
        if identifiers:
            resource["identifier"] = identifiers
    if child.given_name or child.family_name:
        resource["name"] = [official_name(child)]
    resource["birthDate"] = child.birth_date.isoformat()
    if child.home_municipality:
        resource["address"] = [municipality_address(child.home_municipality, municipality_name)]
    contacts = [guardian_contact(g) for g in child.guardians]
    if contacts:
        resource["contact"] = contacts
    if "communication" in need:
        resource["communication"] = need["communication"]
    return resource
