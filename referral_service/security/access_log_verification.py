"""Verifying the access log's chain: against the checkpoints outside the database, from the newest signed
checkpoint inside it or (`full`) from the first row.

Rows are chained with an HMAC keyed by AUDIT_KEY (domain/access_log.py), a secret the database does not hold:
someone with database access and the code can delete or change rows, but cannot compute the hashes that would
hide it. What they can still do without the key, delete the last rows and rewind the head, or delete
everything, only a record outside the database shows: the checkpoint file (access_log_checkpoints.py), whose
newest line names the head an earlier verification found intact.

A checkpoint inside the database says "the chain was verified intact up to row `seq`, whose hash was
`entry_hash`", signed with AUDIT_KEY: a rewrite anywhere before the newest one changes a row a checkpoint
names and is found without walking the rows between. Only the rows after it are walked; `full` walks all.

Where the walk starts is the log's anchor: row 1, or after pruning the first row kept and the hash it links to,
signed inside the database (on the head row) and outside (a line of the checkpoint file). The anchor also
names the last row chained unkeyed (`legacy_until`, rows from before the keyed chain): an unkeyed row after
it is a rewrite by someone without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, func, select
from sqlmodel import Session, col
from sqlmodel import select as select_models

from referral_service.db import insert_with_on_conflict
from referral_service.domain.access_log import (
    GENESIS_HASH,
    LEGACY_MAC,
    AccessLogCheckpoint,
    AccessLogEntry,
    AccessLogHead,
    content_digest,
    keyed_digest,
)
from referral_service.domain.types import utcnow
from referral_service.security.access_log_checkpoints import StoredCheckpoints

#: A checkpoint is sealed at every row whose number is a multiple of this, once verified.
CHECKPOINT_EVERY = 10_000

_LOG = AccessLogEntry.__table__  # type: ignore[attr-defined]
#: Rows are read as plain tuples: a walk of millions of rows builds no ORM objects.
_COLUMNS = [_LOG.c[name] for name in ("seq", "id", "at", "user_id", "organisation_id", "role", "action",
                                      "referral_id", "child_id", "basis", "prev_hash", "entry_hash", "requested_id",
                                      "mac_version")]

CHANGED = "the row was changed"
MISSING = "a row is missing before this one"
REHASHED = ("the row's hash was recomputed without AUDIT_KEY (with the unkeyed digest anyone can compute): "
            "the chain was rewritten")

#: What went wrong, for the command line and the API (`problem`); the reason says it in a sentence.
PROBLEMS = {
    "changed": "en rad er endret (a row was changed)",
    "deleted": "en rad er slettet (a row was deleted)",
    "truncated": "de siste radene er slettet (the last rows were deleted)",
    "rewound": "de siste radene er slettet og hodet spolt tilbake (the last rows were deleted and the head rewound)",
    "wiped": "hele loggen er slettet (the whole log was deleted)",
    "rehashed": "kjeden er regnet om uten nøkkelen (the chain was re-hashed without the key)",
    "forged": "et sjekkpunkt er forfalsket eller endret (a checkpoint was forged or changed)",
}


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # rows known intact: those vouched for by the checkpoint and those walked
    first_broken_seq: int | None = None
    first_broken_id: str | None = None
    reason: str | None = None
    from_checkpoint: int = 0  # the row the walk started after (0: the first row)
    problem: str | None = None  # a key of PROBLEMS
    #: Rows walked intact at which a checkpoint is due: (seq, entry_hash).
    to_seal: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    #: The head found intact (seq, hash), for the checkpoint outside the database.
    head: tuple[int, str] = field(default=(0, GENESIS_HASH), repr=False)
    #: The anchor to seal, when the database holds none signed yet (the first verification after an upgrade).
    anchor_to_seal: Anchor | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Anchor:
    """Where the log starts: `first_seq` and the hash it links to; `legacy_until` the last row chained unkeyed."""

    first_seq: int = 1
    prev_hash: str = GENESIS_HASH
    legacy_until: int = 0


def sign_checkpoint(key: bytes, *, seq: int, entry_hash: str) -> str:
    return hmac.new(key, f"{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def sign_anchor(key: bytes, anchor: Anchor) -> str:
    return hmac.new(key, f"anchor:{anchor.first_seq}:{anchor.prev_hash}:{anchor.legacy_until}".encode(),
                    hashlib.sha256).hexdigest()


def _broken(problem: str, checked: int, seq: int | None, row_id: str | None, reason: str) -> Verification:
    return Verification(False, checked, seq, row_id, reason, problem=problem)


def _hash_of(row: Row, key: bytes | None) -> str | None:
    """The row's hash as its `mac_version` computes it (None: keyed, and no key to check it with)."""
    seq, _id, at, *described = row[:11]  # described: user_id ... basis, prev_hash, as _COLUMNS lists them
    content = [seq, at.isoformat(), *described]
    if row.mac_version == LEGACY_MAC:
        return content_digest(content)
    return None if key is None else keyed_digest(key, [*content, row.requested_id])


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
    legacy_until: int | None  # None: no anchor sealed yet, unkeyed rows may lead the log
    keyed_seen: bool = False
    broken: Verification | None = None
    due: list[tuple[int, str]] = field(default_factory=list)


