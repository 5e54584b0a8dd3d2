"""The request id: one per web request, carried into the outbox rows it writes and every task they cause.

It is taken from the caller's `X-Request-ID` header when that is a sane token (so a proxy's or a client's id
joins our logs to theirs), otherwise made here; it is answered in the same header. It lives in a context
variable while the request (or a task it caused) runs, so every log line written then carries it
(logging_setup.py) and every outbox row written then stores it (services/unit_of_work.py).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
#: What a request id may look like: a token, never free text (it is written into every log line).
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: A request id as carried inside our own systems (a task with no request has `task:<its id>`).
_CARRIED = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from_header(value: str | None) -> str:
    """The caller's id when it is a sane token, else a new one."""
    if value is not None and _SANE.fullmatch(value):
        return value
    return new_request_id()


def carried_request_id(value: object) -> str | None:
    """A request id read back from a task header or an outbox row; None when absent or not an id."""
    if isinstance(value, str) and _CARRIED.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str | None) -> Token[str | None]:
    """Make `request_id` the current one; pass the token to `unbind_request_id` when the work is done."""
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None] | None = None) -> None:
    if token is not None:
        try:
            _request_id.reset(token)
            return
        except ValueError:  # made in another context: clear instead
            pass
    _request_id.set(None)
