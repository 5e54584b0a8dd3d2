"""What BUP will miss in a referral, by code: the completeness check's and the consent rules' findings.

Each code carries its English sentence (for the API); the web says each in Norwegian, by its code.
"""

from __future__ import annotations

from enum import StrEnum

from referral_service.errors import Reason


class Gap(StrEnum):
    sentence: str

    def __new__(cls, code: str, sentence: str) -> Gap:
        member = str.__new__(cls, code)
        member._value_ = code
        member.sentence = sentence
        return member

    @property
    def reason(self) -> Reason:
        return Reason(self.value, self.sentence)

    # workflows/completeness.py
    GUARDIANS = "guardians_missing", "No guardians are given."
    REASONS = "reasons_missing", "No reason for the referral is chosen."
    DESCRIPTION_TOO_SHORT = "description_too_short", "The description of the difficulties is too short."
    MEASURES_TRIED = "measures_tried_missing", "It does not say what the municipality has tried."
    CHILD_VIEW = "child_view_missing", "The child's own view is missing."
    HOME_MUNICIPALITY = ("home_municipality_unknown",
                         "No municipality in the register has the home municipality's number.")
    # workflows/consent.py
    CONSENT_MISSING = "consent_missing", "No consent is recorded."
    YOUNG_PERSON_MUST_CONSENT = "young_person_must_consent", "From 16 the young person must consent."
    GUARDIANS_MUST_CONSENT = "guardians_must_consent", "Under 16 the guardians (or child welfare) must consent."
    MUST_SHARE_WITH_BUP = "must_share_with_bup", "The consent must cover sharing with BUP."
    MUST_SHARE_WITH_REFERRER = ("must_share_with_referrer",
                                "The consent must cover sharing with the referrer (school/PPT).")
    WITHHOLDING_ONLY_FROM_12_TO_16 = ("withholding_only_from_12_to_16",
                                      "Only children from 12 to 16 may ask that the guardians are not informed.")
    # workflows/age_range.py
    BIRTH_DATE_IN_FUTURE = "birth_date_in_future", "The birth date is in the future."
    AGE_OUTSIDE_SERVICE = ("age_outside_service",
                           "The service covers children and young people from birth up to and including 25 years.")
