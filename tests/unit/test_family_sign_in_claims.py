"""The identity number a families provider (ID-porten) names in its ID token: eleven digits in `pid`, else refused."""

from __future__ import annotations

import pytest

from referral_service.security.oidc import SignInRefused, claimed_identity_number, providers_from_setting

IDPORTEN = {"key": "idporten", "name": "ID-porten", "issuer": "https://idporten.example", "client_id": "bup",
            "user_field": "national_id", "claims": ["pid"], "allowed_for": "families"}


def provider():
    return providers_from_setting([IDPORTEN])["idporten"]


def test_the_pid_claim_names_the_person():
    assert claimed_identity_number(provider(), {"pid": " 01018512345 ", "sub": "x"}) == "01018512345"


@pytest.mark.parametrize("claims", [{}, {"pid": ""}, {"pid": "0101851234"}, {"pid": "010185123456"},
                                    {"pid": "0101851234a"}, {"pid": 1018512345}, {"sub": "01018512345"}])
def test_anything_but_eleven_digits_in_pid_is_refused(claims):
    with pytest.raises(SignInRefused) as refused:
        claimed_identity_number(provider(), claims)
    assert refused.value.reason == "pid_invalid"


def test_a_families_provider_is_for_families_only():
    assert provider().for_families
    staff = providers_from_setting([{**IDPORTEN, "key": "entra", "allowed_for": "staff", "user_field": "email",
                                     "organisation_kinds": ["municipality"]}])["entra"]
    assert not staff.for_families
