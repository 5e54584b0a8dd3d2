"""Inntak and Vurder henvisning: BUP's queue, a referral in full, and one form per decision."""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import OrganisationKind, ReferralAction, ReferralStatus, Role
from referral_service.errors import NotFound
from referral_service.services.admin.directory import list_organisations
from referral_service.services.cases.read_model import repeat_flags
from referral_service.services.pagination import MAX_PER_PAGE
from referral_service.services.referrals import drafts, duplicates
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.intake_queue import OPEN_SECTIONS, IntakeFilters, IntakeSection, intake_queue
from referral_service.services.referrals.intake_rows import DECIDED_STATUSES, close_to_deadline_before
from referral_service.services.referrals.page import ReferralPage, referral_page
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.record_pages import register_record_page
from referral_service.web.forms.submission import forms_on_page
from referral_service.web.paging import PER_PAGE, numbered_page
from referral_service.web.search import remember_posted_search, remembered_search
from referral_service.web.session_auth import login_required, web_actor
from referral_service.workflows import adult_transfer

#: Each section of Inntak pages on its own: the query parameter that holds its page number.
SECTION_PAGES = {IntakeSection.WAITING: "venter", IntakeSection.STARTING: "oppstart",
                 IntakeSection.IN_TREATMENT: "behandling", IntakeSection.DECIDED: "avgjorte"}
#: The tab of decided referrals (?visning=avgjort); without it the page shows the open sections.
DECIDED_TAB = "avgjort"
#: The open sections' filters, each a checkbox (?haster=ja).
OPEN_FILTERS = ("haster", "naer_fristen", "svar_mottatt")
#: The worklist's name for its search kept in the session (web/search.py).
SEARCH_LIST = "inntak"


def _chosen() -> dict[str, str]:
    """The tab and filters asked for, as they go back into the page's links; anything unknown is dropped."""
    if request.args.get("visning") != DECIDED_TAB:
        return {name: "ja" for name in OPEN_FILTERS if request.args.get(name)}
    outcome = request.args.get("utfall", "")
    return {"visning": DECIDED_TAB, **({"utfall": outcome} if outcome in DECIDED_STATUSES else {})}


def _filters(chosen: dict[str, str]) -> IntakeFilters:
    close = deps().deadlines.assessment_warning_working_days
    return IntakeFilters(
        search=remembered_search(SEARCH_LIST), urgent="haster" in chosen, answered="svar_mottatt" in chosen,
        due_before=close_to_deadline_before(today=deps().clock.today(), calendar=deps().calendar,
                                            working_days=close) if "naer_fristen" in chosen else None,
        outcome=ReferralStatus(chosen["utfall"]) if "utfall" in chosen else None)


@web.get("/inntak")
@login_required
def intake():
    chosen = _chosen()
    sections = (IntakeSection.DECIDED,) if "visning" in chosen else OPEN_SECTIONS
    wanted = {section: numbered_page(PER_PAGE, param=SECTION_PAGES[section]) for section in sections}
    filters = _filters(chosen)
    queue = intake_queue(unit_of_work(), actor=web_actor(), wanted=wanted, filters=filters)
    waiting = queue.get(IntakeSection.WAITING)
    window = deps().deadlines.repeat_window_months
    repeats = repeat_flags(unit_of_work(), actor=web_actor(), referrals=[v.referral for v in waiting.items],
                           window_months=window) if waiting else {}
    return render_template("bup/intake.html", queue={section.value: page for section, page in queue.items()},
                           links={**chosen, **{SECTION_PAGES[s]: wanted[s].page for s in sections}},
                           chosen=chosen, search=filters.search, outcomes=DECIDED_STATUSES,
                           close_to_deadline=deps().deadlines.assessment_warning_working_days,
                           repeats=repeats, repeat_window=window)


@web.post("/inntak")
@login_required
def search_intake():
    """The search form: kept in the session (never the number itself), then the list again, by GET."""
    remember_posted_search(SEARCH_LIST)
    return redirect(url_for("web.intake", **_chosen()), code=303)


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
                     status: int = 200, revealed_national_id: str | None = None):
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
        revealed_national_id=revealed_national_id,
        **forms_on_page(ENDPOINTS, decisions.DECISIONS, allowed=allowed, record_id=referral_id, filled=filled,
                        changed=changed))
    return body, status


@web.post("/inntak/<referral_id>/vis-fodselsnummer")
@login_required
def reveal_national_id_to_clinic(referral_id: str):
    """The full number on the assessment page, on request; logged, never in a URL, and never kept by a cache."""
    if not web_actor().has_role(Role.BUP_INTAKE):  # the referring side reveals it on the referral's own page
        return redirect(url_for("web.referral_detail", referral_id=referral_id), code=303)
    try:
        number = drafts.reveal_national_id(unit_of_work(), deps().identity, actor=web_actor(), referral_id=referral_id)
    except NotFound:
        abort(404)
    response = make_response(_assessment_page(referral_id, revealed_national_id=number))
    response.headers["Cache-Control"] = "no-store"
    return response


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
