"""Inntak and Vurder henvisning: BUP's queue, a referral in full, and one form per decision."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus
from referral_service.services.admin.directory import list_organisations
from referral_service.services.cases.read_model import repeat_flags
from referral_service.services.pagination import MAX_PER_PAGE, PageRequest
from referral_service.services.referrals import duplicates
from referral_service.services.referrals import queries as referral_lists
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.page import ReferralPage, referral_page
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.record_pages import register_record_page
from referral_service.web.forms.submission import forms_on_page
from referral_service.web.session_auth import login_required, web_actor
from referral_service.workflows import adult_transfer


def _referrals_in(*statuses: str, sort: str = "assessment_due") -> list:
    """Every referral of the clinic in these statuses: the queue is worked from in full, never cut short (page after
    page, each one continuing after the last, none of them counted)."""
    found = []
    for status in statuses:
        wanted = PageRequest.by_cursor(per_page=MAX_PER_PAGE)
        while True:
            page = referral_lists.list_referrals(unit_of_work(), deps().clock, actor=web_actor(), wanted=wanted,
                                                 status=status, sort=sort)
            found += page.items
            if page.next_after is None:
                break
            wanted = PageRequest.by_cursor(per_page=MAX_PER_PAGE, after=page.next_after)
    return found


@web.get("/inntak")
@login_required
def intake():
    waiting = _referrals_in(ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED)
    waiting.sort(key=lambda v: (v.referral.urgency != "urgent", v.referral.assessment_due or deps().clock.today()))
    starting = sorted(_referrals_in(ReferralStatus.ACCEPTED, sort="created_at"),
                      key=lambda v: v.referral.care_start_due or deps().clock.today())
    treating = _referrals_in(ReferralStatus.IN_TREATMENT, sort="created_at")
    window = deps().deadlines.repeat_window_months
    repeats = repeat_flags(unit_of_work(), actor=web_actor(), referrals=[v.referral for v in waiting],
                           window_months=window)
    return render_template("bup/intake.html", items=waiting, starting=starting, treating=treating,
                           close_to_deadline=deps().deadlines.assessment_warning_working_days,
                           repeats=repeats, repeat_window=window)


def _other_clinics() -> list[tuple[str, str]]:
    """The BUP clinics a referral can be forwarded to, as (id, name)."""
    actor = web_actor()
    clinics = list_organisations(db_session(), actor=actor, page=1, per_page=MAX_PER_PAGE,
                                 kind=OrganisationKind.BUP_CLINIC).items
    return [(c.id, c.name) for c in clinics if c.id != actor.organisation_id]


def _dps_clinics() -> list[tuple[str, str]]:
    """The adult mental health clinics (DPS) a young person can be transferred to, as (id, name)."""
    clinics = list_organisations(db_session(), actor=web_actor(), page=1, per_page=MAX_PER_PAGE,
                                 kind=OrganisationKind.ADULT_MENTAL_HEALTH).items
    return [(c.id, c.name) for c in clinics]


def _allowed(page: ReferralPage) -> list[ReferralAction]:
    """The page's actions; the transfer to DPS only when the young person is old enough (adult_transfer.py)."""
    clinic = page.organisations.get(page.referral.clinic_id)
    transfer_open = adult_transfer.transfer_refusal(
        clinic_kind=clinic.kind if clinic else "", birth_date=page.child.birth_date,
        today=deps().clock.today()) is None
    return [a for a in page.actions if a != ReferralAction.TRANSFER_TO_DPS or transfer_open]


def _assessment_page(referral_id: str, *, filled: FilledForm | None = None, changed: bool = False,
                     status: int = 200):
    page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    if "clinic" not in page.parties:
        return redirect(url_for("web.referral_detail", referral_id=referral_id))
    allowed = _allowed(page)
    options = {"clinic_id": _other_clinics()} if "forward" in allowed else {}
    if ReferralAction.TRANSFER_TO_DPS in allowed:
        options["dps_clinic_id"] = _dps_clinics()
    body = render_template(
        "bup/assess.html", **page.context(), version=page.view.etag, priority=decisions.PRIORITY, options=options,
        same_child=duplicates.side_by_side(unit_of_work(), actor=web_actor(), referral_id=referral_id),
        **forms_on_page(ENDPOINTS, decisions.DECISIONS, allowed=allowed, record_id=referral_id, filled=filled,
                        changed=changed))
    return body, status


def _decide(referral_id: str, form: ActionForm, data: dict, version: str | None):
    """Take BUP's decision."""
    return take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                       municipalities=deps().municipalities,
                       actor=web_actor(), referral_id=referral_id, action=form.action, data=data, if_match=version)


#: Vurder henvisning at /inntak/<referral_id>, and where each decision form posts (slug: endpoint, form).
ENDPOINTS = register_record_page(
    web, prefix="/inntak", record="referral_id", endpoint="assess_referral", show=_assessment_page, act=_decide,
    posts={
        "gi-rett": ("accept_referral", decisions.ACCEPT),
        "be-om-informasjon": ("request_information", decisions.REQUEST_INFORMATION),
        "avslag": ("reject_referral", decisions.REJECT),
        "kommunalt-niva": ("municipal_outcome", decisions.MUNICIPAL_OUTCOME),
        "videresend": ("forward_referral", decisions.FORWARD),
        "start-behandling": ("start_treatment", decisions.START_TREATMENT),
        "planlegg-utskriving": ("plan_discharge", decisions.PLAN_DISCHARGE),
        "skriv-ut": ("discharge_referral", decisions.DISCHARGE),
        "epikrise-sendt": ("record_epikrise", decisions.RECORD_EPIKRISE),
        "overfor-til-dps": ("transfer_to_dps", decisions.TRANSFER_TO_DPS),
    })
