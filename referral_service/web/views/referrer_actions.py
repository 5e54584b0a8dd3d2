"""The referrer's actions on the referral page: answer BUP's questions, withdraw the referral."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import Conflict, InvalidData, PreconditionFailed
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.page import referral_page
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.submission import VERSION_FIELD
from referral_service.web.session_auth import login_required, web_actor

CHANGED_MEANWHILE = "Henvisningen er endret i mellomtiden. Se hva som gjelder nå, og prøv igjen om det trengs."
#: The referrer's forms on the referral page: (form, where it posts, its key on the page, its button's variant).
REFERRER_FORMS = ((decisions.ANSWER, "web.answer_bup", "svar", "primary"),
                  (decisions.WITHDRAW, "web.withdraw_referral", "trekk", "secondary"))


def referral_detail_page(page, **extra):
    """The referral page, with the referrer's forms."""
    return render_template("referrals/detail.html", **page.context(), referrer_forms=REFERRER_FORMS,
                           version_field=VERSION_FIELD, **extra)


@web.post("/henvisninger/<referral_id>/svar")
@login_required
def answer_bup(referral_id: str):
    return _act(referral_id, decisions.ANSWER)


@web.post("/henvisninger/<referral_id>/trekk-tilbake")
@login_required
def withdraw_referral(referral_id: str):
    return _act(referral_id, decisions.WITHDRAW)


def _act(referral_id: str, form: ActionForm):
    """Parse the form, take the action, and go back to the referral page (or show it again with errors). A
    referral that changed meanwhile is shown as it is now, with a notice: the referrer's forms are short."""
    filled = form.parse(request.form)
    if not filled.valid:
        return _page_with_errors(referral_id, filled)
    try:
        take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                    municipalities=deps().municipalities,
                    actor=web_actor(), referral_id=referral_id, action=form.action, data=filled.data,
                    if_match=request.form.get(VERSION_FIELD) or None)
    except InvalidData as exc:
        return _page_with_errors(referral_id, filled.refused(exc))
    except (Conflict, PreconditionFailed):
        flash(CHANGED_MEANWHILE, "info")
    else:
        flash(form.done, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


def _page_with_errors(referral_id: str, filled: FilledForm):
    page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id)
    return referral_detail_page(page, failed=filled.form.action, action_errors=filled.errors,
                                action_values=filled.values), 422
