"""Signing in through an OpenID Connect provider (HelseID, a municipality's Entra ID; ID-porten for families): which
providers are configured, the single-use state, nonce and PKCE verifier of a started sign-in, and the checks of the
signed ID token. Talking to the provider is in security/oidc_client.py; finding the user in services/admin/oidc.py.

A provider only proves who the person is: it never creates a user or gives roles (services/admin/oidc.py).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.common.security import is_secure_transport
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from config.settings import ConfigurationError
from referral_service.domain.enums import OrganisationKind, Role

#: The user fields a provider's claim may be matched against (an existing user's, never a new one).
USER_FIELDS = ("hpr_number", "email")
#: Who may sign in through a provider: staff (found among the users), or families (ID-porten, known by the identity
#: number in the token, `user_field` FAMILY_USER_FIELD). A provider serves one of the two, never both.
AUDIENCES = ("staff", "families")
#: What a families provider's claim holds: the person's identity number (ID-porten's `pid`).
FAMILY_USER_FIELD = "national_id"
#: The signatures accepted on an ID token (HelseID, Entra ID and ID-porten sign with RS256).
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256"]
#: Roles a provider never signs in unless its setting names them in `allow_roles`: they see the whole service.
PRIVILEGED_ROLES = (Role.ADMIN.value, Role.AUDITOR.value)
#: The refusals that are about the person (unknown, or not this provider's to sign in): one Norwegian 403 for all,
#: which says nothing about who exists or why.
PERSON_REFUSALS = frozenset({"unknown_subject", "email_not_verified", "organisation_not_allowed", "role_not_allowed"})
_KEY = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


class SignInRefused(Exception):
    """A sign-in through a provider that cannot be accepted; `reason` is a short code for the log (never a token,
    a claim or an identity number)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OidcProvider:
    """One identity provider, from the setting OIDC_PROVIDERS."""

    key: str
    name: str
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    #: Which user field the claim is matched against, and the claims to read it from (the first one present).
    user_field: str
    claims: tuple[str, ...]
    allowed_for: str = "staff"
    #: Whose staff the provider may sign in (its allow-list, at least one of the two is given): users of these
    #: organisations, and users of organisations of these kinds.
    organisation_ids: frozenset[str] = frozenset()
    organisation_kinds: frozenset[str] = frozenset()
    #: The privileged roles (admin, auditor) it may sign in; none unless the setting says so.
    allow_roles: frozenset[str] = frozenset()
    #: The claims the provider itself vouches for (e.g. Entra ID's `upn`); an `email` claim not listed here counts
    #: only with `email_verified: true` in the same token.
    verified_claims: tuple[str, ...] = ()

    @property
    def for_families(self) -> bool:
        return self.allowed_for == "families"

    def may_sign_in(self, *, organisation_id: str, organisation_kind: str, roles: list[str]) -> str | None:
        """None when this provider may sign in a user of this organisation with these roles, else the reason."""
        if organisation_id not in self.organisation_ids and organisation_kind not in self.organisation_kinds:
            return "organisation_not_allowed"
        if any(role in PRIVILEGED_ROLES and role not in self.allow_roles for role in roles):
            return "role_not_allowed"
        return None


def providers_from_setting(raw: str | list[dict[str, Any]] | None) -> dict[str, OidcProvider]:
    """The configured providers by key; empty when none are (passwords only). Refuses a malformed setting."""
    if not raw:
        return {}
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise ConfigurationError("REFERRAL_OIDC_PROVIDERS is not valid JSON (a list of providers)") from None
    if not isinstance(entries, list):
        raise ConfigurationError("REFERRAL_OIDC_PROVIDERS must be a JSON list of providers")
    providers = [_provider(entry) for entry in entries]
    by_key = {provider.key: provider for provider in providers}
    if len(by_key) != len(providers):
        raise ConfigurationError("REFERRAL_OIDC_PROVIDERS names a provider key twice")
    return by_key


def _provider(entry: Any) -> OidcProvider:
    if not isinstance(entry, Mapping):
        raise ConfigurationError("each provider in REFERRAL_OIDC_PROVIDERS must be a JSON object")
    missing = [name for name in ("key", "name", "issuer", "client_id", "user_field", "claims") if not entry.get(name)]
    if missing:
        raise ConfigurationError(f"an OIDC provider lacks {', '.join(missing)}")
    key, issuer = str(entry["key"]), str(entry["issuer"]).rstrip("/")
    claims = entry["claims"]
    org_ids, org_kinds = entry.get("organisation_ids") or [], entry.get("organisation_kinds") or []
    allow_roles, verified = entry.get("allow_roles") or [], entry.get("verified_claims") or []
    kinds = [kind.value for kind in OrganisationKind]
    families = entry.get("allowed_for") == "families"
    fields = (FAMILY_USER_FIELD,) if families else USER_FIELDS
    problems = [
        f"key {key!r} must be lowercase letters, digits or '-'" if not _KEY.match(key) else "",
        f"user_field must be {' or '.join(fields)}" + (" for a families provider" if families else "")
        if entry["user_field"] not in fields else "",
        f"allowed_for must be one of {', '.join(AUDIENCES)}" if entry.get("allowed_for", "staff") not in AUDIENCES
        else "",
        "claims must be a list of claim names" if not isinstance(claims, list) or not claims else "",
        "issuer must use https (http only on this machine)" if not is_secure_transport(issuer) else "",
        # Families are not staff: who they are decides what they see (services/family/access.py), no allow-list.
        "say whose staff it may sign in: organisation_ids (a list of organisation ids) and/or organisation_kinds "
        f"(a list of {', '.join(kinds)})" if not families and not org_ids and not org_kinds else "",
        "a families provider signs in no staff: leave out organisation_ids, organisation_kinds and allow_roles"
        if families and (org_ids or org_kinds or allow_roles) else "",
        "organisation_ids must be a list of organisation ids" if not _strings(org_ids) else "",
        f"organisation_kinds must be a list of {', '.join(kinds)}"
        if not _strings(org_kinds) or not set(org_kinds) <= set(kinds) else "",
        f"allow_roles may only name {', '.join(PRIVILEGED_ROLES)}"
        if not _strings(allow_roles) or not set(allow_roles) <= set(PRIVILEGED_ROLES) else "",
        "verified_claims must be a list of claim names" if not _strings(verified) else "",
    ]
    problems = [problem for problem in problems if problem]
    if problems:
        raise ConfigurationError(f"OIDC provider {key!r}: " + "; ".join(problems))
    return OidcProvider(
        key=key, name=str(entry["name"]), issuer=issuer,
        discovery_url=str(entry.get("discovery_url") or f"{issuer}/.well-known/openid-configuration"),
        client_id=str(entry["client_id"]), client_secret=str(entry.get("client_secret", "")),
        scopes=tuple(entry.get("scopes") or ("openid", "profile", "email")),
        user_field=str(entry["user_field"]), claims=tuple(str(claim) for claim in claims),
        allowed_for=str(entry.get("allowed_for", "staff")),
        organisation_ids=frozenset(org_ids), organisation_kinds=frozenset(org_kinds),
        allow_roles=frozenset(allow_roles), verified_claims=tuple(verified))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


