"""The referral lifecycle: the table of (state, action) -> next state, and who may act.

This is the one place the transition rules live; services apply them, routes never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from referral_service.domain.enums import HandoverTrigger
from referral_service.domain.enums import ReferralAction as A
from referral_service.domain.enums import ReferralStatus as S
from referral_service.errors import Conflict, Forbidden


class Party(StrEnum):
    """Which side of the referral an action belongs to."""

    REFERRER = "referrer"  # the referring organisation or a co-referrer, role `referrer`
    CLINIC = "clinic"  # the receiving BUP clinic, role `bup_intake`


@dataclass(frozen=True)
class Transition:
    to: S
    parties: frozenset[Party]


def _t(to: S, *parties: Party) -> Transition:
    return Transition(to=to, parties=frozenset(parties))


R, C = Party.REFERRER, Party.CLINIC

TRANSITIONS: dict[tuple[S, A], Transition] = {
    (S.DRAFT, A.SUBMIT): _t(S.SUBMITTED, R),
    (S.SUBMITTED, A.REQUEST_INFORMATION): _t(S.INFORMATION_REQUESTED, C),
    (S.INFORMATION_REQUESTED, A.SUPPLEMENT): _t(S.SUBMITTED, R),
    (S.SUBMITTED, A.ACCEPT): _t(S.ACCEPTED, C),
    (S.SUBMITTED, A.REJECT): _t(S.REJECTED, C),
    (S.INFORMATION_REQUESTED, A.REJECT): _t(S.REJECTED, C),
    (S.SUBMITTED, A.FORWARD): _t(S.FORWARDED, C),
    (S.ACCEPTED, A.START_TREATMENT): _t(S.IN_TREATMENT, C),
    (S.IN_TREATMENT, A.DISCHARGE): _t(S.DISCHARGED, C),
    # Withdrawal from any open state, by either side (BUP never sees a draft, so it cannot reach one).
    (S.DRAFT, A.WITHDRAW): _t(S.WITHDRAWN, R, C),
    (S.SUBMITTED, A.WITHDRAW): _t(S.WITHDRAWN, R, C),
    (S.INFORMATION_REQUESTED, A.WITHDRAW): _t(S.WITHDRAWN, R, C),
    (S.ACCEPTED, A.WITHDRAW): _t(S.WITHDRAWN, R, C),
    (S.IN_TREATMENT, A.WITHDRAW): _t(S.WITHDRAWN, R, C),
}

#: The actions a client may ask for by URL.
REQUESTABLE_ACTIONS = frozenset(action for _, action in TRANSITIONS)

#: Actions whose outcome hands the child back to the municipality (a tilbakehenvisning). The decision
#: stores the trigger on its event; nothing else works it out again.
HANDOVER_TRIGGERS: dict[tuple[S, A], HandoverTrigger] = {
    (S.SUBMITTED, A.REJECT): HandoverTrigger.REJECTED,
    (S.INFORMATION_REQUESTED, A.REJECT): HandoverTrigger.REJECTED,
    (S.IN_TREATMENT, A.DISCHARGE): HandoverTrigger.DISCHARGED,
    (S.ACCEPTED, A.WITHDRAW): HandoverTrigger.WITHDRAWN,
    (S.IN_TREATMENT, A.WITHDRAW): HandoverTrigger.WITHDRAWN,
}

#: BUP's decisions that end the assessment (and stop its deadline).
ASSESSMENT_DECISIONS = frozenset({A.ACCEPT, A.REJECT, A.FORWARD})

#: The events the referral page and the dashboard show as "BUP's decision".
DECISION_EVENTS = ASSESSMENT_DECISIONS | {A.DISCHARGE}


@dataclass(frozen=True)
class Decision:
    """What one lifecycle action does to a referral: the service applies it, nobody recomputes it."""

    action: A
    from_status: S
    to_status: S
    handover_trigger: HandoverTrigger | None


def parties_for(action: A) -> frozenset[Party]:
    """Every party that may take this action from some state."""
    return frozenset().union(*(t.parties for (_, a), t in TRANSITIONS.items() if a == action))


def next_status(*, status: S, action: A, parties: frozenset[Party]) -> S:
    """The state after `action`, or the error that refuses it.

    `parties` are the sides the acting user belongs to for this referral. A user who may never
    take this action gets 403; one who may, but not from this state, gets 409.
    """
    if not parties & parties_for(action):
        raise Forbidden(f"Your role may not {action} a referral.")
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        raise Conflict(f"A referral that is {status} cannot {action}.")
    if not parties & transition.parties:
        raise Forbidden(f"Your role may not {action} a referral that is {status}.")
    return transition.to


def handover_trigger(*, status: S, action: A) -> HandoverTrigger | None:
    """The handover trigger this transition fires, if any."""
    return HANDOVER_TRIGGERS.get((status, action))


def decide(*, status: S, action: A, parties: frozenset[Party]) -> Decision:
    """The decision for `action` on a referral in `status`, or the error that refuses it."""
    to_status = next_status(status=status, action=action, parties=parties)
    return Decision(action=action, from_status=status, to_status=to_status,
                    handover_trigger=handover_trigger(status=status, action=action))


def actions_open_to(*, status: S, parties: frozenset[Party]) -> list[A]:
    """The actions these parties may take on a referral in `status`, in a stable order."""
    return sorted({action for (state, action), t in TRANSITIONS.items() if state == status and t.parties & parties})
