"""The administration log: every change to users, roles, organisations and referral-right grants leaves a row.

Written in the same transaction as the change it records, so a change and its record stand or fall together.
Administrators and auditors read it; it holds no child data.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.admin_event import AdminEvent
from referral_service.domain.enums import Role
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.types import utcnow
from referral_service.errors import Forbidden
from referral_service.security.actor import Actor
from referral_service.services.pagination import Page, paginate

USER_CREATED = "user_created"
ROLES_CHANGED = "roles_changed"
USER_DEACTIVATED = "user_deactivated"
ORGANISATION_CREATED = "organisation_created"
GRANT_ADDED = "grant_added"
GRANT_ENDED = "grant_ended"
PASSWORD_RESET = "password_reset"
ALERT_EMAIL_RESENT = "alert_email_resent"
SUBSCRIPTION_CREATED = "fhir_subscription_created"
SUBSCRIPTION_TURNED_OFF = "fhir_subscription_turned_off"
SUBSCRIPTION_REACTIVATED = "fhir_subscription_reactivated"


def record(session: Session, *, clock: Clock | None, actor: Actor | None, action: str, target_kind: str,
           target_id: str, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AdminEvent:
    """Add the row to the caller's transaction. Without a clock (the demo seed) the row is stamped as the
    directory's own rows are (created_at)."""
    event = AdminEvent(at=clock.now() if clock is not None else utcnow(),
                       actor_user_id=actor.user_id if actor is not None else None, action=action,
                       target_kind=target_kind, target_id=target_id, before=before, after=after)
    session.add(event)
    return event


def require_reader(actor: Actor) -> None:
    if not (actor.has_role(Role.ADMIN) or actor.has_role(Role.AUDITOR)):
        raise Forbidden("Only administrators and auditors read the administration log.")


def list_events(session: Session, *, actor: Actor, page: int, per_page: int,
                target_id: str | None = None) -> Page[AdminEvent]:
    """Newest first; optionally the changes to one user, organisation or grant."""
    require_reader(actor)
    query = select(AdminEvent).order_by(col(AdminEvent.at).desc(), col(AdminEvent.id).desc())
    if target_id:
        query = query.where(AdminEvent.target_id == target_id)
    return paginate(session, query, page=page, per_page=per_page)


def names_for(session: Session, rows: list[AdminEvent]) -> dict[str, str]:
    """The names of the people and organisations the rows name (directory data), for showing them on a page."""
    user_ids = {r.actor_user_id for r in rows if r.actor_user_id} | {r.target_id for r in rows
                                                                      if r.target_kind == "user"}
    org_ids = {r.target_id for r in rows if r.target_kind == "organisation"}
    names = {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(user_ids)))} if user_ids else {}
    if org_ids:
        organisations = session.exec(select(Organisation).where(col(Organisation.id).in_(org_ids)))
        names.update({o.id: o.name for o in organisations})
    return names
