"""Decorators that document what an operation answers, so the spec tells the truth.

A view names the refusals that are rules of the domain (403, 409, 429); those that follow from the kind of
operation (401, 404, 400/413/415/422, 412) are added to every operation by api/openapi_docs.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from referral_service.api.context import current_actor
from referral_service.api.openapi_docs import DESCRIPTIONS, PROBLEM_CONTENT_TYPE
from referral_service.schemas.common import ProblemSchema


def problems(blp: Blueprint, *statuses: int) -> Callable[[Any], Any]:
    """Document each status as an application/problem+json response."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(status, schema=ProblemSchema, description=DESCRIPTIONS[status],
                                    content_type=PROBLEM_CONTENT_TYPE)(view)
        return view

    return decorate


def authenticated(blp: Blueprint) -> None:
    """Every operation of this blueprint needs a bearer token."""

    @blp.before_request
    def _require_token() -> None:
        current_actor()


#: The If-Match header every state-changing action accepts (412 when stale).
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The ETag you read; the change is made only if the record is still that version (else 412)."}


def guarded_change(blp: Blueprint, rule: str, *, method: str, body: Any, response: Any,
                   statuses: tuple[int, ...] = (403, 409)) -> Callable[[Any], Any]:
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
