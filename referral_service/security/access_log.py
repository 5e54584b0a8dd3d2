"""Writing and verifying the access log: every read or write of a child's data leaves a chained row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from referral_service.domain.access_log import GENESIS_HASH, AccessLogEntry, AccessLogHead
from referral_service.domain.referral import Referral
from referral_service.domain.types import utcnow
from referral_service.security.actor import Actor
from referral_service.security.visibility import access_basis


def entry_digest(entry: AccessLogEntry) -> str:
    """The hash of a row: its content and the hash of the row before it."""
    content = [entry.seq, entry.at.isoformat(), entry.user_id, entry.organisation_id, entry.role, entry.action,
               entry.referral_id, entry.child_id, entry.basis, entry.prev_hash]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def _locked_head(session: Session) -> AccessLogHead:
    query = select(AccessLogHead).where(AccessLogHead.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # one writer extends the chain at a time
    head = session.exec(query).first()
    if head is None:
        head = AccessLogHead(id=1, seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    return head


def append_entries(session: Session, entries: list[AccessLogEntry]) -> None:
    """Chain the entries onto the log in the caller's transaction."""
    if not entries:
        return
    head = _locked_head(session)
    for entry in entries:
        entry.seq = head.seq + 1
        entry.prev_hash = head.last_hash
        entry.entry_hash = entry_digest(entry)
        head.seq, head.last_hash = entry.seq, entry.entry_hash
        session.add(entry)


def record_access(session: Session, *, actor: Actor, action: str, referrals: Iterable[Referral],
                  basis: str | None = None) -> None:
    """Add one access-log row per referral to the caller's transaction (`basis`, when the need-to-know rule
    does not name it: e.g. the actor's own referral of the same child)."""
    now = utcnow()
    append_entries(session, [
        AccessLogEntry(
            at=now,
            user_id=actor.user_id,
            organisation_id=actor.organisation_id,
            role=actor.primary_role,
            action=action,
            referral_id=referral.id,
            child_id=referral.child_id,
            basis=basis or access_basis(actor, referral),
            seq=0, prev_hash="", entry_hash="",
        )
        for referral in referrals
    ])


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: str | None = None
    reason: str | None = None


def verify_chain(session: Session, *, batch: int = 5000) -> Verification:
    """Walk the chain in order; report the first row that was changed, removed or added out of turn."""
    expected_prev, expected_seq, checked, last_seq = GENESIS_HASH, 1, 0, 0
    while True:
        rows = session.exec(select(AccessLogEntry).where(col(AccessLogEntry.seq) >= expected_seq)
                            .order_by(col(AccessLogEntry.seq)).limit(batch)).all()
        for row in rows:
            if row.seq != expected_seq:
                return Verification(False, checked, expected_seq, row.id, "a row is missing before this one")
            if row.prev_hash != expected_prev or entry_digest(row) != row.entry_hash:
                return Verification(False, checked, row.seq, row.id, "the row was changed")
            expected_prev, expected_seq, checked, last_seq = row.entry_hash, row.seq + 1, checked + 1, row.seq
        if len(rows) < batch:
            break
    head = session.get(AccessLogHead, 1)
    if head is not None and (head.seq != last_seq or head.last_hash != expected_prev):
        return Verification(False, checked, last_seq + 1, None, "rows at the end of the log are missing")
    return Verification(True, checked)
