"""Inntak: BUP's queue of referrals to assess, most urgent first."""

from __future__ import annotations

from flask import render_template

from referral_service.api.context import db_session, rules
from referral_service.services import referrals as referral_service
from referral_service.web.blueprint import web
from referral_service.web.session_auth import login_required, web_actor

#: Referrals with this many working days or fewer left are marked.
CLOSE_TO_DEADLINE = 2


@web.get("/inntak")
@login_required
def intake():
    waiting = []
    for status in ("submitted", "information_requested"):
        waiting += referral_service.list_referrals(db_session(), rules(), actor=web_actor(), page=1, per_page=200,
                                                   status=status, sort="assessment_due").items
    waiting.sort(key=lambda v: (v.referral.urgency != "urgent", v.referral.assessment_due or rules().today()))
    return render_template("bup/intake.html", items=waiting, close_to_deadline=CLOSE_TO_DEADLINE)
