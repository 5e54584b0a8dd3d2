"""Forms kept for their user when the session ended before they were posted: stored encrypted, given back once
to the same user after signing in again, and gone after two hours."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import select

from referral_service.clock import Clock
from referral_service.domain.kept_form import KeptForm
from referral_service.security.identity_crypto import IdentityVault
from referral_service.services.unit_of_work import SqlUnitOfWork

#: Long enough to sign in again after a break; short enough that a forgotten form does not linger.
KEEP_FOR = timedelta(hours=2)

#: What was posted, in order, as (name, value) pairs (checkbox groups repeat a name).
PostedFields = list[tuple[str, str]]


@dataclass(frozen=True)
class KeptPlace:
    """A kept form, and the page it was posted from."""

    id: str
    path: str


def keep_form(uow: SqlUnitOfWork, *, clock: Clock, vault: IdentityVault, user_id: str, path: str,
              fields: PostedFields) -> str:
    """Keep what `user_id` posted to `path` (encrypted: it may hold an identity number or health information);
    forms kept longer ago than KEEP_FOR go at the same time. Returns the kept form's id."""
    with uow:
        now = clock.now()
        uow.session.execute(delete(KeptForm).where(KeptForm.expires_at <= now))
        kept = KeptForm(user_id=user_id, path=path, fields_ciphertext=vault.encrypt(json.dumps(fields)),
                        created_at=now, expires_at=now + KEEP_FOR)
        uow.add(kept)
        uow.commit()
        return kept.id


def newest_kept_form(uow: SqlUnitOfWork, *, clock: Clock, user_id: str) -> KeptPlace | None:
    """The user's most recently kept form that has not expired, if any."""
    with uow:
        row = uow.session.exec(select(KeptForm.id, KeptForm.path)
                               .where(KeptForm.user_id == user_id, KeptForm.expires_at > clock.now())
                               .order_by(KeptForm.created_at.desc()).limit(1)).first()
        uow.commit()
        return KeptPlace(id=row[0], path=row[1]) if row else None


def take_kept_form(uow: SqlUnitOfWork, *, clock: Clock, vault: IdentityVault, kept_id: str, user_id: str,
                   path: str) -> PostedFields | None:
    """The fields of a kept form, once: only to the user it was kept for, on the page it came from, before it
    expires; the form is deleted as it is given back."""
    with uow:
        kept = uow.session.get(KeptForm, kept_id)
        if kept is None or kept.user_id != user_id or kept.path != path or kept.expires_at <= clock.now():
            return None
        fields = [(str(name), str(value)) for name, value in json.loads(vault.decrypt(kept.fields_ciphertext))]
        uow.session.delete(kept)
        uow.commit()
        return fields
