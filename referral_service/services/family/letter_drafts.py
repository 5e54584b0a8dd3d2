"""Drafts of the letters to the family, made by the change itself: a referral event (in the worker, after its
handover) or a step of the handover task (in the step's own unit of work). Each is made once, by its trigger key,
however often the worker runs. No commit here: the caller's unit of work commits.

`facts` is what the letter will say, fixed now: the child's first name and birth date (never the identity number),
the clinic, who is responsible and how to reach them, the dates, and BUP's own texts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.family import FamilyLetter
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.services.family.responsible import contact_of, responsible_for
from referral_service.services.referrals.queries import current_handover
from referral_service.workflows.family_letters import (
    LETTER_TOPICS,
    LetterKind,
    LetterToDraft,
    Sender,
    letter_for_handover_step,
    letters_for_referral_event,
)
from referral_service.workflows.responsible_now import Contact, ResponsibleNow, Stage

#: Never shown to the family, so never written to: not sent yet, or ended as part of another referral.
NO_LETTERS_IN = ("draft", "merged")


def draft_letters_for_referral_event(session: Session, clock: Clock, *, event: ReferralEvent) -> list[FamilyLetter]:
    """The drafts this referral event makes (after its handover exists, so a letter names the new owner)."""
    wanted = letters_for_referral_event(action=event.action, event_id=event.id)
    if not wanted:
        return []
    referral = session.get(Referral, event.referral_id)
    if referral is None or referral.status in NO_LETTERS_IN:
        return []
    handover = current_handover(session, referral.id)
    made = []
    for draft in wanted:
        sender = {Sender.REFERRER: referral.referrer_org_id, Sender.CLINIC: referral.clinic_id,
                  Sender.OWNER: handover.owner_org_id if handover else None}[draft.sender]
        if sender is None:
            continue
        facts = letter_facts(session, referral=referral, kind=draft.kind, sender_org_id=sender, data=event.data,
                             handover=handover)
        made.append(_draft_once(session, clock, referral=referral, draft=draft, sender_org_id=sender,
                                facts=facts, handover_id=handover.id if handover else None))
    return [letter for letter in made if letter is not None]


def draft_letter_for_handover_step(session: Session, clock: Clock, *, handover: Handover, referral: Referral,
                                   step: HandoverEvent) -> FamilyLetter | None:
    """The draft a step of the task makes (taking it over, planning the first contact), sent by its owner."""
    draft = letter_for_handover_step(action=str(step.action), event_id=step.id)
    if draft is None or handover.owner_org_id is None or referral.status in NO_LETTERS_IN:
        return None
    session.flush()  # the step's new status and holder, for who is responsible now
    facts = letter_facts(session, referral=referral, kind=draft.kind, sender_org_id=handover.owner_org_id,
                         data=dict(handover.content or {}), handover=handover)
    return _draft_once(session, clock, referral=referral, draft=draft, sender_org_id=handover.owner_org_id,
                       facts=facts, handover_id=handover.id)


def letter_facts(session: Session, *, referral: Referral, kind: LetterKind, sender_org_id: str,
                 data: dict[str, Any], handover: Handover | None) -> dict[str, Any]:
    """What a letter of this kind says about this referral now (JSON ready, no identity number)."""
    child = session.get(Child, referral.child_id)
    clinic = session.get(Organisation, referral.clinic_id)
    sender = session.get(Organisation, sender_org_id)
    responsible, new_clinic = _responsible(session, referral=referral, kind=kind, data=data)
    facts: dict[str, Any] = {
        "child_name": referral.child_given_name,
        "child_birth_date": child.birth_date.isoformat() if child else None,
        "clinic": clinic.name if clinic else "BUP",
        "new_clinic": new_clinic,
        "sender": sender.name if sender else "",
        "sender_phone": sender.phone if sender else None,
        "stage": responsible.stage.value,
        "contact": _contact_facts(responsible.contact),
        "due": _iso(responsible.due),
        "assessment_due": _iso(referral.assessment_due),
        "care_start_due": _iso(referral.care_start_due),
        "first_contact_on": _iso(handover.first_contact_on) if handover else None,
    }
    topics = LETTER_TOPICS[kind]
    texts = {
        "reasons": list(referral.reasons),
        "child_view": referral.child_view,
        "explanation": data.get("explanation", ""),
        "advice": data.get("municipal_advice") or data.get("follow_up_recommendations") or "",
        "summary": data.get("summary", ""),
    }
    facts.update({topic: value for topic, value in texts.items() if topic in topics and value})
    return facts


def _responsible(session: Session, *, referral: Referral, kind: LetterKind,
                 data: dict[str, Any]) -> tuple[ResponsibleNow, str | None]:
    """Who holds the case as the letter's moment leaves it. BUP's own steps are told as they were made (a late
    worker does not turn an acceptance letter into another); a hand-back names whoever owns it now."""
    clinic = contact_of(session, referral.clinic_id, None)
    if kind in (LetterKind.SENT, LetterKind.RECEIVED):
        return ResponsibleNow(Stage.BUP_ASSESSES, clinic, referral.assessment_due), None
    if kind is LetterKind.ACCEPTED:
        return ResponsibleNow(Stage.BUP_WILL_START, clinic, referral.care_start_due), None
    if kind is LetterKind.FORWARDED:
        new = session.get(Referral, data.get("new_referral_id", ""))
        if new is None:
            return ResponsibleNow(Stage.FORWARDED, None), None
        new_clinic = contact_of(session, new.clinic_id, None)
        return ResponsibleNow(Stage.BUP_ASSESSES, new_clinic, new.assessment_due), new_clinic.organisation
    return responsible_for(session, referral), None


def _contact_facts(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"organisation": contact.organisation, "person": contact.person, "phone": contact.phone,
            "hours": contact.hours}


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _draft_once(session: Session, clock: Clock, *, referral: Referral, draft: LetterToDraft, sender_org_id: str,
                facts: dict[str, Any], handover_id: str | None) -> FamilyLetter | None:
    """The draft for this trigger, made now unless it exists (a second run, or a concurrent worker)."""
    existing = session.exec(select(FamilyLetter).where(FamilyLetter.trigger_key == draft.trigger_key)).first()
    if existing is not None:
        return existing
    letter = FamilyLetter(referral_id=referral.id, handover_id=handover_id, kind=draft.kind.value,
                          sender_org_id=sender_org_id, trigger_key=draft.trigger_key, status="draft",
                          language=referral.letter_language or "nb", facts=facts, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(letter)
    except IntegrityError:  # the unique trigger key, not a check, keeps it to one
        return session.exec(select(FamilyLetter).where(FamilyLetter.trigger_key == draft.trigger_key)).first()
    return letter
