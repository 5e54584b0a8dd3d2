"""Where the decision services find and keep things: small interfaces, with their SQL implementations.

The decision services (a referral's lifecycle action, a handover task's step) use only these, so their
unit tests run on in-memory fakes with no database (tests/unit/fakes.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from referral_service.domain.alert import Alert
from referral_service.domain.child import Child
from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent
from referral_service.domain.organisation import Organisation, ReferralRightGrant, User
from referral_service.domain.referral import Consent, CoReferrer, MunicipalContact, Referral
from referral_service.errors import Conflict, NotFound, PreconditionFailed
from referral_service.security.access_log import DENIED_HANDOVER, DENIED_REFERRAL, record_access, record_attempt
from referral_service.security.actor import Actor
from referral_service.security.handover_visibility import visible_handovers
from referral_service.security.visibility import parties_of, visible_referrals
from referral_service.services.referrals.guardian_identities import copy_guardian_identities
from referral_service.services.referrals.queries import current_consent, current_handover
from referral_service.services.views import HandoverView, ReferralView, build_view, names_a_version
from referral_service.workflows.escalation import Mark
from referral_service.workflows.referral_lifecycle import Party
from referral_service.workflows.referral_rights import GrantPeriod

REFERRAL_NOT_FOUND = "No such referral, or it is not visible to you."
HANDOVER_NOT_FOUND = "No such handover task, or it is not visible to you."
RACE_LOST = "Another change to this record was made at the same time."
STALE_AFTER_RACE = "The record was changed at the same time as your request. Fetch it again."


class ReferralRepository(Protocol):
    def get_visible(self, *, actor: Actor, referral_id: str) -> Referral: ...
    def parties_of(self, *, actor: Actor, referral: Referral) -> frozenset[Party]: ...
    def claim_version(self, referral: Referral, *, if_match: str | None = None) -> None: ...
    def child_of(self, referral: Referral) -> Child: ...
    def current_consent(self, referral_id: str) -> Consent | None: ...
    def referral_right_grants(self, municipality_number: str | None) -> list[GrantPeriod]: ...
    def add_forwarded(self, *, source: Referral, target: Referral) -> None: ...
    def view(self, referral: Referral) -> ReferralView: ...
    def settle_alerts(self, referral_id: str, at: datetime) -> int: ...


class HandoverRepository(Protocol):
    def get_visible(self, *, actor: Actor, handover_id: str) -> tuple[Handover, Referral]: ...
    def claim_version(self, handover: Handover, *, if_match: str | None = None) -> None: ...
    def add_event(self, event: HandoverEvent) -> None: ...
    def view(self, handover: Handover) -> HandoverView: ...
    def for_referral(self, referral_id: str) -> Handover | None: ...
    def settle_alerts(self, handover_id: str, kinds: frozenset[str] | None, at: datetime) -> int: ...


class OrganisationRepository(Protocol):
    def get(self, organisation_id: str) -> Organisation | None: ...
    def user(self, user_id: str) -> User | None: ...


class DeadlineMarkRepository(Protocol):
    def add(self, mark: Mark, *, referral_id: str | None, handover_id: str | None, at: datetime) -> bool: ...


class AccessLogRepository(Protocol):
    def record(self, *, actor: Actor, action: str, referrals: Iterable[Referral]) -> None: ...


def claim_row_version(session: Session, table: Any, row: Any, *, if_match: str | None = None) -> None:
    """Bump the version if nobody else has; the loser of a race never makes a second decision.

    The conditional UPDATE also takes the row's write lock until this transaction ends. On PostgreSQL the loser
    passed the If-Match check before the winner committed, waits here for the winner's lock and then finds the
    version moved on: the version its If-Match named is stale now, so it answers 412 as a stale copy does (API.md);
    without If-Match it answers 409.
    """
    claimed = session.execute(
        update(table)
        .where(table.id == row.id, table.version == row.version)
        .values(version=row.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        if names_a_version(if_match):
            raise PreconditionFailed(STALE_AFTER_RACE)
        raise Conflict(RACE_LOST)
    # The UPDATE above stored it: the session takes it as stored, so its flush does not write it again.
    set_committed_value(row, "version", row.version + 1)


class SqlReferrals:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_visible(self, *, actor: Actor, referral_id: str) -> Referral:
        """The referral if the actor's organisation takes part in it; 404 otherwise."""
        referral = self.session.exec(
            select(Referral).where(Referral.id == referral_id, visible_referrals(actor))).first()
        if referral is None:  # an attempt on a child's referral: logged even though the use case rolls back
            record_attempt(self.session, actor=actor, action=DENIED_REFERRAL, requested_id=referral_id)
            raise NotFound(REFERRAL_NOT_FOUND)
        return referral

    def parties_of(self, *, actor: Actor, referral: Referral) -> frozenset[Party]:
        return parties_of(self.session, actor=actor, referral=referral)

    def claim_version(self, referral: Referral, *, if_match: str | None = None) -> None:
        claim_row_version(self.session, Referral, referral, if_match=if_match)

    def child_of(self, referral: Referral) -> Child:
        child = self.session.get(Child, referral.child_id)
        assert child is not None  # a foreign key guarantees it
        return child

    def current_consent(self, referral_id: str) -> Consent | None:
        return current_consent(self.session, referral_id)

    def referral_right_grants(self, municipality_number: str | None) -> list[GrantPeriod]:
        return [GrantPeriod(g.profession, g.valid_from, g.valid_to) for g in self.session.exec(
            select(ReferralRightGrant).where(ReferralRightGrant.municipality_number == municipality_number))]

    def add_forwarded(self, *, source: Referral, target: Referral) -> None:
        """The new referral, with the consent in force, the people around the child and the co-referrers."""
        session = self.session
        session.add(target)
        session.flush()
        for consent in session.exec(select(Consent).where(Consent.referral_id == source.id,
                                                          Consent.superseded_at.is_(None))):
            session.add(Consent(**consent.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))
        for contact in session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == source.id)):
            session.add(MunicipalContact(**contact.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))
        for co in session.exec(select(CoReferrer).where(CoReferrer.referral_id == source.id)):
            session.add(CoReferrer(**co.model_dump(exclude={"id", "referral_id"}), referral_id=target.id))
        copy_guardian_identities(session, source=source, target=target)  # they may still sign in to see it

    def view(self, referral: Referral) -> ReferralView:
        return build_view(self.session, referral)

    def settle_alerts(self, referral_id: str, at: datetime) -> int:
        """Mark everyone's unread alerts about the referral done (read); a handover's own alerts wait for it."""
        return self.session.execute(update(Alert).where(
            col(Alert.referral_id) == referral_id, col(Alert.read_at).is_(None), col(Alert.handover_id).is_(None))
            .values(read_at=at)).rowcount


