"""Decorators that document the problem responses of an operation, so the spec tells the truth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from referral_service.api.context import current_actor
from referral_service.schemas.common import ProblemSchema

DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed for your role",
    404: "Not found, or not visible to you",
    409: "Wrong state for the action, or a concurrent decision won",
    412: "If-Match is stale",
    413: "Request body too large",
    422: "Invalid data",
    429: "Rate limited",
}


def problems(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document each status as an application/problem+json response."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemSchema, description=DESCRIPTIONS[status],
                                    content_type="application/problem+json")(view)
        return view

    return decorate


def authenticated(blp: Blueprint) -> None:
    """Every operation of this blueprint needs a bearer token."""

    @blp.before_request
    def _require_token() -> None:
        current_actor()
