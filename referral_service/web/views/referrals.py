"""Mine henvisninger and Henvisning: the referrer's list, and a referral's timeline for everyone with access."""

from __future__ import annotations

from flask import abort, make_response, render_template, request

from referral_service.api.context import deps, unit_of_work
from referral_service.domain.enums import ReferralStatus
from referral_service.errors import NotFound
from referral_service.services.referrals import drafts as referral_service
from referral_service.services.referrals import queries as referral_lists
from referral_service.services.referrals.page import referral_page
from referral_service.web.blueprint import web
from referral_service.web.paging import PER_PAGE, numbered_page
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views.referrer_actions import referral_detail_page


@web.get("/henvisninger")
@login_required
def my_referrals():
    status = request.args.get("status") or None
    if status and status not in set(ReferralStatus):
        status = None
    page = referral_lists.list_referrals(unit_of_work(), deps().clock, actor=web_actor(),
                                         wanted=numbered_page(PER_PAGE), status=status)
    return render_template("referrals/list.html", page=page, status=status)


@web.get("/henvisninger/<referral_id>")
@login_required
def referral_detail(referral_id: str):
    try:
        page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    except NotFound:
        abort(404)
    return referral_detail_page(page)


@web.post("/henvisninger/<referral_id>/vis-fodselsnummer")
@login_required
def reveal_national_id(referral_id: str):
    """The full number, on request, to the referring side and the clinic; logged, and never in a URL."""
    try:
        number = referral_service.reveal_national_id(unit_of_work(), deps().identity, actor=web_actor(),
                                                     referral_id=referral_id)
        page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    except NotFound:
        abort(404)
    response = make_response(referral_detail_page(page, revealed_national_id=number))
    response.headers["Cache-Control"] = "no-store"
    return response