class SqlHandovers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_referral(self, referral_id: str) -> Handover | None:
        return current_handover(self.session, referral_id)

    def settle_alerts(self, handover_id: str, kinds: frozenset[str] | None, at: datetime) -> int:
        """Mark the unread alerts about the task done (read); only these kinds, unless None."""
        query = update(Alert).where(col(Alert.handover_id) == handover_id, col(Alert.read_at).is_(None))
        if kinds is not None:
            query = query.where(col(Alert.kind).in_(kinds))
        return self.session.execute(query.values(read_at=at)).rowcount

    def get_visible(self, *, actor: Actor, handover_id: str) -> tuple[Handover, Referral]:
        handover = self.session.exec(
            select(Handover).where(Handover.id == handover_id, visible_handovers(actor))).first()
        if handover is None:
            record_attempt(self.session, actor=actor, action=DENIED_HANDOVER, requested_id=handover_id)
            raise NotFound(HANDOVER_NOT_FOUND)
        referral = self.session.get(Referral, handover.referral_id)
        assert referral is not None  # a foreign key guarantees it
        return handover, referral

    def claim_version(self, handover: Handover, *, if_match: str | None = None) -> None:
        claim_row_version(self.session, Handover, handover, if_match=if_match)

    def _chain(self, handover: Handover) -> list[str]:
        """The task and those it continues after moves: its history is theirs too."""
        ids = [handover.id]
        previous = handover.transferred_from_id
        while previous is not None and previous not in ids:
            ids.append(previous)
            previous = self.session.exec(select(Handover.transferred_from_id).where(Handover.id == previous)).one()
        return ids

    def add_event(self, event: HandoverEvent) -> None:
        self.session.add(event)

    def view(self, handover: Handover) -> HandoverView:
        chain = self._chain(handover)
        events = sorted(self.session.exec(select(HandoverEvent).where(col(HandoverEvent.handover_id).in_(chain))
                                          .order_by(HandoverEvent.at, HandoverEvent.id)).all(),
                        key=lambda e: (e.at, -chain.index(e.handover_id)))  # at a transfer, the old task's step first
        consent = self.session.exec(select(Consent).where(Consent.referral_id == handover.referral_id,
                                                          Consent.superseded_at.is_(None))).first()
        return HandoverView(handover=handover, events=list(events),
                            withhold_from_guardians=bool(consent and consent.withhold_from_guardians))


class SqlOrganisations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, organisation_id: str) -> Organisation | None:
        return self.session.get(Organisation, organisation_id)

    def user(self, user_id: str) -> User | None:
        return self.session.get(User, user_id)


class SqlDeadlineMarks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, mark: Mark, *, referral_id: str | None, handover_id: str | None, at: datetime) -> bool:
        """Record the mark under its stable key; False if it was recorded before."""
        if self.session.exec(select(DeadlineMark.id).where(DeadlineMark.key == mark.key)).first():
            return False
        try:
            with self.session.begin_nested():
                self.session.add(DeadlineMark(key=mark.key, kind=mark.kind, referral_id=referral_id,
                                              handover_id=handover_id, level=mark.level, due=mark.due, at=at))
        except IntegrityError:
            return False
        return True


class SqlAccessLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, *, actor: Actor, action: str, referrals: Iterable[Referral]) -> None:
        record_access(self.session, actor=actor, action=action, referrals=referrals)
