"""Turning service results into the dictionaries the response schemas dump."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from referral_service.domain.languages import language_name
from referral_service.services.cases.read_model import ChildCase
from referral_service.services.views import ReferralView, masked_national_id


def referral_payload(view: ReferralView) -> dict[str, Any]:
    r, child = view.referral, view.child
    return {
        **r.model_dump(),
        "child": {
            "id": child.id,
            "given_name": child.given_name,
            "family_name": child.family_name,
            "birth_date": child.birth_date,
            "national_id_masked": masked_national_id(child.birth_date),
            "home_municipality": child.home_municipality,
            "guardians": child.guardians,
        },
        "consent": view.consent.model_dump() if view.consent else None,
        "municipal_contacts": [c.model_dump() for c in view.municipal_contacts],
        "co_referrers": [c.model_dump() for c in view.co_referrers],
        "handover_id": view.handover_id,
        **({"other_open_referrals": [vars(o) for o in view.other_open_referrals]}
           if view.other_open_referrals is not None else {}),
        "interpreter": {"needed": r.interpreter_needed, "language": r.interpreter_language,
                        "language_name": language_name(r.interpreter_language)},
        "child_welfare": {"organisation_id": r.child_welfare_org_id, "organisation_name": view.child_welfare_name,
                          "basis": r.child_welfare_basis} if r.child_welfare_org_id else None,
    }


def page_payload(page: Any, present=lambda item: item) -> dict[str, Any]:
    return {"items": [present(item) for item in page.items], "total": page.total, "page": page.page,
            "per_page": page.per_page}


def case_payload(case: ChildCase) -> dict[str, Any]:
    repeat = case.repeat
    return {"child_id": case.child_id, "referral_id": case.referral_id,
            "repeat": {"earlier_referrals": repeat.earlier_referrals, "earlier_rejections": repeat.earlier_rejections,
                       "window_months": repeat.window_months, "rejected_before": repeat.rejected_before},
            "referrals": [asdict(r) for r in case.referrals], "entries": [asdict(e) for e in case.entries]}
