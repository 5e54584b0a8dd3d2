"""The transition table in code against API.md's action table, cell by cell.

The expected table below is copied by hand from API.md ("Resources and actions", the action
table); it is deliberately NOT derived from `referral_lifecycle.TRANSITIONS`, so that a drift
between the code and the contract shows up here. No Flask, no database.
"""

from __future__ import annotations

import pytest

from referral_service.domain.enums import ReferralAction, ReferralStatus
from referral_service.errors import Conflict, Forbidden
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.referral_lifecycle import Party

REFERRER = "referrer"
BUP_INTAKE = "bup_intake"

#: API.md: "withdraw | referrer or bup_intake | any open state".
OPEN_STATES = ("draft", "submitted", "information_requested", "accepted", "in_treatment")

#: API.md's action table, literally: action -> (who, {from: to}).
SPEC: dict[str, tuple[frozenset[str], dict[str, str]]] = {
    "submit": (frozenset({REFERRER}), {"draft": "submitted"}),
    "request-information": (frozenset({BUP_INTAKE}), {"submitted": "information_requested"}),
    "supplement": (frozenset({REFERRER}), {"information_requested": "submitted"}),
    "accept": (frozenset({BUP_INTAKE}), {"submitted": "accepted"}),
    "reject": (frozenset({BUP_INTAKE}), {"submitted": "rejected", "information_requested": "rejected"}),
    "forward": (frozenset({BUP_INTAKE}), {"submitted": "forwarded"}),
    "start-treatment": (frozenset({BUP_INTAKE}), {"accepted": "in_treatment"}),
    "discharge": (frozenset({BUP_INTAKE}), {"in_treatment": "discharged"}),
    "withdraw": (frozenset({REFERRER, BUP_INTAKE}), {state: "withdrawn" for state in OPEN_STATES}),
    # Added by this service (README, "Using the API"): BUP records an epikrise it had not sent at discharge.
    "record-epikrise": (frozenset({BUP_INTAKE}), {"discharged": "discharged"}),
    # ... concludes after an assessment conversation that the help belongs in the municipality (not a rejection),
    "municipal-outcome": (frozenset({BUP_INTAKE}), {"submitted": "municipal_level",
                                                    "information_requested": "municipal_level"}),
    # ... and sets the day it plans to discharge the child, so the handover can open ahead of it.
    "plan-discharge": (frozenset({BUP_INTAKE}), {"in_treatment": "in_treatment"}),
    # ... and, as the young person turns 18, transfers an open referral to adult mental health services (DPS).
    "transfer-to-dps": (frozenset({BUP_INTAKE}), {state: "transferred_to_dps" for state in (
        "submitted", "information_requested", "accepted", "in_treatment")}),
}

#: API.md: "`reject`, `discharge`, and `withdraw` after acceptance lead to a handover task".
SPEC_HANDOVER_TRIGGERS: dict[tuple[str, str], str] = {
    ("submitted", "reject"): "rejected",
    ("information_requested", "reject"): "rejected",
    ("submitted", "municipal-outcome"): "municipal_level",
    ("information_requested", "municipal-outcome"): "municipal_level",
    ("in_treatment", "discharge"): "discharged",
    ("accepted", "withdraw"): "withdrawn",
    ("in_treatment", "withdraw"): "withdrawn",
}

#: The one narrowing of API.md's table (README, "Using the API"): BUP may withdraw only after accepting the
#: child, which hands it back; while it assesses, it rejects (a handover) or forwards, never ends it silently.
SPEC_ONLY_FROM: dict[tuple[str, str], set[str]] = {("withdraw", BUP_INTAKE): {"accepted", "in_treatment"}}

#: API.md's role names as the lifecycle's parties.
PARTY_OF_ROLE = {REFERRER: Party.REFERRER, BUP_INTAKE: Party.CLINIC}

