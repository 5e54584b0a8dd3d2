"""Writing the generated rows in bulk: Core `insert()` with lists of dicts, in chunks, tables in foreign-key
order; the access log chained in time order as the service chains it (security/access_log.py)."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection, Engine

from referral_service.domain.access_log import GENESIS_HASH, LEGACY_MAC, AccessLogEntry, AccessLogHead
from referral_service.domain.alert import Alert
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Consent, MunicipalContact, Referral, ReferralEvent

#: Parents before children, so that PostgreSQL's foreign keys hold at every chunk.
ORDER: list[Table] = [t.__table__ for t in (  # type: ignore[attr-defined]
    Organisation, User, Child, Referral, Consent, MunicipalContact, ReferralEvent, Handover, HandoverEvent,
    CheckIn, Alert, OutboxMessage, DeadlineMark)]
CHUNK = 20_000

#: (at, user_id, organisation_id, role, action, referral_id, child_id, basis): an access-log row before chaining.
Access = tuple[datetime, str, str, str, str, str | None, str | None, str]


def digest(seq: int, at: datetime, access: Access, prev_hash: str) -> str:
    """entry_digest of security/access_log.py for a row not built as an ORM object (the same content list)."""
    _, user_id, organisation_id, role, action, referral_id, child_id, basis = access
    content = [seq, at.isoformat(), user_id, organisation_id, role, action, referral_id, child_id, basis, prev_hash]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


class BulkWriter:
    """Buffers rows per table and writes them in chunks; one transaction per chunk."""

    def __init__(self, engine: Engine, new_id: Callable[[], str]) -> None:
        self.engine, self.new_id = engine, new_id
        self.buffers: dict[Table, list[dict[str, Any]]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.pending_access: dict[tuple[int, int], list[Access]] = defaultdict(list)
        self._buffered = 0
        head = AccessLogHead.__table__  # type: ignore[attr-defined]
        with engine.connect() as conn:
            known = conn.execute(select(head.c.seq, head.c.last_hash).where(head.c.id == 1)).first()
        self.seq, self.last_hash = (known[0], known[1]) if known else (0, GENESIS_HASH)

    def add(self, table: Table, row: dict[str, Any]) -> None:
        """Buffered until the next `maybe_flush`, which the caller calls between referrals (never mid-story, so
        a child row is never written before its parent)."""
        self.buffers[table].append(row)
        self._buffered += 1

    def maybe_flush(self) -> None:
        if self._buffered >= CHUNK:
            self.flush()

    def access(self, row: Access) -> None:
        """Kept until its month is complete, so the chain follows time."""
        self.pending_access[(row[0].year, row[0].month)].append(row)

    def flush(self) -> None:
        with self.engine.begin() as conn:
            for table in [*ORDER, *(t for t in self.buffers if t not in ORDER)]:
                rows = self.buffers.pop(table, None)
                if rows:
                    self._insert(conn, table, rows)
        self._buffered = 0

    def _insert(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[start:start + CHUNK])
        self.counts[table.name] += len(rows)

    def chain_months_before(self, month: tuple[int, int]) -> None:
        """Chain and write the access-log rows of every month before `month` (no later referral reaches back)."""
        for key in sorted(k for k in self.pending_access if k < month):
            rows = sorted(self.pending_access.pop(key), key=lambda r: r[0])
            self.flush()  # the rows they name are in the database first
            table = AccessLogEntry.__table__  # type: ignore[attr-defined]
            chained = []
            for access in rows:
                self.seq += 1
                entry_hash = digest(self.seq, access[0], access, self.last_hash)
                chained.append({"id": self.new_id(), "seq": self.seq, "at": access[0],
                                "user_id": access[1], "organisation_id": access[2], "role": access[3],
                                "action": access[4], "referral_id": access[5], "child_id": access[6],
                                "basis": access[7], "prev_hash": self.last_hash, "entry_hash": entry_hash,
                                "mac_version": LEGACY_MAC})  # unkeyed, as an installation from before AUDIT_KEY
                self.last_hash = entry_hash
            with self.engine.begin() as conn:
                self._insert(conn, table, chained)

    def finish(self) -> None:
        self.flush()
        self.chain_months_before((10_000, 1))
        head = AccessLogHead.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            if conn.execute(update(head).where(head.c.id == 1).values(seq=self.seq, last_hash=self.last_hash)
                            ).rowcount == 0:
                conn.execute(insert(head).values(id=1, seq=self.seq, last_hash=self.last_hash))
