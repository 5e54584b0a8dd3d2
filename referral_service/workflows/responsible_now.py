"""Who holds the child's case now, and what happens next by when: the answer to "Hvem skal jeg snakke med nå?".

A pure rule of the referral's status and its current handover task. The family page, the letters and "Vi har ikke
hørt noe" (which alerts this owner) all read it here; the words for each stage are in notify/family_words.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from referral_service.domain.enums import HandoverStatus, ReferralStatus


class Stage(StrEnum):
    NOT_SENT = "not_sent"
    BUP_ASSESSES = "bup_assesses"
    BUP_ASKS_REFERRER = "bup_asks_referrer"
    BUP_WILL_START = "bup_will_start"
    IN_BUP_CARE = "in_bup_care"
    #: BUP has handed the child back; the task is being made (the worker's step, seconds at most).
    HANDOVER_BEING_MADE = "handover_being_made"
    #: The task is with its owner, who has not taken it yet.
    OWNER_TO_TAKE_OVER = "owner_to_take_over"
    #: The owner has taken it (acknowledged or assigned): first contact is to be planned.
    OWNER_HOLDS = "owner_holds"
    FIRST_CONTACT_PLANNED = "first_contact_planned"
    FOLLOW_UP_ENDED = "follow_up_ended"
    FORWARDED = "forwarded"
    ADULT_SERVICES = "adult_services"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Contact:
    """How the family reaches whoever holds the case: the organisation, and the person when one holds it."""

    organisation_id: str
    organisation: str
    person_id: str | None = None
    person: str | None = None
    phone: str | None = None
    hours: str | None = None


@dataclass(frozen=True)
class HandoverFacts:
    status: HandoverStatus
    #: The owner, as the family reaches it (None while no organisation can act: the administrators are alerted).
    owner: Contact | None
    acknowledge_due: date
    first_contact_due: date
    first_contact_on: date | None


@dataclass(frozen=True)
class ResponsibleNow:
    stage: Stage
    #: Who to talk to now (None only while a handover is being made or nobody can act yet).
    contact: Contact | None
    #: When the next step is due: BUP's assessment, the start of care, the owner's taking over or first contact.
    due: date | None = None


BUP_HOLDS = {
    ReferralStatus.SUBMITTED: Stage.BUP_ASSESSES,
    ReferralStatus.ACCEPTED: Stage.BUP_WILL_START,
    ReferralStatus.IN_TREATMENT: Stage.IN_BUP_CARE,
}
HANDS_BACK = frozenset({ReferralStatus.REJECTED, ReferralStatus.MUNICIPAL_LEVEL, ReferralStatus.DISCHARGED,
                        ReferralStatus.WITHDRAWN})


def responsible_now(*, status: ReferralStatus, clinic: Contact, referrer: Contact, assessment_due: date | None,
                    care_start_due: date | None, first_appointment_on: date | None,
                    handover: HandoverFacts | None) -> ResponsibleNow:
    """Who holds the case of a referral in this status (with its current handover task, if any)."""
    if handover is not None:
        return _with_handover(handover)
    if status in BUP_HOLDS:
        due = {ReferralStatus.SUBMITTED: assessment_due, ReferralStatus.ACCEPTED: first_appointment_on
               or care_start_due}.get(status)
        return ResponsibleNow(BUP_HOLDS[status], clinic, due)
    if status is ReferralStatus.INFORMATION_REQUESTED:
        return ResponsibleNow(Stage.BUP_ASKS_REFERRER, referrer, assessment_due)
    if status is ReferralStatus.DRAFT:
        return ResponsibleNow(Stage.NOT_SENT, referrer)
    if status is ReferralStatus.FORWARDED:
        return ResponsibleNow(Stage.FORWARDED, None)
    if status is ReferralStatus.TRANSFERRED_TO_DPS:
        return ResponsibleNow(Stage.ADULT_SERVICES, None)
    if status in HANDS_BACK - {ReferralStatus.WITHDRAWN}:
        return ResponsibleNow(Stage.HANDOVER_BEING_MADE, None)
    return ResponsibleNow(Stage.WITHDRAWN, referrer)


def _with_handover(handover: HandoverFacts) -> ResponsibleNow:
    if handover.status is HandoverStatus.CLOSED:
        return ResponsibleNow(Stage.FOLLOW_UP_ENDED, handover.owner)
    if handover.status is HandoverStatus.OPEN:
        return ResponsibleNow(Stage.OWNER_TO_TAKE_OVER, handover.owner, handover.acknowledge_due)
    if handover.status is HandoverStatus.FOLLOW_UP_PLANNED:
        return ResponsibleNow(Stage.FIRST_CONTACT_PLANNED, handover.owner, handover.first_contact_on)
    return ResponsibleNow(Stage.OWNER_HOLDS, handover.owner, handover.first_contact_due)
