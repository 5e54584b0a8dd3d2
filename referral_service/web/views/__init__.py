"""The pages, one module per audience; each view parses a form, calls a service and renders."""

from referral_service.web.views import (  # noqa: F401
    admin,
    admin_users,
    alerts,
    audit,
    auth,
    bup,
    consent,
    dashboard,
    duplicates,
    family,
    family_letters,
    family_nudges,
    family_sign_in,
    handovers,
    oidc,
    own_contact,
    passwords,
    referral_form,
    referrals,
    referrer_actions,
)
