"""The letters to the child and guardians: the professional of the sending organisation sees a draft in every version
it will go out in, may switch it between bokmål and nynorsk, and sends it (an event on the referral, with the
audiences the age rules give on that day); the family reads the sent letters addressed to them.

Need-to-know as everywhere: a letter is seen and sent only by people of its sender organisation who see the referral
(404 otherwise), and read by a family member only as services/family/access allows (404 otherwise, logged)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.enums import ReferralAction
from referral_service.domain.family import FamilyLetter, FamilyShare
from referral_service.domain.referral import Referral
from referral_service.errors import Conflict, InvalidData, NotFound
from referral_service.notify.family_words import LANGUAGES
from referral_service.security.access_log import DENIED_REFERRAL, record_attempt
from referral_service.security.actor import Actor
from referral_service.services.family.access import (
    FamilyCaseAccess,
    FamilyViewer,
    family_actor,
    log_family_access,
    readable_case,
)
from referral_service.services.referrals.events import record_event
from referral_service.services.referrals.queries import current_consent, current_handover
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.age_range import age_for_rules
from referral_service.workflows.family_access import FamilyRole, hidden_topics, letter_audiences
from referral_service.workflows.family_letters import moment_of, outdated, version_for

LETTER_NOT_FOUND = "No such letter."
ALREADY_SENT = "The letter has already been sent."


class LetterOutdated(Conflict):
    """The case has moved past the draft (a later step, a move): it would tell the family something no longer true."""


@dataclass(frozen=True)
class LetterVersion:
    """One version of a letter: who reads it, and what it leaves out for them."""

    role: FamilyRole
    hidden: frozenset[str]


@dataclass(frozen=True)
class LetterPreview:
    letter: FamilyLetter
    referral: Referral
    #: The versions it goes out in if sent today (or went out in, once sent).
    versions: list[LetterVersion]


def letters_of(session: Session, referral_id: str) -> list[FamilyLetter]:
    """The referral's letters: drafts waiting to be sent first, then the sent ones, newest first."""
    letters = session.exec(select(FamilyLetter).where(FamilyLetter.referral_id == referral_id)
                           .order_by(col(FamilyLetter.created_at).desc(), col(FamilyLetter.id).desc())).all()
    return sorted(letters, key=lambda letter: letter.status != "draft")


def pending_letters(session: Session, *, organisation_id: str, referral_id: str | None = None) -> list[FamilyLetter]:
    """The drafts this organisation is to look at and send (of one referral, when given), oldest first."""
    query = select(FamilyLetter).where(FamilyLetter.sender_org_id == organisation_id, FamilyLetter.status == "draft")
    if referral_id is not None:
        query = query.where(FamilyLetter.referral_id == referral_id)
    return list(session.exec(query.order_by(col(FamilyLetter.created_at), col(FamilyLetter.id))))


def versions_on(session: Session, referral: Referral, *, today: date,
                sent_to: list[str] | None = None) -> list[LetterVersion]:
    """The versions a letter about this referral goes out in today, by the child's age and what it withholds (or,
    for a sent letter, the versions it went out in, `sent_to`)."""
    child = session.get(Child, referral.child_id)
    assert child is not None  # a foreign key guarantees it
    age = age_for_rules(child.birth_date, today)
    share = session.get(FamilyShare, child.id)
    consent = current_consent(session, referral.id)
    withheld = bool(consent and consent.withhold_from_guardians)
    roles = ([FamilyRole(role) for role in sent_to] if sent_to is not None
             else letter_audiences(age=age, shared_with_guardians=bool(share and share.shared_with_guardians)))
    return [LetterVersion(role, hidden_topics(role, age=age, withheld_from_guardians=withheld)) for role in roles]


def outdated_drafts(session: Session, letters: list[FamilyLetter]) -> set[str]:
    """The ids of the drafts among these (of one referral or several) that the case has moved past
    (workflows/family_letters.outdated): shown as outdated, and never sent."""
    drafts = [letter for letter in letters if letter.status == "draft"]
    outdated_ids = set()
    for referral_id in {letter.referral_id for letter in drafts}:  # one referral's letters and task read once
        made = session.exec(select(FamilyLetter.trigger_key, FamilyLetter.created_at)
                            .where(FamilyLetter.referral_id == referral_id)).all()
        handover = current_handover(session, referral_id)
        for letter in (d for d in drafts if d.referral_id == referral_id):
            if outdated(moment=moment_of(letter.trigger_key), handover_id=letter.handover_id,
                        current_handover_id=handover.id if handover else None,
                        later_moments={moment_of(key) for key, at in made if at > letter.created_at}):
                outdated_ids.add(letter.id)
    return outdated_ids


