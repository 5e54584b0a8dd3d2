"""What the referral Task, the handover Task, Communication and Provenance are built from alike: instants, `meta`,
typed `input`/`output` entries (`task-data` codes), and references to the people who act."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from referral_service.fhir.codes import local, reference


def instant(at: datetime) -> str:
    """A FHIR instant (UTC, with its zone) of one of our timestamps."""
    if at.tzinfo is None:  # the columns are UTC (domain/types.UTCDateTime); a naive value here is UTC too
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def meta(*, version: int, updated_at: datetime) -> dict[str, str]:
    """`meta.versionId` is the row's version, which is also the answer's ETag."""
    return {"versionId": str(version), "lastUpdated": instant(updated_at)}


def practitioner_role(user_id: str) -> dict[str, str]:
    """A user acting in their organisation: `PractitionerRole/{user id}` (one organisation per user)."""
    return reference("PractitionerRole", user_id)


def organisation(organisation_id: str) -> dict[str, str]:
    return reference("Organization", organisation_id)


def automatic_agent() -> dict[str, str]:
    """The service itself (the sweep, the reconciler, the worker): a Device named, not served."""
    return {"type": "Device", "display": "BUP referral service (automatic)"}


def datum(code: str, value: Any) -> dict[str, Any]:
    """One `input` or `output` entry typed by our `task-data` code; the value's FHIR type from its Python type."""
    entry: dict[str, Any] = {"type": local("task-data", code)}
    if isinstance(value, bool):
        entry["valueBoolean"] = value
    elif isinstance(value, datetime):
        entry["valueDateTime"] = instant(value)
    elif isinstance(value, date):
        entry["valueDate"] = value.isoformat()
    elif isinstance(value, int):
        entry["valueInteger"] = value
    elif isinstance(value, dict) and "reference" in value:
        entry["valueReference"] = value
    elif isinstance(value, dict):
        entry["valueCodeableConcept"] = value
    else:
        entry["valueString"] = str(value)
    return entry


def data(pairs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """The entries of the pairs whose value is there (None and "" are left out)."""
    return [datum(code, value) for code, value in pairs if value is not None and value != ""]


def as_date(value: Any) -> date | None:
    """A date kept in an event's JSON (ISO text) or on a row."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def without_empty(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without empty elements (FHIR forbids empty arrays and objects)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}
