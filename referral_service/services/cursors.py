"""Cursors for keyset pages: the sort key of the last row a reader was shown, made opaque.

A cursor holds dates, times and the row's own id, never anything about a child, and is signed (HMAC) for the list,
the reader and the filters it was made for: it cannot be forged, changed, or carried to another list or reader.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from referral_service.errors import InvalidData

CURSOR_NOT_VALID = "This cursor does not belong to this list, or it was changed. Start again from the first page."


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return date.fromisoformat(value["d"])
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValueError("not a sort key value")


def _signature(secret: bytes, scope: str, body: bytes) -> str:
    mac = hmac.new(secret, scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def encode_cursor(values: Sequence[Any], *, secret: bytes, scope: str) -> str:
    """An opaque cursor for the row with these sort-key values, good only in `scope` (list, reader, filters)."""
    body = json.dumps([_tagged(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + "." + _signature(secret, scope, body)


def decode_cursor(cursor: str, *, secret: bytes, scope: str) -> tuple[Any, ...]:
    """The sort-key values in a cursor made for `scope`; 422 for one that was changed or made for another."""
    try:
        encoded, signature = cursor.split(".", 1)
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if not hmac.compare_digest(signature, _signature(secret, scope, body)):
            raise ValueError("signature")
        values = json.loads(body)
        if not isinstance(values, list) or not values:
            raise ValueError("shape")
        return tuple(_untagged(v) for v in values)
    except ValueError as error:
        raise InvalidData(CURSOR_NOT_VALID, errors={"cursor": [CURSOR_NOT_VALID]}) from error