def _own_letter(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str, letter_id: str) -> tuple[FamilyLetter,
                                                                                             Referral]:
    referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
    letter = uow.session.get(FamilyLetter, letter_id)
    if letter is None or letter.referral_id != referral.id or letter.sender_org_id != actor.organisation_id:
        record_attempt(uow.session, actor=actor, action=DENIED_REFERRAL, requested_id=referral_id)
        raise NotFound(LETTER_NOT_FOUND)
    return letter, referral


def preview_letter(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str,
                   letter_id: str) -> LetterPreview:
    """The letter in every version it goes out in (or went out in), for its sender's people; logged."""
    with uow:
        letter, referral = _own_letter(uow, actor=actor, referral_id=referral_id, letter_id=letter_id)
        versions = versions_on(uow.session, referral, today=clock.today(),
                               sent_to=list(letter.audiences) if letter.status == "sent" else None)
        uow.access_log.record(actor=actor, action="read_family_letter", referrals=[referral])
        preview = LetterPreview(letter=letter, referral=referral, versions=versions)
        uow.commit()
    return preview


def change_letter_language(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str, letter_id: str,
                           language: str) -> None:
    """Bokmål or nynorsk, while the letter is a draft."""
    if language not in LANGUAGES:
        raise InvalidData("Choose bokmål or nynorsk.", errors={"language": ["Must be nb or nn."]})
    with uow:
        letter, referral = _own_letter(uow, actor=actor, referral_id=referral_id, letter_id=letter_id)
        if letter.status != "draft":
            raise Conflict(ALREADY_SENT)
        letter.language = language
        uow.access_log.record(actor=actor, action="change_family_letter_language", referrals=[referral])
        uow.commit()


def send_letter(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str, letter_id: str) -> list[str]:
    """Send the draft to the family by the age rules today: the letter is marked sent (once, whoever else clicks),
    and the referral gets an event. Returns the audiences."""
    with uow:
        letter, referral = _own_letter(uow, actor=actor, referral_id=referral_id, letter_id=letter_id)
        if letter.id in outdated_drafts(uow.session, [letter]):
            raise LetterOutdated("The case has moved on since this letter was made.")
        audiences = [version.role.value for version in versions_on(uow.session, referral, today=clock.today())]
        sent = uow.session.execute(update(FamilyLetter).where(
            col(FamilyLetter.id) == letter.id, col(FamilyLetter.status) == "draft").values(
            status="sent", sent_at=clock.now(), sent_by_user_id=actor.user_id, audiences=audiences))
        if sent.rowcount != 1:
            raise Conflict(ALREADY_SENT)
        record_event(uow, clock, referral=referral, action=ReferralAction.SEND_FAMILY_LETTER,
                     from_status=referral.status, actor=actor,
                     data={"letter_id": letter.id, "kind": letter.kind, "audiences": audiences})
        uow.access_log.record(actor=actor, action="send_family_letter", referrals=[referral])
        uow.commit()
    return audiences


@dataclass(frozen=True)
class FamilyLetterRead:
    letter: FamilyLetter
    case: FamilyCaseAccess
    #: The version this reader gets (workflows/family_letters.version_for).
    version: FamilyRole


def read_family_letter(uow: SqlUnitOfWork, *, viewer: FamilyViewer, letter_id: str,
                       today: date) -> FamilyLetterRead | None:
    """A sent letter addressed to this family member, in their version; None (the attempt logged) otherwise."""
    with uow:
        letter = uow.session.get(FamilyLetter, letter_id)
        if letter is None or letter.status != "sent":
            # The referral the letter is about, when there is one: the log tells whose letter was asked for.
            record_attempt(uow.session, actor=family_actor(viewer), action=DENIED_REFERRAL,
                           requested_id=letter.referral_id if letter is not None else letter_id)
            uow.commit()
            return None
        case = readable_case(uow.session, viewer, letter.referral_id, today=today)
        version = version_for(case.role, list(letter.audiences)) if case is not None else None
        if case is None or version is None:
            record_attempt(uow.session, actor=family_actor(viewer), action=DENIED_REFERRAL,
                           requested_id=letter.referral_id)
            case = None
        else:
            log_family_access(uow.session, viewer, [case], action="read_family_letter")
        uow.commit()
    return FamilyLetterRead(letter=letter, case=case, version=version) if case is not None and version else None


def sent_letters_for(session: Session, case: FamilyCaseAccess) -> list[FamilyLetter]:
    """The sent letters of the case addressed to this reader, newest first (the case page logged the read)."""
    letters = session.exec(select(FamilyLetter).where(FamilyLetter.referral_id == case.referral.id,
                                                      FamilyLetter.status == "sent")
                           .order_by(col(FamilyLetter.sent_at).desc(), col(FamilyLetter.id).desc())).all()
    return [letter for letter in letters if version_for(case.role, list(letter.audiences)) is not None]
