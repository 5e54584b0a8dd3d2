"""The consent page's form: whom the referral may still be shared with (of those it is shared with now) and who
changed the consent. What it posts is read by the API's own body schema (schemas.referrals.ConsentIn); the rules of
consent by age stay in the service (workflows/consent.py), whose refusals are put beside the fields in Norwegian.

The page only narrows: a wider consent needs a new consent from the family, recorded with the referral."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from referral_service.domain.enums import ConsentGiver, ShareWith
from referral_service.domain.referral import Consent
from referral_service.errors import InvalidData
from referral_service.schemas.referrals import ConsentIn
from referral_service.web.forms.dates import iso_date
from referral_service.web.forms.messages import DATE_HINT, NOT_ACCEPTED, NOT_AN_OPTION, reason_text

KEEP = "deles_med"
GIVEN_BY = "endret_av"
ON = "dato"

NOTHING_CHANGED = "Du har ikke endret noe. Fjern haken for dem henvisningen ikke lenger skal deles med."
WHO_MISSING = "Velg hvem som har trukket eller innskrenket samtykket."
#: The service's refusals by body key, beside the field they are about.
_FIELD_OF_KEY = {"share_with": KEEP, "consent": GIVEN_BY, "given_by": GIVEN_BY, "recorded_on": ON}


@dataclass
class ConsentChange:
    """What was posted, the body for the service, and Norwegian errors by field name."""

    keep: list[str] = field(default_factory=list)
    given_by: list[str] = field(default_factory=list)
    on: str = ""
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors

    def withdrawn(self, shared: Sequence[str]) -> list[str]:
        """The scopes the change takes away, in the page's order."""
        return [scope for scope in shared if scope not in self.keep]

    def refused(self, error: InvalidData) -> ConsentChange:
        """Put the service's refusal beside the field it is about."""
        for key, messages in (error.errors or {"": [""]}).items():
            name = _FIELD_OF_KEY.get(key, KEEP)
            for message in messages or [""]:
                words = reason_text(message) or NOT_ACCEPTED
                if words not in self.errors.get(name, []):
                    self.errors.setdefault(name, []).append(words)
        return self


def untouched(consent: Consent | None, shared: Sequence[str]) -> ConsentChange:
    """The form as it first shows: everything shared now still ticked, the same people as last time."""
    return ConsentChange(keep=list(shared), given_by=list(consent.given_by) if consent else [])


def read_change(posted: MultiDict[str, str], *, consent: Consent | None, shared: Sequence[str]) -> ConsentChange:
    """Read the posted form against the consent in force: BUP always stays (withdrawing that is withdrawing the
    referral), and only what is shared now can be kept."""
    change = ConsentChange(keep=posted.getlist(KEEP), given_by=posted.getlist(GIVEN_BY), on=posted.get(ON, "").strip())
    if any(scope not in shared for scope in change.keep):
        change.errors.setdefault(KEEP, []).append(NOT_AN_OPTION)
    elif not change.withdrawn(shared):
        change.errors.setdefault(KEEP, []).append(NOTHING_CHANGED)
    if not change.given_by:
        change.errors.setdefault(GIVEN_BY, []).append(WHO_MISSING)
    elif any(giver not in set(ConsentGiver) for giver in change.given_by):
        change.errors.setdefault(GIVEN_BY, []).append(NOT_AN_OPTION)
    raw: dict[str, Any] = {
        "share_with": [ShareWith.BUP.value, *(s for s in change.keep if s in shared)],
        "given_by": change.given_by,
        "withhold_from_guardians": bool(consent and consent.withhold_from_guardians),
    }
    if change.on:
        raw["recorded_on"] = iso_date(change.on)
    try:
        change.body = ConsentIn().load(raw)
    except ValidationError as exc:
        if "recorded_on" in exc.messages_dict:
            change.errors.setdefault(ON, []).append(DATE_HINT)
        elif not change.errors:
            change.errors.setdefault(KEEP, []).append(NOT_ACCEPTED)
    return change
