"""Organisations and users (role admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, deps, unit_of_work
from referral_service.api.docs import authenticated, problems
from referral_service.schemas.admin import (
    AdminEventListArgs,
    AdminEventPage,
    AdminUserOut,
    DeactivateIn,
    GrantEndIn,
    GrantIn,
    GrantList,
    GrantOut,
    OrganisationContactIn,
    OrganisationIn,
    OrganisationListArgs,
    OrganisationOut,
    OrganisationPage,
    RolesIn,
    StaffChangeOut,
    UserContactIn,
    UserIn,
    UserOut,
)
from referral_service.services.admin import contact_details, events, grants, roles, staff
from referral_service.services.admin import directory as admin

blp = Blueprint("admin", __name__, description="Organisations and users")
authenticated(blp)


def _creates(rule: str, *, body: type, response: type) -> Callable[[Any], Any]:
    """A POST that adds a record to the directory: its body, 201 with the new record, and its problems."""

    def decorate(view: Any) -> Any:
        view = problems(blp, 403)(view)
        view = blp.response(201, response)(view)
        view = blp.arguments(body)(view)
        return blp.route(rule, methods=["POST"])(view)

    return decorate


@_creates("/organisations", body=OrganisationIn, response=OrganisationOut)
def create_organisation(body: dict):
    """Add an organisation (administrators).

    A municipality, BUP clinic, PPT office, school health service, GP office or child welfare service; every
    kind but a clinic belongs to one municipality (`municipality_number`).
    """
    return admin.create_organisation(unit_of_work(), clock=deps().clock, municipalities=deps().municipalities,
                                     actor=current_actor(), **body)


@blp.route("/organisations", methods=["GET"])
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, OrganisationPage)
def list_organisations(args: dict):
    """List the organisations.

    Paged, optionally filtered by kind and municipality.
    """
    return admin.list_organisations(db_session(), actor=current_actor(), **args)


@_creates("/users", body=UserIn, response=UserOut)
def create_user(body: dict):
    """Add a user (administrators).

    With their organisation and roles; each role must fit the organisation's kind.
    """
    return admin.create_user(unit_of_work(), actor=current_actor(), clock=deps().clock, **body)


@blp.route("/admin/users/<user_id>/deactivate", methods=["POST"])
@blp.arguments(DeactivateIn)
@blp.response(200, StaffChangeOut)
@problems(blp, 403, 409)
def deactivate_user(body: dict, user_id: str):
    """Deactivate a user (administrators).

    Their open tasks and unread alerts move to a colleague or back to the queue.
    """
    result = staff.deactivate_user(unit_of_work(), deps().clock, actor=current_actor(), user_id=user_id, **body)
    return {**vars(result), "active": False}


@blp.route("/users/<user_id>/roles", methods=["PUT"])
@blp.arguments(RolesIn)
@blp.response(200, AdminUserOut)
@problems(blp, 403)
def change_roles(body: dict, user_id: str):
    """Set a user's roles (administrators).

    The user gets exactly these roles; each must fit the organisation's kind (422 on `roles`). Logged.
    """
    return roles.change_roles(unit_of_work(), deps().clock, actor=current_actor(), user_id=user_id, **body)


@blp.route("/users/<user_id>/contact", methods=["PUT"])
@blp.arguments(UserContactIn)
@blp.response(200, AdminUserOut)
@problems(blp, 403)
def set_user_contact(body: dict, user_id: str):
    """Set a user's phone and reachable hours.

    What the family is given (administrators; a user their own). Logged.
    """
    return contact_details.set_user_contact(unit_of_work(), deps().clock, actor=current_actor(), user_id=user_id,
                                            phone=body.get("phone"), reachable_hours=body.get("reachable_hours"))


@blp.route("/organisations/<organisation_id>/contact", methods=["PUT"])
@blp.arguments(OrganisationContactIn)
@blp.response(200, OrganisationOut)
@problems(blp, 403)
def set_organisation_contact(body: dict, organisation_id: str):
    """Set an organisation's phone and contact hours (administrators).

    What the family is given. Logged.
    """
    return contact_details.set_organisation_contact(unit_of_work(), deps().clock, actor=current_actor(),
                                                    organisation_id=organisation_id, phone=body.get("phone"),
                                                    contact_hours=body.get("contact_hours"))


@blp.route("/admin/events", methods=["GET"])
@blp.arguments(AdminEventListArgs, location="query")
@blp.response(200, AdminEventPage)
@problems(blp, 403)
def list_admin_events(args: dict):
    """Read the administration log.

    Newest first (administrators and auditors): who changed users, roles and referral rights, and when.
    """
    return events.list_events(db_session(), actor=current_actor(), **args)


def grant_rules() -> grants.GrantRules:
    return grants.GrantRules(conditional_professions=tuple(deps().referrers.conditional),
                             municipalities=deps().municipalities)


@_creates("/referral-rights", body=GrantIn, response=GrantOut)
def add_referral_right(body: dict):
    """Give a municipality's PPT advisers or school nurses the right to refer.

    For a period; a period that overlaps another of the same profession answers 422.
    """
    return grants.add_grant(unit_of_work(), deps().clock, actor=current_actor(), rules=grant_rules(), **body)


@blp.route("/referral-rights", methods=["GET"])
@blp.response(200, GrantList)
@problems(blp, 403)
def list_referral_rights():
    """List the rights to refer.

    Every municipality's grants to PPT advisers and school nurses, with their periods.
    """
    return {"items": grants.list_grants(db_session(), actor=current_actor())}


@blp.route("/referral-rights/<grant_id>/end", methods=["POST"])
@blp.arguments(GrantEndIn)
@blp.response(200, GrantOut)
@problems(blp, 403)
def end_referral_right(body: dict, grant_id: str):
    """End a right to refer early.

    Its last day becomes `valid_to`.
    """
    return grants.end_grant(unit_of_work(), deps().clock, actor=current_actor(), grant_id=grant_id, **body)
