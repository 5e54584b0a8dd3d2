"""Two referrals for one child: warn the second referrer, let them join the first, let BUP merge the two.

The lifecycle rule (who, from which states, what each becomes) is `workflows.referral_lifecycle.decide_merge`;
this module finds the other referrals, applies the decision and keeps everything the ending referral held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import CoReferrer, MunicipalContact, Referral, ReferralEvent
from referral_service.errors import Forbidden, InvalidData, NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.services.referrals.guards import check_if_match
from referral_service.services.referrals.queries import contacts_of
from referral_service.services.repositories import REFERRAL_NOT_FOUND
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ReferralView, build_view
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.referral_lifecycle import Party

#: The access log's basis for reading another referral of a child the actor has referred themselves.
SAME_CHILD = "own_referral_of_the_same_child"


@dataclass(frozen=True)
class OtherOpenReferral:
    """What a referrer who is not a party of another open referral of the child is told of it: that it exists,
    where, since when and from what kind of service; never its content."""

    referral_id: str
    clinic_id: str
    clinic_name: str
    open_since: date
    referrer_kind: str


def _open_since(referral: Referral) -> date:
    return referral.received_on or referral.created_at.date()


def other_open_referrals(session: Session, *, actor: Actor, referral: Referral) -> list[OtherOpenReferral]:
    """The child's other open referrals, from any referrer, as a notice; the look-up is access-logged."""
    others = list(session.exec(
        select(Referral).where(Referral.child_id == referral.child_id, Referral.id != referral.id,
                               Referral.status.in_(lifecycle.OPEN_STATUSES))
        .order_by(Referral.created_at, Referral.id)))
    # The right to know that the others exist rests on the actor's own referral of the same child.
    return _told(session, actor=actor, referrals=others, basis=SAME_CHILD)


def _told(session: Session, *, actor: Actor, referrals: list[Referral], basis: str | None) -> list[OtherOpenReferral]:
    if not referrals:
        return []
    clinics = dict(session.exec(select(Organisation.id, Organisation.name)
                                .where(Organisation.id.in_({r.clinic_id for r in referrals}))).all())
    record_access(session, actor=actor, action="duplicate_lookup", referrals=referrals, basis=basis)
    return [OtherOpenReferral(referral_id=r.id, clinic_id=r.clinic_id, clinic_name=clinics.get(r.clinic_id, ""),
                              open_since=_open_since(r), referrer_kind=r.referrer_kind) for r in referrals]


def list_other_open_referrals(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str) -> list[OtherOpenReferral]:
    """The child's other open referrals, for the referring side (the warning at creation, again) and the clinic
    (those it has received itself)."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        parties = uow.referrals.parties_of(actor=actor, referral=referral)
        if not parties:
            raise Forbidden("Only the referring side and the receiving clinic are told of the child's other "
                            "referrals.")
        if Party.REFERRER in parties:
            found = other_open_referrals(session, actor=actor, referral=referral)
        else:
            found = _told(session, actor=actor, referrals=same_child_at_clinic(session, referral=referral),
                          basis=None)
        uow.commit()
        return found


def same_child_at_clinic(session: Session, *, referral: Referral) -> list[Referral]:
    """The child's other referrals at the same clinic that BUP has received and not ended: the side-by-side."""
    return list(session.exec(
        select(Referral).where(Referral.child_id == referral.child_id, Referral.id != referral.id,
                               Referral.clinic_id == referral.clinic_id,
                               Referral.status.in_(lifecycle.MERGE_TARGETS[ReferralAction.MERGE]))
        .order_by(Referral.received_on, Referral.created_at, Referral.id)))


@dataclass(frozen=True)
class SideBySide:
    """Another referral of the child at the same clinic, compact, for BUP to compare with the one it reads."""

    referral: Referral
    referrer_name: str
    referrer_organisation: str
    #: BUP may merge it into the referral it reads (both open, the other not yet decided on).
    mergeable: bool


