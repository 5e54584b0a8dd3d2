"""The systems FHIR resources name: national identifiers (HL7 Norway no-basis), HL7's code systems, and our own
local code systems and extensions under one canonical address."""

from __future__ import annotations

#: FHIR version the server speaks.
FHIR_VERSION = "4.0.1"

#: Our canonical base: local CodeSystems are `{CANON}/CodeSystem/<name>`, extensions
#: `{CANON}/StructureDefinition/<name>` (FHIR.md §1; fixed before release).
CANON = "https://bup-henvisning.example/fhir"

# National identifier systems (FHIR.md §2).
FODSELSNUMMER = "urn:oid:2.16.578.1.12.4.1.4.1"
D_NUMMER = "urn:oid:2.16.578.1.12.4.1.4.2"
HPR_NUMMER = "urn:oid:2.16.578.1.12.4.1.4.4"
HER_ID = "urn:oid:2.16.578.1.12.4.1.2"
KOMMUNENUMMER = "urn:oid:2.16.578.1.12.4.1.1.3402"
#: no-basis's preferred way to say a municipality number; accepted inbound beside the OID.
KOMMUNENUMMER_URI = "https://register.geonorge.no/sosi-kodelister/inndelinger/inndelingsbase/kommunenummer"
MUNICIPALITY_EXTENSION = "http://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode"

# HL7 code systems.
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ISSUE_TYPE = "http://hl7.org/fhir/issue-type"

#: Test health data (synthetic identity numbers outside production): `meta.security` (FHIR.md §2).
TEST_DATA_SECURITY = {"system": ACT_REASON, "code": "HTEST", "display": "test health data"}

#: Our local code systems (FHIR.md §1).
LOCAL_CODE_SYSTEMS = ("referral-status", "handover-status", "task-type", "task-data", "referral-reason",
                      "rejection-reason", "referral-action", "organisation-kind", "communication-kind", "role",
                      "note-kind", "handover-trigger", "handover-outcome")
#: Our extensions (FHIR.md §1).
EXTENSIONS = ("escalation-level", "assignee", "note-kind")


def code_system(name: str) -> str:
    """The address of one of our local code systems."""
    assert name in LOCAL_CODE_SYSTEMS, name
    return f"{CANON}/CodeSystem/{name}"


def extension(name: str) -> str:
    """The address of one of our extensions."""
    assert name in EXTENSIONS, name
    return f"{CANON}/StructureDefinition/{name}"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(system: str, code: str, display: str | None = None, *, text: str | None = None) -> dict:
    """A CodeableConcept of one coding."""
    return {"coding": [coding(system, code, display)], **({"text": text} if text else {})}


def local(name: str, code: str, display: str | None = None) -> dict:
    """A CodeableConcept in one of our local code systems."""
    return concept(code_system(name), code, display)


def reference(resource_type: str, resource_id: str, display: str | None = None) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}", **({"display": display} if display else {})}