def _check_row(row: Row, walk: _Walk, key: bytes | None) -> Verification | None:
    if row.seq != walk.seq + 1:
        return _broken("deleted", walk.seq, walk.seq + 1, row.id, MISSING)
    if row.mac_version == LEGACY_MAC:
        allowed = (walk.legacy_until is None and not walk.keyed_seen) or (
            walk.legacy_until is not None and row.seq <= walk.legacy_until)
        if not allowed:
            return _broken("rehashed", walk.seq, row.seq, row.id, REHASHED)
    if row.prev_hash != walk.last_hash:
        return _broken("changed", walk.seq, row.seq, row.id, CHANGED)
    if _hash_of(row, key) != row.entry_hash:
        seq, _id, at, *described = row[:11]
        unkeyed = content_digest([seq, at.isoformat(), *described])
        return _broken("rehashed" if unkeyed == row.entry_hash else "changed", walk.seq, row.seq, row.id,
                       REHASHED if unkeyed == row.entry_hash else CHANGED)
    return None


def _walk(session: Session, *, key: bytes | None, after: int, after_hash: str, legacy_until: int | None,
          until: int | None = None, every: int, batch: int) -> _Walk:
    """Walk the rows after `after` in order; stop at the first changed, missing or out-of-turn row."""
    walk = _Walk(seq=after, last_hash=after_hash, legacy_until=legacy_until)
    for row in _rows_after(session, after, until=until, batch=batch):
        walk.broken = _check_row(row, walk, key)
        if walk.broken is not None:
            return walk
        walk.seq, walk.last_hash = row.seq, row.entry_hash
        walk.keyed_seen = walk.keyed_seen or row.mac_version != LEGACY_MAC
        if row.seq % every == 0:
            walk.due.append((row.seq, row.entry_hash))
    return walk


def _checkpoints(session: Session, key: bytes, *, start: int
                 ) -> tuple[Verification | None, Sequence[AccessLogCheckpoint]]:
    """The checkpoints of rows kept (from `start`), oldest first, or the first one not signed with `key`."""
    checkpoints = session.exec(select_models(AccessLogCheckpoint).where(col(AccessLogCheckpoint.seq) >= start)
                               .order_by(col(AccessLogCheckpoint.seq))).all()
    for checkpoint in checkpoints:
        expected = sign_checkpoint(key, seq=checkpoint.seq, entry_hash=checkpoint.entry_hash)
        if not hmac.compare_digest(expected, checkpoint.signature):
            return _broken("forged", 0, checkpoint.seq, None,
                           "the checkpoint at this row was not signed by this service: forged or changed"), ()
    return None, checkpoints


def _first_unmatched(session: Session, checkpoints: Sequence[AccessLogCheckpoint],
                     key: bytes) -> AccessLogCheckpoint | None:
    """The first checkpoint whose row is gone, changed, or no longer has the hash that was verified."""
    for start in range(0, len(checkpoints), 500):
        chunk = {c.seq: c for c in checkpoints[start:start + 500]}
        rows = {row.seq: row for row in session.execute(select(*_COLUMNS).where(_LOG.c.seq.in_(chunk)))}
        for seq, checkpoint in chunk.items():
            row = rows.get(seq)
            if row is None or row.entry_hash != checkpoint.entry_hash or _hash_of(row, key) != row.entry_hash:
                return checkpoint
    return None


