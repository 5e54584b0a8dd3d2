"""Who a handover is addressed to and what it reveals, decided by the consent given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referral_service.domain.enums import HandoverAddressee

#: What BUP wrote that travels with the handover, per trigger.
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "rejected": ("reason_code", "explanation", "municipal_advice"),
    "discharged": ("summary", "follow_up_recommendations", "epikrise_sent"),
    "withdrawn": ("reason",),
}


@dataclass(frozen=True)
class Addressing:
    addressed_to: HandoverAddressee
    include_municipal_contacts: bool


def address_handover(*, municipality_may_see: bool, municipality_registered: bool) -> Addressing:
    """With consent to share with the municipality, the task goes there; otherwise to the referrer and GP.
    A municipality not registered in the service cannot take the task: the referrer side does."""
    if municipality_may_see and municipality_registered:
        return Addressing(HandoverAddressee.MUNICIPALITY, include_municipal_contacts=True)
    return Addressing(HandoverAddressee.REFERRER, include_municipal_contacts=False)


def handover_content(*, trigger: str, decision: dict[str, Any], clinic_name: str,
                     municipal_contacts: list[dict[str, Any]], addressing: Addressing) -> dict[str, Any]:
    """BUP's reason, advice or follow-up recommendations, and the people around the child, within consent."""
    content: dict[str, Any] = {"clinic_name": clinic_name}
    content.update({name: decision[name] for name in CONTENT_FIELDS[trigger] if name in decision})
    content["municipal_contacts"] = municipal_contacts if addressing.include_municipal_contacts else []
    return content
