"""The family page's read model ("Hvem skal dere snakke med nå?"): for each referral a signed-in family member may
read (services/family/access.py), where it is now, who is responsible now and how to reach them, what happens next
and by when, and what BUP wrote, as the reader's role allows. Every read is in the access log: the list one row per
case shown, a case page its own row; a referral the person may not read is None (the view answers 404), the
attempt logged. A young person from 16 may share their case with their guardians, or stop sharing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from referral_service.clock import Clock
from referral_service.domain.enums import ReferralAction
from referral_service.domain.family import FamilyShare
from referral_service.notify.family_words import stage_next, stage_now
from referral_service.services.family.access import (
    FamilyCaseAccess,
    FamilyViewer,
    case_or_none_logged,
    log_family_access,
    readable_cases,
)
from referral_service.services.family.responsible import responsible_for
from referral_service.services.referrals.queries import events_of
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.family_access import may_share_with_guardians
from referral_service.workflows.responsible_now import Contact

#: BUP's decisions whose words the family may read: the event's field with BUP's explanation, and with its advice.
DECISION_FIELDS: dict[str, tuple[str, str]] = {
    ReferralAction.REJECT.value: ("explanation", "municipal_advice"),
    ReferralAction.MUNICIPAL_OUTCOME.value: ("explanation", "municipal_advice"),
    ReferralAction.DISCHARGE.value: ("summary", "follow_up_recommendations"),
}


@dataclass(frozen=True)
class FamilyCase:
    """One referral on the family page, as this reader may see it (None for what they may not see)."""

    access: FamilyCaseAccess
    child_first_name: str
    #: Where the case is now, and what happens next ("" when there is nothing to say), in the family's words.
    now: str
    next: str
    #: When the next step is due (the working days left are the page's to count).
    due: date | None
    #: Who to talk to now (None while nobody holds it yet: the page says so).
    contact: Contact | None
    reasons: list[str] | None
    child_view: str | None
    explanation: str | None
    advice: str | None
    #: A young person from 16: whether they may share with their guardians, and whether they do.
    may_share: bool
    shared: bool

    @property
    def referral_id(self) -> str:
        return self.access.referral.id


def family_cases(uow: SqlUnitOfWork, viewer: FamilyViewer, *, today: date) -> list[FamilyCase]:
    """Every case this person may read, each read logged."""
    with uow:
        session = uow.session
        cases = readable_cases(session, viewer, today=today)
        shown = [_case(session, case) for case in cases]
        log_family_access(session, viewer, cases, action="family_list")
        uow.commit()
        return shown


def family_case(uow: SqlUnitOfWork, viewer: FamilyViewer, referral_id: str, *, today: date) -> FamilyCase | None:
    """The case, its reading logged; None (the attempt logged) when this person may not read it."""
    with uow:
        session = uow.session
        case = case_or_none_logged(session, viewer, referral_id, today=today, action="family_read")
        shown = _case(session, case) if case is not None else None
        uow.commit()
        return shown


def share_with_guardians(uow: SqlUnitOfWork, clock: Clock, viewer: FamilyViewer, referral_id: str, *,
                         share: bool) -> bool:
    """The young person's choice to let their guardians see their case (and get its letters), or to stop; logged
    as a write. False (the attempt logged) when this person may not read the case or is not the young person."""
    with uow:
        session = uow.session
        case = case_or_none_logged(session, viewer, referral_id, today=clock.today(), action="family_read")
        if case is None or not may_share_with_guardians(case.role):
            uow.commit()
            return False
        log_family_access(session, viewer, [case], action="family_share" if share else "family_unshare")
        row = session.get(FamilyShare, case.child.id) or FamilyShare(child_id=case.child.id)
        row.shared_with_guardians = share
        row.changed_at = clock.now()
        uow.add(row)
        uow.commit()
        return True


def _case(session: Session, case: FamilyCaseAccess) -> FamilyCase:
    referral = case.referral
    language = "nb"  # the page speaks bokmål (UI.md); the letters follow the referral's letter_language
    responsible = responsible_for(session, referral)
    holder = responsible.contact.organisation if responsible.contact else ""
    due = f"{responsible.due:%d.%m.%Y}" if responsible.due else None
    explanation, advice = _decision_words(session, referral.id)
    share = session.get(FamilyShare, case.child.id)
    return FamilyCase(
        access=case,
        child_first_name=(referral.child_given_name or case.child.given_name).split(" ")[0],
        now=stage_now(language, responsible.stage, organisation=holder),
        next=stage_next(language, responsible.stage, due=due, organisation=holder),
        due=responsible.due, contact=responsible.contact,
        reasons=list(referral.reasons) if case.shows("reasons") else None,
        child_view=(referral.child_view or None) if case.shows("child_view") else None,
        explanation=explanation if case.shows("explanation") else None,
        advice=advice if case.shows("advice") else None,
        may_share=may_share_with_guardians(case.role), shared=bool(share and share.shared_with_guardians))


def _decision_words(session: Session, referral_id: str) -> tuple[str | None, str | None]:
    """BUP's explanation and advice (or discharge summary and follow-up recommendations) of its latest decision
    that hands the child back."""
    for event in reversed(events_of(session, referral_id)):
        fields = DECISION_FIELDS.get(event.action)
        if fields:
            data: dict[str, Any] = event.data or {}
            return (str(data.get(fields[0]) or "") or None, str(data.get(fields[1]) or "") or None)
    return None, None
