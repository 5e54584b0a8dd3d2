"""Domain errors. Each carries the HTTP status it maps to; `api/problems.py` renders them."""

from __future__ import annotations


class Reason(str):
    """Why a value was refused: an English sentence for the API, with a code that the channels (web/, notify/)
    turn into their own words. It is a `str`, so it stands wherever a message does."""

    code: str

    def __new__(cls, code: str, sentence: str) -> Reason:
        reason = super().__new__(cls, sentence)
        reason.code = code
        return reason

    def __reduce__(self) -> tuple[type[Reason], tuple[str, str]]:
        return type(self), (self.code, str(self))


class DomainError(Exception):
    """Base of every error the service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init_subclass__(cls, *, status: int | None = None, title: str | None = None, **kwargs: object) -> None:
        """Each kind of error names its HTTP status and problem title in its class line; a subclass that names
        none keeps its parent's."""
        super().__init_subclass__(**kwargs)
        cls.status = cls.status if status is None else status
        cls.title = cls.title if title is None else title

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class Unauthenticated(DomainError, status=401, title="Unauthenticated"):
    """No valid token or session came with the request."""


class Forbidden(DomainError, status=403, title="Forbidden"):
    """The actor is known, but their role or organisation may not do this."""


class NotFound(DomainError, status=404, title="Not found"):
    """No such record, or one the actor may not see (the two are not told apart)."""


class Conflict(DomainError, status=409, title="Conflict"):
    """The resource is in the wrong state for the action, or another decision won."""


class PreconditionFailed(DomainError, status=412, title="Precondition failed"):
    """The If-Match version is not the record's current one: the client read a stale copy."""


class InvalidData(DomainError, status=422, title="Invalid data"):
    """The body is well formed but breaks a rule; `errors` says which field, and why."""


class RateLimited(DomainError, status=429, title="Too many requests"):
    """Too many attempts in a short time (logins); `headers` may say when to try again."""
