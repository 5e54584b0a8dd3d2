"""Guards every change to a referral passes: the acting side, If-Match, and the version claim."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from referral_service.domain.referral import Referral
from referral_service.errors import Conflict, Forbidden, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.security.visibility import parties_of
from referral_service.services.referral_views import etag_for
from referral_service.workflows.referral_lifecycle import Party


def require_party(session: Session, *, actor: Actor, referral: Referral, party: Party) -> None:
    if party not in parties_of(session, actor=actor, referral=referral):
        raise Forbidden(f"Only the {party} side may do this.")


def if_match_fails(etag: str, if_match: str | None) -> bool:
    """True when the client sent If-Match and its copy is stale; no header means it does not ask."""
    if if_match is None or if_match.strip() == "*":
        return False
    return etag not in {tag.strip().removeprefix("W/") for tag in if_match.split(",")}


def check_if_match(referral: Referral, if_match: str | None) -> None:
    if if_match_fails(etag_for(referral), if_match):
        raise PreconditionFailed("The referral has changed since you read it. Fetch it again.")


def claim_row_version(session: Session, table: Any, row: Any) -> None:
    """Bump the version if nobody else has; the loser of a race gets 409, never a second decision.

    The conditional UPDATE also takes the row's write lock until this transaction ends.
    """
    claimed = session.execute(
        update(table)
        .where(table.id == row.id, table.version == row.version)
        .values(version=row.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.rollback()
        raise Conflict("Another change to this record was made at the same time.")
    row.version += 1


def claim_version(session: Session, referral: Referral) -> None:
    claim_row_version(session, Referral, referral)
