"""Verifying the access log's chain, from the newest signed checkpoint or (`full`) from the first row.

A checkpoint says "the chain was verified intact up to row `seq`, whose hash was `entry_hash`", signed with
an HMAC keyed from the service's secret. Someone with only database access can rewrite rows and recompute
their hashes (the scheme is no secret), but cannot sign: every checkpoint's signature is checked, and so
is the row it names, so a rewrite anywhere before the newest checkpoint changes a row a checkpoint names
and is found without walking the rows between. Only the rows after the newest checkpoint are walked.
A row changed without its hash being recomputed, before the newest checkpoint, is found by `full`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from referral_service.db import insert_with_on_conflict
from referral_service.domain.access_log import (
    GENESIS_HASH,
    AccessLogCheckpoint,
    AccessLogEntry,
    AccessLogHead,
    content_digest,
)
from referral_service.domain.types import utcnow

#: A checkpoint is sealed at every row whose number is a multiple of this, once verified.
CHECKPOINT_EVERY = 10_000

_LOG = AccessLogEntry.__table__  # type: ignore[attr-defined]
#: Rows are read as plain tuples: a walk of millions of rows builds no ORM objects.
_COLUMNS = [_LOG.c[name] for name in ("seq", "id", "at", "user_id", "organisation_id", "role", "action",
                                      "referral_id", "child_id", "basis", "prev_hash", "entry_hash")]

CHANGED = "the row was changed"
MISSING = "a row is missing before this one"


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # rows known intact: those vouched for by the checkpoint and those walked
    first_broken_seq: int | None = None
    first_broken_id: str | None = None
    reason: str | None = None
    from_checkpoint: int = 0  # the row the walk started after (0: the first row)
    #: Rows walked intact at which a checkpoint is due: (seq, entry_hash).
    to_seal: tuple[tuple[int, str], ...] = field(default=(), repr=False)


def checkpoint_key(secret_key: str) -> bytes:
    """The key that signs checkpoints, derived from the service's secret (never a constant)."""
    if not secret_key:
        raise ValueError("checkpoints need the service's secret key")
    return hmac.new(secret_key.encode(), b"referral-service access-log checkpoint v1", hashlib.sha256).digest()


