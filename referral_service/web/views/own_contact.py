"""Min kontaktinfo: a signed-in user sets their own phone and when families can reach them (on the Endre passord
page), by the same rule as the administration's form (services/admin/contact_details.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.organisation import User
from referral_service.errors import InvalidData
from referral_service.schemas.admin import UserContactIn
from referral_service.services.admin.contact_details import set_user_contact
from referral_service.web.blueprint import web
from referral_service.web.session_auth import MUST_CHOOSE_PASSWORD, login_required, web_actor
from referral_service.web.views import admin_forms as form


@web.post("/min-kontaktinfo")
@login_required
def own_contact():
    data = form.user_contact_data(request.form)
    body, errors = form.checked(UserContactIn(), data, form.CONTACT_FIELDS)
    if body is not None:
        try:
            set_user_contact(unit_of_work(), deps().clock, actor=web_actor(), user_id=web_actor().user_id, **body)
        except InvalidData as exc:
            errors = form.refusal(exc)
    if errors:
        return render_template("password.html", errors={}, must_choose=bool(session.get(MUST_CHOOSE_PASSWORD)),
                               contact_values=data, contact_errors=errors), 422
    flash("Telefon og tid for familier er lagret.", "ok")
    return redirect(url_for("web.change_password"), code=303)


@web.app_context_processor
def _own_contact() -> dict:
    return {"own_contact": lambda: db_session().get(User, web_actor().user_id) if web_actor() else None}
