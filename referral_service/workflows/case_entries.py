"""The child's case: what kind of entry each event is, and what of it each level of access reveals.

Pure rules, no database. A new kind of event is one line in ENTRY_KINDS; an event not listed there still shows,
as a plain entry of kind "other" (its action named, nothing of its data).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from referral_service.domain.enums import ReferralAction as A


class EntrySource(StrEnum):
    REFERRAL = "referral"
    HANDOVER = "handover"
    #: Check-ins with the family after municipal help ends (table `check_in`, added by another change).
    CHECK_IN = "check_in"


class EntryKind(StrEnum):
    REFERRAL = "referral"        # written, sent, received
    DIALOGUE = "dialogue"        # BUP's questions, the referrer's answers
    DECISION = "decision"        # BUP's decisions and conclusions
    CARE = "care"                # treatment and discharge planning
    PEOPLE = "people"            # co-referrers, contacts, consent
    HANDOVER = "handover"        # the tilbakehenvisning's steps
    FOLLOW_UP = "follow_up"      # first contact planned, closed, check-ins
    OTHER = "other"


#: (source, action) -> kind. Add a line for a new event kind; anything unlisted is OTHER.
ENTRY_KINDS: dict[tuple[str, str], EntryKind] = {
    (EntrySource.REFERRAL, A.CREATE): EntryKind.REFERRAL,
    (EntrySource.REFERRAL, A.SUBMIT): EntryKind.REFERRAL,
    (EntrySource.REFERRAL, A.RECEIVE_FORWARDED): EntryKind.REFERRAL,
    (EntrySource.REFERRAL, A.REQUEST_INFORMATION): EntryKind.DIALOGUE,
    (EntrySource.REFERRAL, A.SUPPLEMENT): EntryKind.DIALOGUE,
    (EntrySource.REFERRAL, A.ACCEPT): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.REJECT): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.FORWARD): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.MUNICIPAL_OUTCOME): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.DISCHARGE): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.WITHDRAW): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.START_TREATMENT): EntryKind.CARE,
    (EntrySource.REFERRAL, A.PLAN_DISCHARGE): EntryKind.CARE,
    (EntrySource.REFERRAL, A.RECORD_EPIKRISE): EntryKind.CARE,
    (EntrySource.REFERRAL, A.INVITE_CO_REFERRER): EntryKind.PEOPLE,
    (EntrySource.REFERRAL, A.UPDATE_MUNICIPAL_CONTACTS): EntryKind.PEOPLE,
    (EntrySource.REFERRAL, A.CHANGE_CONSENT): EntryKind.PEOPLE,
    (EntrySource.HANDOVER, "create"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "acknowledge"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "assign"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "discharge"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "withdraw"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "plan"): EntryKind.FOLLOW_UP,
    (EntrySource.HANDOVER, "close"): EntryKind.FOLLOW_UP,
    # The other parts of the case: duplicates, moves, the transfer to adult services, partners, staff, check-ins.
    (EntrySource.REFERRAL, A.JOIN): EntryKind.PEOPLE,
    (EntrySource.REFERRAL, A.MERGE): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.MERGED_INTO): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.MOVE): EntryKind.PEOPLE,
    (EntrySource.REFERRAL, A.TRANSFER_TO_DPS): EntryKind.DECISION,
    (EntrySource.REFERRAL, A.RECEIVE_DPS_TRANSFER): EntryKind.REFERRAL,
    (EntrySource.REFERRAL, A.NAME_CHILD_WELFARE_PARTNER): EntryKind.PEOPLE,
    (EntrySource.HANDOVER, "transfer_out"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "transfer_in"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "reassign"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "release"): EntryKind.HANDOVER,
    (EntrySource.HANDOVER, "check_in_scheduled"): EntryKind.FOLLOW_UP,
    (EntrySource.HANDOVER, "check_in_recorded"): EntryKind.FOLLOW_UP,
    (EntrySource.HANDOVER, "check_in_cancelled"): EntryKind.FOLLOW_UP,
    (EntrySource.HANDOVER, "check_in_moved"): EntryKind.FOLLOW_UP,
}


def entry_kind(source: str, action: str) -> EntryKind:
    return ENTRY_KINDS.get((source, action), EntryKind.OTHER)


class CaseDetail(StrEnum):
    """How much of one referral's history a reader may see in the child's case."""

    #: The reader takes part in the referral (security/visibility.py): every entry, with what BUP wrote.
    FULL = "full"
    #: BUP, for another clinic's referral: that it exists, and what was concluded (no reasons, no advice).
    CONCLUSION = "conclusion"
    #: A referrer, for a referral it had no part in: the advice BUP gave the municipality, where consent shares it.
    ADVICE = "advice"
    NONE = "none"


#: The events that say a referral exists (sent, or received from another clinic).
EXISTENCE_ACTIONS = frozenset({A.SUBMIT, A.RECEIVE_FORWARDED})
#: The events that conclude a referral at a clinic.
CONCLUDING_ACTIONS = frozenset({A.ACCEPT, A.REJECT, A.FORWARD, A.MUNICIPAL_OUTCOME, A.DISCHARGE, A.WITHDRAW})
#: The decisions that give the municipality advice, and the field of the decision that holds it.
ADVICE_FIELDS: dict[str, str] = {
    A.REJECT: "municipal_advice",
    A.MUNICIPAL_OUTCOME: "municipal_advice",
    A.DISCHARGE: "follow_up_recommendations",
}


def shows_event(detail: CaseDetail, *, source: str, action: str) -> bool:
    """Whether a reader with this detail sees the event at all."""
    if detail is CaseDetail.FULL:
        return True
    if source != EntrySource.REFERRAL:
        return False
    if detail is CaseDetail.CONCLUSION:
        return action in EXISTENCE_ACTIONS or action in CONCLUDING_ACTIONS
    if detail is CaseDetail.ADVICE:
        return action in ADVICE_FIELDS
    return False


def revealed(detail: CaseDetail, *, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """What of BUP's words the entry carries: the reason, explanation and advice in full; the advice alone to a
    referrer without part; nothing beyond the conclusion to another clinic."""
    words: dict[str, Any] = {}
    if detail is CaseDetail.FULL and action in (A.REJECT, A.MUNICIPAL_OUTCOME):
        words = {"reason_code": data.get("reason_code"), "explanation": data.get("explanation")}
    if detail in (CaseDetail.FULL, CaseDetail.ADVICE) and action in ADVICE_FIELDS:
        words["advice"] = data.get(ADVICE_FIELDS[action])
    return {name: value for name, value in words.items() if value}
