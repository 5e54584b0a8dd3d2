"""Two referrals of one child become one: who may join or merge, from which states, and what it leads to.
No Flask, no database."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import ReferralAction as A
from referral_service.domain.enums import ReferralStatus as S
from referral_service.errors import Conflict, Forbidden, InvalidData
from referral_service.workflows import referral_lifecycle as lifecycle
from referral_service.workflows.referral_lifecycle import Party

REFERRER, CLINIC = frozenset({Party.REFERRER}), frozenset({Party.CLINIC})


def decide(action, ending, staying, parties, *, same_child=True, same_clinic=True):
    return lifecycle.decide_merge(action=action, ending=ending, staying=staying, parties=parties,
                                  same_child=same_child, same_clinic=same_clinic)


@pytest.mark.parametrize("staying", [S.DRAFT, S.SUBMITTED, S.INFORMATION_REQUESTED, S.ACCEPTED, S.IN_TREATMENT])
def test_a_referrers_draft_joins_any_open_referral_of_the_child_and_ends_merged(staying):
    decision = decide(A.JOIN, S.DRAFT, staying, REFERRER)
    assert (decision.action, decision.from_status, decision.to_status) == (A.MERGED_INTO, S.DRAFT, S.MERGED)
    assert decision.handover_trigger is None


@pytest.mark.parametrize("ending", [S.SUBMITTED, S.INFORMATION_REQUESTED])
def test_bup_merges_a_referral_it_has_not_decided_on_and_nothing_is_handed_back(ending):
    decision = decide(A.MERGE, ending, S.ACCEPTED, CLINIC)
    assert decision.to_status == S.MERGED and decision.handover_trigger is None


@pytest.mark.parametrize("ending", [S.DRAFT, S.ACCEPTED, S.IN_TREATMENT, S.REJECTED, S.MERGED])
def test_bup_never_merges_away_a_draft_or_a_decided_referral(ending):
    with pytest.raises(Conflict):
        decide(A.MERGE, ending, S.SUBMITTED, CLINIC)


@pytest.mark.parametrize("staying", [S.REJECTED, S.DISCHARGED, S.WITHDRAWN, S.FORWARDED, S.MERGED,
                                     S.MUNICIPAL_LEVEL])
def test_nothing_joins_or_is_merged_into_an_ended_referral(staying):
    with pytest.raises(Conflict):
        decide(A.JOIN, S.DRAFT, staying, REFERRER)
    with pytest.raises(Conflict):
        decide(A.MERGE, S.SUBMITTED, staying, CLINIC)


def test_a_submitted_referral_does_not_join():
    with pytest.raises(Conflict):
        decide(A.JOIN, S.SUBMITTED, S.SUBMITTED, REFERRER)


def test_only_the_referrer_joins_and_only_bup_merges():
    with pytest.raises(Forbidden):
        decide(A.JOIN, S.DRAFT, S.SUBMITTED, CLINIC)
    with pytest.raises(Forbidden):
        decide(A.MERGE, S.SUBMITTED, S.SUBMITTED, REFERRER)


def test_two_children_or_two_clinics_are_never_merged():
    with pytest.raises(InvalidData):
        decide(A.MERGE, S.SUBMITTED, S.SUBMITTED, CLINIC, same_child=False)
    with pytest.raises(InvalidData):
        decide(A.MERGE, S.SUBMITTED, S.SUBMITTED, CLINIC, same_clinic=False)


def test_a_merge_is_no_requestable_lifecycle_action_and_hands_nothing_over():
    assert not {A.JOIN, A.MERGE, A.MERGED_INTO} & lifecycle.REQUESTABLE_ACTIONS
    assert all(action not in {A.JOIN, A.MERGE, A.MERGED_INTO} for _, action in lifecycle.HANDOVER_TRIGGERS)
