"""Inntak and Vurder henvisning: BUP's queue, a referral in full, and one form per decision."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import OrganisationKind, ReferralAction
from referral_service.services.admin.directory import list_organisations
from referral_service.services.cases.read_model import repeat_flags
from referral_service.services.pagination import MAX_PER_PAGE
from referral_service.services.referrals import duplicates
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.intake_queue import IntakeSection, intake_queue
from referral_service.services.referrals.page import ReferralPage, referral_page
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.record_pages import register_record_page
from referral_service.web.forms.submission import forms_on_page
from referral_service.web.paging import PER_PAGE, numbered_page
from referral_service.web.session_auth import login_required, web_actor
from referral_service.workflows import adult_transfer

#: Each section of Inntak pages on its own: the query parameter that holds its page number.
SECTION_PAGES = {IntakeSection.WAITING: "venter", IntakeSection.STARTING: "oppstart",
                 IntakeSection.IN_TREATMENT: "behandling"}


@web.get("/inntak")
@login_required
def intake():
    wanted = {section: numbered_page(PER_PAGE, param=param) for section, param in SECTION_PAGES.items()}
    queue = intake_queue(unit_of_work(), actor=web_actor(), wanted=wanted)
    waiting = queue[IntakeSection.WAITING]
    window = deps().deadlines.repeat_window_months
    repeats = repeat_flags(unit_of_work(), actor=web_actor(), referrals=[v.referral for v in waiting.items],
                           window_months=window)
    return render_template("bup/intake.html", waiting=waiting, starting=queue[IntakeSection.STARTING],
                           treating=queue[IntakeSection.IN_TREATMENT],
                           pages={param: wanted[section].page for section, param in SECTION_PAGES.items()},
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
