"""The JSON shape of what a client writes: an element that must be an object, a list of objects or a string, and
is something else, is 422 at its FHIR path (never a 500, never read letter by letter or silently dropped).

Messages say what the element must be, never the value sent (it may hold an identity number).
"""

from __future__ import annotations

from typing import Any

from referral_service.errors import InvalidData


def _refuse(path: str, must_be: str) -> InvalidData:
    return InvalidData("The resource sent is not valid FHIR JSON.", errors={path: [f"Must be {must_be}."]})


def obj(value: Any, path: str) -> dict[str, Any]:
    """An optional object element: {} when absent."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _refuse(path, "a JSON object")
    return value


def objs(value: Any, path: str) -> list[dict[str, Any]]:
    """An optional repeating element of objects: [] when absent."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse(path, "a list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise _refuse(f"{path}[{i}]", "a JSON object")
    return value


def text(value: Any, path: str) -> str | None:
    """An optional string element: None when absent."""
    if value is None or isinstance(value, str):
        return value
    raise _refuse(path, "a string")


def texts(value: Any, path: str) -> list[str]:
    """An optional repeating element of strings (as `HumanName.given`): [] when absent."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _refuse(path, "a list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _refuse(f"{path}[{i}]", "a string")
    return value


def codes(concept: dict[str, Any], system: str, path: str) -> list[str]:
    """The codes of a CodeableConcept in one code system (its codings checked for shape)."""
    return [str(c["code"]) for c in objs(concept.get("coding"), f"{path}.coding")
            if c.get("system") == system and isinstance(c.get("code"), str)]
