"""Talking to an OpenID Connect provider with Authlib: its discovery document, the authorisation address (code flow
with PKCE S256, state and nonce), the code exchanged for tokens, and its signing keys. Every failure to reach or
understand the provider is a SignInRefused with a short reason, never the provider's answer (it may hold tokens).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error

from referral_service.security.oidc import OidcProvider, PendingSignIn, SignInRefused

#: A provider's discovery document is read again after this long (it names the endpoints and the keys' address).
METADATA_MAX_AGE_SECONDS = 3600.0

_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_metadata_lock = threading.Lock()


def provider_metadata(provider: OidcProvider, *, timeout: float) -> dict[str, Any]:
    """The provider's discovery document, which must name the configured issuer (OpenID Connect Discovery §4.3)."""
    with _metadata_lock:
        cached = _metadata_cache.get(provider.discovery_url)
    # A monotonic age, not the service's clock: this is a cache of another server's document, not a rule.
    if cached and time.monotonic() - cached[0] < METADATA_MAX_AGE_SECONDS:
        return cached[1]
    metadata = _get_json(provider.discovery_url, timeout=timeout, reason="discovery_unreachable")
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        raise SignInRefused("discovery_issuer_mismatch")
    if not metadata.get("authorization_endpoint") or not metadata.get("token_endpoint") \
            or not metadata.get("jwks_uri"):
        raise SignInRefused("discovery_incomplete")
    with _metadata_lock:
        _metadata_cache[provider.discovery_url] = (time.monotonic(), metadata)
    return metadata


def authorization_url(provider: OidcProvider, metadata: dict[str, Any], pending: PendingSignIn, *,
                      redirect_uri: str) -> str:
    """Where the browser goes to sign in: the code flow with this sign-in's state, nonce and PKCE challenge."""
    client = _client(provider, redirect_uri=redirect_uri)
    url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=pending.state,
                                             code_verifier=pending.code_verifier, nonce=pending.nonce)
    return str(url)


def exchange_code(provider: OidcProvider, metadata: dict[str, Any], *, code: str, code_verifier: str,
                  redirect_uri: str, timeout: float) -> str:
    """The ID token the provider gives for the code (the access token is not kept: the service needs none)."""
    client = _client(provider, redirect_uri=redirect_uri)
    try:
        token = client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code", code=code,
                                   code_verifier=code_verifier, timeout=timeout)
    except (OAuth2Error, requests.RequestException, ValueError):
        raise SignInRefused("token_exchange_failed") from None
    finally:
        client.close()
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused("token_without_id_token")
    return id_token


def signing_keys(metadata: dict[str, Any], *, timeout: float) -> dict[str, Any]:
    """The provider's public keys (JWKS), read at each sign-in so that a rotated key is known at once."""
    keys = _get_json(str(metadata["jwks_uri"]), timeout=timeout, reason="jwks_unreachable")
    if not isinstance(keys.get("keys"), list):
        raise SignInRefused("jwks_malformed")
    return keys


def _client(provider: OidcProvider, *, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id=provider.client_id, client_secret=provider.client_secret or None,
                         scope=" ".join(provider.scopes), redirect_uri=redirect_uri,
                         code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic" if provider.client_secret else "none")


def _get_json(url: str, *, timeout: float, reason: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused(reason) from None
    if not isinstance(body, dict):
        raise SignInRefused(reason)
    return body
