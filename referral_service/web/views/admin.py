"""Administrasjon: the overview with the latest changes, organisations and referral-right grants (role admin).
Users are in admin_users.py. Every form posts, redirects on success (POST-redirect-GET), and on a refusal shows
the form again with the service's reasons in Norwegian (422)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.admin import grant_rules
from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import REGISTRABLE_ORGANISATION_KINDS
from referral_service.errors import InvalidData
from referral_service.schemas.admin import GrantEndIn, GrantIn, OrganisationIn
from referral_service.services.admin import directory, events, grants
from referral_service.web import labels
from referral_service.web.blueprint import web
from referral_service.web.forms.dates import iso_date
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views import admin_forms as form

RECENT_CHANGES = 15
#: The directory is small (a few hundred organisations): the pages show it whole.
ALL = 2000


def recent_changes(target_id: str | None = None) -> dict:
    """The administration log's newest rows, with the names they refer to, for a template."""
    rows = events.list_events(db_session(), actor=web_actor(), page=1, per_page=RECENT_CHANGES,
                              target_id=target_id).items
    return {"changes": rows, "names": events.names_for(db_session(), rows), "actions": form.ACTION}


@web.get("/admin")
@login_required
def admin_overview():
    session, actor = db_session(), web_actor()
    organisations = directory.list_organisations(session, actor=actor, page=1, per_page=1).total
    users = directory.list_users(session, actor=actor)
    today = deps().clock.today()
    current = [g for g in grants.list_grants(session, actor=actor) if grants.is_current(g, today)]
    return render_template("admin/overview.html", organisations=organisations, users=len(users),
                           active_users=sum(1 for u in users if u.active), grants=len(current), **recent_changes())


def _municipalities() -> list[tuple[str, str]]:
    return [(m.number, f"{m.name} ({m.number})") for m in deps().municipalities.in_force(deps().clock.today())]


def _organisations_page(*, values: dict | None = None, errors: dict | None = None, status: int = 200):
    session = db_session()
    rows = directory.list_organisations(session, actor=web_actor(), page=1, per_page=ALL).items
    names = {m.number: m.name for m in deps().municipalities.in_force(deps().clock.today())}
    kinds = [(kind, labels.ORGANISATION_KIND.get(kind, kind)) for kind in REGISTRABLE_ORGANISATION_KINDS]
    return render_template("admin/organisations.html", organisations=rows, municipality_names=names, kinds=kinds,
                           municipalities=_municipalities(), values=values or {}, errors=errors or {}), status


@web.get("/admin/virksomheter")
@login_required
def admin_organisations():
    return _organisations_page()


@web.post("/admin/virksomheter")
@login_required
def admin_create_organisation():
    data = form.organisation_data(request.form)
    body, errors = form.checked(OrganisationIn(), data)
    if body is None:
        return _organisations_page(values=data, errors=errors, status=422)
    try:
        created = directory.create_organisation(unit_of_work(), clock=deps().clock,
                                                municipalities=deps().municipalities, actor=web_actor(), **body)
    except InvalidData as exc:
        return _organisations_page(values=data, errors=form.refusal(exc), status=422)
    flash(f"{created.name} er opprettet.", "ok")
    return redirect(url_for("web.admin_organisations"), code=303)


def _grants_page(*, values: dict | None = None, errors: dict | None = None, status: int = 200):
    today = deps().clock.today()
    rows = grants.list_grants(db_session(), actor=web_actor())
    names = {m.number: m.name for m in deps().municipalities.periods()}
    return render_template("admin/grants.html", current=[g for g in rows if grants.is_current(g, today)],
                           ended=[g for g in rows if not grants.is_current(g, today)], municipality_names=names,
                           municipalities=_municipalities(), values=values or {}, errors=errors or {},
                           professions=[(p, form.PROFESSION[p]) for p in deps().referrers.conditional],
                           **recent_changes()), status


@web.get("/admin/henvisningsrett")
@login_required
def admin_grants():
    return _grants_page()


@web.post("/admin/henvisningsrett")
@login_required
def admin_add_grant():
    data = form.grant_data(request.form)
    body, errors = form.checked(GrantIn(), data)
    if body is None:
        return _grants_page(values=request.form, errors=errors, status=422)
    try:
        grants.add_grant(unit_of_work(), deps().clock, actor=web_actor(), rules=grant_rules(), **body)
    except InvalidData as exc:
        return _grants_page(values=request.form, errors=form.refusal(exc), status=422)
    flash(f"Henvisningsretten for {form.PROFESSION.get(body['profession'], body['profession']).lower()} er gitt.",
          "ok")
    return redirect(url_for("web.admin_grants"), code=303)


@web.post("/admin/henvisningsrett/<grant_id>/avslutt")
@login_required
def admin_end_grant(grant_id: str):
    data = {"valid_to": iso_date(request.form.get("valid_to", "").strip())}
    body, errors = form.checked(GrantEndIn(), data)
    if body is not None:
        try:
            grants.end_grant(unit_of_work(), deps().clock, actor=web_actor(), grant_id=grant_id, **body)
        except InvalidData as exc:
            errors = form.refusal(exc)
    if errors:
        # The end form of this grant is one of several on the page: its error is named by the grant's field.
        return _grants_page(errors={f"valid_to_{grant_id}": errors.get("valid_to", [form.NOT_ACCEPTED])},
                            values={f"valid_to_{grant_id}": request.form.get("valid_to", "")}, status=422)
    flash("Henvisningsretten er avsluttet.", "ok")
    return redirect(url_for("web.admin_grants"), code=303)
