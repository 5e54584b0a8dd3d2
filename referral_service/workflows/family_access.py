"""Who in the family sees a child's case and gets its letters, by age (pasient- og brukerrettighetsloven §§ 3-4, 4-3):

- under 12: the guardians see everything; the child is not addressed on its own;
- 12 to 16: the guardians see what the child has not asked to withhold from them; the child sees its own case and
  gets a version of each letter written to the child;
- from 16: only the young person, who may share their case with the guardians.

The one place these rules live: the family page, the letters and the "Vi har ikke hørt noe" button all ask here.
"""

from __future__ import annotations

from enum import StrEnum

from referral_service.workflows.consent import AGE_MAY_WITHHOLD_FROM_GUARDIANS, AGE_OF_CONSENT


class FamilyRole(StrEnum):
    """How a family member reads a case (and which version of a letter they get)."""

    #: 16 or older: the young person's own case.
    YOUNG_PERSON = "young_person"
    #: 12 to 16: the child's own case, in words for the child.
    CHILD = "child"
    GUARDIAN = "guardian"


#: What a child from 12 to 16 who asked to withhold information from the guardians keeps from them: why the child
#: was referred, the child's own view and words, and what BUP wrote about the child (its explanation, advice and
#: discharge summary). The guardians still see where the case is, who is responsible, and what happens next.
WITHHELD_TOPICS = frozenset({"reasons", "child_view", "explanation", "advice", "summary", "voice"})


def reader_role(*, is_child: bool, is_guardian: bool, age: int, shared_with_guardians: bool) -> FamilyRole | None:
    """How this person may read the child's case, or None when they may not read it at all."""
    if is_child:
        if age >= AGE_OF_CONSENT:
            return FamilyRole.YOUNG_PERSON
        return FamilyRole.CHILD if age >= AGE_MAY_WITHHOLD_FROM_GUARDIANS else None
    if is_guardian and (age < AGE_OF_CONSENT or shared_with_guardians):
        return FamilyRole.GUARDIAN
    return None


def hidden_topics(role: FamilyRole, *, age: int, withheld_from_guardians: bool) -> frozenset[str]:
    """What this reader must not see of the case (or of a letter): for the guardians of a child from 12 to 16 who
    asked to withhold information, WITHHELD_TOPICS; nothing otherwise."""
    if role is FamilyRole.GUARDIAN and withheld_from_guardians \
            and AGE_MAY_WITHHOLD_FROM_GUARDIANS <= age < AGE_OF_CONSENT:
        return WITHHELD_TOPICS
    return frozenset()


def letter_audiences(*, age: int, shared_with_guardians: bool) -> list[FamilyRole]:
    """Who a letter goes to on the day it is sent: from 16 the young person (and the guardians if shared); from 12 the
    guardians and a version for the child; under 12 the guardians."""
    if age >= AGE_OF_CONSENT:
        return [FamilyRole.YOUNG_PERSON, FamilyRole.GUARDIAN] if shared_with_guardians else [FamilyRole.YOUNG_PERSON]
    if age >= AGE_MAY_WITHHOLD_FROM_GUARDIANS:
        return [FamilyRole.GUARDIAN, FamilyRole.CHILD]
    return [FamilyRole.GUARDIAN]


def may_speak_for_themselves(role: FamilyRole) -> bool:
    """From 12 the young person may add or correct "what I want BUP and the municipality to know"."""
    return role in (FamilyRole.CHILD, FamilyRole.YOUNG_PERSON)


def may_share_with_guardians(role: FamilyRole) -> bool:
    """Only a young person from 16 decides whether their guardians see their case."""
    return role is FamilyRole.YOUNG_PERSON
