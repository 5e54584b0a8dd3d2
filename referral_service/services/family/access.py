"""Which referrals a signed-in family member may read, and as whom (workflows/family_access.py): the child by the
blind index of their own identity number, a guardian by the guardians recorded on the referral with theirs. Nobody
else sees anything: a referral they may not read is a 404, and the attempt is in the access log. Every read is
logged too, by the person's FamilyPerson id under the organisation `family`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralStatus
from referral_service.domain.family import FamilyShare, GuardianIdentity
from referral_service.domain.referral import Referral
from referral_service.security.access_log import DENIED_REFERRAL, record_access, record_attempt
from referral_service.security.actor import Actor
from referral_service.services.referrals.queries import current_consent
from referral_service.workflows.age_range import age_for_rules
from referral_service.workflows.family_access import FamilyRole, hidden_topics, reader_role

#: The access log's organisation for family members (they belong to none of ours).
FAMILY_ORGANISATION = "family"
#: Never shown to the family: not sent yet, or ended as part of another referral of the child.
NOT_FOR_THE_FAMILY = (ReferralStatus.DRAFT, ReferralStatus.MERGED)


@dataclass(frozen=True)
class FamilyViewer:
    """A signed-in family member: their FamilyPerson id and the blind indexes of their identity number."""

    person_id: str
    national_id_indexes: tuple[str, ...]


@dataclass(frozen=True)
class FamilyCaseAccess:
    """One referral as this family member may read it."""

    referral: Referral
    child: Child
    role: FamilyRole
    #: The child's age today (completed years), which the rules judged by.
    age: int
    #: What this reader must not see (workflows/family_access.WITHHELD_TOPICS for a withholding child's guardians).
    hidden: frozenset[str]

    def shows(self, topic: str) -> bool:
        return topic not in self.hidden


def family_actor(viewer: FamilyViewer, role: FamilyRole | None = None) -> Actor:
    """The family member as the access log names them."""
    return Actor(user_id=viewer.person_id, organisation_id=FAMILY_ORGANISATION, organisation_kind=FAMILY_ORGANISATION,
                 municipality_number=None, roles=frozenset({role.value if role else "family"}), profession="family")


def readable_cases(session: Session, viewer: FamilyViewer, *, today: date) -> list[FamilyCaseAccess]:
    """Every referral this person may read, newest first (not logged: the caller logs what it shows)."""
    indexes = list(viewer.national_id_indexes)
    own_children = select(Child.id).where(col(Child.national_id_index).in_(indexes))
    as_guardian = select(GuardianIdentity.referral_id).where(col(GuardianIdentity.national_id_index).in_(indexes))
    rows = session.exec(select(Referral, Child).join(Child, col(Child.id) == Referral.child_id)
                        .where(col(Referral.child_id).in_(own_children) | col(Referral.id).in_(as_guardian),
                               col(Referral.status).not_in([s.value for s in NOT_FOR_THE_FAMILY]))
                        .order_by(col(Referral.created_at).desc(), col(Referral.id))).all()
    guardian_of = set(session.exec(as_guardian).all())
    cases = [_access(session, referral, child, viewer=viewer, is_guardian=referral.id in guardian_of, today=today)
             for referral, child in rows]
    return [case for case in cases if case is not None]


def readable_case(session: Session, viewer: FamilyViewer, referral_id: str, *, today: date) -> FamilyCaseAccess | None:
    """The referral as this person may read it, or None (for one they may not read, or that does not exist)."""
    row = session.exec(select(Referral, Child).join(Child, col(Child.id) == Referral.child_id)
                       .where(Referral.id == referral_id,
                              col(Referral.status).not_in([s.value for s in NOT_FOR_THE_FAMILY]))).first()
    if row is None:
        return None
    referral, child = row
    indexes = list(viewer.national_id_indexes)
    is_guardian = session.exec(select(GuardianIdentity.id).where(
        GuardianIdentity.referral_id == referral.id,
        col(GuardianIdentity.national_id_index).in_(indexes))).first() is not None
    return _access(session, referral, child, viewer=viewer, is_guardian=is_guardian, today=today)


def case_or_none_logged(session: Session, viewer: FamilyViewer, referral_id: str, *, today: date,
                        action: str) -> FamilyCaseAccess | None:
    """The referral for this person, its reading logged as `action`; None (and the attempt logged, as a denied
    read of a referral) when they may not read it. The caller answers 404."""
    case = readable_case(session, viewer, referral_id, today=today)
    if case is None:
        record_attempt(session, actor=family_actor(viewer), action=DENIED_REFERRAL, requested_id=referral_id)
        return None
    log_family_access(session, viewer, [case], action=action)
    return case


def log_family_access(session: Session, viewer: FamilyViewer, cases: list[FamilyCaseAccess], *, action: str) -> None:
    """One access-log row per case this person read (or wrote to), with the role they read it as."""
    for case in cases:
        record_access(session, actor=family_actor(viewer, case.role), action=action, referrals=[case.referral],
                      basis=f"family:{case.role.value}")


def _access(session: Session, referral: Referral, child: Child, *, viewer: FamilyViewer, is_guardian: bool,
            today: date) -> FamilyCaseAccess | None:
    age = age_for_rules(child.birth_date, today)
    share = session.get(FamilyShare, child.id)
    role = reader_role(is_child=child.national_id_index in viewer.national_id_indexes, is_guardian=is_guardian,
                       age=age, shared_with_guardians=bool(share and share.shared_with_guardians))
    if role is None:
        return None
    consent = current_consent(session, referral.id)
    hidden = hidden_topics(role, age=age, withheld_from_guardians=bool(consent and consent.withhold_from_guardians))
    return FamilyCaseAccess(referral=referral, child=child, role=role, age=age, hidden=hidden)
