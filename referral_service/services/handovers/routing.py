"""Who holds a handover: the owner the rule picks (workflows/handover_owner.py), the people there who act
and the lead the task escalates to, and moving an open task when its owner can no longer act."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.enums import HandoverAddressee, HandoverStatus, Role
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import CoReferrer, Referral
from referral_service.security.consent_scope import consent_allows, municipality_may_see
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.alerts.recipients import administrators, municipality_of
from referral_service.services.referrals.queries import contacts_of
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.handover_lifecycle import OPEN_STATUSES
from referral_service.workflows.handover_owner import Candidate, Ownership, choose_owner

#: Who acts on a task for its owner, and who is the top of its escalation ladder, by the kind of owner.
ACTING_ROLES = {HandoverAddressee.MUNICIPALITY: (Role.MUNICIPAL_COORDINATOR,),
                HandoverAddressee.REFERRER: (Role.REFERRER, Role.REFERRER_LEAD)}
LEAD_ROLE = {HandoverAddressee.MUNICIPALITY: Role.MUNICIPAL_LEAD, HandoverAddressee.REFERRER: Role.REFERRER_LEAD}


def _active_with(session: Session, organisation_id: str | None, roles: tuple[Role, ...]) -> list[User]:
    if organisation_id is None:
        return []
    users = session.exec(select(User).where(User.organisation_id == organisation_id, User.active.is_(True)))
    return sorted((u for u in users if any(role.value in u.roles for role in roles)), key=lambda u: u.id)


def actors(session: Session, handover: Handover) -> list[User]:
    """The active people at the owner who act on the task."""
    return _active_with(session, handover.owner_org_id, ACTING_ROLES[handover.addressed_to])


def leads(session: Session, handover: Handover) -> list[User]:
    """The owner's active leads: where the task's escalation ends."""
    return _active_with(session, handover.owner_org_id, (LEAD_ROLE[handover.addressed_to],))


def may_hold(user: User, handover: Handover) -> bool:
    """An active person who acts on the owner's tasks, or its lead, may hold the task."""
    roles = (*ACTING_ROLES[handover.addressed_to], LEAD_ROLE[handover.addressed_to])
    return user.active and any(role.value in user.roles for role in roles)


def escalation_recipients(session: Session, handover: Handover) -> list[User]:
    """A lead of the owning organisation; where it has none, the administrators, never no one."""
    return leads(session, handover) or administrators(session)


def _candidate(session: Session, organisation_id: str, addressee: HandoverAddressee, *,
               may_see: bool = True) -> Candidate:
    """An organisation can act when the consent lets it take part and someone active there acts on tasks."""
    return Candidate(organisation_id, can_act=may_see and bool(
        _active_with(session, organisation_id, ACTING_ROLES[addressee])))


def ownership_for(session: Session, referral: Referral) -> tuple[Ownership, Organisation | None]:
    """The owner the rule picks for this referral's handover now, and the home municipality's organisation."""
    municipality = municipality_of(session, referral.child_home_municipality)
    co_referrers = session.exec(
        select(Organisation).join(CoReferrer, CoReferrer.organisation_id == Organisation.id)
        .where(CoReferrer.referral_id == referral.id).order_by(CoReferrer.invited_at)).all()
    referrer_kind = session.get(Organisation, referral.referrer_org_id).kind
    ownership = choose_owner(
        municipal_consent=municipality_may_see(referral),
        municipality=_candidate(session, municipality.id, HandoverAddressee.MUNICIPALITY) if municipality else None,
        referrer=_candidate(session, referral.referrer_org_id, HandoverAddressee.REFERRER,
                            may_see=consent_allows(referrer_kind, referral, referral.referrer_org_id)),
        co_referrers=[_candidate(session, o.id, HandoverAddressee.REFERRER,
                                 may_see=consent_allows(o.kind, referral, o.id)) for o in co_referrers])
    return ownership, municipality