def side_by_side(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str) -> list[SideBySide]:
    """For BUP: the child's other referrals at its clinic, received and not ended; the reading is access-logged."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        if Party.CLINIC not in uow.referrals.parties_of(actor=actor, referral=referral):
            return []
        others = same_child_at_clinic(session, referral=referral)
        if not others:
            return []
        users = dict(session.exec(select(User.id, User.name)
                                  .where(User.id.in_({r.referrer_user_id for r in others}))).all())
        organisations = dict(session.exec(select(Organisation.id, Organisation.name)
                                          .where(Organisation.id.in_({r.referrer_org_id for r in others}))).all())
        record_access(session, actor=actor, action="read_duplicates", referrals=others)
        uow.commit()
        return [SideBySide(referral=r, referrer_name=users.get(r.referrer_user_id, ""),
                           referrer_organisation=organisations.get(r.referrer_org_id, ""),
                           mergeable=lifecycle.may_merge(ending=ReferralStatus(r.status),
                                                         staying=ReferralStatus(referral.status)))
                for r in others]


def join_referral(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str, other_referral_id: str,
                  if_match: str | None = None) -> ReferralView:
    """The referrer's own draft ends and joins the child's other open referral: their organisation becomes its
    co-referrer and what they wrote is added to it. The right rests on their own referral of the same child."""
    with uow:
        session = uow.session
        own = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        parties = uow.referrals.parties_of(actor=actor, referral=own)
        lifecycle.require_merge_party(action=ReferralAction.JOIN, parties=parties)
        other = session.get(Referral, other_referral_id)
        # The referrer is no party of the other referral: anything but the child's other referral is unknown.
        if other is None or other.id == own.id or other.child_id != own.child_id:
            raise NotFound(REFERRAL_NOT_FOUND)  # as for any referral one may not see
        check_if_match(own, if_match)
        decision = lifecycle.decide_merge(
            action=ReferralAction.JOIN, ending=ReferralStatus(own.status), staying=ReferralStatus(other.status),
            parties=parties, same_child=True, same_clinic=True)
        _merge(uow, clock, actor=actor, ending=own, staying=other, action=ReferralAction.JOIN, decision=decision,
               if_match=if_match, named=own)
        uow.commit()
        return build_view(session, own, viewer=actor)


def merge_referrals(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str, other_referral_id: str,
                    if_match: str | None = None) -> ReferralView:
    """BUP keeps this referral and merges the child's other one at its clinic into it."""
    with uow:
        session = uow.session
        staying = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        parties = uow.referrals.parties_of(actor=actor, referral=staying)
        lifecycle.require_merge_party(action=ReferralAction.MERGE, parties=parties)
        if other_referral_id == staying.id:
            raise InvalidData("A referral cannot be merged with itself.",
                              errors={"other_referral_id": ["The same referral."]})
        ending = uow.referrals.get_visible(actor=actor, referral_id=other_referral_id)
        check_if_match(staying, if_match)
        decision = lifecycle.decide_merge(
            action=ReferralAction.MERGE, ending=ReferralStatus(ending.status), staying=ReferralStatus(staying.status),
            parties=parties & uow.referrals.parties_of(actor=actor, referral=ending),
            same_child=ending.child_id == staying.child_id, same_clinic=ending.clinic_id == staying.clinic_id)
        _merge(uow, clock, actor=actor, ending=ending, staying=staying, action=ReferralAction.MERGE,
               decision=decision, if_match=if_match, named=staying)
        uow.commit()
        return build_view(session, staying, viewer=actor)


def _content_of(session: Session, referral: Referral) -> dict[str, Any]:
    """Everything the ending referral's referrer wrote, kept on the referral that stays."""
    return {
        "merged_referral_id": referral.id,
        "organisation_id": referral.referrer_org_id,
        "referrer_user_id": referral.referrer_user_id,
        "referrer_kind": referral.referrer_kind,
        "clinic_id": referral.clinic_id,
        "status": referral.status,
        "received_on": referral.received_on.isoformat() if referral.received_on else None,
        "reasons": list(referral.reasons),
        "urgency": referral.urgency,
        "description": referral.description,
        "measures_tried": referral.measures_tried,
        "child_view": referral.child_view,
        "attachments": list(referral.attachments),
        "municipal_contacts": [{"role": c.role, "name": c.name, "organisation_id": c.organisation_id}
                               for c in contacts_of(session, referral.id)],
    }


