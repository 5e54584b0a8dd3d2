"""The family's sign-in sessions, kept on the server like the staff's (services/admin/web_sessions.py): the browser
holds a random id, the table its hash and the blind indexes of the person's identity number."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.family import FamilyPerson, FamilySession
from referral_service.services.admin.web_sessions import hash_session_id
from referral_service.services.unit_of_work import SqlUnitOfWork


def start_family_session(uow: SqlUnitOfWork, clock: Clock, *, national_id_indexes: tuple[str, ...]) -> str:
    """Sign in the person with this identity number (its blind indexes, the primary key's first): they are known
    from now on by a FamilyPerson row. The answer is the id for the browser's cookie (never stored)."""
    session_id = secrets.token_urlsafe(32)
    with uow:
        now = clock.now()
        person = _person_by_any_index(uow.session, national_id_indexes)
        if person is None:
            person = FamilyPerson(national_id_index=national_id_indexes[0], created_at=now)
            uow.add(person)
        elif person.national_id_index != national_id_indexes[0]:
            # Known under an older key: no number is kept to re-index them by in a key rotation, so they move to
            # the newest key's index now, while their number is at hand (services/admin/key_rotation.py).
            person.national_id_index = national_id_indexes[0]
        person.last_signed_in_at = now
        uow.add(FamilySession(id_hash=hash_session_id(session_id), person_id=person.id,
                              national_id_indexes=list(national_id_indexes), created_at=now, last_seen_at=now))
        uow.commit()
    return session_id


def _person_by_any_index(session: Session, national_id_indexes: tuple[str, ...]) -> FamilyPerson | None:
    """The person under any key's index, the newest key's first (only one row can hold an index)."""
    found = {person.national_id_index: person for person in session.exec(select(FamilyPerson).where(
        col(FamilyPerson.national_id_index).in_(national_id_indexes))).all()}
    return next((found[index] for index in national_id_indexes if index in found), None)


def find_family_session(session: Session, session_id: str) -> FamilySession | None:
    """The session behind a browser's id, whether or not it is still good (the caller's policy says)."""
    found = session.get(FamilySession, hash_session_id(session_id))
    if found is not None:
        session.expunge(found)  # the caller may mark it seen; the request's reading session must not write it back
    return found


def touch_family_session(uow: SqlUnitOfWork, *, id_hash: str, at: datetime) -> None:
    with uow:
        uow.session.execute(update(FamilySession).where(col(FamilySession.id_hash) == id_hash,
                                                        col(FamilySession.ended_at).is_(None))
                            .values(last_seen_at=at))
        uow.commit()


def end_family_session(uow: SqlUnitOfWork, *, id_hash: str, at: datetime, reason: str) -> None:
    with uow:
        uow.session.execute(update(FamilySession).where(col(FamilySession.id_hash) == id_hash,
                                                        col(FamilySession.ended_at).is_(None))
                            .values(ended_at=at, ended_reason=reason))
        uow.commit()
