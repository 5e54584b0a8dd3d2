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


#: The If-Match header every state-changing action accepts (412 when stale).
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"}}


def guarded_change(blp: Blueprint, rule: str, *, method: str, body: Any, response: Any,
                   statuses: tuple[int, ...] = (400, 401, 403, 404, 409, 412, 413, 422)) -> Callable[[Any], Any]:
    """An operation that changes a record the client read: its body, its response, If-Match and its problems."""

    def decorate(view: Any) -> Any:
        view = problems(blp, *statuses)(view)
        view = blp.doc(parameters=[IF_MATCH])(view)
        view = blp.response(200, response)(view)
        if body is not None:
            view = blp.arguments(body)(view)
        return blp.route(rule, methods=[method])(view)

    return decorate


def register_action(blp: Blueprint, *, rule: str, name: str, doc: str, body: Any, response: Any,
                    act: Callable[..., Any]) -> None:
    """One POST operation per lifecycle action: its own body schema in the document, one view.

    `act(data, **path_args)` returns the response payload and its headers.
    """

    def view(*args: Any, **path_args: Any) -> Any:
        return act(args[0] if args else {}, **path_args)

    view.__name__, view.__doc__ = name, doc
    guarded_change(blp, rule, method="POST", body=body, response=response)(view)