@dataclass(frozen=True)
class PendingSignIn:
    """A started sign-in, kept in the browser's session until the provider sends the person back: the state
    (matched once, then gone), the nonce the ID token must carry, and the PKCE verifier for the code."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    started_at: str
    #: The page the person was on their way to (a path on this site), opened after signing in.
    next_page: str = ""

    @classmethod
    def start(cls, provider: OidcProvider, *, now: datetime, next_page: str = "") -> PendingSignIn:
        return cls(provider=provider.key, state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                   code_verifier=secrets.token_urlsafe(64), started_at=now.isoformat(), next_page=next_page)

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def expired(self, *, now: datetime, within: timedelta) -> bool:
        return now - datetime.fromisoformat(self.started_at) > within


def take_pending(pending: dict[str, dict[str, str]], *, provider: OidcProvider, state: str | None, now: datetime,
                 within: timedelta) -> PendingSignIn:
    """Remove and return the started sign-in this state belongs to: a state is good once, for its own provider,
    for a while. `pending` is the session's dict of started sign-ins by state."""
    entry = pending.pop(state or "", None)
    if entry is None:
        raise SignInRefused("state_unknown_or_used")
    started = PendingSignIn(**entry)
    if started.provider != provider.key:
        raise SignInRefused("state_of_another_provider")
    if started.expired(now=now, within=within):
        raise SignInRefused("state_expired")
    return started


def validated_id_token(id_token: str, *, provider: OidcProvider, keys: dict[str, Any], nonce: str, now: datetime,
                       leeway_seconds: int) -> dict[str, Any]:
    """The claims of an ID token signed by one of the provider's keys, issued by it, for this client, not expired,
    carrying the nonce of this sign-in. Anything else is refused."""
    try:
        key_set = KeySet.import_key_set(keys)  # type: ignore[arg-type]  # the provider's JWKS; joserfc checks it
        token = jwt.decode(id_token, key_set, algorithms=ID_TOKEN_ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        raise SignInRefused("id_token_signature") from None
    claims = dict(token.claims)
    if claims.get("nonce") != nonce:  # checked apart from the rest: a replayed or foreign token
        raise SignInRefused("id_token_nonce")
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()), leeway=leeway_seconds,
        iss={"essential": True, "value": provider.issuer}, aud={"essential": True, "value": provider.client_id},
        sub={"essential": True}, exp={"essential": True}, iat={"essential": True})
    try:
        registry.validate(claims)
    except JoseError as error:
        raise SignInRefused(f"id_token_{getattr(error, 'claim', None) or error.error}") from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("id_token_azp")
    return claims


def claimed_value(provider: OidcProvider, claims: Mapping[str, Any]) -> str | None:
    """The value the user is found by: the first of the provider's claims that is present and may be trusted
    (HelseID's HPR number; Entra ID's upn, else an e-mail the token says is verified). Matching by e-mail, a claim
    counts only when the provider vouches for it (`verified_claims`) or the token has `email_verified: true`:
    anyone who may edit an account's e-mail at the provider could otherwise name any user. Refused
    (`email_not_verified`) when claims are present but none may be trusted."""
    untrusted = False
    for name in provider.claims:
        value = claims.get(name)
        if not isinstance(value, (str, int)) or not str(value).strip():
            continue
        if provider.user_field == "email" and name not in provider.verified_claims \
                and claims.get("email_verified") is not True:
            untrusted = True
            continue
        return str(value).strip()
    if untrusted:
        raise SignInRefused("email_not_verified")
    return None


#: An identity number as ID-porten's `pid` carries it: eleven digits.
_IDENTITY_NUMBER = re.compile(r"^[0-9]{11}$")


def claimed_identity_number(provider: OidcProvider, claims: Mapping[str, Any]) -> str:
    """The identity number a families provider's token names (the first of its claims present); refused
    (`pid_invalid`) when there is none or it is not eleven digits. The number is never logged or kept."""
    for name in provider.claims:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            if not _IDENTITY_NUMBER.match(value.strip()):
                raise SignInRefused("pid_invalid")
            return value.strip()
    raise SignInRefused("pid_invalid")
