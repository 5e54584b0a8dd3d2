"""Failed alert e-mails for the administrators: the list (no child data: the alert's kind, the recipient's
organisation, attempts, last error, when) and sending one again through the normal path (a new outbox row)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.enums import Role
from referral_service.domain.organisation import Organisation, User
from referral_service.errors import Conflict, Forbidden, NotFound
from referral_service.security.actor import Actor
from referral_service.services.admin import events
from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)

#: The operations page and API show this many failed e-mails, newest first.
FAILED_SHOWN = 100


@dataclass(frozen=True)
class FailedEmail:
    alert_id: str
    kind: str
    organisation: str
    attempts: int
    error: str | None
    failed_at: datetime | None
    created_at: datetime


def _require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only administrators see and resend failed alert e-mails.")


def failed_emails(session: Session, *, actor: Actor, limit: int = FAILED_SHOWN) -> list[FailedEmail]:
    """The failed e-mails, newest alert first (the index on (email_state, created_at))."""
    _require_admin(actor)
    rows = session.exec(
        select(Alert, Organisation.name)
        .join(User, User.id == Alert.user_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Alert.email_state == "failed")
        .order_by(col(Alert.created_at).desc(), col(Alert.id)).limit(limit)).all()
    return [FailedEmail(alert_id=alert.id, kind=alert.kind, organisation=organisation, attempts=alert.email_attempts,
                        error=alert.email_error, failed_at=alert.email_failed_at, created_at=alert.created_at)
            for alert, organisation in rows]


def resend_email(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, alert_id: str) -> Alert:
    """Send a failed alert's e-mail again: pending once more, with a new retry window, and a new outbox row raised
    through the unit of work, recorded in the administration log. 409 unless it failed."""
    with uow:
        _require_admin(actor)
        # Failed -> pending in one conditional statement: of two resends at once (a double click, two
        # administrators) only one finds it failed, so one new outbox row, one e-mail.
        claimed = uow.session.execute(
            update(Alert).where(col(Alert.id) == alert_id, col(Alert.email_state) == "failed")
            .values(email_state="pending", email_retry_until=None, email_next_attempt_at=None, email_failed_at=None)
        ).rowcount
        alert = uow.session.get(Alert, alert_id, populate_existing=True)
        if alert is None:
            raise NotFound("No such alert.")
        if not claimed:
            raise Conflict(f"The alert's e-mail is {alert.email_state}, not failed: there is nothing to resend.")
        # Its outbox row, raised now (not when the alert was made): the relay hands it to a worker as any alert's.
        uow.raise_event(alert, at=clock.now())
        events.record(uow.session, clock=clock, actor=actor, action=events.ALERT_EMAIL_RESENT, target_kind="alert",
                      target_id=alert.id, before={"email_state": "failed", "email_attempts": alert.email_attempts},
                      after={"email_state": "pending", "kind": alert.kind})
        uow.commit()
    log.info("alert e-mail to be sent again", extra={"alert_id": alert.id, "kind": alert.kind})
    return alert
