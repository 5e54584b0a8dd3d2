"""A child from 12 to 16 may ask that the guardians are not informed (pasient- og brukerrettighetsloven
§ 3-4). The request travels with the case: the municipality, which would otherwise call the parents, sees
the guardians' names but not how to reach them; BUP and the referring side, who recorded the request, see
all of it beside a warning."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from referral_service.security.actor import Actor
from referral_service.security.visibility import is_municipal

#: What is hidden from the municipality while the child's request stands.
WITHHELD_CONTACT_DETAILS = ("phone", "email")


def guardians_seen_by(viewer: Actor | None, guardians: Iterable[dict[str, Any]], *,
                      withheld: bool) -> list[dict[str, Any]]:
    """The guardians as this reader may see them."""
    if not withheld or viewer is None or not is_municipal(viewer):
        return [dict(g) for g in guardians]
    return [{**g, **dict.fromkeys(WITHHELD_CONTACT_DETAILS)} for g in guardians]
