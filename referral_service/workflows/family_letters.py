"""Which moment makes which letter to the family, who sends it, and what each letter may tell.

A pure rule: the worker (services/loop/consequences.py) and the handover steps (services/handovers/tasks.py) ask it
which drafts an event makes; the letter service (services/family/letters.py) makes each draft once by its trigger key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from referral_service.domain.enums import ReferralAction
from referral_service.workflows.family_access import FamilyRole
from referral_service.workflows.handover_lifecycle import HandoverAction


class LetterKind(StrEnum):
    #: The referrer has sent the referral to BUP (names the clinic).
    SENT = "sent"
    #: BUP has received it and must answer by the legal assessment deadline.
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MUNICIPAL_LEVEL = "municipal_level"
    FORWARDED = "forwarded"
    #: The municipality (or whoever owns the follow-up) has taken over: the coordinator's name, phone and hours.
    HANDOVER_ACKNOWLEDGED = "handover_acknowledged"
    FIRST_CONTACT_PLANNED = "first_contact_planned"
    DISCHARGED = "discharged"
    #: The family moved: the task went on to the new home municipality, which owns the follow-up now.
    TRANSFERRED = "transferred"
    #: An accepted referral was withdrawn: the handover's owner follows up now (no letter when nothing was handed
    #: back: the referrer who withdrew still holds it, and tells the family themselves).
    WITHDRAWN = "withdrawn"


class Sender(StrEnum):
    """Whose step made the letter: its people see it before it goes, and send it."""

    REFERRER = "referrer"
    CLINIC = "clinic"
    #: The handover task's owner (the home municipality with consent, else the referring organisation).
    OWNER = "owner"


@dataclass(frozen=True)
class LetterToDraft:
    kind: LetterKind
    sender: Sender
    #: Stable whatever the number of runs: the same event never makes a second draft.
    trigger_key: str


REFERRAL_EVENT_LETTERS: dict[str, tuple[tuple[LetterKind, Sender], ...]] = {
    ReferralAction.SUBMIT: ((LetterKind.SENT, Sender.REFERRER), (LetterKind.RECEIVED, Sender.CLINIC)),
    # The first event of the referral at the new clinic: that clinic has received it, with its own deadline.
    ReferralAction.RECEIVE_FORWARDED: ((LetterKind.RECEIVED, Sender.CLINIC),),
    ReferralAction.ACCEPT: ((LetterKind.ACCEPTED, Sender.CLINIC),),
    ReferralAction.REJECT: ((LetterKind.REJECTED, Sender.CLINIC),),
    ReferralAction.MUNICIPAL_OUTCOME: ((LetterKind.MUNICIPAL_LEVEL, Sender.CLINIC),),
    ReferralAction.FORWARD: ((LetterKind.FORWARDED, Sender.CLINIC),),
    ReferralAction.DISCHARGE: ((LetterKind.DISCHARGED, Sender.CLINIC),),
    ReferralAction.WITHDRAW: ((LetterKind.WITHDRAWN, Sender.OWNER),),
}

HANDOVER_STEP_LETTERS: dict[str, LetterKind] = {
    HandoverAction.ACKNOWLEDGE: LetterKind.HANDOVER_ACKNOWLEDGED,
    HandoverAction.PLAN: LetterKind.FIRST_CONTACT_PLANNED,
    # The first step of the task that continues a moved family's (services/handovers/transfer.py).
    "transfer_in": LetterKind.TRANSFERRED,
}

#: What each kind tells beyond who is responsible and what happens next. The topics are those of
#: workflows/family_access.WITHHELD_TOPICS, so a withholding child's guardians get the letter without them.
LETTER_TOPICS: dict[LetterKind, frozenset[str]] = {
    LetterKind.SENT: frozenset({"reasons", "child_view"}),
    LetterKind.RECEIVED: frozenset(),
    LetterKind.ACCEPTED: frozenset(),
    LetterKind.REJECTED: frozenset({"reasons", "child_view", "explanation", "advice"}),
    LetterKind.MUNICIPAL_LEVEL: frozenset({"explanation", "advice"}),
    LetterKind.FORWARDED: frozenset(),
    LetterKind.HANDOVER_ACKNOWLEDGED: frozenset({"advice"}),
    LetterKind.FIRST_CONTACT_PLANNED: frozenset(),
    LetterKind.DISCHARGED: frozenset({"summary", "advice"}),
    LetterKind.TRANSFERRED: frozenset(),
    LetterKind.WITHDRAWN: frozenset(),
}

#: The versions of a letter, in the order the professional sees them.
VERSION_ORDER = (FamilyRole.GUARDIAN, FamilyRole.CHILD, FamilyRole.YOUNG_PERSON)


def letters_for_referral_event(*, action: str, event_id: str) -> list[LetterToDraft]:
    """The drafts a referral event makes (none for most events)."""
    return [LetterToDraft(kind, sender, f"referral-event:{event_id}:{kind}")
            for kind, sender in REFERRAL_EVENT_LETTERS.get(action, ())]


def letter_for_handover_step(*, action: str, event_id: str) -> LetterToDraft | None:
    """The draft a step of the handover task makes, sent by the task's owner (or None)."""
    kind = HANDOVER_STEP_LETTERS.get(action)
    return LetterToDraft(kind, Sender.OWNER, f"handover-event:{event_id}:{kind}") if kind else None


def topics_shown(kind: str, hidden: frozenset[str]) -> frozenset[str]:
    """What this version of the letter tells: the kind's topics less what the reader must not see."""
    return LETTER_TOPICS[LetterKind(kind)] - hidden


#: The child themself reads as "child" until 16 and as "young_person" from then: one reader, so the letters sent to
#: them before their 16th birthday stay theirs, in the version they were sent in.
THE_CHILD_THEMSELF = (FamilyRole.YOUNG_PERSON, FamilyRole.CHILD)


def version_for(reader: FamilyRole, audiences: list[str]) -> FamilyRole | None:
    """The version a family member reads of a sent letter, or None when it was not addressed to them."""
    if reader.value in audiences:
        return reader
    if reader in THE_CHILD_THEMSELF:
        return next((role for role in THE_CHILD_THEMSELF if role.value in audiences), None)
    return None


def moment_of(trigger_key: str) -> str:
    """The step a letter was made by (its trigger key without the kind): submitting makes two letters at one moment."""
    return trigger_key.rsplit(":", 1)[0]


def outdated(*, moment: str, handover_id: str | None, current_handover_id: str | None,
             later_moments: set[str]) -> bool:
    """A draft the case has moved past, which must not be sent: a later step has made a letter of its own, or the
    task it speaks of is no longer the referral's (the family moved on to another municipality)."""
    if handover_id is not None and handover_id != current_handover_id:
        return True
    return bool(later_moments - {moment})
