"""Tilbakehenvisninger and Tilbakehenvisning: the municipality's handover tasks, one task in full,
and one form per step (bekreft mottatt, tildel, planlegg første kontakt, avslutt)."""

from __future__ import annotations

from flask import render_template

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import Role
from referral_service.errors import NotFound
from referral_service.security.actor import Actor
from referral_service.services.admin.directory import organisations_by_id
from referral_service.services.alerts.recipients import users_with_role
from referral_service.services.cases.read_model import child_case
from referral_service.services.handovers import tasks as handover_service
from referral_service.services.referrals import drafts as referral_service
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.record_pages import register_record_page
from referral_service.web.forms.submission import forms_on_page
from referral_service.web.paging import PER_PAGE, requested_page
from referral_service.web.session_auth import login_required, web_actor


@web.get("/tilbakehenvisninger")
@login_required
def handovers():
    page = handover_service.list_handovers(unit_of_work(), deps().clock, actor=web_actor(), page=requested_page(),
                                           per_page=PER_PAGE)
    return render_template("handovers/list.html", page=page)


def _colleagues(actor: Actor) -> dict[str, str]:
    """The people in the user's own organisation who can hold a task, by id: their names."""
    people = {}
    for role in (Role.MUNICIPAL_COORDINATOR, Role.MUNICIPAL_LEAD):
        for user in users_with_role(db_session(), organisation_id=actor.organisation_id, role=role):
            people[user.id] = user.name
    return dict(sorted(people.items(), key=lambda item: item[1]))


def _handover_page(handover_id: str, *, filled: FilledForm | None = None, changed: bool = False,
                   status: int = 200):
    actor = web_actor()
    view = handover_service.get_handover(unit_of_work(), actor=actor, handover_id=handover_id)
    try:
        referral = referral_service.get_referral(unit_of_work(), actor=actor, referral_id=view.handover.referral_id)
    except NotFound:
        referral = None  # the task is visible, the referral behind it is not: show the task only
    # The child's case opens only through a referral the reader may see.
    case = child_case(unit_of_work(), actor=actor, referral_id=referral.referral.id,
                      window_months=deps().deadlines.repeat_window_months) if referral else None
    allowed = view.actions
    people = _colleagues(actor)
    contact_orgs = {c.get("organisation_id") for c in view.handover.content.get("municipal_contacts", [])}
    found = organisations_by_id(db_session(), {*contact_orgs, view.handover.owner_org_id})
    organisations = {i: o.name for i, o in found.items()}
    body = render_template(
        "handovers/detail.html", handover=view.handover, events=view.events, referral=referral,
        people=people, organisations=organisations, owner=found.get(view.handover.owner_org_id), version=view.etag,
        withhold_from_guardians=view.withhold_from_guardians, case=case,
        options={"assignee_user_id": list(people.items())},
        **forms_on_page(ENDPOINTS, decisions.HANDOVER_STEPS, allowed=allowed, record_id=handover_id, filled=filled,
                        changed=changed))
    return body, status


def _take_step(handover_id: str, form: ActionForm, data: dict, version: str | None):
    """Take the task's next step."""
    actor = web_actor()
    return handover_service.act_on_handover(
        unit_of_work(), deps().clock, actor=actor, handover_id=handover_id, action=form.action, data=data,
        if_match=version)


#: Tilbakehenvisning at /tilbakehenvisninger/<handover_id>, and where each step's form posts (slug: endpoint, form).
ENDPOINTS = register_record_page(
    web, prefix="/tilbakehenvisninger", record="handover_id", endpoint="handover_detail", show=_handover_page,
    act=_take_step, posts={
        "bekreft-mottatt": ("acknowledge_handover", decisions.ACKNOWLEDGE),
        "tildel": ("assign_handover", decisions.ASSIGN),
        "planlegg": ("plan_handover", decisions.PLAN),
        "avslutt": ("close_handover", decisions.CLOSE),
    })
