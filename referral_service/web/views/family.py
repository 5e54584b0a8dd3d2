"""The family page: the cases a signed-in family member may read, one case, and a young person's choice to share
their case with their guardians. The read model and the rules are in services/family/page.py."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.services.family.access import FamilyViewer
from referral_service.services.family.page import family_case, family_cases, share_with_guardians
from referral_service.web.blueprint import web
from referral_service.web.family_session import family_login_required, family_viewer

SHARE_FIELD = "del"


def _viewer() -> FamilyViewer:
    viewer = family_viewer()
    assert viewer is not None  # family_login_required
    return viewer


def _not_found():
    return render_template("family/not_found.html", signed_in=True), 404


@web.get("/familie")
@family_login_required
def family_cases_page():
    cases = family_cases(unit_of_work(), _viewer(), today=deps().clock.today())
    return render_template("family/cases.html", cases=cases, signed_in=True)


@web.get("/familie/sak/<referral_id>")
@family_login_required
def family_case_page(referral_id: str):
    case = family_case(unit_of_work(), _viewer(), referral_id, today=deps().clock.today())
    if case is None:
        return _not_found()
    return render_template("family/case.html", case=case.access, page=case, share_field=SHARE_FIELD,
                           signed_in=True)


@web.post("/familie/sak/<referral_id>/deling")
@family_login_required
def family_share(referral_id: str):
    share = request.form.get(SHARE_FIELD) == "ja"
    if not share_with_guardians(unit_of_work(), deps().clock, _viewer(), referral_id, share=share):
        return _not_found()
    return redirect(url_for("web.family_case_page", referral_id=referral_id))
