"""Reading the consent in force on a referral as a Consent: through the REST API's read of the referral, so
need-to-know (404) and the access log are the same ones; the municipality named is the child's home one."""

from __future__ import annotations

from referral_service.domain.municipalities import UnknownMunicipality
from referral_service.errors import NotFound
from referral_service.fhir.consent import consent
from referral_service.services.alerts.recipients import municipality_of
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.referrals.drafts import get_referral
from referral_service.services.repositories import REFERRAL_NOT_FOUND
from referral_service.services.views import ReferralView


@reads("Consent")
def read_consent(req: FhirRequest, referral_id: str) -> Resource:
    """The consent in force on one referral the caller may see (the read is logged by get_referral)."""
    found = consents_for(req, [get_referral(req.uow, actor=req.actor, referral_id=referral_id)])
    if not found:  # every referral has its consent recorded from creation; none left means nothing to show
        raise NotFound(REFERRAL_NOT_FOUND)
    return found[0]


def consents_for(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """The Consents of referrals the caller was shown (found visible and logged by the caller); call it outside
    a `with req.uow:` block."""
    with_consent = [view for view in views if view.consent is not None]
    numbers = {view.referral.child_home_municipality for view in with_consent} - {""}
    with req.uow:
        organisations = {number: municipality_of(req.uow.session, number) for number in numbers}
        req.uow.commit()
    resources = []
    for view in with_consent:
        number = view.referral.child_home_municipality
        organisation = organisations.get(number)
        resources.append(consent(view, municipality_id=organisation.id if organisation else None,
                                 municipality_name=organisation.name if organisation else _name(req, number)))
    return resources


def _name(req: FhirRequest, number: str) -> str | None:
    try:
        return req.deps.municipalities.current(number, req.deps.clock.today()).name if number else None
    except UnknownMunicipality:
        return None
