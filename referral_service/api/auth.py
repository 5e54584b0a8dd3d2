"""POST /api/v1/auth/token: exchange e-mail and password for a bearer token; a user's own new password, and an
administrator's reset of a user's password."""

from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, unit_of_work
from referral_service.api.docs import problems
from referral_service.schemas.admin import TokenRequest, TokenResponse
from referral_service.schemas.auth import PasswordChangeIn, PasswordResetOut
from referral_service.services.admin import credentials
from referral_service.services.admin.auth import hash_token, issue_token
from referral_service.services.admin.auth import revoke_token as revoke_token_service

blp = Blueprint("auth", __name__, description="Authentication")


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(200, TokenResponse)
@blp.doc(security=[])
@problems(blp, 401, 403, 429)
def create_token(body: dict) -> dict:
    """Sign in: exchange e-mail and password for a bearer token.

    The token goes in `Authorization: Bearer <token>` on every other operation. Repeated failed attempts are
    slowed down and then locked for a while (429 with Retry-After).
    """
    token, expires_at = issue_token(unit_of_work(), clock=deps().clock, logins=deps().logins, email=body["email"],
                                    password=body["password"], client_address=request.remote_addr)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at}


@blp.route("/auth/revoke", methods=["POST"])
@blp.response(204)
def revoke_token():
    """Sign out: revoke the bearer token this request carries.

    The token answers 401 from then on.
    """
    current_actor()
    revoke_token_service(unit_of_work(), deps().clock, _bearer_token())
    return ""


def _bearer_token() -> str:
    _scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip()


@blp.route("/auth/password", methods=["POST"])
@blp.arguments(PasswordChangeIn)
@blp.response(204)
@problems(blp, 429)
def change_password(body: dict):
    """Change your own password.

    Given the current one; every other sign-in of the user (web sessions, other tokens) ends, this token goes on
    working. A wrong current password counts as a failed log-in.
    """
    actor = current_actor()
    credentials.change_password(unit_of_work(), clock=deps().clock, logins=deps().logins, user_id=actor.user_id,
                                current_password=body["current_password"], new_password=body["new_password"],
                                keep_token_hash=hash_token(_bearer_token()))
    return ""


@blp.route("/admin/users/<user_id>/reset-password", methods=["POST"])
@blp.response(200, PasswordResetOut)
@problems(blp, 403)
def reset_password(user_id: str) -> dict:
    """Reset a user's password (administrators).

    A temporary password for the user, in this answer only; every sign-in of the user ends and the next one in
    the web leads to choosing a new password.
    """
    temporary = credentials.reset_password(unit_of_work(), deps().clock, actor=current_actor(), user_id=user_id)
    return {"temporary_password": temporary}
