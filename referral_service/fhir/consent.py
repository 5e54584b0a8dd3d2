"""The consent in force on a referral as a FHIR Consent (FHIR.md §7): who gave it, who may be told, and a young
person's request that the guardians are not."""

from __future__ import annotations

from typing import Any

from referral_service.domain.enums import ConsentGiver, ShareWith
from referral_service.fhir.codes import CONSENT_ACTION, CONSENT_SCOPE, LOINC, PARTICIPATION_TYPE, concept, reference
from referral_service.fhir.patient import GUARDIAN
from referral_service.fhir.service_request import fhir_instant, meta_of
from referral_service.services.views import ReferralView

SCOPE = concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent")
CATEGORY = concept(LOINC, "64292-6", "Release of information consent")
DISCLOSE = concept(CONSENT_ACTION, "disclose", "Disclose")
#: The role of those the information may go to (or may not: the guardians under a withholding).
RECIPIENT = concept(PARTICIPATION_TYPE, "IRCP", "information recipient")
#: Pasient- og brukerrettighetsloven: the law the consent is given under (ppc-1 asks for a policy).
POLICY = {"authority": "https://lovdata.no", "uri": "https://lovdata.no/dokument/NL/lov/1999-07-02-63"}

#: How a party with no Organization of its own is named.
SCHOOL = "Skolen"
CHILD_WELFARE = "Barneverntjenesten"
MUNICIPALITY = "Kommunen"
GUARDIANS = "Foresatte"


def related_person(index: int, child_id: str, guardian: dict[str, Any]) -> dict[str, Any]:
    """A guardian as a contained RelatedPerson, by name only (how to reach them is Patient.contact's)."""
    person: dict[str, Any] = {"resourceType": "RelatedPerson", "id": f"guardian-{index}",
                              "patient": reference("Patient", child_id), "relationship": [GUARDIAN]}
    if guardian.get("name"):
        person["name"] = [{"text": guardian["name"]}]
    return person


def _child_welfare(view: ReferralView) -> dict[str, str]:
    referral = view.referral
    if referral.child_welfare_org_id:
        return reference("Organization", referral.child_welfare_org_id, view.child_welfare_name or None)
    return {"display": CHILD_WELFARE}


def _recipient(share: str, view: ReferralView, *, municipality_id: str | None,
               municipality_name: str | None) -> dict[str, str]:
    if share == ShareWith.BUP:
        return reference("Organization", view.referral.clinic_id)
    if share == ShareWith.MUNICIPALITY:
        return reference("Organization", municipality_id, municipality_name) if municipality_id else {
            "display": municipality_name or MUNICIPALITY}
    if share == ShareWith.CHILD_WELFARE:
        return _child_welfare(view)
    return {"display": SCHOOL}


def consent(view: ReferralView, *, municipality_id: str | None = None,
            municipality_name: str | None = None) -> dict[str, Any]:
    """The consent in force (`view.consent`, which the caller checked is there); the municipality is the child's
    home municipality's Organization when it has one (`municipality_id`)."""
    record, referral = view.consent, view.referral
    assert record is not None
    child_id = referral.child_id
    guardian_refs = [{"reference": f"#guardian-{i}"} for i in range(1, len(view.child.guardians) + 1)]
    guardians_named = (ConsentGiver.GUARDIAN in record.given_by or record.withhold_from_guardians) and guardian_refs
    performers: list[dict[str, str]] = []
    for giver in record.given_by:
        if giver == ConsentGiver.CHILD:
            performers.append(reference("Patient", child_id))
        elif giver == ConsentGiver.GUARDIAN:
            performers.extend(guardian_refs or [{"display": GUARDIANS}])
        elif giver == ConsentGiver.CHILD_WELFARE:
            performers.append(_child_welfare(view))
    provision: dict[str, Any] = {"type": "permit", "action": [DISCLOSE]}
    actors = [{"role": RECIPIENT, "reference": _recipient(share, view, municipality_id=municipality_id,
                                                          municipality_name=municipality_name)}
              for share in record.share_with]
    if actors:
        provision["actor"] = actors
    if record.withhold_from_guardians:
        provision["provision"] = [{"type": "deny", "action": [DISCLOSE],
                                   "actor": [{"role": RECIPIENT, "reference": ref}
                                             for ref in (guardian_refs or [{"display": GUARDIANS}])]}]
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": referral.id,
        "meta": meta_of(referral),
        "status": "active",
        "scope": SCOPE,
        "category": [CATEGORY],
        "patient": reference("Patient", child_id),
        "dateTime": (record.recorded_on.isoformat() if record.recorded_on
                     else fhir_instant(record.recorded_at)),
        "organization": [reference("Organization", referral.referrer_org_id)],
        "policy": [POLICY],
        "provision": provision,
    }
    if guardians_named:
        resource["contained"] = [related_person(i, child_id, g) for i, g in enumerate(view.child.guardians, 1)]
    if performers:
        resource["performer"] = performers
    return resource
