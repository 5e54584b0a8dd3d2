"""The states of OpenID Connect sign-ins already taken back (services/admin/oidc.py): a started sign-in lives in
the browser's signed cookie, so a saved copy of that cookie could be played again with the same state; the service
remembers each used state (its hash only) for as long as a started sign-in is accepted back, and refuses it again."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from referral_service.domain.types import UTCDateTime


class UsedOidcState(SQLModel, table=True):
    __tablename__ = "oidc_used_state"

    #: SHA-256 of the state (hex): the state itself is never stored.
    state_hash: str = Field(primary_key=True, max_length=64)
    #: When it was taken back (the service's clock); rows older than a sign-in's life are deleted as new ones come.
    used_at: datetime = Field(sa_type=UTCDateTime, index=True)
