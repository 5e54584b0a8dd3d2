"""The handover task's lifecycle (API.md): open -> acknowledged -> assigned -> follow_up_planned -> closed;
`plan` and `close` also straight from acknowledged. Anything else is a conflict (409)."""

from __future__ import annotations

import itertools

import pytest

from referral_service.errors import Conflict
from referral_service.workflows.handover_lifecycle import (
    AWAITING_FIRST_CONTACT,
    HandoverAction,
    HandoverStatus,
    next_handover_status,
)

S, A = HandoverStatus, HandoverAction

#: API.md's lifecycle.
DOCUMENTED = {
    (S.OPEN, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.ACKNOWLEDGED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.PLAN): S.FOLLOW_UP_PLANNED,
    (S.FOLLOW_UP_PLANNED, A.CLOSE): S.CLOSED,
    (S.ACKNOWLEDGED, A.PLAN): S.FOLLOW_UP_PLANNED,
    (S.ACKNOWLEDGED, A.CLOSE): S.CLOSED,
}

#: Beyond API.md's list, what a coordinator would expect: hand the task to someone else while it is
#: assigned, and close an assigned task (as is allowed from acknowledged) without planning a contact.
EXTENDED = {
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.CLOSE): S.CLOSED,
}

ALLOWED = {**DOCUMENTED, **EXTENDED}
REFUSED = [pair for pair in itertools.product(S, A) if pair not in ALLOWED]


@pytest.mark.parametrize(("status", "action"), list(DOCUMENTED), ids=lambda v: str(v))
def test_the_documented_steps_lead_to_their_status(status, action):
    assert next_handover_status(status=status, action=action) == DOCUMENTED[(status, action)]


@pytest.mark.parametrize(("status", "action"), list(EXTENDED), ids=lambda v: str(v))
def test_reassigning_and_closing_an_assigned_task_are_allowed(status, action):
    assert next_handover_status(status=status, action=action) == EXTENDED[(status, action)]


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=lambda v: str(v))
def test_every_other_step_is_a_conflict(status, action):
    with pytest.raises(Conflict) as refused:
        next_handover_status(status=status, action=action)
    assert refused.value.status == 409
    assert str(status) in refused.value.detail and str(action) in refused.value.detail


def test_a_closed_task_stays_closed():
    for action in A:
        with pytest.raises(Conflict):
            next_handover_status(status=S.CLOSED, action=action)


def test_the_whole_path_ends_closed():
    status = S.OPEN
    for action in (A.ACKNOWLEDGE, A.ASSIGN, A.PLAN, A.CLOSE):
        status = next_handover_status(status=status, action=action)
    assert status is S.CLOSED


def test_only_a_task_whose_first_contact_is_planned_or_closed_no_longer_awaits_first_contact():
    assert AWAITING_FIRST_CONTACT == {S.OPEN, S.ACKNOWLEDGED, S.ASSIGNED}
