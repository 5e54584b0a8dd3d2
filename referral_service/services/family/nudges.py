""""Vi har ikke hørt noe": a family member who may read the case asks whoever holds it now to get in touch.

The call is recorded with the owner it went to (services/family/responsible.py: the organisation, and the person when
one holds the case) and alerts them at once; a second press while one is unanswered alerts no one again. The owner's
staff mark it answered; the deadline sweep tells the owner's lead, once, when nobody has answered in time
(workflows/family_nudges.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.family import FamilyNudge
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden, NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators, users_with_role
from referral_service.services.family.access import FamilyCaseAccess, FamilyViewer, case_or_none_logged
from referral_service.services.family.responsible import responsible_for
from referral_service.services.handovers import routing
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows import family_nudges as rules
from referral_service.workflows.calendar import WorkingDayCalendar

#: The access log's actions for the family's call and the staff's answer.
RAISED = "family_nudge"
ANSWERED = "family_nudge_answered"


@dataclass(frozen=True)
class NudgeOutcome:
    nudge: FamilyNudge
    #: False when the family had already called and nobody has answered yet: no one is alerted again.
    alerted: bool


@dataclass(frozen=True)
class FamilyNudgeState:
    """What the family's button says: the unanswered call, if any, and whom it went to."""

    #: When the family called, while nobody has answered.
    open_since: datetime | None
    #: Who was told (a person's name, else the organisation's); for a new call, who would be told now.
    told: str
    #: When the owner last marked a call answered.
    answered_at: datetime | None
    #: The working days before the lead is told.
    working_days: int


def owner_people(session: Session, *, organisation_id: str, person_id: str | None,
                 handover: Handover | None) -> list[User]:
    """Who hears the family's call: the person holding the case; else the owner's people who act (those routing
    names for the task, or, without one, the acting role of the owner's kind); never no one."""
    person = session.get(User, person_id) if person_id else None
    if person is not None and person.active:
        return [person]
    if handover is not None and handover.owner_org_id == organisation_id:
        people = routing.actors(session, handover)
    else:
        organisation = session.get(Organisation, organisation_id)
        people = users_with_role(session, organisation_id=organisation_id,
                                 role=rules.acting_role(organisation.kind)) if organisation else []
    return people or administrators(session)


def lead_people(session: Session, *, organisation_id: str | None, handover: Handover | None) -> list[User]:
    """The owner's lead: the task's escalation ladder (routing.escalation_recipients) when the owner holds the task;
    else the lead role of the owner's kind; the administrators where there is none."""
    if handover is not None and handover.owner_org_id == organisation_id:
        return routing.escalation_recipients(session, handover)
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    leads = users_with_role(session, organisation_id=organisation_id,
                            role=rules.lead_role(organisation.kind)) if organisation else []
    return leads or administrators(session)


def open_nudge(session: Session, referral_id: str) -> FamilyNudge | None:
    """The family's unanswered call about this referral, if there is one."""
    return session.exec(select(FamilyNudge).where(FamilyNudge.referral_id == referral_id,
                                                  col(FamilyNudge.answered_at).is_(None))
                        .order_by(col(FamilyNudge.raised_at))).first()


def owner_now(session: Session, referral: Referral) -> tuple[str, str | None]:
    """Who holds the case now (organisation, person); while nobody does (a task being made, a referral sent on),
    the clinic that had it last."""
    contact = responsible_for(session, referral).contact
    if contact is None:
        return referral.clinic_id, None
    return contact.organisation_id, contact.person_id


def raise_nudge(uow: SqlUnitOfWork, clock: Clock, *, viewer: FamilyViewer, referral_id: str) -> NudgeOutcome:
    """Record the family's call and alert the owner at once; 404 (the attempt logged) for a case they may not read."""
    with uow:
        session = uow.session
        case = case_or_none_logged(session, viewer, referral_id, today=clock.today(), action=RAISED)
        if case is None:  # the attempt is logged through the rollback
            raise NotFound("No such referral.")
        organisation_id, person_id = owner_now(session, case.referral)
        already = open_nudge(session, referral_id)
        if already is not None and already.owner_org_id == organisation_id:
            uow.commit()
            return NudgeOutcome(nudge=already, alerted=False)
        handover = current_handover(session, referral_id)
        if already is not None:
            # The case moved on to another owner since the first call (BUP decided, the family moved): the call is
            # passed on to whoever holds it now, and its answer time counts from now.
            nudge, passed_on = already, True
            nudge.owner_org_id, nudge.owner_user_id = organisation_id, person_id
            nudge.handover_id, nudge.raised_at = (handover.id if handover else None), clock.now()
        else:
            nudge, passed_on = FamilyNudge(referral_id=referral_id, raised_by_person_id=viewer.person_id,
                                           raised_as=case.role.value, raised_at=clock.now(),
                                           handover_id=handover.id if handover else None,
                                           owner_org_id=organisation_id, owner_user_id=person_id), False
            session.add(nudge)
        session.flush()
        raise_alerts(uow, clock, users=owner_people(session, organisation_id=organisation_id, person_id=person_id,
                                                    handover=handover),
                     kind=rules.NUDGE_RAISED,
                     dedupe_key=rules.owner_key(nudge.id, organisation_id if passed_on else None),
                     data={"raised_on": clock.today().isoformat()}, referral_id=referral_id,
                     handover_id=nudge.handover_id)
        uow.commit()
        return NudgeOutcome(nudge=nudge, alerted=True)


