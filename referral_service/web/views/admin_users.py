"""Administrasjon · Brukere: the users of each organisation, creating one with roles that fit its kind, changing
roles, deactivating (the leaver's work moves to a colleague or the queue), and a new password (part of signing in:
shown only where that page exists)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import Role
from referral_service.domain.organisation import User
from referral_service.errors import InvalidData, NotFound
from referral_service.schemas.admin import DeactivateIn, OrganisationContactIn, RolesIn, UserContactIn, UserIn
from referral_service.services.admin import contact_details, directory, roles, staff
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views import admin_forms as form
from referral_service.web.views.admin import ALL, recent_changes
from referral_service.workflows.role_fit import roles_for_kind

#: Where an administrator sets a new password for a user (the sign-in part adds it).
RESET_PASSWORD = "web.admin_reset_password"


def _organisations() -> dict:
    rows = directory.list_organisations(db_session(), actor=web_actor(), page=1, per_page=ALL).items
    return {o.id: o for o in rows}


def _role_options() -> list[tuple[str, str]]:
    return [(role.value, form.ROLE[role.value]) for role in Role]


def _users_page(*, values: dict | None = None, errors: dict | None = None, status: int = 200,
                chosen: str | None = None):
    organisations = _organisations()
    chosen = chosen or request.args.get("virksomhet", "") or (values or {}).get("organisation_id", "")
    users = directory.list_users(db_session(), actor=web_actor(), organisation_id=chosen or None)
    fits = {kind: ", ".join(form.ROLE[r] for r in sorted(roles_for_kind(kind))) for kind in
            {o.kind for o in organisations.values()}}
    return render_template("admin/users.html", users=users, organisations=organisations, chosen=chosen,
                           org_options=[(o.id, o.name) for o in organisations.values()],
                           role_options=_role_options(), professions=list(form.PROFESSION.items()), fits=fits,
                           role_names=form.ROLE, values=values or {}, errors=errors or {}), status


@web.get("/admin/brukere")
@login_required
def admin_users():
    return _users_page()


@web.post("/admin/brukere")
@login_required
def admin_create_user():
    data = form.user_data(request.form)
    body, errors = form.checked(UserIn(), data)
    if body is None:
        return _users_page(values=data, errors=errors, status=422)
    try:
        user = directory.create_user(unit_of_work(), actor=web_actor(), clock=deps().clock, **body)
    except InvalidData as exc:
        kind = getattr(_organisations().get(data["organisation_id"]), "kind", None)
        return _users_page(values=data, errors=form.refusal(exc, kind=kind), status=422)
    flash(f"{user.name} er opprettet.", "ok")
    return redirect(url_for("web.admin_user", user_id=user.id), code=303)


def _user(user_id: str) -> User:
    try:
        return directory.get_user(db_session(), actor=web_actor(), user_id=user_id)
    except NotFound:
        abort(404)


def _user_page(user: User, *, values: dict | None = None, errors: dict | None = None, status: int = 200):
    organisation = _organisations().get(user.organisation_id)
    colleagues = [u for u in directory.list_users(db_session(), actor=web_actor(), organisation_id=user.organisation_id)
                  if u.active and u.id != user.id]
    reset = (url_for(RESET_PASSWORD, user_id=user.id) if RESET_PASSWORD in current_app.view_functions else None)
    fits = ", ".join(form.ROLE[r] for r in sorted(roles_for_kind(organisation.kind if organisation else "")))
    return render_template("admin/user.html", user=user, organisation=organisation, colleagues=colleagues,
                           role_options=_role_options(), role_names=form.ROLE, professions=form.PROFESSION,
                           reset_password_url=reset, fits=fits, values=values or {}, errors=errors or {},
                           **recent_changes(target_id=user.id)), status


@web.get("/admin/brukere/<user_id>")
@login_required
def admin_user(user_id: str):
    return _user_page(_user(user_id))


@web.post("/admin/brukere/<user_id>/roller")
@login_required
def admin_change_roles(user_id: str):
    user = _user(user_id)
    data = {"roles": request.form.getlist("roles")}
    body, errors = form.checked(RolesIn(), data)
    if body is not None:
        try:
            roles.change_roles(unit_of_work(), deps().clock, actor=web_actor(), user_id=user_id, **body)
        except InvalidData as exc:
            kind = getattr(_organisations().get(user.organisation_id), "kind", None)
            errors = form.refusal(exc, kind=kind)
    if errors:
        return _user_page(_user(user_id), values=data, errors=errors, status=422)
    flash("Rollene er endret.", "ok")
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@web.post("/admin/brukere/<user_id>/deaktiver")
@login_required
def admin_deactivate_user(user_id: str):
    user = _user(user_id)
    successor = request.form.get("successor_user_id", "").strip()
    data = {"to_queue": True} if successor in ("", "queue") else {"successor_user_id": successor}
    body, errors = form.checked(DeactivateIn(), data)
    if body is not None:
        try:
            staff.deactivate_user(unit_of_work(), deps().clock, actor=web_actor(), user_id=user_id, **body)
        except InvalidData as exc:
            errors = form.refusal(exc)
    if errors:
        return _user_page(_user(user_id), errors=errors, status=422)
    flash(f"{user.name} er deaktivert og kan ikke lenger logge inn.", "ok")
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@web.post("/admin/brukere/<user_id>/kontakt")
@login_required
def admin_user_contact(user_id: str):
    """The user's phone and when families can reach them (the family page and the letters name them)."""
    user = _user(user_id)
    data = form.user_contact_data(request.form)
    body, errors = form.checked(UserContactIn(), data, form.CONTACT_FIELDS)
    if body is not None:
        try:
            contact_details.set_user_contact(unit_of_work(), deps().clock, actor=web_actor(), user_id=user.id,
                                             **body)
        except InvalidData as exc:
            errors = form.refusal(exc)
    if errors:
        return _user_page(_user(user_id), values=data, errors=errors, status=422)
    flash("Telefon og tid for familier er lagret.", "ok")
    return redirect(url_for("web.admin_user", user_id=user_id), code=303)


@web.post("/admin/virksomheter/<organisation_id>/kontakt")
@login_required
def admin_organisation_contact(organisation_id: str):
    """The organisation's phone and contact hours, set on its list of users."""
    if organisation_id not in _organisations():
        abort(404)
    data = form.organisation_contact_data(request.form)
    body, errors = form.checked(OrganisationContactIn(), data, form.CONTACT_FIELDS)
    if body is not None:
        try:
            contact_details.set_organisation_contact(unit_of_work(), deps().clock, actor=web_actor(),
                                                     organisation_id=organisation_id, **body)
        except InvalidData as exc:
            errors = form.refusal(exc)
    if errors:
        return _users_page(values={**data, "contact_organisation_id": organisation_id}, errors=errors, status=422,
                           chosen=organisation_id)
    flash("Telefon og tid for familier er lagret.", "ok")
    return redirect(url_for("web.admin_users", virksomhet=organisation_id), code=303)
