"""Reading /fhir in tests: every resource the server emits is validated with the `fhir.resources` package.

`fhir.resources`' top-level models are R5; its R4B models (4.3.0) are the closest to our R4 4.0.1 JSON
(FHIR.md §10). They check unknown and required elements and primitive formats, not code bindings: tests assert
the codes themselves.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class

FHIR_JSON = "application/fhir+json"


def validated(resource: dict[str, Any], resource_type: str | None = None) -> dict[str, Any]:
    """`resource` after checking it parses as its R4B model (and is of `resource_type`, when given); a Bundle's
    entries and contained resources are checked by the model too."""
    assert isinstance(resource, dict), resource
    if resource_type is not None:
        assert resource.get("resourceType") == resource_type, resource
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def fhir_get(world, who: str, path: str, *, expect: int = 200) -> dict[str, Any]:
    """GET `path` under /fhir as `who`; the answer's body, validated, after checking status and media type."""
    response = world.client.get(f"/fhir/{path.lstrip('/')}", headers=world.headers(who))
    assert response.status_code == expect, (path, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == FHIR_JSON, response.mimetype
    return validated(response.get_json())


def outcome_of(response) -> dict[str, Any]:
    """The OperationOutcome of an error answer, validated."""
    assert response.mimetype == FHIR_JSON, response.mimetype
    return validated(response.get_json(), "OperationOutcome")