def nudge_state(session: Session, case: FamilyCaseAccess, *, working_days: int) -> FamilyNudgeState:
    """The button's state for the family's case page (its reading is logged by the page)."""
    organisation_id, person_id = owner_now(session, case.referral)
    nudge = open_nudge(session, case.referral.id)
    if nudge is not None and nudge.owner_org_id != organisation_id:
        nudge = None  # asked of an owner who has handed the case on: the button asks the new one
    elif nudge is not None:
        person_id = nudge.owner_user_id
    person = session.get(User, person_id) if person_id else None
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    told = person.name if person is not None else (organisation.name if organisation else "")
    answered = session.exec(select(FamilyNudge.answered_at).where(
        FamilyNudge.referral_id == case.referral.id, col(FamilyNudge.answered_at).is_not(None))
        .order_by(col(FamilyNudge.answered_at).desc())).first()
    return FamilyNudgeState(open_since=nudge.raised_at if nudge else None, told=told, answered_at=answered,
                            working_days=working_days)


def nudges_for_staff(session: Session, referral_id: str) -> list[FamilyNudge]:
    """The family's calls about the referral, unanswered first, newest first."""
    rows = session.exec(select(FamilyNudge).where(FamilyNudge.referral_id == referral_id)
                        .order_by(col(FamilyNudge.raised_at).desc())).all()
    return sorted(rows, key=lambda n: n.answered_at is not None)


def may_answer(session: Session, actor: Actor, nudge: FamilyNudge, referral: Referral) -> bool:
    """The organisation the call went to answers it, or the one holding the case now."""
    return actor.organisation_id in {nudge.owner_org_id, owner_now(session, referral)[0]}


def answer_nudges(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str) -> int:
    """The owner's staff have got in touch with the family: every unanswered call about the referral is answered
    (and stops escalating), its alerts are done; 0 when none was waiting. 404 for a referral they may not see, 403
    when the calls are not theirs to answer."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        waiting = [n for n in nudges_for_staff(session, referral_id) if n.answered_at is None]
        if not waiting:  # answered already (a colleague, a second click): nothing more to do
            return 0
        if not any(may_answer(session, actor, n, referral) for n in waiting):
            raise Forbidden("Only the service that holds the child's case answers the family.")
        now = clock.now()
        for nudge in waiting:
            nudge.answered_at, nudge.answered_by_user_id = now, actor.user_id
        for nudge in waiting:
            session.execute(update(Alert).where(col(Alert.dedupe_key).startswith(rules.alert_keys_of(nudge.id)),
                                                col(Alert.read_at).is_(None)).values(read_at=now))
        record_access(session, actor=actor, action=ANSWERED, referrals=[referral])
        uow.commit()
    return len(waiting)


def unanswered_raised_before(session: Session, *, before: datetime) -> list[str]:
    """The calls nobody has answered and whose lead has not been told, made before `before` (the index
    ix_family_nudge_open finds them)."""
    return list(session.exec(select(FamilyNudge.id).where(
        col(FamilyNudge.answered_at).is_(None), col(FamilyNudge.lead_alerted_at).is_(None),
        col(FamilyNudge.raised_at) < before).order_by(col(FamilyNudge.raised_at))).all())


def tell_lead_if_due(uow: SqlUnitOfWork, clock: Clock, nudge: FamilyNudge, *, answer_working_days: int,
                     calendar: WorkingDayCalendar) -> bool:
    """The deadline sweep's step for one call: the owner's lead is told once when nobody answered in time."""
    raised_on: date = clock.local_date(nudge.raised_at)
    if not rules.lead_is_due(raised_on=raised_on, today=clock.today(), answered=nudge.answered_at is not None,
                             lead_alerted=nudge.lead_alerted_at is not None,
                             answer_working_days=answer_working_days, calendar=calendar):
        return False
    session = uow.session
    # The lead of whoever holds the case now: it may have moved on since the call (a decision, a move).
    referral = session.get(Referral, nudge.referral_id)
    owner_org_id = owner_now(session, referral)[0] if referral is not None else nudge.owner_org_id
    handover = current_handover(session, nudge.referral_id)
    if handover is not None and handover.owner_org_id != owner_org_id:
        handover = None  # the task is not (yet) the owner's: its lead by the organisation alone
    nudge.lead_alerted_at = clock.now()
    raise_alerts(uow, clock, users=lead_people(session, organisation_id=owner_org_id, handover=handover),
                 kind=rules.NUDGE_UNANSWERED, dedupe_key=rules.lead_key(nudge.id),
                 data={"raised_on": raised_on.isoformat(), "working_days": answer_working_days},
                 referral_id=nudge.referral_id, handover_id=nudge.handover_id)
    return True
