"""A real OpenID Connect provider on this machine for the sign-in tests: oidc-provider-mock (Authlib's server) on a
free loopback port in a thread. It signs ID tokens with its own RSA key and publishes it at its JWKS address.

Any client id and secret are accepted. A person signs in by typing their subject on the provider's page; the
claims of a subject are set beforehand with `set_claims` (HelseID's HPR number claim, an e-mail address, ...).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import oidc_provider_mock
import requests
from werkzeug.serving import make_server

#: HelseID's claim for the person's number in the Health Personnel Register.
HPR_CLAIM = "helseid://claims/hpr/hpr_number"


@dataclass(frozen=True)
class LocalProvider:
    issuer: str

    def set_claims(self, subject: str, claims: dict[str, Any]) -> None:
        """The claims the provider gives a subject in its ID tokens."""
        response = requests.put(f"{self.issuer}/users/{subject}", json=claims, timeout=10)
        response.raise_for_status()

    def settings(self, *, key: str, name: str, user_field: str, claims: list[str],
                 scopes: tuple[str, ...] = ("openid", "profile", "email"), **more: Any) -> dict[str, Any]:
        """One entry of the setting OIDC_PROVIDERS pointing at this provider; `more` holds its allow-list
        (organisation_ids and/or organisation_kinds; at least one is needed) and any other field."""
        return {"key": key, "name": name, "issuer": self.issuer, "client_id": f"henvisning-{key}",
                "client_secret": "test-client-secret", "scopes": list(scopes), "user_field": user_field,
                "claims": claims, "allowed_for": "staff", **more}


#: HelseID signs in health personnel: the health organisations' staff, never the municipality's or the operator's.
HEALTH_KINDS = ["gp_office", "bup_clinic", "adult_mental_health", "school_health_service"]


def helseid_and_entra(provider: LocalProvider, *, entra_organisation_ids: list[str] | None = None) -> str:
    """The setting for two providers at the same local server: HelseID by HPR number (health organisations),
    Entra ID by e-mail (the given organisations, else every municipality), trusting `preferred_username` as the
    tenant's own and `email` only when the token says it is verified."""
    entra_allowed = ({"organisation_ids": entra_organisation_ids} if entra_organisation_ids is not None
                     else {"organisation_kinds": ["municipality"]})
    return json.dumps([
        provider.settings(key="helseid", name="HelseID", user_field="hpr_number", claims=[HPR_CLAIM],
                          organisation_kinds=HEALTH_KINDS),
        provider.settings(key="entra", name="Kommunens pålogging (Entra ID)", user_field="email",
                          claims=["email", "preferred_username"], verified_claims=["preferred_username"],
                          **entra_allowed),
    ])


#: ID-porten's claim for the person's identity number (fødselsnummer or D-nummer).
PID_CLAIM = "pid"


def idporten(provider: LocalProvider, *, key: str = "idporten") -> dict[str, Any]:
    """A families provider at the local server, as ID-porten is configured: the person by the `pid` claim, no
    organisation allow-list (families are not staff)."""
    settings = provider.settings(key=key, name="ID-porten", user_field="national_id", claims=[PID_CLAIM],
                                 scopes=("openid", "profile"), allowed_for="families")
    return settings


def with_idporten(provider: LocalProvider, staff_setting: str | None = None) -> str:
    """The setting OIDC_PROVIDERS with ID-porten for families, after the staff providers of `staff_setting`
    (a JSON list, e.g. helseid_and_entra's)."""
    staff = json.loads(staff_setting) if staff_setting else []
    return json.dumps([*staff, idporten(provider)])


@contextmanager
def local_provider() -> Iterator[LocalProvider]:
    """Start the provider; it stops when the block ends."""
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(require_nonce=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalProvider(issuer=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
