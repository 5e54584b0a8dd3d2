"""Tilbakehenvisninger and Tilbakehenvisning: the municipality's handover tasks, one task in full,
and one form per step (bekreft mottatt, tildel, planlegg første kontakt, avslutt), and the check-in after the
help ended (oppfølgingssamtale): due today on the list, planned or recorded on the task's page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import Role
from referral_service.errors import Conflict, Forbidden, InvalidData, NotFound, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import holds_open_task
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.alerts.recipients import users_with_role
from referral_service.services.cases.read_model import child_case
from referral_service.services.handovers import check_ins as check_in_service
from referral_service.services.handovers import holders
from referral_service.services.handovers import tasks as handover_service
from referral_service.services.handovers.task_list import DueDate, TaskFilter
from referral_service.services.handovers.worklist import worklist
from referral_service.services.referrals import drafts as referral_service
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.check_ins import CANCEL_CHECK_IN, CHECK_IN_FORMS, RECORD_CHECK_IN
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.record_pages import register_record_page
from referral_service.web.forms.submission import forms_on_page
from referral_service.web.paging import PER_PAGE, numbered_page
from referral_service.web.search import remember_posted_search, remembered_search
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views.referrer_actions import move_to, municipality_choices
from referral_service.workflows.handover_lifecycle import OPEN_STATUSES

#: The worklist's query parameters: the tab, the filters and the sort (the search is held in the session).
CLOSED_TAB = "avsluttede"
SORTS = {"bekreft": (DueDate.ACKNOWLEDGE, False), "bekreft-synkende": (DueDate.ACKNOWLEDGE, True),
         "kontakt": (DueDate.FIRST_CONTACT, False), "kontakt-synkende": (DueDate.FIRST_CONTACT, True)}
#: What both tabs filter by, kept when the user changes tab (status and overdue are the open tab's own).
BOTH_TABS = ("ansvar", "eskalert", "sorter")
WORKLIST = "handovers"


def _asked_for() -> dict[str, str]:
    """The tab, filters and sort in the address that this page knows (anything else is dropped)."""
    args, asked = request.args, {}
    if args.get("vis") == CLOSED_TAB:
        asked["vis"] = CLOSED_TAB
    if args.get("ansvar") in ("mine", "ingen"):
        asked["ansvar"] = args["ansvar"]
    for flag in ("forsinket", "eskalert"):
        if args.get(flag) == "1":
            asked[flag] = "1"
    if args.get("status") in OPEN_STATUSES and "vis" not in asked:
        asked["status"] = args["status"]
    if args.get("sorter") in SORTS:
        asked["sorter"] = args["sorter"]
    if "vis" in asked:
        asked.pop("forsinket", None)  # a closed task is never overdue
    return asked


def _task_filter(asked: dict[str, str], actor: Actor) -> TaskFilter:
    due, descending = SORTS.get(asked.get("sorter", ""), (None, False))
    return TaskFilter(closed="vis" in asked, status=asked.get("status"), overdue="forsinket" in asked,
                      escalated="eskalert" in asked,
                      assignee_user_id=actor.user_id if asked.get("ansvar") == "mine" else None,
                      unassigned=asked.get("ansvar") == "ingen", search=remembered_search(WORKLIST),
                      due=due, descending=descending)


@web.get("/tilbakehenvisninger")
@login_required
def handovers():
    actor, asked = web_actor(), _asked_for()
    page = worklist(unit_of_work(), deps().clock, actor=actor, wanted=numbered_page(PER_PAGE),
                    tasks=_task_filter(asked, actor))
    due_check_ins = check_in_service.due_today(unit_of_work(), deps().clock, actor=actor)
    return render_template("handovers/list.html", page=page, due_check_ins=due_check_ins, asked=asked,
                           both_tabs={k: v for k, v in asked.items() if k in BOTH_TABS},
                           search=remembered_search(WORKLIST), today=deps().clock.today())


@web.post("/tilbakehenvisninger")
@login_required
def search_handovers():
    """The search is posted (an identity number never goes in a URL) and kept; back to the list with its filters."""
    remember_posted_search(WORKLIST)
    return redirect(url_for("web.handovers", **_asked_for()), code=303)


def _colleagues(actor: Actor) -> dict[str, str]:
    """The people in the user's own organisation who can hold a task, by id: their names."""
    people = {}
    for role in (Role.MUNICIPAL_COORDINATOR, Role.MUNICIPAL_LEAD):
        for user in users_with_role(db_session(), organisation_id=actor.organisation_id, role=role):
            people[user.id] = user.name
    return dict(sorted(people.items(), key=lambda item: item[1]))


