"""The Patient entry of a transaction Bundle: the child, the guardians, the home municipality, the interpreter."""

from __future__ import annotations

from typing import Any

from referral_service.fhir import shape
from referral_service.fhir.codes import (
    D_NUMMER,
    FODSELSNUMMER,
    KOMMUNENUMMER,
    KOMMUNENUMMER_URI,
    MUNICIPALITY_EXTENSION,
    ROLE_CODE,
)
from referral_service.fhir.inbound_referral import Errors, InboundReferral

#: The identity numbers a child may be sent with; other national systems (H-nummer, FH-nummer) are refused.
CHILD_NUMBER_SYSTEMS = (FODSELSNUMMER, D_NUMMER)
REFUSED_NUMBER_SYSTEMS = ("urn:oid:2.16.578.1.12.4.1.4.3", "urn:oid:2.16.578.1.12.4.1.4.5")
INTERPRETER_REQUIRED = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"


def read_patient(inbound: InboundReferral, patient: dict[str, Any], at: str, errors: Errors) -> None:
    child: dict[str, Any] = {}
    inbound.body["child"] = child
    inbound.origins["child"] = at
    numbers = list(enumerate(shape.objs(patient.get("identifier"), f"{at}.identifier")))
    for j, identifier in numbers:
        if identifier.get("system") in REFUSED_NUMBER_SYSTEMS:
            errors.add(f"{at}.identifier[{j}].system", "H-numbers and FH-numbers are not taken yet.")
    children = [(j, i) for j, i in numbers if i.get("system") in CHILD_NUMBER_SYSTEMS]
    if len(children) != 1:
        errors.add(f"{at}.identifier", "The Patient must have exactly one fødselsnummer or D-nummer.")
    else:
        j, identifier = children[0]
        value = identifier.get("value")
        child["national_id"] = value.strip() if isinstance(value, str) else value
        inbound.origins["child.national_id"] = f"{at}.identifier[{j}].value"
    names = shape.objs(patient.get("name"), f"{at}.name")
    index = next((i for i, n in enumerate(names) if n.get("use") == "official"), 0)
    name = names[index] if names else {}
    child["given_name"] = " ".join(shape.texts(name.get("given"), f"{at}.name[{index}].given"))
    child["family_name"] = shape.text(name.get("family"), f"{at}.name[{index}].family") or ""
    inbound.origins["child.given_name"] = f"{at}.name[{index}].given"
    inbound.origins["child.family_name"] = f"{at}.name[{index}].family"
    if patient.get("birthDate") is not None:
        child["birth_date"] = patient["birthDate"]
        inbound.origins["child.birth_date"] = f"{at}.birthDate"
    _read_home_municipality(inbound, child, patient, at)
    _read_guardians(inbound, child, patient, at)
    _read_interpreter(inbound, patient, at)


def _read_home_municipality(inbound: InboundReferral, child: dict[str, Any], patient: dict[str, Any],
                            at: str) -> None:
    inbound.origins["child.home_municipality"] = f"{at}.address"
    for a, address in enumerate(shape.objs(patient.get("address"), f"{at}.address")):
        district_at = f"{at}.address[{a}]._district"
        district = shape.obj(address.get("_district"), district_at)
        for e, ext in enumerate(shape.objs(district.get("extension"), f"{district_at}.extension")):
            coding = shape.obj(ext.get("valueCoding"), f"{district_at}.extension[{e}].valueCoding")
            if ext.get("url") == MUNICIPALITY_EXTENSION and coding.get("system") in (KOMMUNENUMMER,
                                                                                     KOMMUNENUMMER_URI):
                child["home_municipality"] = coding.get("code")
                inbound.origins["child.home_municipality"] = (
                    f"{at}.address[{a}].district.extension[{e}].valueCoding.code")
                return


def _read_guardians(inbound: InboundReferral, child: dict[str, Any], patient: dict[str, Any], at: str) -> None:
    guardians: list[dict[str, Any]] = []
    for c, contact in enumerate(shape.objs(patient.get("contact"), f"{at}.contact")):
        contact_at = f"{at}.contact[{c}]"
        relationships = shape.objs(contact.get("relationship"), f"{contact_at}.relationship")
        if not any("GUARD" in shape.codes(r, ROLE_CODE, f"{contact_at}.relationship[{i}]")
                   for i, r in enumerate(relationships)):
            continue
        name = shape.obj(contact.get("name"), f"{contact_at}.name")
        full_name = shape.text(name.get("text"), f"{contact_at}.name.text") or " ".join(
            [*shape.texts(name.get("given"), f"{contact_at}.name.given"),
             shape.text(name.get("family"), f"{contact_at}.name.family") or ""]).strip()
        guardian: dict[str, Any] = {"name": full_name}
        for t, telecom in enumerate(shape.objs(contact.get("telecom"), f"{contact_at}.telecom")):
            system = shape.text(telecom.get("system"), f"{contact_at}.telecom[{t}].system")
            if system in ("phone", "email"):
                guardian[system] = telecom.get("value")
        inbound.origins[f"child.guardians.{len(guardians)}"] = contact_at
        inbound.origins[f"child.guardians.{len(guardians)}.name"] = f"{contact_at}.name"
        guardians.append(guardian)
    child["guardians"] = guardians


def _read_interpreter(inbound: InboundReferral, patient: dict[str, Any], at: str) -> None:
    """The interpreter the child needs, in the preferred language (its shape checked even when none is needed)."""
    required = [e for e in shape.objs(patient.get("extension"), f"{at}.extension")
                if e.get("url") == INTERPRETER_REQUIRED]
    languages = shape.objs(patient.get("communication"), f"{at}.communication")
    codes = [[c.get("code") for c in shape.objs(shape.obj(language.get("language"),
                                                          f"{at}.communication[{i}].language").get("coding"),
                                                f"{at}.communication[{i}].language.coding")]
             for i, language in enumerate(languages)]
    if not required:
        return
    index = next((i for i, c in enumerate(languages) if c.get("preferred")), 0)
    preferred = codes[index] if codes else []
    inbound.body["interpreter"] = {"needed": required[0].get("valueBoolean"),
                                   "language": preferred[0] if preferred else None}
    inbound.origins["interpreter"] = f"{at}.extension"
    inbound.origins["interpreter.language"] = f"{at}.communication"