def apply_ownership(session: Session, handover: Handover, referral: Referral, ownership: Ownership) -> None:
    """The task takes its owner; the municipality's contacts travel with it only when the municipality owns it."""
    handover.owner_org_id = ownership.owner_org_id
    handover.owner_reason = ownership.reason
    handover.addressed_to = ownership.addressed_to
    contacts = ([{"role": c.role, "name": c.name, "organisation_id": c.organisation_id}
                 for c in contacts_of(session, referral.id)]
                if ownership.addressed_to == HandoverAddressee.MUNICIPALITY else [])
    handover.content = {**handover.content, "municipal_contacts": contacts}


def tell_owner(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover, clinic_name: str, key: str,
               kind: str = "handover_created", data: dict[str, str] | None = None) -> list[User]:
    """The owner's people are told the task is theirs; administrators when nobody can act, or when the home
    municipality is not connected to the service. Returns who was told to act."""
    holders = actors(uow.session, handover)
    raise_alerts(uow, clock, users=holders, kind=kind, dedupe_key=key,
                 data={"clinic": clinic_name, "trigger": str(handover.trigger),
                       "acknowledge_due": handover.acknowledge_due.isoformat(), **(data or {})},
                 referral_id=handover.referral_id, handover_id=handover.id)
    if handover.owner_org_id is None:
        raise_alerts(uow, clock, users=administrators(uow.session), kind="handover_unrouted",
                     dedupe_key=f"handover:{handover.id}:unrouted",
                     data={"municipality_number": handover.municipality_number}, handover_id=handover.id)
    elif handover.owner_reason == "municipality_not_connected":
        raise_alerts(uow, clock, users=administrators(uow.session), kind="municipality_not_connected",
                     dedupe_key=f"handover:{handover.id}:not-connected",
                     data={"municipality_number": handover.municipality_number}, handover_id=handover.id)
    return holders


def reroute(uow: SqlUnitOfWork, clock: Clock, *, handover: Handover, because: str,
            actor_id: str | None = None) -> bool:
    """Give an open task to the owner the rule picks now (the consent changed, or the owner can no longer act);
    True when it moved. A closed task stays where it was."""
    session = uow.session
    if handover.status == HandoverStatus.CLOSED:
        return False
    referral = session.get(Referral, handover.referral_id)
    ownership, municipality = ownership_for(session, referral)
    if (ownership.owner_org_id, ownership.addressed_to) == (handover.owner_org_id, handover.addressed_to):
        return False
    apply_ownership(session, handover, referral, ownership)
    if municipality is not None:
        handover.municipality_org_id = municipality.id
    handover.version += 1
    handover.updated_at = clock.now()
    session.add(HandoverEvent(handover_id=handover.id, action="readdress", from_status=handover.status,
                              to_status=handover.status, actor_id=actor_id, at=clock.now(),
                              data={"addressed_to": ownership.addressed_to, "owner_org_id": ownership.owner_org_id,
                                    "reason": because}))
    clinic = session.get(Organisation, referral.clinic_id)
    tell_owner(uow, clock, handover=handover, clinic_name=clinic.name if clinic else "BUP",
               key=f"handover:{handover.id}:owner:{ownership.owner_org_id}")
    return True


def orphaned_handovers(session: Session) -> list[Handover]:
    """Open tasks whose owner has nobody active left who can act (or that have no owner yet)."""
    can_act: dict[HandoverAddressee, set[str]] = {addressee: set() for addressee in ACTING_ROLES}
    # Two columns, not whole users: the sweep asks this every minute of every active person in the country.
    acting = {addressee: {role.value for role in roles} for addressee, roles in ACTING_ROLES.items()}
    for organisation_id, user_roles in session.exec(select(User.organisation_id, User.roles)
                                                    .where(User.active.is_(True))):
        for addressee, roles in acting.items():
            if not roles.isdisjoint(user_roles):
                can_act[addressee].add(organisation_id)
    held_by_nobody = [
        (col(Handover.addressed_to) == addressee)
        & (col(Handover.owner_org_id).is_(None) | col(Handover.owner_org_id).not_in(organisations))
        for addressee, organisations in can_act.items()]
    # The open statuses listed, not "not closed": an index finds the open tasks without reading the closed ones.
    return list(session.exec(select(Handover).where(col(Handover.status).in_(OPEN_STATUSES),
                                                    or_(*held_by_nobody))).all())
