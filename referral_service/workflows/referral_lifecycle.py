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

#: A referral open at BUP: the young person waits for BUP's assessment, or for or in its treatment. BUP may
#: transfer it to adult services (DPS) from any of these, when the young person is old enough (adult_transfer.py).
OPEN_AT_BUP = frozenset({S.SUBMITTED, S.INFORMATION_REQUESTED, S.ACCEPTED, S.IN_TREATMENT})

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
    # Growing up: BUP hands a young person turning 18 on to a DPS clinic (a new referral there), not back.
    A.TRANSFER_TO_DPS: (OPEN_AT_BUP, _t(S.TRANSFERRED_TO_DPS, C)),
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
DECISION_EVENTS = ASSESSMENT_DECISIONS | {A.DISCHARGE, A.TRANSFER_TO_DPS}


#: The referrals of a child that are still open: a new referral of the same child warns its referrer of these.
OPEN_STATUSES = frozenset({S.DRAFT, S.SUBMITTED, S.INFORMATION_REQUESTED, S.ACCEPTED, S.IN_TREATMENT})

#: Two referrals of one child become one. The action is taken on the referral that ENDS (the second
#: referrer's own draft joins the first; BUP merges the other referral at its clinic into the one it keeps):
#: the statuses that referral may be in, what it becomes, and who may do it. The referral that stays keeps its
#: status and gains the other's content, referrers and contacts. Ending as merged hands nothing back (the child
#: stays in the referral that stays), so neither action is a handover trigger.
MERGES: dict[tuple[S, A], Transition] = by_status_and_action({
    A.JOIN: ({S.DRAFT}, _t(S.MERGED, R)),
    # Only a referral BUP has not decided on yet: a decision is never merged away.
    A.MERGE: ({S.SUBMITTED, S.INFORMATION_REQUESTED}, _t(S.MERGED, C)),
})

#: The statuses the referral that stays may be in: a referrer joins any open referral of the child (a co-referrer
#: can be added to it), BUP merges into one it has received and not ended.
MERGE_TARGETS: dict[A, frozenset[S]] = {
    A.JOIN: frozenset({S.DRAFT, S.SUBMITTED, S.INFORMATION_REQUESTED, S.ACCEPTED, S.IN_TREATMENT}),
    A.MERGE: frozenset({S.SUBMITTED, S.INFORMATION_REQUESTED, S.ACCEPTED, S.IN_TREATMENT}),
}


@dataclass(frozen=True)
class Decision:
    """What one lifecycle action does to a referral: the service applies it, nobody recomputes it."""

    action: A
    from_status: S
    to_status: S
    handover_trigger: HandoverTrigger | None

    @property
    def ends_referral(self) -> bool:
        """The referral is done here (decided, ended, merged, moved on): the alerts about it are settled."""
        return self.from_status in OPEN_STATUSES and self.to_status not in OPEN_STATUSES


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


def may_merge(*, ending: S, staying: S) -> bool:
    """Whether BUP may merge a referral in `ending` into one in `staying` (for the page's offer)."""
    return (ending, A.MERGE) in MERGES and staying in MERGE_TARGETS[A.MERGE]


def require_merge_party(*, action: A, parties: frozenset[Party]) -> None:
    """403 for a side that may never take this join or merge."""
    if not parties & frozenset().union(*(t.parties for (_, a), t in MERGES.items() if a == action)):
        raise Forbidden(f"Your role may not {action} a referral.")


def decide_merge(*, action: A, ending: S, staying: S, parties: frozenset[Party], same_child: bool,
                 same_clinic: bool) -> Decision:
    """What a join or a merge does to the referral that ends, or the error that refuses it.

    `parties` are the sides the actor acts for on the referral that ends (and, for a merge, on both).
    """
    require_merge_party(action=action, parties=parties)
    rows = {status: t for (status, a), t in MERGES.items() if a == action}
    if not same_child:
        raise InvalidData("Only two referrals of the same child can become one.",
                          errors={"other_referral_id": ["Not a referral of the same child."]})
    if action == A.MERGE and not same_clinic:
        raise InvalidData("Only two referrals at the same clinic can be merged.",
                          errors={"other_referral_id": ["Not a referral at this clinic."]})
    transition = rows.get(ending)
    if transition is None:
        raise Conflict(f"A referral that is {ending} cannot {action}.")
    if staying not in MERGE_TARGETS[action]:
        raise Conflict(f"A referral that is {staying} cannot take in another referral.")
    return Decision(action=A.MERGED_INTO, from_status=ending, to_status=transition.to, handover_trigger=None)


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
