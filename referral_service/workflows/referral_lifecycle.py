"""The referral lifecycle: the table of (state, action) -> next state, and who may act.

This is the one place the transition rules live; services apply them, routes never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from referral_service.domain.enums import HandoverTrigger
from referral_service.domain.enums import ReferralAction as A
from referral_service.domain.enums import ReferralStatus as S
from referral_service.errors import Conflict, Forbidden, InvalidData
from referral_service.workflows.transition_table import by_status_and_action


class Party(StrEnum):
    """Which side of the referral an action belongs to."""

    REFERRER = "referrer"  # the referring organisation or a co-referrer, role `referrer`
    CLINIC = "clinic"  # the receiving BUP clinic, role `bup_intake`
    #: A coordinator of the municipality whose open handover task holds the child now.
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class Transition:
    to: S
    parties: frozenset[Party]


def _t(to: S, *parties: Party) -> Transition:
    return Transition(to=to, parties=frozenset(parties))


R, C = Party.REFERRER, Party.CLINIC

#: Each action: the statuses it may be taken from, the status it leads to and who may take it (API.md's table).
TRANSITIONS: dict[tuple[S, A], Transition] = by_status_and_action({
    A.SUBMIT: ({S.DRAFT}, _t(S.SUBMITTED, R)),
    A.REQUEST_INFORMATION: ({S.SUBMITTED}, _t(S.INFORMATION_REQUESTED, C)),
    A.SUPPLEMENT: ({S.INFORMATION_REQUESTED}, _t(S.SUBMITTED, R)),
    A.ACCEPT: ({S.SUBMITTED}, _t(S.ACCEPTED, C)),
    A.REJECT: ({S.SUBMITTED, S.INFORMATION_REQUESTED}, _t(S.REJECTED, C)),
    A.MUNICIPAL_OUTCOME: ({S.SUBMITTED, S.INFORMATION_REQUESTED}, _t(S.MUNICIPAL_LEVEL, C)),
    A.FORWARD: ({S.SUBMITTED}, _t(S.FORWARDED, C)),
    A.START_TREATMENT: ({S.ACCEPTED}, _t(S.IN_TREATMENT, C)),
    A.DISCHARGE: ({S.IN_TREATMENT}, _t(S.DISCHARGED, C)),
    A.PLAN_DISCHARGE: ({S.IN_TREATMENT}, _t(S.IN_TREATMENT, C)),
    A.RECORD_EPIKRISE: ({S.DISCHARGED}, _t(S.DISCHARGED, C)),
    # The referrer may withdraw from any open state. BUP only after accepting the child, which hands it back:
    # while BUP assesses, it ends a referral only by rejecting (a handover) or forwarding, never silently.
    A.WITHDRAW: [({S.DRAFT, S.SUBMITTED, S.INFORMATION_REQUESTED}, _t(S.WITHDRAWN, R)),
                 ({S.ACCEPTED, S.IN_TREATMENT}, _t(S.WITHDRAWN, R, C))],
})

#: The actions a client may ask for by URL.
REQUESTABLE_ACTIONS = frozenset(action for _, action in TRANSITIONS)

#: Actions whose outcome hands the child back to the municipality (a tilbakehenvisning). The decision
#: stores the trigger on its event; nothing else works it out again.
HANDOVER_TRIGGERS: dict[tuple[S, A], HandoverTrigger] = by_status_and_action({
    A.REJECT: ({S.SUBMITTED, S.INFORMATION_REQUESTED}, HandoverTrigger.REJECTED),
    A.MUNICIPAL_OUTCOME: ({S.SUBMITTED, S.INFORMATION_REQUESTED}, HandoverTrigger.MUNICIPAL_LEVEL),
    A.DISCHARGE: ({S.IN_TREATMENT}, HandoverTrigger.DISCHARGED),
    # Only a withdrawal after BUP has accepted the child hands it back (API.md).
    A.WITHDRAW: ({S.ACCEPTED, S.IN_TREATMENT}, HandoverTrigger.WITHDRAWN),
})

#: BUP's decisions that end the assessment (and stop its deadline).
ASSESSMENT_DECISIONS = frozenset({A.ACCEPT, A.REJECT, A.FORWARD, A.MUNICIPAL_OUTCOME})

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


#: Who may record that the family has moved: the referring side, BUP, and the coordinator whose municipality holds
#: the child's open task. A move changes no status; a draft is edited instead, and a forwarded referral is carried
#: on by the one at the other clinic.
MOVE_PARTIES = frozenset({Party.REFERRER, Party.CLINIC, Party.MUNICIPALITY})
MOVE_REFUSED_IN = frozenset({S.DRAFT, S.FORWARDED})


def check_move(*, status: S, parties: frozenset[Party]) -> None:
    """Refuse a move this actor may not record (403), or one in a state that records none (409)."""
    if not parties & MOVE_PARTIES:
        raise Forbidden("Only the referring side, BUP or the municipality that holds the task may record a move.")
    if status in MOVE_REFUSED_IN:
        raise Conflict(f"A referral that is {status} cannot record a move"
                       + (": edit the draft's home municipality instead." if status == S.DRAFT else "."))


def check_new_home(*, old_municipality: str, new_municipality: str) -> None:
    """A move goes somewhere else (422 when the child already lives there)."""
    if old_municipality == new_municipality:
        raise InvalidData("The child already lives in this municipality.",
                          errors={"home_municipality": ["The same municipality as now."]})
