"""The access log's own retention: its oldest rows are deleted once they are older than RETENTION_ACCESS_LOG_YEARS.

Only from the start of the chain: the first row kept and the hash it links to become the log's new starting
point (its anchor), signed with AUDIT_KEY on the head row and appended to the checkpoint file outside the
database, so verification starts there and a row deleted after it is still reported. The retention sweep
(part F) calls `prune_access_log`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from referral_service.clock import Clock
from referral_service.domain.access_log import LEGACY_MAC, AccessLogCheckpoint, AccessLogEntry, AccessLogHead
from referral_service.security.access_log import keys_of
from referral_service.security.access_log_checkpoints import CheckpointFile
from referral_service.security.access_log_verification import Anchor, seal_anchor
from referral_service.services.unit_of_work import SqlUnitOfWork

_LOG = AccessLogEntry.__table__
_CHECKPOINTS = AccessLogCheckpoint.__table__


def access_log_cutoff(clock: Clock, *, years: int) -> datetime:
    """The moment `years` years ago (29 February falls back to the 28th): rows before it are due."""
    now = clock.now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def prune_access_log(uow: SqlUnitOfWork, clock: Clock, *, before: datetime) -> int:
    """Delete the rows written before `before`, from the start of the chain up to the first row that is not,
    and move the log's signed starting point there. Returns the number of rows deleted."""
    with uow:
        session = uow.session
        head = session.get(AccessLogHead, 1, with_for_update=True)  # writers wait: the chain's end stays put
        if head is None:
            return 0
        first_seq = head.first_seq if head.anchor_mac is not None else 1
        kept = session.execute(select(func.min(_LOG.c.seq)).where(_LOG.c.seq >= first_seq,
                                                                  _LOG.c.at >= before)).scalar()
        if kept is None:  # every row is due: the log starts after its last row
            kept, prev_hash = head.seq + 1, head.last_hash
        else:
            prev_hash = session.execute(select(_LOG.c.prev_hash).where(_LOG.c.seq == kept)).scalar_one()
        if kept <= first_seq:
            return 0
        if head.anchor_mac is not None:
            legacy_until = head.legacy_until
        else:  # never sealed: the rows chained unkeyed are those before the first keyed one
            legacy_until = session.execute(select(func.max(_LOG.c.seq)).where(_LOG.c.mac_version == LEGACY_MAC))\
                .scalar() or 0
        pruned = session.execute(delete(_LOG).where(_LOG.c.seq < kept)).rowcount
        session.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.seq < kept))
        anchor = Anchor(first_seq=kept, prev_hash=prev_hash, legacy_until=legacy_until)
        keys = keys_of(session.connection())
        seal_anchor(session, key=keys.key, anchor=anchor)
        # Outside first: should the commit fail, a starting point later than the rows is harmless (verification
        # starts there, and the rows before it are only not looked at); a pruning without it is not.
        CheckpointFile(keys.checkpoint_dir, keys.key).append(
            {"kind": "anchor", "first_seq": kept, "prev_hash": prev_hash, "legacy_until": legacy_until,
             "at": clock.now().isoformat()})
        uow.commit()
    return pruned