def _locate(session: Session, checkpoint: AccessLogCheckpoint, *, key: bytes, anchor: Anchor, vouched: int,
            legacy_until: int | None, batch: int) -> Verification:
    """The chain disagrees with a signed checkpoint: walk up to it to name the first broken row.
    `vouched`: the row of the checkpoint before it, which still agrees."""
    walk = _walk(session, key=key, after=anchor.first_seq - 1, after_hash=anchor.prev_hash,
                 legacy_until=legacy_until, until=checkpoint.seq, every=CHECKPOINT_EVERY, batch=batch)
    if walk.broken is not None:
        return walk.broken
    if walk.seq < checkpoint.seq:  # the rows from here to the checkpoint's are gone
        successor = session.exec(select_models(AccessLogEntry.id).where(col(AccessLogEntry.seq) > walk.seq)
                                 .order_by(col(AccessLogEntry.seq)).limit(1)).first()
        return _broken("deleted", walk.seq, walk.seq + 1, successor, MISSING)
    # Every row links to the one before, yet the checkpoint's differs: the rows after the previous
    # checkpoint were rewritten, hashes and all. Which of them was first, only the originals could tell.
    row_id = session.exec(select_models(AccessLogEntry.id).where(AccessLogEntry.seq == checkpoint.seq)).first()
    return _broken("rehashed", vouched, checkpoint.seq, row_id,
                   f"the rows after row {vouched} up to this one were rewritten: this row's hash is not the "
                   "one its signed checkpoint names")


def _anchor(session: Session, key: bytes, stored: StoredCheckpoints
            ) -> tuple[Verification | None, Anchor | None, AccessLogHead | None]:
    """The signed anchor, the newer of the database's and the file's (None: never sealed), or a forged one."""
    head = session.get(AccessLogHead, 1)
    found: list[Anchor] = []
    if head is not None and head.anchor_mac is not None:
        inside = Anchor(head.first_seq, head.first_prev_hash, head.legacy_until)
        if not hmac.compare_digest(sign_anchor(key, inside), head.anchor_mac):
            return _broken("forged", 0, head.first_seq, None,
                           "the log's signed starting point in the database was not signed by this service"), None, head
        found.append(inside)
    if stored.anchor is not None:
        found.append(Anchor(stored.anchor["first_seq"], stored.anchor["prev_hash"], stored.anchor["legacy_until"]))
    return None, max(found, key=lambda a: a.first_seq, default=None), head


def _against_the_file(session: Session, newest: dict[str, Any] | None, *, walked: int,
                      first_seq: int) -> Verification | None:
    """Compare the chain (intact up to `walked`, which is also where the head stands) with the newest checkpoint
    outside the database (one before `first_seq` names a row pruned since)."""
    if newest is None or newest["seq"] < first_seq:
        return None
    sealed, at = newest["seq"], newest["at"]
    if walked < sealed:
        return _broken("rewound", walked, walked + 1, None,
                       f"the log and its head end at row {walked}, but a checkpoint outside the database was sealed "
                       f"at row {sealed} ({at}): the rows after {walked} were deleted and the head rewound")
    row = session.execute(select(_LOG.c.id, _LOG.c.entry_hash).where(_LOG.c.seq == sealed)).first()
    if row is None or row.entry_hash != newest["hash"]:
        return _broken("rehashed", sealed - 1, sealed, row.id if row else None,
                       f"row {sealed}'s hash is not the one the checkpoint outside the database names ({at}): "
                       "the chain was rewritten")
    return None


def _wiped(session: Session, newest: dict[str, Any] | None, anchor: Anchor) -> Verification | None:
    """No row left where a checkpoint outside the database says there were some."""
    if newest is None or newest["seq"] < anchor.first_seq or session.execute(
            select(func.min(_LOG.c.seq)).where(_LOG.c.seq >= anchor.first_seq)).scalar() is not None:
        return None
    return _broken("wiped", 0, anchor.first_seq, None,
                   f"the log is empty, but a checkpoint outside the database was sealed at row {newest['seq']} "
                   f"({newest['at']}): every row was deleted")


@dataclass(frozen=True)
class _Start:
    """Where the walk starts (after row `seq`, whose hash is `last_hash`) and the newest checkpoint inside."""

    seq: int
    last_hash: str
    newest: int = 0


