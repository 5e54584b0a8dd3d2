"""What a handover tells its owner of BUP's decision."""

from __future__ import annotations

from typing import Any

#: What BUP wrote that travels with the handover, per trigger.
CONTENT_FIELDS: dict[str, tuple[str, ...]] = {
    "rejected": ("reason_code", "explanation", "municipal_advice"),
    "municipal_level": ("assessment_conversation_on", "explanation", "municipal_advice"),
    "discharged": ("summary", "follow_up_recommendations", "epikrise_sent"),
    "withdrawn": ("reason",),
}


def handover_content(*, trigger: str, decision: dict[str, Any], clinic_name: str) -> dict[str, Any]:
    """BUP's reason, advice or follow-up recommendations (the people around the child follow with the owner,
    within consent: services/handovers/routing.py)."""
    content: dict[str, Any] = {"clinic_name": clinic_name}
    content.update({name: decision[name] for name in CONTENT_FIELDS[trigger] if name in decision})
    return content
