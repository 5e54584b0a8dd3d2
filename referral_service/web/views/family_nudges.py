""""Vi har ikke hørt noe" and the young person's own words: the family's two forms on their case page, the staff's
"Vi har tatt kontakt med familien", and what the partials (templates/family/_nudge.html, _voice.html,
templates/referrals/_from_the_family.html) read through the context functions below."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.errors import Forbidden, InvalidData, NotFound
from referral_service.services.family import nudges, staff_side, voice
from referral_service.services.family.access import FamilyCaseAccess, case_or_none_logged
from referral_service.web.blueprint import web
from referral_service.web.family_session import family_login_required, family_viewer
from referral_service.web.session_auth import login_required, web_actor

#: The young person's form's errors, in Norwegian.
VOICE_ERRORS = {"empty": "Skriv noe før du sender.",
                "too_long": f"Teksten kan være høyst {voice.MAX_CHARS} tegn. Kort den ned og send igjen."}
#: The access log's action for showing the form again.
VOICE_FORM_READ = "read_family_voice_form"


def _case_page(referral_id: str, anchor: str) -> str:
    """The family's case page (web/views/family.py), at the part the form was on."""
    return f"{request.script_root}/familie/sak/{referral_id}#{anchor}"


@web.post("/familie/sak/<referral_id>/ikke-hort")
@family_login_required
def family_nudge(referral_id: str):
    try:
        outcome = nudges.raise_nudge(unit_of_work(), deps().clock, viewer=family_viewer(), referral_id=referral_id)
    except NotFound:
        abort(404)
    flash("Vi har sagt fra. De tar kontakt med dere." if outcome.alerted
          else "Vi har allerede sagt fra. Vi sier fra til lederen hvis ingen tar kontakt.", "ok")
    return redirect(_case_page(referral_id, "ikke-hort"), code=303)


@web.post("/familie/sak/<referral_id>/mine-ord")
@family_login_required
def family_voice(referral_id: str):
    text = request.form.get("text", "")
    try:
        voice.add_words(unit_of_work(), deps().clock, viewer=family_viewer(), referral_id=referral_id, text=text)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except InvalidData as refused:
        # The form again with what they wrote, on a page of its own (their case page is read again when they go
        # back): nothing was kept.
        errors = {"text": [VOICE_ERRORS[code] for code in refused.errors.get("text", [])]}
        case = _family_case(referral_id)
        return render_template("family/voice_again.html", case=case, voice_text=text, voice_errors=errors,
                               signed_in=True), 422
    flash("Takk. Det du skrev, er sendt til dem som har ansvaret for saken din.", "ok")
    return redirect(_case_page(referral_id, "mine-ord"), code=303)


def _family_case(referral_id: str) -> FamilyCaseAccess:
    """The case read again for the form's page (the refused use case kept nothing, its log row neither)."""
    uow = unit_of_work()
    with uow:
        case = case_or_none_logged(uow.session, family_viewer(), referral_id, today=deps().clock.today(),
                                   action=VOICE_FORM_READ)
        uow.commit()
    if case is None:
        abort(404)
    return case


@web.post("/henvisninger/<referral_id>/familien-kontaktet")
@login_required
def answer_family_nudge(referral_id: str):
    """The owner's staff have got in touch with the family (from the referral page, the task page or the alert)."""
    try:
        answered = nudges.answer_nudges(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    if answered:
        flash("Registrert: dere har tatt kontakt med familien.", "ok")
    if request.form.get("fra") == "varsler":
        return redirect(url_for("web.alerts"), code=303)
    handover_id = request.form.get("tilbakehenvisning", "")
    if handover_id:
        return redirect(url_for("web.handover_detail", handover_id=handover_id), code=303)
    return redirect(url_for("web.referral_detail", referral_id=referral_id), code=303)


@web.app_context_processor
def _family_side_functions() -> dict:
    return {"family_nudge_for": family_nudge_for, "family_voice_for": family_voice_for,
            "family_side_for_staff": family_side_for_staff}


def family_nudge_for(case: FamilyCaseAccess) -> nudges.FamilyNudgeState:
    """The "Vi har ikke hørt noe" button's state on the family's case page."""
    return nudges.nudge_state(db_session(), case, working_days=deps().deadlines.family_nudge_answer_working_days)


def family_voice_for(case: FamilyCaseAccess) -> list | None:
    """The young person's earlier words for their form; None for a reader who gets no form (a guardian)."""
    return voice.words_for_family(db_session(), case)


def family_side_for_staff(*, referral_id: str | None = None,
                          handover_id: str | None = None) -> staff_side.FamilySide | None:
    """The family side on the staff's referral page or task page, as this reader may see it (reading logged)."""
    actor = web_actor()
    if actor is None:
        return None
    return staff_side.family_side(unit_of_work(), actor=actor, referral_id=referral_id, handover_id=handover_id)
