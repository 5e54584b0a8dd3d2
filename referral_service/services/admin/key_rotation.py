"""Key rotation: every ciphertext re-encrypted with the newest identity key, every child re-indexed under it.

Run after the new key was put first in ID_ENCRYPTION_KEY and the service restarted (README, "Key rotation"); until
it has run, the old keys still decrypt and look-ups try every key's index. It works in batches, each its own
transaction, so the service keeps answering, and a rotation stopped halfway is finished by running it again:
a row already under the newest key is left as it is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Table, select, update

from referral_service.domain.child import Child
from referral_service.domain.family import GuardianIdentity
from referral_service.domain.kept_form import KeptForm
from referral_service.security.identity_crypto import IdentityVault
from referral_service.services.unit_of_work import SqlUnitOfWork

BATCH_SIZE = 500


@dataclass(frozen=True)
class Encrypted:
    """A column that holds `IdentityVault.encrypt` output, and the blind index kept beside it, if any."""

    table: Table
    ciphertext: str
    index: str | None = None


#: Every column the vault encrypts: a new user of `vault.encrypt` adds its column here.
ENCRYPTED = (
    Encrypted(Child.__table__, "national_id_ciphertext", index="national_id_index"),
    Encrypted(KeptForm.__table__, "fields_ciphertext"),
    Encrypted(GuardianIdentity.__table__, "national_id_ciphertext", index="national_id_index"),
)


@dataclass
class RotationCount:
    """Per table: rows looked at, and rows rewritten (the rest were already under the newest key)."""

    checked: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)


def rotate_keys(uow: SqlUnitOfWork, *, vault: IdentityVault, batch_size: int = BATCH_SIZE,
                columns: tuple[Encrypted, ...] = ENCRYPTED) -> Iterator[tuple[str, int, int]]:
    """Re-encrypt and re-index every row; yields (table, checked, rewritten) after each batch, for the command
    line to print as it goes. Raises ValueError if a row cannot be decrypted with any configured key."""
    for column in columns:
        checked = rewritten = 0
        after = ""
        while True:
            with uow:
                batch = _next_batch(uow, column, after=after, size=batch_size)
                if not batch:
                    break
                rewritten += _rewrite(uow, column, batch, vault)
                uow.commit()
            checked += len(batch)
            after = batch[-1][0]
            yield column.table.name, checked, rewritten
        if not checked:
            yield column.table.name, 0, 0


def _next_batch(uow: SqlUnitOfWork, column: Encrypted, *, after: str, size: int) -> list[tuple[str, str, str]]:
    """The next rows by primary key (ids are stable, so a restarted rotation walks the same order)."""
    table = column.table
    index = table.c[column.index] if column.index else table.c[column.ciphertext]
    statement = (select(table.c.id, table.c[column.ciphertext], index).where(table.c.id > after)
                 .order_by(table.c.id).limit(size))
    if uow.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()  # a concurrent edit of the row waits for this batch
    return [(str(row[0]), str(row[1]), str(row[2])) for row in uow.session.execute(statement)]


def _rewrite(uow: SqlUnitOfWork, column: Encrypted, batch: list[tuple[str, str, str]], vault: IdentityVault) -> int:
    table = column.table
    rewritten = 0
    for row_id, ciphertext, index in batch:
        if not ciphertext:  # anonymised by the retention sweep: nothing left to encrypt, its index names no one
            continue
        values: dict[str, str] = {}
        if not vault.is_current(ciphertext):
            values[column.ciphertext] = vault.reencrypt(ciphertext)
        if column.index:
            current_index = vault.blind_index(vault.decrypt(ciphertext))
            if index != current_index:
                values[column.index] = current_index
        if values:
            uow.session.execute(update(table).where(table.c.id == row_id).values(**values))
            rewritten += 1
    return rewritten
