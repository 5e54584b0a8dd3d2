"""The young person's own words from the family page: "Det jeg vil at BUP og kommunen skal vite".

From 12 the child or young person adds or corrects them, before and after a decision (each time a row, the newest
first); the owner of the child's case is alerted. The guardians never see them (workflows/family_access.py: the
family page shows them only to a reader who may speak for themselves)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.family import FamilyVoice
from referral_service.errors import Forbidden, InvalidData, NotFound
from referral_service.services.alerts.inbox import raise_alerts
from referral_service.services.family.access import FamilyCaseAccess, FamilyViewer, case_or_none_logged
from referral_service.services.family.nudges import owner_now, owner_people
from referral_service.services.referrals.queries import current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.family_access import may_speak_for_themselves

#: The most a young person writes at once (the column's length).
MAX_CHARS = 4_000
#: The access log's action for writing; the staff's reading is services/family/staff_side.py's.
WRITTEN = "family_voice_add"
#: The alert to the owner (notify/alert_texts.py words it; it never carries the words).
VOICE_ADDED = "family_voice"


def add_words(uow: SqlUnitOfWork, clock: Clock, *, viewer: FamilyViewer, referral_id: str, text: str) -> FamilyVoice:
    """Keep what the young person wrote and tell the owner. 404 (logged) for a case they may not read, 403 for a
    reader who may not speak for the child (a guardian), 422 for an empty or too long text; nothing is kept then."""
    with uow:
        session = uow.session
        case = case_or_none_logged(session, viewer, referral_id, today=clock.today(), action=WRITTEN)
        if case is None:
            raise NotFound("No such referral.")
        if not may_speak_for_themselves(case.role):
            raise Forbidden("Only the child or young person writes their own words.")
        words = text.strip()
        if not words:
            raise InvalidData("Write something first.", errors={"text": ["empty"]})
        if len(words) > MAX_CHARS:
            raise InvalidData(f"At most {MAX_CHARS} characters.", errors={"text": ["too_long"]})
        voice = FamilyVoice(referral_id=referral_id, person_id=viewer.person_id, text=words, written_at=clock.now())
        session.add(voice)
        session.flush()
        organisation_id, person_id = owner_now(session, case.referral)
        handover = current_handover(session, referral_id)
        raise_alerts(uow, clock, users=owner_people(session, organisation_id=organisation_id, person_id=person_id,
                                                    handover=handover),
                     kind=VOICE_ADDED, dedupe_key=f"family_voice:{voice.id}", referral_id=referral_id,
                     handover_id=handover.id if handover else None)
        uow.commit()
        return voice


def words_of(session: Session, referral_id: str) -> list[FamilyVoice]:
    """The young person's words about the referral, newest first."""
    return list(session.exec(select(FamilyVoice).where(FamilyVoice.referral_id == referral_id)
                             .order_by(col(FamilyVoice.written_at).desc(), col(FamilyVoice.id))).all())


def words_for_family(session: Session, case: FamilyCaseAccess) -> list[FamilyVoice] | None:
    """Their earlier words for the child's own page; None for a reader who gets no form (a guardian)."""
    if not may_speak_for_themselves(case.role) or not case.shows("voice"):
        return None
    return words_of(session, case.referral.id)
