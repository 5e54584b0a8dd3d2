"""POST /api/v1/auth/token: exchange e-mail and password for a bearer token."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, unit_of_work
from referral_service.api.docs import problems
from referral_service.schemas.admin import TokenRequest, TokenResponse
from referral_service.services.admin.auth import issue_token
from referral_service.services.admin.auth import revoke_token as revoke_token_service

blp = Blueprint("auth", __name__, description="Authentication")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
@blp.doc(security=[])
@problems(blp, 400, 401, 413, 429)
def create_token(body: dict) -> dict:
    token, expires_at = issue_token(unit_of_work(), clock=deps().clock, logins=deps().logins, email=body["email"],
                                    password=body["password"], client_address=request.remote_addr)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at}


@blp.route("/auth/revoke", methods=["POST"])
@blp.response(204)
@problems(blp, 401)
def revoke_token():
    """Log out: revoke the bearer token this request carries."""
    current_actor()
    _scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    revoke_token_service(unit_of_work(), deps().clock, token.strip())
    return ""
