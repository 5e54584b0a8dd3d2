"""The access log's own retention: its oldest rows are deleted once they are older than RETENTION_ACCESS_LOG_YEARS.

Only from the start of the chain, only after the chain verified against the checkpoints outside the database,
and only up to a row a checkpoint line outside the database vouches for, signed before the cut-off: the rows'
own times can be backdated by whoever writes to the database, the signed times cannot. The first row kept and
the hash it links to become the log's new starting point (its anchor), signed with AUDIT_KEY on the head row and
appended to the checkpoint file outside the database, so verification starts there and a row deleted after it
is still reported. The retention sweep (part F) calls `prune_access_log`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, func, select

from referral_service.clock import Clock
from referral_service.domain.access_log import LEGACY_MAC, AccessLogCheckpoint, AccessLogEntry, AccessLogHead
from referral_service.security.access_log import keys_of
from referral_service.security.access_log_checkpoints import CheckpointFile
from referral_service.security.access_log_verification import Anchor, seal_anchor, verify_chain
from referral_service.services.unit_of_work import SqlUnitOfWork

_LOG = AccessLogEntry.__table__
_CHECKPOINTS = AccessLogCheckpoint.__table__

log = logging.getLogger(__name__)


def access_log_cutoff(clock: Clock, *, years: int) -> datetime:
    """The moment `years` years ago (29 February falls back to the 28th): rows before it are due."""
    now = clock.now()
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def prune_access_log(uow: SqlUnitOfWork, clock: Clock, *, before: datetime) -> int:
    """Delete the rows written before `before`, from the start of the chain, but only up to the row of a
    checkpoint outside the database signed before `before`, and move the log's signed starting point there.
    Returns the number of rows deleted; 0, with an error logged, if the chain does not verify first.

    The rows' own `at` is in the database and anyone who can write there can backdate it: it may hold a row
    back, never let one go. What lets a row go is a signed time outside the database (the checkpoint file),
    and the chain is verified against that file before anything is deleted, under the head's lock."""
    with uow:
        session = uow.session
        head = session.get(AccessLogHead, 1, with_for_update=True)  # writers wait: the chain's end stays put
        if head is None:
            return 0
        keys = keys_of(session.connection())
        outside = CheckpointFile(keys.checkpoint_dir, keys.key)
        stored = outside.read()
        verified = verify_chain(session, key=keys.key, stored=stored)
        if not verified.ok:
            log.error("the access log was not pruned: its chain does not verify (%s at row %s): %s",
                      verified.problem, verified.first_broken_seq, verified.reason)
            return 0
        first_seq = head.first_seq if head.anchor_mac is not None else 1
        young = session.execute(select(func.min(_LOG.c.seq)).where(_LOG.c.seq >= first_seq,
                                                                   _LOG.c.at >= before)).scalar()
        line = outside.vouching(before=before, below=young)
        if line is None or line["seq"] < first_seq:
            return 0
        kept, prev_hash = line["seq"] + 1, line["hash"]
        last = session.execute(select(_LOG.c.entry_hash).where(_LOG.c.seq == line["seq"])).scalar()
        if last != prev_hash or kept > head.seq + 1:  # verified, so only a line the chain never had
            log.error("the access log was not pruned: row %s is not the one its checkpoint outside the database "
                      "names", line["seq"])
            return 0
        if head.anchor_mac is not None:
            legacy_until = head.legacy_until
        else:  # never sealed: the rows chained unkeyed are those before the first keyed one
            legacy_until = session.execute(select(func.max(_LOG.c.seq)).where(_LOG.c.mac_version == LEGACY_MAC))\
                .scalar() or 0
        pruned = session.execute(delete(_LOG).where(_LOG.c.seq < kept)).rowcount
        session.execute(delete(_CHECKPOINTS).where(_CHECKPOINTS.c.seq < kept))
        anchor = Anchor(first_seq=kept, prev_hash=prev_hash, legacy_until=legacy_until)
        seal_anchor(session, key=keys.key, anchor=anchor)
        # Outside first: should the commit fail, a starting point later than the rows is harmless (verification
        # starts there, and the rows before it are only not looked at); a pruning without it is not.
        outside.append({"kind": "anchor", "first_seq": kept, "prev_hash": prev_hash, "legacy_until": legacy_until,
                        "at": clock.now().isoformat()})
        uow.commit()
    return pruned
