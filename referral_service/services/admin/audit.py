"""Reading the access log (auditors), verifying its chain, and a child's own access history (innsyn)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.enums import Role
from referral_service.errors import Forbidden
from referral_service.security.access_log import Verification, verify_chain
from referral_service.security.actor import Actor
from referral_service.services.pagination import Page, paginate


def require_auditor(actor: Actor) -> None:
    if not actor.has_role(Role.AUDITOR):
        raise Forbidden("Only auditors read the access log.")


def list_access_log(session: Session, *, actor: Actor, page: int, per_page: int, referral_id: str | None = None,
                    user_id: str | None = None, child_id: str | None = None,
                    since: datetime | None = None) -> Page[AccessLogEntry]:
    """Newest first; filtering by child gives the child's access history for an insight request."""
    require_auditor(actor)
    query = select(AccessLogEntry)
    for column, value in ((AccessLogEntry.referral_id, referral_id), (AccessLogEntry.user_id, user_id),
                          (AccessLogEntry.child_id, child_id)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(AccessLogEntry.at >= since)
    return paginate(session, query.order_by(AccessLogEntry.seq.desc()), page=page, per_page=per_page)


def verify_access_log(session: Session, *, actor: Actor | None) -> Verification:
    """`actor` None is the command line."""
    if actor is not None:
        require_auditor(actor)
    return verify_chain(session)
