"""Per-request access to the database session, the parts of the service the routes hand to services
(the clock, the calendar, the policies, the identity numbers), and the authenticated actor."""

from __future__ import annotations

from flask import current_app, g, request
from sqlmodel import Session

from referral_service.bootstrap import Dependencies, dependencies
from referral_service.errors import Unauthenticated
from referral_service.security.actor import Actor
from referral_service.services.admin.auth import actor_for_token
from referral_service.services.unit_of_work import SqlUnitOfWork

#: HTTP's safe methods: their use cases only read (and log the reading).
READING_METHODS = frozenset({"GET", "HEAD"})


def db_session() -> Session:
    """The request's session. It starts reading (the token check takes no write lock); a unit of work
    that may write begins its own transaction with the write lock."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["referral_db"].new_session(read_only=True)
    return g.db_session


def unit_of_work() -> SqlUnitOfWork:
    """A unit of work on the request's session, for one use case; read-only for a GET."""
    return SqlUnitOfWork(db_session, close=False, read_only=request.method in READING_METHODS,
                         bell=deps().outbox_bell)


def deps() -> Dependencies:
    """What the composition root built for this app: the clock, calendar, deadline, referrer and login policies,
    and the identity numbers; hand on only the part a use case takes."""
    return dependencies(current_app)


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_actor() -> Actor:
    """The actor behind the request's bearer token, or 401."""
    if "actor" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Send a bearer token: Authorization: Bearer <token>.")
        g.actor = actor_for_token(db_session(), deps().clock, token.strip())
    return g.actor


def if_match() -> str | None:
    return request.headers.get("If-Match")
