"""The pages, one module per audience; each view parses a form, calls a service and renders."""

from referral_service.web.views import (  # noqa: F401
    alerts,
    auth,
    bup,
    consent,
    dashboard,
    duplicates,
    handovers,
    passwords,
    referral_form,
    referrals,
    referrer_actions,
)
