"""Writing the access log: every read or write of a child's data leaves a chained row.

A use case records its rows as it goes (`record_access`); they are staged on the session and appended
in one statement as the last thing before its transaction commits (`before_commit` below), whatever
commits it. So the chain's head is locked only for the moment of the commit, not from the first read to
the end of the request, and a rollback leaves no row, as before. A denied attempt (`record_attempt`: a 404
on a child's resource) is the exception: it is written even when the use case rolls back, in a short
transaction of its own once the use case's has ended, so an auditor sees probing.
Rows are chained with an HMAC keyed by AUDIT_KEY, which the composition root hands over once per database
(`configure_access_log`). Verifying the chain is in `access_log_verification.py`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Integer, bindparam, event, insert, update
from sqlalchemy.orm import Session, SessionTransaction

from config import ConfigurationError
from referral_service.db import READ_ONLY, begin_transaction, insert_with_on_conflict
from referral_service.domain.access_log import (
    GENESIS_HASH,
    KEYED_MAC,
    AccessLogEntry,
    AccessLogHead,
    entry_digest,
    keyed_digest,
)
from referral_service.domain.referral import Referral
from referral_service.domain.types import time_ordered_id, utcnow
from referral_service.security.access_log_verification import Verification, verify_chain
from referral_service.security.actor import Actor
from referral_service.security.visibility import access_basis

__all__ = ["Verification", "append_rows", "commit_with_access_log", "configure_access_log", "entry_digest",
           "record_access", "record_attempt", "verify_chain"]

log = logging.getLogger(__name__)

_STAGED = "referral.access_log.staged"
_ATTEMPTS = "referral.access_log.attempts"  # denied attempts: kept through a rollback, unlike _STAGED
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


@dataclass(frozen=True)
class AccessLogKeys:
    """What the chain needs from the settings: AUDIT_KEY's bytes and the folder of the checkpoints outside the
    database (access_log_checkpoints.py)."""

    key: bytes
    checkpoint_dir: Path


#: Per database (its dialect object, shared by the engine and its read-only variant), as bootstrap set it.
_KEYS: dict[Any, AccessLogKeys] = {}


def audit_key(config: Any) -> bytes:
    """The access log's key: AUDIT_KEY; outside production, when empty, derived from SECRET_KEY (so development
    and tests need no setting of their own). Production never derives it: the key must live apart from the
    secrets a leaked configuration would give away together with the database."""
    if config.AUDIT_KEY:
        return str(config.AUDIT_KEY).encode()
    if config.is_production:
        raise ConfigurationError("production refuses to start without REFERRAL_AUDIT_KEY (the access log's key)")
    if not config.SECRET_KEY:
        raise ConfigurationError("the access log needs REFERRAL_AUDIT_KEY, or REFERRAL_SECRET_KEY to derive it from")
    return hmac.new(str(config.SECRET_KEY).encode(), b"referral-service access-log key v2", hashlib.sha256).digest()


def configure_access_log(engine: Engine, *, key: bytes, checkpoint_dir: Path) -> None:
    """Chain this database's access log with `key` (bootstrap calls this once per engine)."""
    _KEYS[engine.dialect] = AccessLogKeys(key=key, checkpoint_dir=checkpoint_dir)


def keys_of(connection: Connection) -> AccessLogKeys:
    keys = _KEYS.get(connection.dialect)
    if keys is None:
        raise RuntimeError("the access log's key was not configured for this database (configure_access_log)")
    return keys


def record_attempt(session: Session, *, actor: Actor, action: str, requested_id: str) -> None:
    """Log a denied attempt on a child's resource (`action` e.g. 'denied:referral'): who asked for which id.

    The id as asked, which may name a referral the actor may not see or nothing at all; anything but an id of
    ours (an identity number typed into the address, say) is not kept.
    """
    now = utcnow()
    asked = requested_id if _looks_like_an_id(requested_id) else None
    session.info.setdefault(_ATTEMPTS, []).append(
        {"id": time_ordered_id(now), "at": now, "user_id": actor.user_id, "organisation_id": actor.organisation_id,
         "role": actor.primary_role, "action": action,
         "referral_id": asked if action == DENIED_REFERRAL else None, "child_id": None, "basis": "denied",
         "requested_id": asked})


DENIED_REFERRAL, DENIED_HANDOVER, DENIED_CHECK_IN = "denied:referral", "denied:handover", "denied:check_in"
#: A child asked for as a FHIR Patient by someone who may read none of the child's referrals (or no such child).
DENIED_PATIENT = "denied:patient"
_ID_CHARACTERS = frozenset("0123456789abcdefABCDEF-")


def _looks_like_an_id(value: str) -> bool:
    """Our ids are hex with dashes (uuid-like, 32 or 36 characters); a row of digits alone is never kept."""
    return 32 <= len(value) <= 36 and set(value) <= _ID_CHARACTERS and not value.isdigit()


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


_DESCRIBED = ("user_id", "organisation_id", "role", "action", "referral_id", "child_id", "basis")


def append_rows(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Chain the rows onto the log with the keyed hash, in memory, and write them with one INSERT."""
    if not rows:
        return
    key = keys_of(connection).key
    last_seq, prev_hash = _advance_head(connection, len(rows))
    for seq, row in enumerate(rows, start=last_seq - len(rows) + 1):
        row.setdefault("requested_id", None)
        row["seq"], row["prev_hash"], row["mac_version"] = seq, prev_hash, KEYED_MAC
        content = [seq, row["at"].isoformat(), *(row[k] for k in _DESCRIBED), prev_hash, row["requested_id"]]
        row["entry_hash"] = prev_hash = keyed_digest(key, content)
    connection.execute(_INSERT_ROWS, rows).all()
    connection.execute(_SET_LAST_HASH, {"last_hash": prev_hash})


def commit_with_access_log(session: Session) -> None:
    """Commit the session's transaction and the access-log rows it recorded, before returning.

    A transaction that may write takes its rows along (`before_commit` below). One that only read commits
    first, and its rows follow in one short write transaction on the same session: one connection at a
    time, and only those few statements wait for SQLite's write lock.
    """
    if session.info.get(_ATTEMPTS):  # denied attempts of a use case that still commits go with its rows
        session.info.setdefault(_STAGED, []).extend(session.info.pop(_ATTEMPTS))
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
    rows: list[dict[str, Any]] = session.info.pop(_STAGED, []) + session.info.pop(_ATTEMPTS, [])
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
        attempts = session.info.pop(_ATTEMPTS, None)
        if attempts:
            _write_attempts(session, attempts)


def _write_attempts(session: Session, attempts: list[dict[str, Any]]) -> None:
    """The use case rolled back, its connection is back in the pool: its denied attempts get a transaction of
    their own. A failure here must not hide the use case's own outcome, so it is logged, not raised."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    try:
        with engine.connect() as writer:
            writer = writer.execution_options(**{READ_ONLY: False})
            with writer.begin():
                append_rows(writer, attempts)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("a denied attempt could not be written to the access log",
                      extra={"actions": sorted({a["action"] for a in attempts})})
