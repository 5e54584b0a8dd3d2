"""Ny henvisning: the referral form in six steps. Step 1 creates the draft, later steps change it, and the
last step sends it; every step can be saved as a draft, with what is valid of it. A step posted after the session
ended comes back filled in once its user has signed in again (web/kept_forms.py)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import (
    SPECIALIST_CLINIC_KINDS,
    OrganisationKind,
    ReferralAction,
    ReferralStatus,
)
from referral_service.errors import Conflict, Forbidden, InvalidData, NotFound, PreconditionFailed
from referral_service.services.admin import directory as admin_service
from referral_service.services.pagination import MAX_PER_PAGE
from referral_service.services.referrals import drafts as referral_service
from referral_service.services.referrals import duplicates
from referral_service.services.referrals.actions import take_action
from referral_service.services.views import ReferralView
from referral_service.web import kept_forms
from referral_service.web.blueprint import web
from referral_service.web.forms import referral as form
from referral_service.web.session_auth import login_required, web_actor

SAVED = "Utkastet er lagret."
SENT = "Henvisningen er sendt til BUP."
NOT_A_DRAFT = "Henvisningen er allerede sendt eller trukket tilbake, og kan ikke endres her."
CHANGED_MEANWHILE = ("Noen andre har endret utkastet mens du skrev. Det du skrev står fortsatt i skjemaet: "
                     "se over og lagre på nytt.")
SAVED_EXCEPT = ("Utkastet er lagret, men ikke {parts}. Det står fortsatt i skjemaet, med feilen ved feltet: rett det "
                "og lagre igjen.")
NOTHING_SAVED = "Ingenting er lagret: {parts} må rettes først."
NOT_SAVED = "Ingenting er lagret: rett feilene og lagre igjen."
NOT_CREATED = ("Utkastet er ikke lagret ennå. For å lagre et utkast må barnets fødselsnummer, fornavn, etternavn og "
               "kommune og BUP-poliklinikken være fylt ut riktig.")
CO_REFERRER_FIELDS = {"organisation_id": "co_referrer"}

kept_forms.restorable("web.new_referral")
kept_forms.restorable("web.edit_referral")


@web.route("/henvisninger/ny", methods=["GET", "POST"])
@login_required
def new_referral():
    if request.method == "GET":
        kept = kept_forms.restored_form()
        if kept is not None:
            return _render(1, view=None, values=form.posted_values(kept), notice=kept_forms.RESTORED)
        return _render(1, view=None, values={"urgency": "normal", "skjema_id": secrets.token_urlsafe(16)})
    parsed = form.parse_step(1, request.form, identity=deps().identity, creating=True)
    if not parsed.valid and _saving_draft():
        return _create_with_valid_part(parsed)
    if not parsed.valid:
        return _render(1, view=None, values=parsed.values, errors=parsed.errors, status=422)
    try:
        view = _create(parsed)
    except InvalidData as exc:
        return _render(1, view=None, values=parsed.values, errors=form.refusal_errors(exc.errors), status=422)
    return _go_on(view.referral.id, step=1)


def _create(parsed: form.ParsedStep) -> ReferralView:
    view, _created = referral_service.create_referral(
        unit_of_work(), clock=deps().clock, identity=deps().identity, municipalities=deps().municipalities,
        actor=web_actor(), data=parsed.data, idempotency_key=request.form.get("skjema_id") or None)
    return view


def _create_with_valid_part(parsed: form.ParsedStep):
    """Lagre utkast on a new referral with errors: the draft is made if the child and the clinic are valid."""
    part = form.valid_part(parsed, current=None)
    if part.parsed is None:
        return _render(1, view=None, values=parsed.values, errors=parsed.errors, notice=NOT_CREATED, status=422)
    try:
        view = _create(part.parsed)
    except InvalidData as exc:
        return _render(1, view=None, values=parsed.values, status=422, notice=NOT_CREATED,
                       errors={**parsed.errors, **form.refusal_errors(exc.errors)})
    # The page shows the saved draft with what was not saved still typed in, and its errors.
    return _render(1, view=view, values=form.shown_after_saving(parsed), errors=parsed.errors,
                   notice=SAVED_EXCEPT.format(parts=form.in_words(part.left_out)))


@web.route("/henvisninger/<referral_id>/steg/<int:step>", methods=["GET", "POST"])
@login_required
def edit_referral(referral_id: str, step: int):
    if not 1 <= step <= form.LAST_STEP:
        abort(404)
    view = _load(referral_id)
    if view.referral.status != ReferralStatus.DRAFT:
        flash(NOT_A_DRAFT, "info")
        return redirect(url_for("web.referral_detail", referral_id=referral_id))
    if request.method == "GET":
        return _show_step(step, view=view)
    if step == form.LAST_STEP:
        if request.form.get(form.BUTTON) == form.SUBMIT:
            return _submit(view)
        return _go_on(referral_id, step=step)
    return _save_step(step, view=view)


def _save_step(step: int, *, view: ReferralView):
    """Save the step and go where the button leads; Lagre utkast on a step with errors saves what is valid, and the
    rest stays on the page with its errors."""
    referral_id = view.referral.id
    parsed = form.parse_step(step, request.form, identity=deps().identity, creating=False)
    part = None
    if not parsed.valid:
        if not _saving_draft():
            return _render(step, view=view, values=parsed.values, errors=parsed.errors, status=422)
        part = form.valid_part(parsed, current=view.child)
        if part.parsed is None:
            return _render(step, view=view, values=parsed.values, errors=parsed.errors, status=422,
                           notice=NOTHING_SAVED.format(parts=form.in_words(part.left_out)))
    try:
        _save(referral_id, part.parsed if part and part.parsed else parsed)
    except InvalidData as exc:
        return _render(step, view=view, values=parsed.values, status=422,
                       notice=NOT_SAVED if part else None,
                       errors={**parsed.errors, **form.refusal_errors(exc.errors, field_names=CO_REFERRER_FIELDS)})
    except PreconditionFailed:
        return _render(step, view=_load(referral_id), values=parsed.values, errors=parsed.errors,
                       notice=CHANGED_MEANWHILE, status=409)
    except Conflict:
        flash(NOT_A_DRAFT, "info")
        return redirect(url_for("web.referral_detail", referral_id=referral_id))
    if part is not None:
        return _render(step, view=_load(referral_id), values=form.shown_after_saving(parsed), errors=parsed.errors,
                       notice=SAVED_EXCEPT.format(parts=form.in_words(part.left_out)))
    return _go_on(referral_id, step=step)


def _show_step(step: int, *, view: ReferralView):
    """The step as the draft holds it, or as its user typed it before their session ended."""
    kept = kept_forms.restored_form()
    if kept is not None:
        return _render(step, view=view, values=form.posted_values(kept), notice=kept_forms.RESTORED)
    return _render(step, view=view, values=form.values_from_view(view))


def _saving_draft() -> bool:
    return request.form.get(form.BUTTON) == form.SAVE


def _load(referral_id: str) -> ReferralView:
    try:
        return referral_service.get_referral(unit_of_work(), actor=web_actor(), referral_id=referral_id)
    except NotFound:
        abort(404)


def _save(referral_id: str, parsed: form.ParsedStep) -> None:
    """Change the draft with what the step holds, and invite the medhenviser chosen in step 5."""
    if parsed.keep_national_id:
        # The number is never put back on the page; without one the draft keeps its child.
        parsed.data["child"].pop("national_id", None)
    referral_service.update_draft(unit_of_work(), clock=deps().clock, identity=deps().identity,
                                  municipalities=deps().municipalities, actor=web_actor(),
                                  referral_id=referral_id, data=parsed.data,
                                  if_match=request.form.get("versjon") or None,
                                  invite_organisation_id=parsed.invite_organisation_id)


def _submit(view: ReferralView):
    referral_id = view.referral.id
    try:
        take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                    municipalities=deps().municipalities,
                    actor=web_actor(), referral_id=referral_id, action=ReferralAction.SUBMIT, data={}, if_match=None)
    except Forbidden:
        return _render(form.LAST_STEP, view=view, values={}, no_right_to_refer=True, status=403)
    except InvalidData as exc:
        return _render(form.LAST_STEP, view=view, values={}, status=422,
                       refused_missing=form.missing_from_refusal(exc.errors))
    except Conflict:
        flash(NOT_A_DRAFT, "info")
        return redirect(url_for("web.referral_detail", referral_id=referral_id))
    flash(SENT, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


def _go_on(referral_id: str, *, step: int):
    """Where the pressed button leads once the step is saved."""
    button = request.form.get(form.BUTTON)
    if button == form.NEXT and step < form.LAST_STEP:
        return redirect(url_for("web.edit_referral", referral_id=referral_id, step=step + 1))
    if button == form.PREVIOUS and step > 1:
        return redirect(url_for("web.edit_referral", referral_id=referral_id, step=step - 1))
    flash(SAVED, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


def _render(step: int, *, view: ReferralView | None, values: dict[str, Any],
            errors: dict[str, list[str]] | None = None, status: int = 200, **extra: Any):
    session, actor = db_session(), web_actor()
    missing = None
    other_open = []
    if view is not None:
        # After the child's step: another open referral of the same child warns at once, and offers to join it.
        other_open = duplicates.list_other_open_referrals(unit_of_work(), actor=actor, referral_id=view.referral.id)
        missing = form.missing_links(referral_service.check_completeness(
            unit_of_work(), deps().clock, municipalities=deps().municipalities, actor=actor,
            referral_id=view.referral.id))
    organisations = admin_service.list_organisations(session, actor=actor, page=1, per_page=MAX_PER_PAGE).items
    page = render_template(
        "referrals/form.html",
        step=form.STEPS[step - 1], steps=form.STEPS, last_step=form.LAST_STEP, view=view, values=values,
        errors=errors or {}, missing=missing, form=form,
        organisation_names={o.id: o.name for o in organisations},
        clinics=[(o.id, o.name) for o in organisations if o.kind == OrganisationKind.BUP_CLINIC],
        municipalities=[(m.number, f"{m.name} ({m.number})")
                        for m in deps().municipalities.in_force(deps().clock.today())],
        # Anyone around the child but a BUP clinic (and the service's operator) may be named or invited.
        partners=[(o.id, o.name) for o in organisations
                  if o.kind not in (*SPECIALIST_CLINIC_KINDS, OrganisationKind.OPERATOR)
                  and o.id != actor.organisation_id],
        contact_organisations=[(o.id, o.name) for o in organisations
                               if o.kind not in (*SPECIALIST_CLINIC_KINDS, OrganisationKind.OPERATOR)],
        child_welfare_services=[(o.id, o.name) for o in organisations if o.kind == OrganisationKind.CHILD_WELFARE],
        guardian_rows=form.row_count(values, "child.guardians", minimum=form.MIN_GUARDIAN_ROWS),
        contact_rows=form.row_count(values, "municipal_contacts", minimum=form.MIN_CONTACT_ROWS),
        other_open=other_open,
        **extra,
    )
    return page, status
