"""The access log's checkpoints outside the database: signed lines appended to a file.

Whoever can rewrite the database can also rewind the chain's head, delete the last rows or everything, and
the database alone would never tell. So each verification that finds the chain intact appends a line
here naming the head it saw (sequence number and hash), signed with AUDIT_KEY, and each verification
compares the database with the newest line. The file is only ever appended to (and fsynced); the folder
may be a write-once mount or one another machine collects (AUDIT_CHECKPOINT_DIR).

A line is one JSON object: `kind` "checkpoint" (`seq`, `hash`: the head verified intact; `legacy_until`: the
last row chained unkeyed) or "anchor" (`first_seq`, `prev_hash`: where the log starts after pruning), `at`,
and `mac`, an HMAC of the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FILE_NAME = "access-log-checkpoints.jsonl"


def checkpoint_dir(config: Any) -> Path:
    """The folder of the checkpoint file: AUDIT_CHECKPOINT_DIR, else `<DATA_DIR>/audit-checkpoints`."""
    return Path(config.AUDIT_CHECKPOINT_DIR or Path(config.DATA_DIR) / "audit-checkpoints")


def _mac(key: bytes, entry: dict[str, Any]) -> str:
    body = json.dumps({k: v for k, v in entry.items() if k != "mac"}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class StoredCheckpoints:
    """What the file holds: the newest signed checkpoint and anchor, or the first line that was not signed."""

    newest: dict[str, Any] | None = None
    anchor: dict[str, Any] | None = None
    forged_line: int | None = None


class CheckpointFile:
    def __init__(self, folder: Path, key: bytes) -> None:
        self.path = folder / FILE_NAME
        self._key = key

    def append(self, entry: dict[str, Any]) -> None:
        """Append one signed line and wait until it is on disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        line = json.dumps({**entry, "mac": _mac(self._key, entry)}, sort_keys=True, separators=(",", ":"))
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())
        if created:  # the new file's name must survive a crash too
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def _entries(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """Each line's number and entry (None: its signature fails); a last line cut short (a crash while
        appending: no newline) is skipped."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as file:
            for number, line in enumerate(file, start=1):
                if not line.endswith("\n"):
                    return
                try:
                    entry = json.loads(line)
                    signed = hmac.compare_digest(str(entry.get("mac", "")), _mac(self._key, entry))
                except (ValueError, AttributeError):
                    signed = False
                yield number, entry if signed else None

    def read(self) -> StoredCheckpoints:
        """The newest checkpoint and anchor. A line whose signature fails is reported."""
        newest: dict[str, Any] | None = None
        anchor: dict[str, Any] | None = None
        for number, entry in self._entries():
            if entry is None:
                return StoredCheckpoints(forged_line=number)
            if entry.get("kind") == "anchor":
                anchor = entry
            elif newest is None or entry["seq"] >= newest["seq"]:
                newest = entry
        return StoredCheckpoints(newest=newest, anchor=anchor)

    def vouching(self, *, before: datetime, below: int | None = None) -> dict[str, Any] | None:
        """The checkpoint with the highest row among those signed before `before` (and naming a row before
        `below`): the rows up to its row existed at its signed time, whatever their own time says. None if
        there is none, or a line is not signed (read() reports that)."""
        found: dict[str, Any] | None = None
        for _number, entry in self._entries():
            if entry is None:
                return None
            if entry.get("kind") == "anchor" or signed_at(entry) >= before:
                continue
            if (below is None or entry["seq"] < below) and (found is None or entry["seq"] > found["seq"]):
                found = entry
        return found


def signed_at(entry: dict[str, Any]) -> datetime:
    """A line's signed time (written timezone-aware; a naive one is taken as UTC)."""
    at = datetime.fromisoformat(entry["at"])
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
