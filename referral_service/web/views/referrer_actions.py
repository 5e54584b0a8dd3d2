"""The referrer's actions on the referral page: answer BUP's questions, withdraw the referral."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.context import clock, deadlines, referrers, unit_of_work
from referral_service.domain.enums import ReferralAction
from referral_service.errors import Conflict, InvalidData, PreconditionFailed
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.page import referral_page
from referral_service.web.blueprint import web
from referral_service.web.forms import referral as form
from referral_service.web.session_auth import login_required, web_actor

ANSWERED = "Svaret er sendt til BUP. Henvisningen venter igjen på vurdering."
WITHDRAWN = "Henvisningen er trukket tilbake."
CHANGED_MEANWHILE = "Henvisningen er endret i mellomtiden. Se hva som gjelder nå, og prøv igjen om det trengs."


@web.post("/henvisninger/<referral_id>/svar")
@login_required
def answer_bup(referral_id: str):
    return _act(referral_id, ReferralAction.SUPPLEMENT, parse=form.parse_answer, done=ANSWERED)


@web.post("/henvisninger/<referral_id>/trekk-tilbake")
@login_required
def withdraw_referral(referral_id: str):
    return _act(referral_id, ReferralAction.WITHDRAW, parse=form.parse_withdrawal, done=WITHDRAWN)


def _act(referral_id: str, action: ReferralAction, *, parse: Callable[..., form.ParsedStep], done: str):
    """Parse the form, take the action, and go back to the referral page (or show it again with errors)."""
    parsed = parse(request.form)
    if not parsed.valid:
        return _page_with_errors(referral_id, parsed, parsed.errors)
    try:
        take_action(unit_of_work(), clock=clock(), deadlines=deadlines(), referrers=referrers(), actor=web_actor(),
                    referral_id=referral_id, action=action, data=parsed.data,
                    if_match=request.form.get("versjon") or None)
    except InvalidData as exc:
        return _page_with_errors(referral_id, parsed, form.refusal_errors(exc.errors))
    except (Conflict, PreconditionFailed):
        flash(CHANGED_MEANWHILE, "info")
    else:
        flash(done, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


def _page_with_errors(referral_id: str, parsed: form.ParsedStep, errors: dict[str, list[str]]):
    page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id)
    return render_template("referrals/detail.html", **page.context(), action_errors=errors,
                           action_values=parsed.values), 422
