"""An in-memory unit of work for the decision services: no database, no Flask."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from referral_service.domain.child import Child
from referral_service.domain.enums import Role
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Consent, Referral
from referral_service.errors import Conflict, NotFound, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.services.unit_of_work import UnitOfWork
from referral_service.services.views import HandoverView, ReferralView, child_details, names_a_version
from referral_service.workflows.escalation import Mark
from referral_service.workflows.referral_lifecycle import Party
from referral_service.workflows.referral_rights import GrantPeriod


class FakeReferrals:
    def __init__(self) -> None:
        self.rows: dict[str, Referral] = {}
        self.children: dict[str, Child] = {}
        self.consents: dict[str, Consent] = {}
        self.grants: list[GrantPeriod] = []
        #: The versions a concurrent writer has already claimed: claiming them again loses the race.
        self.taken_versions: set[tuple[str, int]] = set()
        #: The referrals whose alerts were settled as they ended.
        self.settled: list[str] = []

    def get_visible(self, *, actor: Actor, referral_id: str) -> Referral:
        referral = self.rows.get(referral_id)
        if referral is None or not self.parties_of(actor=actor, referral=referral):
            raise NotFound("No such referral, or it is not visible to you.")
        return referral

    def parties_of(self, *, actor: Actor, referral: Referral) -> frozenset[Party]:
        parties = set()
        if actor.has_role(Role.REFERRER) and referral.referrer_org_id == actor.organisation_id:
            parties.add(Party.REFERRER)
        if actor.has_role(Role.BUP_INTAKE) and referral.clinic_id == actor.organisation_id:
            parties.add(Party.CLINIC)
        return frozenset(parties)

    def claim_version(self, referral: Referral, *, if_match: str | None = None) -> None:
        if (referral.id, referral.version) in self.taken_versions:
            if names_a_version(if_match):
                raise PreconditionFailed("The record was changed at the same time as your request.")
            raise Conflict("Another change to this record was made at the same time.")
        referral.version += 1

    def child_of(self, referral: Referral) -> Child:
        return self.children[referral.child_id]

    def current_consent(self, referral_id: str) -> Consent | None:
        return self.consents.get(referral_id)

    def referral_right_grants(self, municipality_number: str | None) -> list[GrantPeriod]:
        return list(self.grants)

    def add_forwarded(self, *, source: Referral, target: Referral) -> None:
        self.rows[target.id] = target
        if source.id in self.consents:
            self.consents[target.id] = self.consents[source.id]

    def view(self, referral: Referral) -> ReferralView:
        return ReferralView(referral=referral, child=child_details(referral, self.child_of(referral)),
                            consent=self.current_consent(referral.id))

    def settle_alerts(self, referral_id: str, at: datetime) -> int:
        self.settled.append(referral_id)
        return 0


class FakeHandovers:
    def __init__(self, referrals: FakeReferrals) -> None:
        self.referrals = referrals
        self.rows: dict[str, Handover] = {}
        self.events: list[HandoverEvent] = []
        self.settled: list[tuple[str, frozenset[str] | None]] = []

    def get_visible(self, *, actor: Actor, handover_id: str) -> tuple[Handover, Referral]:
        handover = self.rows.get(handover_id)
        if handover is None or handover.municipality_org_id != actor.organisation_id:
            raise NotFound("No such handover task, or it is not visible to you.")
        return handover, self.referrals.rows[handover.referral_id]

    def claim_version(self, handover: Handover, *, if_match: str | None = None) -> None:
        handover.version += 1

    def for_referral(self, referral_id: str) -> Handover | None:
        return next((h for h in self.rows.values() if h.referral_id == referral_id), None)

    def settle_alerts(self, handover_id: str, kinds: frozenset[str] | None, at: datetime) -> int:
        self.settled.append((handover_id, kinds))
        return 0

    def add_event(self, event: HandoverEvent) -> None:
        self.events.append(event)

    def view(self, handover: Handover) -> HandoverView:
        return HandoverView(handover=handover, events=[e for e in self.events if e.handover_id == handover.id])


class FakeOrganisations:
    def __init__(self) -> None:
        self.rows: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}

    def get(self, organisation_id: str) -> Organisation | None:
        return self.rows.get(organisation_id)

    def user(self, user_id: str) -> User | None:
        return self.users.get(user_id)


class FakeMarks:
    def __init__(self) -> None:
        self.keys: dict[str, Mark] = {}

    def add(self, mark: Mark, *, referral_id: str | None, handover_id: str | None, at: datetime) -> bool:
        if mark.key in self.keys:
            return False
        self.keys[mark.key] = mark
        return True


@dataclass
class FakeAccessLog:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def record(self, *, actor: Actor, action: str, referrals: Iterable[Referral]) -> None:
        self.rows.extend((actor.user_id, action, r.id) for r in referrals)


class FakeUnitOfWork(UnitOfWork):
    """Keeps what a use case stored; `committed` holds the events (and rows) of each commit."""

    def __init__(self) -> None:
        super().__init__()
        self.referrals = FakeReferrals()
        self.handovers = FakeHandovers(self.referrals)
        self.organisations = FakeOrganisations()
        self.marks = FakeMarks()
        self.access_log = FakeAccessLog()
        self.added: list[object] = []
        self.outbox: list[object] = []
        self.commits = 0
        self.rollbacks = 0

    def add(self, row: object) -> None:
        (self.outbox if isinstance(row, OutboxMessage) else self.added).append(row)

    def _commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        self.rollbacks += 1
