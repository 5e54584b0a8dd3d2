"""The pure mappers of Patient, ServiceRequest, Consent and the directory: each shape validates with
fhir.resources (R4B) in the cases a database-backed test reaches only slowly, and carries the codes FHIR.md names."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from referral_service.domain.enums import ReferralStatus
from referral_service.domain.national_id import NationalIdKind
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Consent, MunicipalContact, Referral
from referral_service.fhir.codes import (
    ACT_REASON,
    D_NUMMER,
    FODSELSNUMMER,
    HER_ID,
    HPR_NUMMER,
    KOMMUNENUMMER,
    SNOMED,
    code_system,
)
from referral_service.fhir.consent import consent
from referral_service.fhir.directory import organization, practitioner, practitioner_role
from referral_service.fhir.patient import FELLES_HJELPENUMMER, patient
from referral_service.fhir.service_request import SERVICE_REQUEST_STATUS, service_request
from referral_service.services.views import ChildDetails, ReferralView
from tests.support.fhir import validated

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
#: FHIR.md §5's ServiceRequest.status column, and the ends it leaves out (ours, argued in service_request.py).
EXPECTED = {"draft": "draft", "submitted": "active", "information_requested": "active", "accepted": "active",
            "in_treatment": "active", "discharged": "completed", "rejected": "revoked", "forwarded": "revoked",
            "withdrawn": "revoked", "municipal_level": "revoked", "merged": "revoked",
            "transferred_to_dps": "completed"}


def a_view(*, status: str = "submitted", given_by: tuple[str, ...] = ("guardian",),
           share_with: tuple[str, ...] = ("bup", "municipality"), withhold: bool = False,
           guardians: tuple[dict, ...] = ({"name": "Mor", "phone": "40000000", "email": None},),
           child_welfare_org_id: str | None = None, words: bool = True, contacts: bool = True) -> ReferralView:
    referral = Referral(id="r1", child_id="c1", status=status, referrer_user_id="u1", referrer_org_id="o-gp",
                        referrer_kind="gp_office", clinic_id="o-bup", reasons=["anxiety"], urgency="normal",
                        description="Angst." if words else "", measures_tried="Samtaler." if words else "",
                        child_view="", child_home_municipality="4627", child_welfare_org_id=child_welfare_org_id,
                        version=3, created_at=AT, updated_at=AT)
    record = Consent(id="k1", referral_id="r1", given_by=list(given_by), share_with=list(share_with),
                     recorded_on=date(2026, 2, 20), withhold_from_guardians=withhold, recorded_by_user_id="u1",
                     recorded_at=AT)
    child = ChildDetails(id="c1", given_name="Ola" if words else "", family_name="Nordmann" if words else "",
                         birth_date=date(2012, 5, 10), home_municipality="4627", guardians=[dict(g) for g in guardians])
    return ReferralView(referral=referral, child=child, consent=record,
                        municipal_contacts=[MunicipalContact(referral_id="r1", role="Lærer", name="Lise")]
                        if contacts else [], child_welfare_name="Barnevernet" if child_welfare_org_id else "")


@pytest.mark.parametrize("status", [s.value for s in ReferralStatus])
def test_every_status_has_its_service_request_status(status):
    request = validated(service_request(a_view(status=status)), "ServiceRequest")
    assert request["status"] == SERVICE_REQUEST_STATUS[status] == EXPECTED[status]
    assert request["category"][0]["coding"][0] == {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
    assert request["meta"] == {"versionId": "3", "lastUpdated": "2026-03-02T09:30:00+00:00"}


def test_an_anonymised_referral_still_validates_without_words_or_names():
    view = a_view(words=False, contacts=False, guardians=())
    request = validated(service_request(view), "ServiceRequest")
    assert "note" not in request and "contained" not in request
    person = validated(patient(view.child, last_updated="2026-03-02T09:30:00+00:00", synthetic=False), "Patient")
    assert "name" not in person and "contact" not in person and "identifier" not in person
    assert "meta" in person and "security" not in person["meta"]


@pytest.mark.parametrize(("kind", "system"), [(NationalIdKind.FODSELSNUMMER, FODSELSNUMMER),
                                              (NationalIdKind.D_NUMBER, D_NUMMER),
                                              (NationalIdKind.FH_NUMBER, FELLES_HJELPENUMMER)])
def test_the_number_goes_under_its_kinds_system(kind, system):
    person = validated(patient(a_view().child, last_updated="2026-03-02T09:30:00+00:00", synthetic=True,
                               number="12345678901", number_kind=kind, municipality_name="Askøy"), "Patient")
    assert person["identifier"] == [{"use": "official", "system": system, "value": "12345678901"}]
    assert person["meta"]["security"] == [{"system": ACT_REASON, "code": "HTEST", "display": "test health data"}]


def test_an_h_number_without_a_confirmed_system_is_not_emitted():
    person = patient(a_view().child, last_updated="2026-03-02T09:30:00+00:00", synthetic=False,
                     number="12345678901", number_kind=NationalIdKind.H_NUMBER)
    assert "identifier" not in validated(person, "Patient")


def test_consent_given_by_child_welfare_and_guardians_not_recorded():
    view = a_view(given_by=("child_welfare", "guardian"), share_with=("bup", "child_welfare", "school"),
                  guardians=(), child_welfare_org_id="o-bv", withhold=True)
    resource = validated(consent(view, municipality_id=None, municipality_name="Askøy"), "Consent")
    assert resource["performer"] == [{"reference": "Organization/o-bv", "display": "Barnevernet"},
                                     {"display": "Foresatte"}]
    assert [a["reference"] for a in resource["provision"]["actor"]] == [
        {"reference": "Organization/o-bup"}, {"reference": "Organization/o-bv", "display": "Barnevernet"},
        {"display": "Skolen"}]
    assert resource["provision"]["provision"][0]["actor"][0]["reference"] == {"display": "Foresatte"}
    assert "contained" not in resource


def test_consent_names_a_municipality_without_an_organisation_by_name():
    resource = validated(consent(a_view(), municipality_id=None, municipality_name="Askøy"), "Consent")
    assert resource["provision"]["actor"][1]["reference"] == {"display": "Askøy"}
    assert resource["dateTime"] == "2026-02-20"


def test_the_directory_carries_her_id_kommunenummer_and_hpr():
    municipality = Organisation(id="o1", kind="municipality", name="Askøy kommune", municipality_number="4627",
                                her_id="12345", phone="56150000")
    resource = validated(organization(municipality), "Organization")
    assert resource["identifier"] == [{"system": HER_ID, "value": "12345"}, {"system": KOMMUNENUMMER, "value": "4627"}]
    assert resource["type"][0]["coding"][0] == {"system": code_system("organisation-kind"), "code": "municipality"}
    assert resource["telecom"] == [{"system": "phone", "value": "56150000", "use": "work"}]
    assert "address" not in resource
    clinic = validated(organization(Organisation(id="o2", kind="bup_clinic", name="BUP")), "Organization")
    assert "identifier" not in clinic and "address" not in clinic
    user = User(id="u1", email="a@b.example", name="Frida Fastlege", password_hash="x", organisation_id="o1",
                roles=["referrer", "referrer_lead"], hpr_number="1234567", phone="99999999", active=False)
    person = validated(practitioner(user), "Practitioner")
    assert person == {"resourceType": "Practitioner", "id": "u1", "active": False,
                      "identifier": [{"system": HPR_NUMMER, "value": "1234567"}], "name": [{"text": "Frida Fastlege"}]}
    role = validated(practitioner_role(user, organisation_name="Askøy kommune"), "PractitionerRole")
    assert [c["coding"][0]["code"] for c in role["code"]] == ["referrer", "referrer_lead"]
    assert "a@b.example" not in str(role) + str(person) and "99999999" not in str(role) + str(person)


def test_an_interpreter_need_is_the_core_extension_and_the_language():
    person = validated(patient(a_view().child, last_updated="2026-03-02T09:30:00+00:00", synthetic=False,
                               interpreter_needed=True, interpreter_language="ar"), "Patient")
    assert person["extension"] == [{"url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired",
                                    "valueBoolean": True}]
    assert person["communication"] == [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "ar"}],
                                                     "text": "Arabisk"}, "preferred": True}]
    unnamed = validated(patient(a_view().child, last_updated="2026-03-02T09:30:00+00:00", synthetic=False,
                                interpreter_needed=True), "Patient")
    assert "communication" not in unnamed and unnamed["extension"][0]["valueBoolean"] is True
    assert "extension" not in patient(a_view().child, last_updated="2026-03-02T09:30:00+00:00", synthetic=False)
