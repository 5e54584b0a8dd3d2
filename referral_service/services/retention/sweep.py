"""The retention sweep: deletes or anonymises what is due, kind by kind, in short transactions of `batch` records,
and records one `retention_run` row per kind (a run that found nothing records 0, so the auditor sees it ran).

Nothing else is touched: a child with anything open, or whose case ended within the period, is kept whole
(services/retention/cases.py). Running it again at the same moment changes nothing more.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlmodel import col

from referral_service.clock import Clock
from referral_service.domain.alert import Alert
from referral_service.domain.child import Child
from referral_service.domain.family import FamilyPerson, FamilySession
from referral_service.domain.kept_form import KeptForm
from referral_service.domain.login_throttle import LoginThrottle, SignInAddress
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral
from referral_service.domain.retention_run import RetentionRun
from referral_service.domain.web_session import WebSession
from referral_service.services.admin.audit_retention import prune_access_log
from referral_service.services.retention import cases, family
from referral_service.services.retention.policy import (
    ACCESS_LOG,
    ALERT,
    CASE,
    FAMILY_PERSON,
    FAMILY_SESSION,
    KEPT_FORM,
    LOGIN_THROTTLE,
    OUTBOX,
    SIGN_IN_ADDRESS,
    WEB_SESSION,
    RetentionPolicy,
)
from referral_service.services.unit_of_work import SqlUnitOfWork

log = logging.getLogger(__name__)


def run_retention(uow: SqlUnitOfWork, clock: Clock, policy: RetentionPolicy) -> dict[str, int]:
    """One sweep as of the clock's now; answers how many records of each kind were deleted or anonymised."""
    now = clock.now()
    cut_offs = policy.cut_offs(now)
    done = {
        CASE: _anonymise_cases(uow, cut_offs[CASE], policy.batch),
        ALERT: _delete_alerts(uow, cut_offs[ALERT], policy.batch),
        OUTBOX: _delete_in_batches(uow, OutboxMessage, policy.batch, and_(
            col(OutboxMessage.processed_at).is_not(None), col(OutboxMessage.processed_at) < cut_offs[OUTBOX])),
        KEPT_FORM: _delete_in_batches(uow, KeptForm, policy.batch, col(KeptForm.expires_at) < cut_offs[KEPT_FORM]),
        LOGIN_THROTTLE: _delete_throttles(uow, now, cut_offs[LOGIN_THROTTLE], policy.batch),
        SIGN_IN_ADDRESS: _delete_in_batches(uow, SignInAddress, policy.batch,
                                            col(SignInAddress.last_signed_in_at) < cut_offs[SIGN_IN_ADDRESS],
                                            key=SignInAddress.key),
        # A session is over within hours (SESSION_MAX_HOURS), so one begun before the cut-off has long ended.
        WEB_SESSION: _delete_in_batches(uow, WebSession, policy.batch,
                                        col(WebSession.created_at) < cut_offs[WEB_SESSION], key=WebSession.id_hash),
        FAMILY_SESSION: _delete_in_batches(uow, FamilySession, policy.batch,
                                           family.stale_sessions(cut_offs[FAMILY_SESSION]), key=FamilySession.id_hash),
        FAMILY_PERSON: _forget_family_people(uow, cut_offs[FAMILY_PERSON], policy.batch),
    }
    done[ACCESS_LOG] = prune_access_log(uow, clock, before=cut_offs[ACCESS_LOG])
    with uow:
        for kind, count in done.items():
            uow.add(RetentionRun(at=now, kind=kind, count=count, cut_off=cut_offs[kind]))
        uow.commit()
    log.info("retention sweep", extra={"counts": done})
    return done


def _anonymise_cases(uow: SqlUnitOfWork, cut_off: datetime, batch: int) -> int:
    count, after = 0, ""
    while True:
        with uow.reading() as reading:
            candidates = cases.ended_before(reading.session, cut_off, after=after, limit=batch)
        if not candidates:
            return count
        after = candidates[-1]
        with uow:
            session = uow.session
            for child in session.execute(select(Child).where(
                    col(Child.id).in_(cases.ended_among(session, candidates, cut_off)),
                    col(Child.national_id_kind) != cases.ANONYMISED).order_by(col(Child.id))).scalars():
                cases.anonymise(session, child)
                count += 1
            uow.commit()


def _delete_alerts(uow: SqlUnitOfWork, cut_off: datetime, batch: int) -> int:
    """The alerts of cases that ended before the cut-off (anonymised or not), and read alerts older than it that
    belong to no referral. An open case keeps all its alerts."""
    count, after = 0, ""
    while True:
        with uow.reading() as reading:
            children = cases.ended_before(reading.session, cut_off, after=after, limit=batch, anonymised=True)
        if not children:
            break
        after = children[-1]
        count += _delete_in_batches(uow, Alert, batch, col(Alert.referral_id).in_(
            select(Referral.id).where(col(Referral.child_id).in_(children))))
    return count + _delete_in_batches(uow, Alert, batch, and_(
        col(Alert.referral_id).is_(None), col(Alert.read_at).is_not(None), col(Alert.created_at) < cut_off))


def _forget_family_people(uow: SqlUnitOfWork, cut_off: datetime, batch: int) -> int:
    """The family page's people gone quiet past the cut-off (services/retention/family.py), with their old sessions."""
    count = 0
    while True:
        with uow:
            ids = list(uow.session.execute(select(FamilyPerson.id).where(family.forgotten_people(cut_off))
                                           .order_by(FamilyPerson.id).limit(batch)).scalars())
            if ids:
                family.delete_people(uow.session, ids)
            uow.commit()
        count += len(ids)
        if len(ids) < batch:
            return count


def _delete_throttles(uow: SqlUnitOfWork, now: datetime, cut_off: datetime, batch: int) -> int:
    """Failed-login counters whose last failure is older than the cut-off and that lock nobody now."""
    return _delete_in_batches(uow, LoginThrottle, batch, and_(
        or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < now),
        or_(col(LoginThrottle.last_failure_at).is_(None), col(LoginThrottle.last_failure_at) < cut_off)),
        key=LoginThrottle.key)


def _delete_in_batches(uow: SqlUnitOfWork, table: type[Any], batch: int, where: Any, *, key: Any = None) -> int:
    """Delete the rows `where` holds, `batch` at a time, each batch a transaction of its own."""
    key = key if key is not None else table.id
    count = 0
    while True:
        with uow:
            ids = list(uow.session.execute(select(key).where(where).order_by(key).limit(batch)).scalars())
            if ids:
                uow.session.execute(delete(table).where(col(key).in_(ids)))
            uow.commit()
        count += len(ids)
        if len(ids) < batch:
            return count
