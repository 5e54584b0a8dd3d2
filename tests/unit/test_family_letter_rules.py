"""Which moment makes which letter to the family, who sends it, and what each version tells."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import ReasonCode
from referral_service.notify.family_words import LETTER_KINDS, LETTER_LABELS, LETTER_REASONS
from referral_service.workflows.family_access import WITHHELD_TOPICS, FamilyRole
from referral_service.workflows.family_letters import (
    LETTER_TOPICS,
    LetterKind,
    Sender,
    letter_for_handover_step,
    letters_for_referral_event,
    topics_shown,
    version_for,
)


@pytest.mark.parametrize(("action", "expected"), [
    ("submit", [(LetterKind.SENT, Sender.REFERRER), (LetterKind.RECEIVED, Sender.CLINIC)]),
    ("receive-forwarded", [(LetterKind.RECEIVED, Sender.CLINIC)]),
    ("accept", [(LetterKind.ACCEPTED, Sender.CLINIC)]),
    ("reject", [(LetterKind.REJECTED, Sender.CLINIC)]),
    ("municipal-outcome", [(LetterKind.MUNICIPAL_LEVEL, Sender.CLINIC)]),
    ("forward", [(LetterKind.FORWARDED, Sender.CLINIC)]),
    ("discharge", [(LetterKind.DISCHARGED, Sender.CLINIC)]),
    ("withdraw", [(LetterKind.WITHDRAWN, Sender.OWNER)]),
    ("request-information", []),
    ("send-family-letter", []),  # sending a letter makes no new one
])
def test_which_referral_event_makes_which_letter(action, expected):
    drafts = letters_for_referral_event(action=action, event_id="e1")
    assert [(d.kind, d.sender) for d in drafts] == expected


def test_a_trigger_key_is_the_same_on_every_run_and_differs_per_kind():
    first = letters_for_referral_event(action="submit", event_id="e1")
    again = letters_for_referral_event(action="submit", event_id="e1")
    assert [d.trigger_key for d in first] == [d.trigger_key for d in again]
    assert len({d.trigger_key for d in first}) == 2


def test_the_handover_owner_writes_when_it_takes_over_and_when_it_plans_the_first_contact():
    assert letter_for_handover_step(action="acknowledge", event_id="h1").kind is LetterKind.HANDOVER_ACKNOWLEDGED
    planned = letter_for_handover_step(action="plan", event_id="h2")
    assert (planned.kind, planned.sender, planned.trigger_key) == (
        LetterKind.FIRST_CONTACT_PLANNED, Sender.OWNER, "handover-event:h2:first_contact_planned")
    assert letter_for_handover_step(action="close", event_id="h3") is None


def test_the_new_municipality_writes_when_a_moved_familys_task_comes_to_it():
    moved = letter_for_handover_step(action="transfer_in", event_id="h4")
    assert (moved.kind, moved.sender) == (LetterKind.TRANSFERRED, Sender.OWNER)


def test_a_withholding_childs_guardians_get_a_rejection_letter_without_what_the_child_kept():
    assert topics_shown("rejected", frozenset()) == {"reasons", "child_view", "explanation", "advice"}
    assert topics_shown("rejected", WITHHELD_TOPICS) == frozenset()
    assert topics_shown("discharged", WITHHELD_TOPICS) == frozenset()


def test_every_topic_a_letter_tells_is_one_the_age_rules_know():
    assert all(topics <= WITHHELD_TOPICS for topics in LETTER_TOPICS.values())


def test_a_family_member_reads_only_the_version_addressed_to_them():
    assert version_for(FamilyRole.CHILD, ["guardian", "child"]) is FamilyRole.CHILD
    assert version_for(FamilyRole.GUARDIAN, ["young_person"]) is None


def test_every_kind_has_words_in_bokmal_and_nynorsk():
    for language in ("nb", "nn"):
        assert set(LETTER_KINDS[language]) == {kind.value for kind in LetterKind}
        assert all(set(words) == {"heading", "guardian", "you"} for words in LETTER_KINDS[language].values())
        assert set(LETTER_REASONS[language]) >= {code.value for code in ReasonCode}
    assert set(LETTER_LABELS["nb"]) == set(LETTER_LABELS["nn"])
