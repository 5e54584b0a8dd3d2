"""Reading referrals as ServiceRequests: through the REST API's own use case, so need-to-know (404), the consent
filter and the access log are the same ones."""

from __future__ import annotations

from referral_service.fhir.service_request import service_request
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.referrals.drafts import get_referral
from referral_service.services.views import ReferralView


@reads("ServiceRequest")
def read_service_request(req: FhirRequest, referral_id: str) -> Resource:
    """One referral as the caller may see it; the read is logged (get_referral)."""
    return service_request(get_referral(req.uow, actor=req.actor, referral_id=referral_id))


def service_requests_for(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """ServiceRequests for many referrals the caller was shown (the caller found them visible and logged them)."""
    return [service_request(view) for view in views]
