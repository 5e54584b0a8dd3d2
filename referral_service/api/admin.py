"""Organisations and users (role admin)."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, db_session, unit_of_work
from referral_service.api.docs import authenticated, problems
from referral_service.schemas.admin import (
    OrganisationIn,
    OrganisationListArgs,
    OrganisationOut,
    OrganisationPage,
    UserIn,
    UserOut,
)
from referral_service.services.admin import directory as admin

blp = Blueprint("admin", __name__, description="Organisations and users")
authenticated(blp)


@blp.route("/organisations", methods=["POST"])
@blp.arguments(OrganisationIn)
@blp.response(201, OrganisationOut)
@problems(blp, 400, 401, 403, 413)
def create_organisation(body: dict):
    return admin.create_organisation(unit_of_work(), actor=current_actor(), **body)


@blp.route("/organisations", methods=["GET"])
@blp.arguments(OrganisationListArgs, location="query")
@blp.response(200, OrganisationPage)
@problems(blp, 401)
def list_organisations(args: dict):
    return admin.list_organisations(db_session(), actor=current_actor(), **args)


@blp.route("/users", methods=["POST"])
@blp.arguments(UserIn)
@blp.response(201, UserOut)
@problems(blp, 400, 401, 403, 413)
def create_user(body: dict):
    return admin.create_user(unit_of_work(), actor=current_actor(), **body)
