"""Signing in on the family page with ID-porten: the provider's answer is checked as for staff
(services/admin/oidc.checked_claims: state once, PKCE, the ID token's signature, issuer, audience, times, nonce),
then the person is known by the blind indexes of the identity number in the token (`pid`). Everybody who proves who
they are gets in; what they see is decided by the family access rules (services/family/access.py).

The identity number is never logged or stored: only its blind indexes leave this function. Each sign-in and each
refusal is logged with the provider and a reason code."""

from __future__ import annotations

import logging

from referral_service.clock import Clock
from referral_service.security.identity_crypto import IdentityVault
from referral_service.security.oidc import OidcProvider, SignInRefused, claimed_identity_number
from referral_service.services.admin.oidc import OidcPolicy, checked_claims
from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


def finish_family_sign_in(*, used_states: SqlUnitOfWork, vault: IdentityVault, provider: OidcProvider,
                          pending: dict[str, dict[str, str]], callback: dict[str, str], clock: Clock,
                          policy: OidcPolicy, redirect_uri: str) -> tuple[tuple[str, ...], str]:
    """The blind indexes of the signed-in person's identity number (under every key, newest first), and the page
    they were on their way to. Only a families provider signs anyone in here."""
    try:
        if not provider.for_families:
            raise SignInRefused("provider_for_staff")
        claims, next_page = checked_claims(used_states=used_states, provider=provider, pending=pending,
                                           callback=callback, clock=clock, policy=policy, redirect_uri=redirect_uri)
        indexes = vault.blind_indexes(claimed_identity_number(provider, claims))
    except SignInRefused as refused:
        log.warning("family sign-in refused", extra={"provider": provider.key, "reason": refused.reason})
        raise
    log.info("family sign-in", extra={"provider": provider.key})
    return indexes, next_page
