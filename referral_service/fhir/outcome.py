"""OperationOutcome: how the FHIR interface answers every error (problem+json is the REST API's)."""

from __future__ import annotations

from typing import Any

from referral_service.fhir.codes import ISSUE_TYPE

#: HTTP status -> the issue type of FHIR's `issue-type` value set.
ISSUE_CODES = {
    400: "structure", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 406: "not-supported",
    409: "conflict", 410: "deleted", 412: "conflict", 413: "too-costly", 415: "not-supported", 422: "invalid",
    429: "throttled",
}


def issue_code(status: int) -> str:
    return ISSUE_CODES.get(status, "exception" if status >= 500 else "processing")


def operation_outcome(*, status: int, detail: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """One issue for the whole answer, and one per field and message; the field goes in `expression`.
    The texts are the service's own sentences: they name what is wrong, never the value sent."""
    code = issue_code(status)
    severity = "error" if status >= 400 else "information"
    issues: list[dict[str, Any]] = [{"severity": severity, "code": code, "diagnostics": detail,
                                     "details": {"coding": [{"system": ISSUE_TYPE, "code": code}], "text": detail}}]
    for field, messages in (errors or {}).items():
        for message in messages:
            issue: dict[str, Any] = {"severity": severity, "code": "required" if _missing(message) else code,
                                     "diagnostics": message}
            if field and field != "_schema":
                issue["expression"] = [field]
            issues.append(issue)
    return {"resourceType": "OperationOutcome", "issue": issues}


def _missing(message: str) -> bool:
    return message.lower().startswith(("missing", "required")) or "is required" in message.lower()


def information(text: str) -> dict[str, Any]:
    """An outcome that reports success (e.g. in a transaction-response entry)."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "information", "code": "informational", "diagnostics": text}]}
