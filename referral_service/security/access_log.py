"""Writing the access log: every read or write of a child's data leaves a chained row.

A use case records its rows as it goes (`record_access`); they are staged on the session and appended
in one statement as the last thing before its transaction commits (`before_commit` below), whatever
commits it. So the chain's head is locked only for the moment of the commit, not from the first read to
the end of the request, and a rollback leaves no row, as before.
Verifying the chain is in `access_log_verification.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, event, insert, update
from sqlalchemy.orm import Session, SessionTransaction

from referral_service.db import READ_ONLY, begin_transaction, insert_with_on_conflict
from referral_service.domain.access_log import GENESIS_HASH, AccessLogEntry, AccessLogHead, entry_digest, row_digest
from referral_service.domain.referral import Referral
from referral_service.domain.types import time_ordered_id, utcnow
from referral_service.security.access_log_verification import Verification, verify_chain
from referral_service.security.actor import Actor
from referral_service.security.visibility import access_basis

__all__ = ["Verification", "append_rows", "commit_with_access_log", "entry_digest", "record_access", "verify_chain"]

_STAGED = "referral.access_log.staged"
_LOG = AccessLogEntry.__table__  # type: ignore[attr-defined]
_HEAD = AccessLogHead.__table__  # type: ignore[attr-defined]


def record_access(session: Session, *, actor: Actor, action: str, referrals: Iterable[Referral],
                  basis: str | None = None) -> None:
    """Log one row per referral with the caller's transaction (`basis`, when the need-to-know rule
    does not name it: e.g. the actor's own referral of the same child)."""
    now = utcnow()
    staged: list[dict[str, Any]] = session.info.setdefault(_STAGED, [])
    staged.extend(
        {"id": time_ordered_id(now), "at": now, "user_id": actor.user_id, "organisation_id": actor.organisation_id,
         "role": actor.primary_role, "action": action, "referral_id": referral.id, "child_id": referral.child_id,
         "basis": basis or access_basis(actor, referral)}
        for referral in referrals
    )


@cache
def _head_upsert(dialect_name: str) -> Any:
    """Built once per dialect (its construction costs more than its execution): the head moves `count` ahead."""
    count = bindparam("count", type_=Integer)
    return (insert_with_on_conflict(dialect_name, _HEAD).values(id=1, seq=count, last_hash=GENESIS_HASH)
            .on_conflict_do_update(index_elements=[_HEAD.c.id], set_={"seq": _HEAD.c.seq + count})
            .returning(_HEAD.c.seq, _HEAD.c.last_hash))


#: With RETURNING, SQLAlchemy sends many rows as one INSERT ... VALUES (...), (...) ("insertmanyvalues"): a list of
#: 50 on PostgreSQL is one statement, not 50 executed one after another.
_INSERT_ROWS = insert(_LOG).returning(_LOG.c.seq)
_SET_LAST_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("last_hash"))


def _advance_head(connection: Connection, count: int) -> tuple[int, str]:
    """Reserve `count` sequence numbers: the head's new seq and the hash the first new row links to.

    One upsert, so it also starts the log on an empty database; on PostgreSQL its row lock makes
    concurrent writers take their turns from here to their commit, which follows at once.
    """
    seq, last_hash = connection.execute(_head_upsert(connection.dialect.name), {"count": count}).one()
    return seq, last_hash


_DIGESTED = ("seq", "at", "user_id", "organisation_id", "role", "action", "referral_id", "child_id", "basis",
             "prev_hash")


def append_rows(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Chain the rows onto the log, in memory, and write them with one INSERT."""
    if not rows:
        return
    last_seq, prev_hash = _advance_head(connection, len(rows))
    for seq, row in enumerate(rows, start=last_seq - len(rows) + 1):
        row["seq"], row["prev_hash"] = seq, prev_hash
        row["entry_hash"] = prev_hash = row_digest(**{k: row[k] for k in _DIGESTED})
    connection.execute(_INSERT_ROWS, rows).all()
    connection.execute(_SET_LAST_HASH, {"last_hash": prev_hash})


def commit_with_access_log(session: Session) -> None:
    """Commit the session's transaction and the access-log rows it recorded, before returning.

    A transaction that may write takes its rows along (`before_commit` below). One that only read commits
    first, and its rows follow in one short write transaction on the same session: one connection at a
    time, and only those few statements wait for SQLite's write lock.
    """
    if not session.info.get(_STAGED) or not session.connection().get_execution_options().get(READ_ONLY):
        session.commit()
        return
    rows: list[dict[str, Any]] = session.info.pop(_STAGED)
    session.commit()
    begin_transaction(session, read_only=False)
    append_rows(session.connection(), rows)
    session.commit()


@event.listens_for(Session, "before_commit")
def _append_staged_rows(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release; the rows go with the outer commit
        return
    rows: list[dict[str, Any]] = session.info.pop(_STAGED, [])
    if not rows:
        return
    connection = session.connection()
    if not connection.get_execution_options().get(READ_ONLY):
        session.flush()  # the use case's own changes first: the head's lock is the last thing taken
        append_rows(connection, rows)
        return
    # Committed other than by `commit_with_access_log`, a transaction that only read: its rows go in a
    # short write transaction of their own on another connection, committed before the read is.
    with connection.engine.connect() as writer:
        writer.execution_options(**{READ_ONLY: False})
        with writer.begin():
            append_rows(writer, rows)


@event.listens_for(Session, "after_transaction_end")
def _forget_staged_rows(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (or committed, when nothing is left): no rows without it
        session.info.pop(_STAGED, None)