def _merge(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, ending: Referral, staying: Referral,
           action: ReferralAction, decision: lifecycle.Decision, if_match: str | None, named: Referral) -> None:
    """The ending referral becomes part of the one that stays; both keep their own history. `if_match` is the
    version of `named`, the referral the request is addressed to."""
    session = uow.session
    for referral in sorted((ending, staying), key=lambda r: r.id):  # one lock order, whoever merges
        uow.referrals.claim_version(referral, if_match=if_match if referral is named else None)
    now = clock.now()
    content = _content_of(session, ending)
    staying.reasons = list(dict.fromkeys([*staying.reasons, *ending.reasons]))
    if ending.urgency == "urgent":
        staying.urgency = "urgent"
    staying.attachments = [*staying.attachments,
                           *({**a, "from_referral_id": ending.id} for a in ending.attachments)]
    _take_contacts(session, ending=ending, staying=staying)
    joined = _take_co_referrers(session, actor=actor, ending=ending, staying=staying, now=now)
    if staying.status in (ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED) and ending.received_on \
            and staying.received_on and ending.received_on < staying.received_on:
        # The child has waited since the first receipt: the earlier deadline binds.
        staying.received_on, staying.assessment_due = ending.received_on, ending.assessment_due
    staying.updated_at = now
    ending.status, ending.merged_into_id, ending.updated_at = decision.to_status, staying.id, now
    if decision.ends_referral:
        uow.referrals.settle_alerts(ending.id, now)
    uow.record_event(ReferralEvent(
        referral_id=staying.id, action=action, from_status=staying.status, to_status=staying.status,
        actor_id=actor.user_id, actor_org_id=actor.organisation_id, at=now,
        data={**content, "co_referrers_added": joined}))
    uow.record_event(ReferralEvent(
        referral_id=ending.id, action=decision.action, from_status=decision.from_status, to_status=decision.to_status,
        actor_id=actor.user_id, actor_org_id=actor.organisation_id, at=now,
        data={"merged_into_id": staying.id, "by": str(action)}, handover_trigger=decision.handover_trigger))
    record_access(session, actor=actor, action=str(action), referrals=[staying, ending])


def _take_contacts(session: Session, *, ending: Referral, staying: Referral) -> None:
    known = {(c.role, c.name, c.organisation_id) for c in contacts_of(session, staying.id)}
    for contact in contacts_of(session, ending.id):
        if (contact.role, contact.name, contact.organisation_id) not in known:
            known.add((contact.role, contact.name, contact.organisation_id))
            session.add(MunicipalContact(referral_id=staying.id, role=contact.role, name=contact.name,
                                         organisation_id=contact.organisation_id))


def _take_co_referrers(session: Session, *, actor: Actor, ending: Referral, staying: Referral, now) -> list[str]:
    """The ending referral's referrer and co-referrers take part in the one that stays; returns those added."""
    present = {staying.referrer_org_id, *session.exec(select(CoReferrer.organisation_id)
                                                      .where(CoReferrer.referral_id == staying.id)).all()}
    wanted = [ending.referrer_org_id, *session.exec(select(CoReferrer.organisation_id)
                                                    .where(CoReferrer.referral_id == ending.id)
                                                    .order_by(CoReferrer.invited_at)).all()]
    added = []
    for organisation_id in dict.fromkeys(wanted):
        if organisation_id not in present:
            session.add(CoReferrer(referral_id=staying.id, organisation_id=organisation_id,
                                   invited_by_user_id=actor.user_id, invited_at=now))
            added.append(organisation_id)
    return added