def _handover_page(handover_id: str, *, filled: FilledForm | None = None, changed: bool = False,
                   status: int = 200, move_filled: FilledForm | None = None):
    actor = web_actor()
    view = handover_service.get_handover(unit_of_work(), actor=actor, handover_id=handover_id)
    try:
        referral = referral_service.get_referral(unit_of_work(), actor=actor, referral_id=view.handover.referral_id)
    except NotFound:
        referral = None  # the task is visible, the referral behind it is not: show the task only
    # The child's case opens only through a referral the reader may see.
    case = child_case(unit_of_work(), actor=actor, referral_id=referral.referral.id,
                      window_months=deps().deadlines.repeat_window_months) if referral else None
    check_ins = check_in_service.list_check_ins(unit_of_work(), deps().clock, actor=actor, page=1, per_page=20,
                                                handover_id=handover_id).items
    held = [c for c in check_ins if c.actions]
    allowed = view.actions + (list(CHECK_IN_FORMS) if held else [])
    people = _colleagues(actor)
    contact_orgs = {c.get("organisation_id") for c in view.handover.content.get("municipal_contacts", [])}
    found = organisations_by_id(db_session(), {*contact_orgs, view.handover.owner_org_id})
    organisations = {i: o.name for i, o in found.items()}
    body = render_template(
        "handovers/detail.html", handover=view.handover, events=view.events, referral=referral,
        people=people, organisations=organisations, owner=found.get(view.handover.owner_org_id), version=view.etag,
        holder=holders.holder_of(db_session(), view.handover),
        withhold_from_guardians=view.withhold_from_guardians, case=case,
        check_ins=check_ins,
        options={"assignee_user_id": list(people.items()), "move_home_municipality": municipality_choices()},
        move_form=decisions.MOVE if referral is not None and holds_open_task(actor, view.handover) else None,
        move_filled=move_filled,
        **forms_on_page(ENDPOINTS, {**decisions.HANDOVER_STEPS, **CHECK_IN_FORMS}, allowed=allowed,
                        record_id=handover_id, filled=filled, changed=changed))
    return body, status


def _take_step(handover_id: str, form: ActionForm, data: dict, version: str | None):
    """Take the task's next step, or record or call off its planned check-in."""
    actor = web_actor()
    if form.action in CHECK_IN_FORMS:
        return _on_check_in(handover_id, form, data)
    return handover_service.act_on_handover(
        unit_of_work(), deps().clock, actor=actor, handover_id=handover_id, action=form.action, data=data,
        if_match=version, deadlines=deps().deadlines)


def _on_check_in(handover_id: str, form: ActionForm, data: dict):
    """The task's planned check-in that the user holds; a page that was stale finds none (409)."""
    actor, clock = web_actor(), deps().clock
    held = [c for c in check_in_service.list_check_ins(unit_of_work(), clock, actor=actor, page=1, per_page=20,
                                                       handover_id=handover_id, status="planned").items
            if c.actions]
    if not held:
        raise Conflict("The task has no planned check-in you can record.")
    if form.action == RECORD_CHECK_IN.action:
        return check_in_service.record_check_in(unit_of_work(), clock, actor=actor,
                                                check_in_id=held[0].check_in.id, **data)
    return check_in_service.cancel_check_in(unit_of_work(), clock, actor=actor, check_in_id=held[0].check_in.id,
                                            **data)


@web.post("/tilbakehenvisninger/<handover_id>/flytting")
@login_required
def record_move_on_handover(handover_id: str):
    """The coordinator who holds the task records that the family has moved; the task goes to the new municipality."""
    view = handover_service.get_handover(unit_of_work(), actor=web_actor(), handover_id=handover_id)
    filled = decisions.MOVE.parse(request.form)
    if filled.valid:
        try:
            move_to(view.handover.referral_id)(filled.data, None)
        except InvalidData as exc:
            filled = filled.refused(exc)
        except (Conflict, Forbidden, PreconditionFailed):
            return _handover_page(handover_id, changed=True, status=409)
        else:
            flash("Flyttingen er registrert. Tilbakehenvisningen er overført til den nye kommunen.", "ok")
            return redirect(url_for("web.handover_detail", handover_id=handover_id))
    return _handover_page(handover_id, move_filled=filled, status=422)


#: Tilbakehenvisning at /tilbakehenvisninger/<handover_id>, and where each step's form posts (slug: endpoint, form).
ENDPOINTS = register_record_page(
    web, prefix="/tilbakehenvisninger", record="handover_id", endpoint="handover_detail", show=_handover_page,
    act=_take_step, posts={
        "bekreft-mottatt": ("acknowledge_handover", decisions.ACKNOWLEDGE),
        "tildel": ("assign_handover", decisions.ASSIGN),
        "planlegg": ("plan_handover", decisions.PLAN),
        "avslutt": ("close_handover", decisions.CLOSE),
        "oppfolgingssamtale": ("record_check_in", RECORD_CHECK_IN),
        "avlys-oppfolgingssamtale": ("cancel_check_in", CANCEL_CHECK_IN),
    })
