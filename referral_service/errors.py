"""Domain errors. Each carries the HTTP status it maps to; `api/problems.py` renders them."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class Unauthenticated(DomainError):
    status = 401
    title = "Unauthenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The resource is in the wrong state for the action, or another decision won."""

    status = 409
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    title = "Precondition failed"


class InvalidData(DomainError):
    status = 422
    title = "Invalid data"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"
