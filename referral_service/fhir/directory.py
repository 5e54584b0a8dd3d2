"""The directory as FHIR (FHIR.md §3): organisations as Organization, users as Practitioner and, in their one
organisation with their roles, PractitionerRole. Directory data only: no e-mail, no personal phone."""

from __future__ import annotations

from typing import Any

from referral_service.domain.enums import OrganisationKind
from referral_service.domain.organisation import Organisation, User
from referral_service.fhir.codes import HER_ID, HPR_NUMMER, KOMMUNENUMMER, local, reference
from referral_service.fhir.patient import municipality_address


def organization(organisation: Organisation, *, municipality_name: str | None = None) -> dict[str, Any]:
    """An organisation with its kind (`organisation-kind`), its HER-id when known and, for a municipality, its
    kommunenummer (any other organisation's municipality goes in its address). Its phone is the switchboard the
    families are given, which GET /api/v1/organisations shows every signed-in user too."""
    identifiers = []
    if organisation.her_id:
        identifiers.append({"system": HER_ID, "value": organisation.her_id})
    is_municipality = organisation.kind == OrganisationKind.MUNICIPALITY
    if is_municipality and organisation.municipality_number:
        identifiers.append({"system": KOMMUNENUMMER, "value": organisation.municipality_number})
    resource: dict[str, Any] = {"resourceType": "Organization", "id": organisation.id}
    if identifiers:
        resource["identifier"] = identifiers
    resource.update({"active": True, "type": [local("organisation-kind", organisation.kind)],
                     "name": organisation.name})
    if organisation.phone:
        resource["telecom"] = [{"system": "phone", "value": organisation.phone, "use": "work"}]
    if organisation.municipality_number and not is_municipality:
        resource["address"] = [municipality_address(organisation.municipality_number, municipality_name,
                                                    use="work")]
    return resource


def practitioner(user: User) -> dict[str, Any]:
    """A person who signs in: name, and HPR-nummer when it is stored (a health professional's)."""
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": user.id}
    if user.hpr_number:
        resource["identifier"] = [{"system": HPR_NUMMER, "value": user.hpr_number}]
    resource.update({"active": user.active, "name": [{"text": user.name}]})
    return resource


def practitioner_role(user: User, *, organisation_name: str | None = None) -> dict[str, Any]:
    """The person in their organisation, with their roles (`role`): what a referral's requester points at."""
    resource: dict[str, Any] = {
        "resourceType": "PractitionerRole", "id": user.id, "active": user.active,
        "practitioner": reference("Practitioner", user.id, user.name),
        "organization": reference("Organization", user.organisation_id, organisation_name),
    }
    if user.roles:
        resource["code"] = [local("role", role) for role in sorted(user.roles)]
    return resource