def _start(session: Session, key: bytes, anchor: Anchor, *, legacy_until: int | None, full: bool,
           batch: int) -> Verification | _Start:
    """After the newest signed checkpoint inside the database (or the anchor), once every checkpoint's row
    agrees with it; else what is broken."""
    forged, checkpoints = _checkpoints(session, key, start=anchor.first_seq)
    if forged is not None:
        return forged
    unmatched = _first_unmatched(session, checkpoints, key)
    if unmatched is not None:
        vouched = max((c.seq for c in checkpoints if c.seq < unmatched.seq), default=anchor.first_seq - 1)
        return _locate(session, unmatched, key=key, anchor=anchor, vouched=vouched, legacy_until=legacy_until,
                       batch=batch)
    if not checkpoints:
        return _Start(anchor.first_seq - 1, anchor.prev_hash)
    if full:
        return _Start(anchor.first_seq - 1, anchor.prev_hash, checkpoints[-1].seq)
    return _Start(checkpoints[-1].seq, checkpoints[-1].entry_hash, checkpoints[-1].seq)


def _at_the_head(head: AccessLogHead | None, walk: _Walk) -> Verification | None:
    head_seq, head_hash = (head.seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq > walk.seq:
        return _broken("truncated", walk.seq, walk.seq + 1, None, "rows at the end of the log are missing")
    if (head_seq, head_hash) != (walk.seq, walk.last_hash):
        return _broken("changed", head_seq, head_seq + 1, None, "the log does not end where its head says")
    return None


def _cut_over(session: Session, anchor: Anchor, *, walked: int) -> Anchor:
    """The anchor to seal when none is signed yet: the rows chained unkeyed are those walked so far."""
    last_legacy = session.execute(select(func.max(_LOG.c.seq)).where(
        _LOG.c.mac_version == LEGACY_MAC, _LOG.c.seq <= walked)).scalar()
    return Anchor(anchor.first_seq, anchor.prev_hash, last_legacy or 0)


def verify_chain(session: Session, *, key: bytes | None = None, stored: StoredCheckpoints | None = None,
                 full: bool = False, every: int = CHECKPOINT_EVERY, batch: int = 5000) -> Verification:
    """Report the first row that was changed, removed or added out of turn, the first checkpoint that was
    forged, or a log that ends before (or is emptier than) its checkpoints outside the database (`stored`).
    With `key`, keyed rows and checkpoints are checked and the walk starts at the newest (unless `full`);
    without it only unkeyed rows verify (a database from before the keyed chain)."""
    stored = stored or StoredCheckpoints()
    if stored.forged_line is not None:
        return _broken("forged", 0, None, None, f"line {stored.forged_line} of the checkpoint file outside the "
                                                "database is not signed with AUDIT_KEY: changed or forged")
    anchor: Anchor | None = None
    head = session.get(AccessLogHead, 1)
    if key is not None:
        forged, anchor, head = _anchor(session, key, stored)
        if forged is not None:
            return forged
    start_anchor = anchor or Anchor()
    legacy_until = anchor.legacy_until if anchor else (stored.newest or {}).get("legacy_until")
    wiped = _wiped(session, stored.newest, start_anchor)
    if wiped is not None:
        return wiped
    start = _Start(start_anchor.first_seq - 1, start_anchor.prev_hash)
    if key is not None:
        found = _start(session, key, start_anchor, legacy_until=legacy_until, full=full, batch=batch)
        if isinstance(found, Verification):
            return found
        start = found
    from_anchor = start.seq == start_anchor.first_seq - 1
    walk = _walk(session, key=key, after=start.seq, after_hash=start.last_hash,
                 legacy_until=legacy_until if legacy_until is not None or from_anchor else 0, every=every,
                 batch=batch)
    broken = walk.broken or _at_the_head(head, walk) or _against_the_file(
        session, stored.newest, walked=walk.seq, first_seq=start_anchor.first_seq)
    if broken is not None:
        return broken
    due = tuple(anchor for anchor in walk.due if anchor[0] > start.newest) if key is not None else ()
    unsealed = key is not None and (head is None or head.anchor_mac is None) and from_anchor
    return Verification(True, walk.seq - start_anchor.first_seq + 1, from_checkpoint=start.seq, to_seal=due,
                        head=(walk.seq, walk.last_hash),
                        anchor_to_seal=_cut_over(session, start_anchor, walked=walk.seq) if unsealed else None)


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


def seal_anchor(session: Session, *, key: bytes, anchor: Anchor) -> None:
    """Sign the log's starting point on its head row (created, if the log has no row yet)."""
    head = session.get(AccessLogHead, 1)
    if head is None:
        head = AccessLogHead(id=1, seq=anchor.first_seq - 1, last_hash=anchor.prev_hash)
    head.first_seq, head.first_prev_hash, head.legacy_until = anchor.first_seq, anchor.prev_hash, anchor.legacy_until
    head.anchor_mac = sign_anchor(key, anchor)
    session.add(head)
