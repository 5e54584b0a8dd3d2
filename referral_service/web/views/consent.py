"""Samtykke: the referring side narrows or withdraws what the referral is shared with, in three steps: choose
(with what each choice means), confirm (what will happen, said before it happens), and a receipt."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import Conflict, InvalidData, NotFound, PreconditionFailed
from referral_service.services.referrals.consent import change_consent
from referral_service.services.referrals.consent_page import ConsentPage, check_change, consent_page
from referral_service.web.blueprint import web
from referral_service.web.forms import consent as form
from referral_service.web.forms.submission import VERSION_FIELD
from referral_service.web.session_auth import login_required, web_actor

CHANGED_MEANWHILE = "Henvisningen er endret i mellomtiden. Se hva som gjelder nå, og velg på nytt."
NO_LONGER_SEEN = "Samtykket er endret. Virksomheten din har ikke lenger innsyn i henvisningen."


def _page(referral_id: str) -> ConsentPage:
    try:
        return consent_page(unit_of_work(), actor=web_actor(), referral_id=referral_id)
    except NotFound:
        abort(404)


def _choose(page: ConsentPage, change: form.ConsentChange, *, status: int = 200, notice: str = ""):
    return render_template("referrals/consent.html", step="choose", page=page, change=change, form=form,
                           notice=notice, version_field=VERSION_FIELD), status


@web.get("/henvisninger/<referral_id>/samtykke")
@login_required
def consent_form(referral_id: str):
    page = _page(referral_id)
    return _choose(page, form.untouched(page.consent, page.shared))


@web.post("/henvisninger/<referral_id>/samtykke")
@login_required
def consent_review(referral_id: str):
    """The choice made: say what will happen, and ask for a confirmation."""
    page = _page(referral_id)
    change = form.read_change(request.form, consent=page.consent, shared=page.shared)
    if not change.valid:
        return _choose(page, change, status=422)
    try:
        check_change(page, change.body, today=deps().clock.today())
    except InvalidData as exc:
        return _choose(page, change.refused(exc), status=422)
    return render_template("referrals/consent.html", step="confirm", page=page, change=change, form=form,
                           version=request.form.get(VERSION_FIELD) or page.etag, version_field=VERSION_FIELD)


@web.post("/henvisninger/<referral_id>/samtykke/bekreft")
@login_required
def consent_confirm(referral_id: str):
    page = _page(referral_id)
    change = form.read_change(request.form, consent=page.consent, shared=page.shared)
    if not change.valid:
        return _choose(page, change, status=422)
    try:
        change_consent(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id, consent=change.body,
                       if_match=request.form.get(VERSION_FIELD) or None)
    except InvalidData as exc:
        return _choose(page, change.refused(exc), status=422)
    except (Conflict, PreconditionFailed):
        page = _page(referral_id)
        return _choose(page, form.untouched(page.consent, page.shared), status=409, notice=CHANGED_MEANWHILE)
    try:
        consent_page(unit_of_work(), actor=web_actor(), referral_id=referral_id)
    except NotFound:  # a PPT office that withdrew the sharing with the school no longer sees the referral
        flash(NO_LONGER_SEEN, "ok")
        return redirect(url_for("web.my_referrals"), code=303)
    return redirect(url_for("web.consent_receipt", referral_id=referral_id), code=303)


@web.get("/henvisninger/<referral_id>/samtykke/kvittering")
@login_required
def consent_receipt(referral_id: str):
    return render_template("referrals/consent.html", step="receipt", page=_page(referral_id), form=form)