PARTY_SETS: dict[str, frozenset[Party]] = {
    "referrer": frozenset({Party.REFERRER}),
    "clinic": frozenset({Party.CLINIC}),
    "both": frozenset({Party.REFERRER, Party.CLINIC}),
    "none": frozenset(),
}

ALL_STATUSES = [s.value for s in ReferralStatus]


def expected_outcome(status: str, action: str, parties: frozenset[Party]) -> str | type[Exception]:
    """What API.md says: the next state, Forbidden for a party that may never act, else Conflict."""
    who, moves = SPEC[action]
    allowed_parties = {PARTY_OF_ROLE[role] for role in who}
    if not parties & allowed_parties:
        return Forbidden
    if status not in moves:
        return Conflict
    here = {PARTY_OF_ROLE[role] for role in who if status in SPEC_ONLY_FROM.get((action, role), moves)}
    return moves[status] if parties & here else Forbidden


CELLS = [
    pytest.param(status, action, party_key, id=f"{status}-{action}-{party_key}")
    for status in ALL_STATUSES
    for action in SPEC
    for party_key in PARTY_SETS
]


def test_the_spec_table_names_only_statuses_and_actions_the_code_knows():
    statuses = set(ALL_STATUSES)
    for action, (_who, moves) in SPEC.items():
        ReferralAction(action)
        assert set(moves) <= statuses and set(moves.values()) <= statuses


def test_the_requestable_actions_are_exactly_the_actions_in_the_spec_table():
    assert {str(a) for a in lifecycle.REQUESTABLE_ACTIONS} == set(SPEC)


@pytest.mark.parametrize(("status", "action", "party_key"), CELLS)
def test_next_status_follows_the_api_table(status, action, party_key):
    parties = PARTY_SETS[party_key]
    expected = expected_outcome(status, action, parties)
    call = lambda: lifecycle.next_status(  # noqa: E731
        status=ReferralStatus(status), action=ReferralAction(action), parties=parties)
    if isinstance(expected, str):
        assert call() == ReferralStatus(expected)
    else:
        with pytest.raises(expected) as raised:
            call()
        # Exactly the expected class: a Conflict is not a Forbidden and vice versa.
        assert type(raised.value) is expected


@pytest.mark.parametrize("action", list(SPEC))
def test_parties_for_each_action_are_the_roles_api_md_names(action):
    who, _moves = SPEC[action]
    assert lifecycle.parties_for(ReferralAction(action)) == frozenset(PARTY_OF_ROLE[r] for r in who)


@pytest.mark.parametrize("from_status", ["submitted", "information_requested"])
def test_reject_hands_over_as_rejected(from_status):
    assert lifecycle.handover_trigger(status=ReferralStatus(from_status), action=ReferralAction.REJECT) == "rejected"


def test_discharge_hands_over_as_discharged():
    assert lifecycle.handover_trigger(status=ReferralStatus.IN_TREATMENT,
                                      action=ReferralAction.DISCHARGE) == "discharged"


@pytest.mark.parametrize("from_status", ["accepted", "in_treatment"])
def test_withdraw_after_acceptance_hands_over_as_withdrawn(from_status):
    assert lifecycle.handover_trigger(status=ReferralStatus(from_status),
                                      action=ReferralAction.WITHDRAW) == "withdrawn"


@pytest.mark.parametrize("from_status", ["draft", "submitted", "information_requested"])
def test_withdraw_before_acceptance_hands_nothing_over(from_status):
    assert lifecycle.handover_trigger(status=ReferralStatus(from_status), action=ReferralAction.WITHDRAW) is None


@pytest.mark.parametrize(("status", "action"), [
    pytest.param(status, action, id=f"{status}-{action}")
    for status in ALL_STATUSES for action in SPEC
    if (status, action) not in SPEC_HANDOVER_TRIGGERS
])
def test_no_other_transition_hands_over(status, action):
    assert lifecycle.handover_trigger(status=ReferralStatus(status), action=ReferralAction(action)) is None
