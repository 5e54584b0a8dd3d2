"""Organisations and users (role admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, deps, unit_of_work
from referral_service.api.docs import authenticated, problems
from referral_service.schemas.admin import (
    DeactivateIn,
    OrganisationIn,
    OrganisationListArgs,
    OrganisationOut,
    OrganisationPage,
    StaffChangeOut,
    UserIn,
    UserOut,
)
from referral_service.services.admin import directory as admin
from referral_service.services.admin import staff

blp = Blueprint("admin", __name__, description="Organisations and users")
authenticated(blp)


def _creates(rule: str, *, body: type, response: type) -> Callable[[Any], Any]:
    """A POST that adds a record to the directory: its body, 201 with the new record, and its problems."""

    def decorate(view: Any) -> Any:
        view = problems(blp, 400, 401, 403, 413)(view)
        view = blp.response(201, response)(view)
        view = blp.arguments(body)(view)
        return blp.route(rule, methods=["POST"])(view)

    return decorate


@_creates("/organisations", body=OrganisationIn, response=OrganisationOut)
def create_organisation(body: dict):
    return admin.create_organisation(unit_of_work(), clock=deps().clock, municipalities=deps().municipalities,
                                     actor=current_actor(), **body)


@blp.route("/organisations", methods=["GET"])
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, OrganisationPage)
@problems(blp, 401)
def list_organisations(args: dict):
    return admin.list_organisations(db_session(), actor=current_actor(), **args)


@_creates("/users", body=UserIn, response=UserOut)
def create_user(body: dict):
    return admin.create_user(unit_of_work(), actor=current_actor(), **body)


@blp.route("/admin/users/<user_id>/deactivate", methods=["POST"])
@blp.arguments(DeactivateIn)
@blp.response(200, StaffChangeOut)
@problems(blp, 400, 401, 403, 404, 409, 413, 422)
def deactivate_user(body: dict, user_id: str):
    """Deactivate a user; their open tasks and unread alerts move to a colleague or back to the queue."""
    result = staff.deactivate_user(unit_of_work(), deps().clock, actor=current_actor(), user_id=user_id, **body)
    return {**vars(result), "active": False}
