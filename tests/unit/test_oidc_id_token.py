"""The ID token's checks (security/oidc.py), with tokens signed here by a test key: only a token signed by the
provider's key, from its issuer, for this client, in time, with this sign-in's nonce is accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from referral_service.security.oidc import (
    OidcProvider,
    PendingSignIn,
    SignInRefused,
    claimed_value,
    take_pending,
    validated_id_token,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PROVIDER = OidcProvider(key="helseid", name="HelseID", issuer="https://helseid.example", discovery_url="",
                        client_id="henvisning", client_secret="s", scopes=("openid",), user_field="hpr_number",
                        claims=("helseid://claims/hpr/hpr_number",))
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
PUBLISHED = KeySet([PROVIDER_KEY]).as_dict(private=False)


def id_token(*, key: RSAKey = PROVIDER_KEY, **changes: object) -> str:
    claims = {"iss": PROVIDER.issuer, "aud": PROVIDER.client_id, "sub": "abc", "nonce": "n-1",
              "iat": int(NOW.timestamp()), "exp": int((NOW + timedelta(minutes=5)).timestamp()),
              "helseid://claims/hpr/hpr_number": "123456789", **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def check(token: str, *, nonce: str = "n-1", now: datetime = NOW) -> dict:
    return validated_id_token(token, provider=PROVIDER, keys=PUBLISHED, nonce=nonce, now=now, leeway_seconds=60)


def refusal(token: str, **kwargs: object) -> str:
    with pytest.raises(SignInRefused) as refused:
        check(token, **kwargs)
    return refused.value.reason


def test_a_token_signed_by_the_provider_for_this_sign_in_is_accepted():
    claims = check(id_token())
    assert claimed_value(PROVIDER, claims) == "123456789"


def test_a_token_with_another_nonce_is_refused():
    assert refusal(id_token(nonce="n-2")) == "id_token_nonce"


def test_a_token_without_a_nonce_is_refused():
    assert refusal(id_token(nonce=None)) == "id_token_nonce"


def test_a_token_signed_by_another_key_is_refused():
    assert refusal(id_token(key=OTHER_KEY)) == "id_token_signature"


def test_an_unsigned_token_is_refused():
    header, payload, _ = id_token().split(".")
    assert refusal(f"{header}.{payload}.") == "id_token_signature"


def test_a_token_from_another_issuer_is_refused():
    assert refusal(id_token(iss="https://evil.example")) == "id_token_iss"


def test_a_token_for_another_client_is_refused():
    assert refusal(id_token(aud="another-client")) == "id_token_aud"


def test_an_expired_token_is_refused_by_the_services_clock():
    token = id_token()
    assert check(token, now=NOW + timedelta(minutes=5, seconds=59))  # within the leeway
    assert refusal(token, now=NOW + timedelta(minutes=7)).startswith("id_token_")


def test_a_token_for_several_clients_must_name_this_one_as_its_party():
    assert refusal(id_token(aud=["henvisning", "another"])) == "id_token_azp"
    assert check(id_token(aud=["henvisning", "another"], azp="henvisning"))


def test_a_state_is_good_once():
    pending = PendingSignIn.start(PROVIDER, now=NOW)
    started = {pending.state: pending.as_dict()}
    assert take_pending(started, provider=PROVIDER, state=pending.state, now=NOW,
                        within=timedelta(minutes=10)).nonce == pending.nonce
    with pytest.raises(SignInRefused):
        take_pending(started, provider=PROVIDER, state=pending.state, now=NOW, within=timedelta(minutes=10))


def test_the_first_claim_present_and_trusted_names_the_user():
    entra = OidcProvider(key="entra", name="Entra", issuer="https://login.example", discovery_url="", client_id="c",
                         client_secret="", scopes=("openid",), user_field="email",
                         claims=("email", "preferred_username"), organisation_kinds=frozenset({"municipality"}),
                         verified_claims=("preferred_username",))
    assert claimed_value(entra, {"preferred_username": "a@b.example"}) == "a@b.example"
    assert claimed_value(entra, {"email": "e@b.example", "email_verified": True,
                                 "preferred_username": "a@b.example"}) == "e@b.example"
    # An e-mail the token does not call verified gives way to the claim the provider vouches for ...
    assert claimed_value(entra, {"email": "e@b.example", "preferred_username": "a@b.example"}) == "a@b.example"
    assert claimed_value(entra, {"email": " "}) is None
    # ... and alone it is refused, whatever else `email_verified` says.
    for verified in ({}, {"email_verified": False}, {"email_verified": "true"}, {"email_verified": 1}):
        with pytest.raises(SignInRefused) as refused:
            claimed_value(entra, {"email": "e@b.example", **verified})
        assert refused.value.reason == "email_not_verified"


def test_an_hpr_number_needs_no_email_verified():
    assert claimed_value(PROVIDER, {"helseid://claims/hpr/hpr_number": "123456789"}) == "123456789"


def test_a_provider_signs_in_only_its_organisations_and_no_administrator_unless_named():
    provider = OidcProvider(key="entra", name="Entra", issuer="https://login.example", discovery_url="",
                            client_id="c", client_secret="", scopes=("openid",), user_field="email",
                            claims=("email",), organisation_ids=frozenset({"org-1"}),
                            organisation_kinds=frozenset({"bup_clinic"}))
    assert provider.may_sign_in(organisation_id="org-1", organisation_kind="municipality", roles=["referrer"]) is None
    assert provider.may_sign_in(organisation_id="org-2", organisation_kind="bup_clinic", roles=["bup_intake"]) is None
    assert provider.may_sign_in(organisation_id="org-2", organisation_kind="municipality",
                                roles=["referrer"]) == "organisation_not_allowed"
    assert provider.may_sign_in(organisation_id="org-1", organisation_kind="municipality",
                                roles=["referrer", "auditor"]) == "role_not_allowed"
    auditing = OidcProvider(**{**provider.__dict__, "allow_roles": frozenset({"auditor"})})
    assert auditing.may_sign_in(organisation_id="org-1", organisation_kind="municipality", roles=["auditor"]) is None
    assert auditing.may_sign_in(organisation_id="org-1", organisation_kind="municipality",
                                roles=["admin"]) == "role_not_allowed"