def sign_checkpoint(key: bytes, *, seq: int, entry_hash: str) -> str:
    return hmac.new(key, f"{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def _digest_of(row: Row) -> str:
    seq, _id, at, *described = row[:11]  # described: user_id ... basis, prev_hash, as _COLUMNS lists them
    return content_digest([seq, at.isoformat(), *described])


def _rows_after(session: Session, seq: int, *, until: int | None, batch: int) -> Iterator[Row]:
    while True:
        query = select(*_COLUMNS).where(_LOG.c.seq > seq)
        if until is not None:
            query = query.where(_LOG.c.seq <= until)
        rows = session.execute(query.order_by(_LOG.c.seq).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        seq = rows[-1].seq


@dataclass
class _Walk:
    """Where a walk of the chain got to."""

    seq: int
    last_hash: str
    broken: Verification | None = None
    due: list[tuple[int, str]] = field(default_factory=list)


def _walk(session: Session, *, after: int, after_hash: str, until: int | None = None, every: int,
          batch: int) -> _Walk:
    """Walk the rows after `after` in order; stop at the first changed, missing or out-of-turn row."""
    walk = _Walk(seq=after, last_hash=after_hash)
    for row in _rows_after(session, after, until=until, batch=batch):
        if row.seq != walk.seq + 1:
            walk.broken = Verification(False, walk.seq, walk.seq + 1, row.id, MISSING)
            return walk
        if row.prev_hash != walk.last_hash or _digest_of(row) != row.entry_hash:
            walk.broken = Verification(False, walk.seq, row.seq, row.id, CHANGED)
            return walk
        walk.seq, walk.last_hash = row.seq, row.entry_hash
        if row.seq % every == 0:
            walk.due.append((row.seq, row.entry_hash))
    return walk


def _checkpoints(session: Session, key: bytes) -> tuple[Verification | None, Sequence[AccessLogCheckpoint]]:
    """The checkpoints, oldest first, or the first one not signed with `key`."""
    checkpoints = session.exec(select_models(AccessLogCheckpoint).order_by(col(AccessLogCheckpoint.seq))).all()
    for checkpoint in checkpoints:
        expected = sign_checkpoint(key, seq=checkpoint.seq, entry_hash=checkpoint.entry_hash)
        if not hmac.compare_digest(expected, checkpoint.signature):
            return Verification(False, 0, checkpoint.seq, None,
                                "the checkpoint at this row was not signed by this service: forged or changed"), ()
    return None, checkpoints


def _first_unmatched(session: Session, checkpoints: Sequence[AccessLogCheckpoint]) -> AccessLogCheckpoint | None:
    """The first checkpoint whose row is gone, changed, or no longer has the hash that was verified."""
    for start in range(0, len(checkpoints), 500):
        chunk = {c.seq: c for c in checkpoints[start:start + 500]}
        rows = {row.seq: row for row in session.execute(select(*_COLUMNS).where(_LOG.c.seq.in_(chunk)))}
        for seq, checkpoint in chunk.items():
            row = rows.get(seq)
            if row is None or row.entry_hash != checkpoint.entry_hash or _digest_of(row) != row.entry_hash:
                return checkpoint
    return None


def _locate(session: Session, checkpoint: AccessLogCheckpoint, *, vouched: int, batch: int) -> Verification:
    """The chain disagrees with a signed checkpoint: walk up to it to name the first broken row.
    `vouched`: the row of the checkpoint before it, which still agrees."""
    walk = _walk(session, after=0, after_hash=GENESIS_HASH, until=checkpoint.seq, every=CHECKPOINT_EVERY,
                 batch=batch)
    if walk.broken is not None:
        return walk.broken
    if walk.seq < checkpoint.seq:  # the rows from here to the checkpoint's are gone
        successor = session.exec(select_models(AccessLogEntry.id).where(col(AccessLogEntry.seq) > walk.seq)
                                 .order_by(col(AccessLogEntry.seq)).limit(1)).first()
        return Verification(False, walk.seq, walk.seq + 1, successor, MISSING)
    # Every row links to the one before, yet the checkpoint's differs: the rows after the previous
    # checkpoint were rewritten, hashes and all. Which of them was first, only the originals could tell.
    row_id = session.exec(select_models(AccessLogEntry.id).where(AccessLogEntry.seq == checkpoint.seq)).first()
    return Verification(False, vouched, checkpoint.seq, row_id,
                        f"the rows after row {vouched} up to this one were rewritten: this row's hash is not the "
                        "one its signed checkpoint names")


def verify_chain(session: Session, *, key: bytes | None = None, full: bool = False,
                 every: int = CHECKPOINT_EVERY, batch: int = 5000) -> Verification:
    """Report the first row that was changed, removed or added out of turn, or the first checkpoint that
    was forged. With `key`, checkpoints are checked and the walk starts at the newest (unless `full`);
    without it every row is walked and checkpoints are not looked at."""
    start, start_hash, newest = 0, GENESIS_HASH, 0
    if key is not None:
        forged, checkpoints = _checkpoints(session, key)
        if forged is not None:
            return forged
        unmatched = _first_unmatched(session, checkpoints)
        if unmatched is not None:
            vouched = max((c.seq for c in checkpoints if c.seq < unmatched.seq), default=0)
            return _locate(session, unmatched, vouched=vouched, batch=batch)
        if checkpoints:
            newest = checkpoints[-1].seq
            if not full:
                start, start_hash = newest, checkpoints[-1].entry_hash
    walk = _walk(session, after=start, after_hash=start_hash, every=every, batch=batch)
    if walk.broken is not None:
        return walk.broken
    head = session.get(AccessLogHead, 1)
    head_seq, head_hash = (head.seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq > walk.seq:
        return Verification(False, walk.seq, walk.seq + 1, None, "rows at the end of the log are missing")
    if (head_seq, head_hash) != (walk.seq, walk.last_hash):
        return Verification(False, head_seq, head_seq + 1, None, "the log does not end where its head says")
    due = tuple(anchor for anchor in walk.due if anchor[0] > newest) if key is not None else ()
    return Verification(True, walk.seq, from_checkpoint=start, to_seal=due)


def seal_checkpoints(session: Session, *, key: bytes, anchors: Sequence[tuple[int, str]]) -> None:
    """Sign and store checkpoints at rows a verification walked intact (one made already stays)."""
    if not anchors:
        return
    table = AccessLogCheckpoint.__table__  # type: ignore[attr-defined]
    now = utcnow()
    insert = insert_with_on_conflict(session.get_bind().dialect.name, table)
    session.execute(insert.on_conflict_do_nothing(index_elements=[table.c.seq]), [
        {"seq": seq, "entry_hash": entry_hash, "sealed_at": now,
         "signature": sign_checkpoint(key, seq=seq, entry_hash=entry_hash)}
        for seq, entry_hash in anchors])
