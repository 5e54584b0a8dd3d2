"""The family's age rules (who reads a case, who gets a letter, what a withholding child keeps from the guardians)
and who holds the case now."""

from __future__ import annotations

from datetime import date

import pytest

from referral_service.domain.enums import HandoverStatus, ReferralStatus
from referral_service.workflows.family_access import (
    WITHHELD_TOPICS,
    FamilyRole,
    hidden_topics,
    letter_audiences,
    reader_role,
)
from referral_service.workflows.responsible_now import Contact, HandoverFacts, Stage, responsible_now


@pytest.mark.parametrize(("age", "is_child", "is_guardian", "shared", "expected"), [
    (9, False, True, False, FamilyRole.GUARDIAN),
    (9, True, False, False, None),  # under 12 the child is not a reader of its own
    (14, True, False, False, FamilyRole.CHILD),
    (14, False, True, False, FamilyRole.GUARDIAN),
    (16, True, False, False, FamilyRole.YOUNG_PERSON),
    (16, False, True, False, None),  # from 16 only the young person...
    (16, False, True, True, FamilyRole.GUARDIAN),  # ...who may share with the guardians
    (14, False, False, False, None),  # neither the child nor a recorded guardian
])
def test_who_reads_the_case(age, is_child, is_guardian, shared, expected):
    assert reader_role(is_child=is_child, is_guardian=is_guardian, age=age, shared_with_guardians=shared) == expected


def test_a_withholding_child_from_12_to_16_keeps_its_topics_from_the_guardians_only():
    assert hidden_topics(FamilyRole.GUARDIAN, age=14, withheld_from_guardians=True) == WITHHELD_TOPICS
    assert hidden_topics(FamilyRole.GUARDIAN, age=14, withheld_from_guardians=False) == frozenset()
    assert hidden_topics(FamilyRole.CHILD, age=14, withheld_from_guardians=True) == frozenset()
    assert hidden_topics(FamilyRole.GUARDIAN, age=10, withheld_from_guardians=True) == frozenset()


def test_letters_go_by_age():
    assert letter_audiences(age=10, shared_with_guardians=False) == [FamilyRole.GUARDIAN]
    assert letter_audiences(age=13, shared_with_guardians=False) == [FamilyRole.GUARDIAN, FamilyRole.CHILD]
    assert letter_audiences(age=17, shared_with_guardians=False) == [FamilyRole.YOUNG_PERSON]
    assert letter_audiences(age=17, shared_with_guardians=True) == [FamilyRole.YOUNG_PERSON, FamilyRole.GUARDIAN]


CLINIC = Contact(organisation_id="bup", organisation="BUP Bergen sentrum", phone="05590")
REFERRER = Contact(organisation_id="gp", organisation="Askøy legesenter")
COORDINATOR = Contact(organisation_id="askoy", organisation="Askøy kommune", person_id="u1", person="Knut",
                      phone="05627 1234", hours="hverdager")


def now(status, handover=None, **dates):
    return responsible_now(status=status, clinic=CLINIC, referrer=REFERRER,
                           assessment_due=dates.get("assessment_due"), care_start_due=dates.get("care_start_due"),
                           first_appointment_on=dates.get("first_appointment_on"), handover=handover)


def test_bup_holds_a_referral_it_assesses_until_its_deadline():
    answer = now(ReferralStatus.SUBMITTED, assessment_due=date(2026, 12, 18))
    assert (answer.stage, answer.contact, answer.due) == (Stage.BUP_ASSESSES, CLINIC, date(2026, 12, 18))


def test_after_a_rejection_the_owner_of_the_handover_holds_it_once_the_task_is_made():
    assert now(ReferralStatus.REJECTED).stage is Stage.HANDOVER_BEING_MADE
    task = HandoverFacts(status=HandoverStatus.OPEN, owner=COORDINATOR, acknowledge_due=date(2026, 12, 9),
                         first_contact_due=date(2026, 12, 21), first_contact_on=None)
    waiting = now(ReferralStatus.REJECTED, task)
    assert (waiting.stage, waiting.contact, waiting.due) == (Stage.OWNER_TO_TAKE_OVER, COORDINATOR, date(2026, 12, 9))
    taken = HandoverFacts(status=HandoverStatus.ACKNOWLEDGED, owner=COORDINATOR, acknowledge_due=date(2026, 12, 9),
                          first_contact_due=date(2026, 12, 21), first_contact_on=None)
    answer = now(ReferralStatus.REJECTED, taken)
    assert (answer.stage, answer.contact.person, answer.contact.phone, answer.due) == \
        (Stage.OWNER_HOLDS, "Knut", "05627 1234", date(2026, 12, 21))
