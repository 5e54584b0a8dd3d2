"""Passord: the signed-in user chooses a new password, and an administrator gives a user a temporary one.

Both end the user's other sign-ins at once (services/admin/credentials.py). The temporary password is shown on the
answer to the administrator's POST only, never stored in the clear, logged or put in an address.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from sqlmodel import select

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.organisation import Organisation, User
from referral_service.errors import InvalidData, NotFound, RateLimited
from referral_service.security.passwords import MIN_PASSWORD_LENGTH
from referral_service.services.admin.credentials import change_password as change_password_service
from referral_service.services.admin.credentials import reset_password
from referral_service.web.blueprint import web
from referral_service.web.session_auth import MUST_CHOOSE_PASSWORD, login_required, sign_in, web_actor

#: The Norwegian words for each field's problem.
WRONG_CURRENT = "Det nåværende passordet er feil."
TOO_SHORT = f"Det nye passordet må ha minst {MIN_PASSWORD_LENGTH} tegn."
SAME_AS_BEFORE = "Velg et annet passord enn det du har nå."
NOT_REPEATED = "Du må skrive det nye passordet likt to ganger."
EMPTY_CURRENT = "Skriv passordet du har nå."
LOCKED = "For mange feil forsøk. Vent et kvarter og prøv igjen."
CHANGED = "Passordet er endret. Du er logget ut alle andre steder du var logget inn."


def _password_errors(current: str, new: str, repeated: str) -> dict[str, list[str]]:
    """What the form says before the service is asked: the fields the user can put right at once."""
    errors: dict[str, list[str]] = {}
    if not current:
        errors["current_password"] = [EMPTY_CURRENT]
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new_password"] = [TOO_SHORT]
    elif new == current:
        errors["new_password"] = [SAME_AS_BEFORE]
    elif repeated != new:
        errors["repeat_password"] = [NOT_REPEATED]
    return errors


@web.route("/passord", methods=["GET", "POST"])
@login_required
def change_password():
    must_choose = bool(session.get(MUST_CHOOSE_PASSWORD))
    if request.method == "GET":
        return render_template("password.html", errors={}, must_choose=must_choose)
    current, new = request.form.get("current_password", ""), request.form.get("new_password", "")
    errors = _password_errors(current, new, request.form.get("repeat_password", ""))
    status = 422
    if not errors:
        try:
            change_password_service(unit_of_work(), clock=deps().clock, logins=deps().logins,
                                    user_id=web_actor().user_id, current_password=current, new_password=new)
        except RateLimited:
            errors, status = {"current_password": [LOCKED]}, 429
        except InvalidData as refused:
            errors = {"current_password": [WRONG_CURRENT]} if "current_password" in (refused.errors or {}) \
                else {"new_password": [TOO_SHORT]}
    if errors:
        return render_template("password.html", errors=errors, must_choose=must_choose), status
    # Every session of the user has ended, this one too: this browser goes on in a new one.
    sign_in(db_session().get(User, web_actor().user_id))
    flash(CHANGED, "ok")
    return redirect(url_for("web.start"), code=303)


@web.route("/admin/brukere/<user_id>/nytt-passord", methods=["GET", "POST"])
@login_required
def admin_reset_password(user_id: str):
    """GET asks the administrator to confirm; POST gives the temporary password, on this answer only."""
    row = db_session().exec(_user_with_organisation(user_id)).first()
    if row is None:
        raise NotFound("No such user.")
    user, organisation = row
    if request.method == "GET":
        return render_template("admin/reset_password.html", person=user, organisation=organisation,
                               temporary_password=None)
    temporary = reset_password(unit_of_work(), deps().clock, actor=web_actor(), user_id=user.id)
    response = render_template("admin/reset_password.html", person=user, organisation=organisation,
                               temporary_password=temporary)
    return response, 200, {"Cache-Control": "no-store"}


def _user_with_organisation(user_id: str):
    return (select(User, Organisation).join(Organisation, Organisation.id == User.organisation_id)
            .where(User.id == user_id))
