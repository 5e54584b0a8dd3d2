"""Retention of the family page's data (issue 14): what an anonymised case's family records keep, and when the people
who signed in on the family page are forgotten.

When a child's case is anonymised (services/retention/cases.py), its family data goes with it: the guardians recorded
with an identity number, the young person's own words and their choice to share with the guardians are deleted; a
letter keeps its kind, dates, status and audiences (what Oversikt could count) but not what it said; "Vi har ikke
hørt noe" keeps its times and the owner it alerted, but no longer who raised it. A family member is known only by
the blind index of their number, which names them to anyone holding the key, so a nudge is moved to a stand-in
person that names no one (as the child's own index is replaced by `anonymised:<id>`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlmodel import Session, col

from referral_service.domain.child import Child
from referral_service.domain.family import (
    FamilyLetter,
    FamilyNudge,
    FamilyPerson,
    FamilySession,
    FamilyShare,
    FamilyVoice,
    GuardianIdentity,
)
from referral_service.domain.referral import Referral

#: The prefix of a stand-in person's index (never a blind index, which is hex).
ANONYMISED_PERSON = "anonymised:"


def forget_family_of_case(session: Session, child: Child, referral_ids: list[str]) -> None:
    """Remove who the family is and what they or the letters said about the child, in the anonymising transaction."""
    session.execute(delete(GuardianIdentity).where(col(GuardianIdentity.child_id) == child.id))
    session.execute(delete(FamilyVoice).where(col(FamilyVoice.referral_id).in_(referral_ids)))
    session.execute(delete(FamilyShare).where(col(FamilyShare.child_id) == child.id))
    session.execute(update(FamilyLetter).where(col(FamilyLetter.referral_id).in_(referral_ids))
                    .values(facts={}))
    if session.execute(select(FamilyNudge.id).where(col(FamilyNudge.referral_id).in_(referral_ids))).first():
        stand_in = _stand_in_for(session, child)
        session.execute(update(FamilyNudge).where(col(FamilyNudge.referral_id).in_(referral_ids))
                        .values(raised_by_person_id=stand_in))


def _stand_in_for(session: Session, child: Child) -> str:
    """The person that names no one, for the nudges of this anonymised child's case."""
    index = f"{ANONYMISED_PERSON}{child.id}"
    found = session.execute(select(FamilyPerson.id).where(col(FamilyPerson.national_id_index) == index)).scalar()
    if found is not None:
        return str(found)
    stand_in = FamilyPerson(national_id_index=index, created_at=child.created_at)
    session.add(stand_in)
    session.flush()
    return stand_in.id


def family_changes() -> list[Any]:
    """(child, moment) for the family's own doings on a case: a nudge or their own words keep the case open longer."""
    return [
        select(Referral.child_id, FamilyNudge.raised_at).join(FamilyNudge, col(FamilyNudge.referral_id) == col(
            Referral.id)),
        select(Referral.child_id, FamilyVoice.written_at).join(FamilyVoice, col(FamilyVoice.referral_id) == col(
            Referral.id)),
    ]


def stale_sessions(cut_off: datetime) -> Any:
    """Family sessions last seen before the cut-off (one that ended was last seen before it ended; a session lives
    hours, SESSION_MAX_HOURS, so one idle since the cut-off has long been over)."""
    return col(FamilySession.last_seen_at) < cut_off


def forgotten_people(cut_off: datetime) -> Any:
    """The people who have not signed in since the cut-off, have no session left from since then, and whom nothing
    kept refers to (a nudge or their own words: those go with their case, or keep the person until then)."""
    return and_(
        func.coalesce(col(FamilyPerson.last_signed_in_at), col(FamilyPerson.created_at)) < cut_off,
        col(FamilyPerson.national_id_index).not_like(f"{ANONYMISED_PERSON}%"),
        ~exists().where(col(FamilySession.person_id) == col(FamilyPerson.id),
                        col(FamilySession.last_seen_at) >= cut_off),
        ~exists().where(col(FamilyNudge.raised_by_person_id) == col(FamilyPerson.id)),
        ~exists().where(col(FamilyVoice.person_id) == col(FamilyPerson.id)),
    )


def delete_people(session: Session, person_ids: list[str]) -> None:
    """Delete these people and whatever old sessions of theirs are left (the sessions refer to them)."""
    session.execute(delete(FamilySession).where(col(FamilySession.person_id).in_(person_ids)))
    session.execute(delete(FamilyPerson).where(col(FamilyPerson.id).in_(person_ids)))
