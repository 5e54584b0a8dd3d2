"""Reading the access log (auditors), verifying its chain, and a child's own access history (innsyn)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from referral_service.db import Database
from referral_service.domain.access_log import AccessLogEntry, AccessLogHead
from referral_service.domain.enums import Role
from referral_service.domain.types import utcnow
from referral_service.errors import Forbidden
from referral_service.security.access_log import audit_key
from referral_service.security.access_log_checkpoints import CheckpointFile, checkpoint_dir
from referral_service.security.access_log_verification import (
    CHECKPOINT_EVERY,
    Verification,
    seal_anchor,
    seal_checkpoints,
    verify_chain,
)
from referral_service.security.actor import Actor
from referral_service.services.pagination import Page, paginate
from referral_service.services.unit_of_work import SqlUnitOfWork


def require_auditor(actor: Actor) -> None:
    if not actor.has_role(Role.AUDITOR):
        raise Forbidden("Only auditors read the access log.")


def list_access_log(session: Session, *, actor: Actor, page: int, per_page: int, referral_id: str | None = None,
                    user_id: str | None = None, child_id: str | None = None,
                    since: datetime | None = None) -> Page[AccessLogEntry]:
    """Newest first; filtering by child gives the child's access history for an insight request."""
    require_auditor(actor)
    query = select(AccessLogEntry)
    filters = [column == value for column, value in ((AccessLogEntry.referral_id, referral_id),
                                                     (AccessLogEntry.user_id, user_id),
                                                     (AccessLogEntry.child_id, child_id)) if value]
    if since:
        filters.append(AccessLogEntry.at >= since)
    if not filters:
        return _whole_log_page(session, page=page, per_page=per_page)
    return paginate(session, query.where(*filters).order_by(AccessLogEntry.seq.desc()), page=page, per_page=per_page)


def _whole_log_page(session: Session, *, page: int, per_page: int) -> Page[AccessLogEntry]:
    """A page of the whole log, without counting millions of rows: the chain numbers its rows 1, 2, 3 ... and its
    head holds the last number, committed with the rows (access_log.py), so the head is the count and a page is a
    range of numbers."""
    head = session.get(AccessLogHead, 1)
    total = head.seq if head is not None else 0
    top = total - (page - 1) * per_page
    items = list(session.exec(select(AccessLogEntry).where(AccessLogEntry.seq <= top)
                              .order_by(AccessLogEntry.seq.desc()).limit(per_page)).all())
    return Page(items=items, total=total, page=page, per_page=per_page)


def verify_access_log(database: Database, *, actor: Actor | None, config: Any, full: bool = False,
                      every: int = CHECKPOINT_EVERY) -> Verification:
    """Verify against the checkpoints outside the database and from the newest signed checkpoint inside it
    (`full`: from the first row), then seal: checkpoints inside at the rows found intact, a line outside naming
    the head found intact, and the log's signed starting point if it has none yet. `actor` None is the command
    line or the worker.

    The walk reads in a read-only transaction, which takes no write lock, so the service goes on answering
    while it runs; sealing is a short transaction of its own afterwards.
    """
    if actor is not None:
        require_auditor(actor)
    key = audit_key(config)
    outside = CheckpointFile(checkpoint_dir(config), key)
    stored = outside.read()
    with database.session(read_only=True) as session:
        result = verify_chain(session, key=key, stored=stored, full=full, every=every)
    if not result.ok:
        return replace(result, to_seal=(), anchor_to_seal=None)
    now = (config.CLOCK or utcnow)()
    if result.to_seal or result.anchor_to_seal is not None:
        sealing = SqlUnitOfWork(database.new_session, close=True)
        with sealing:
            seal_checkpoints(sealing.session, key=key, anchors=result.to_seal)
            if result.anchor_to_seal is not None:
                seal_anchor(sealing.session, key=key, anchor=result.anchor_to_seal)
            sealing.commit()
    anchor = result.anchor_to_seal
    if anchor is not None:
        outside.append({"kind": "anchor", "first_seq": anchor.first_seq, "prev_hash": anchor.prev_hash,
                        "legacy_until": anchor.legacy_until, "at": now.isoformat()})
    seq, head_hash = result.head
    newest = stored.newest["seq"] if stored.newest else 0
    if seq > newest:
        legacy_until = anchor.legacy_until if anchor is not None else (stored.newest or {}).get("legacy_until", 0)
        outside.append({"kind": "checkpoint", "seq": seq, "hash": head_hash, "legacy_until": legacy_until,
                        "at": now.isoformat()})
    return replace(result, to_seal=(), anchor_to_seal=None)
