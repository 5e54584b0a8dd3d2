"""The access log as an auditor reads it: filtered by child, user, organisation and time, each row with who it was
(name, organisation, role); and a child's access history for the family's request for insight (innsyn).

A child is found through the identity number's blind index (or words of the name); the number itself is never kept.
Reading who read a child is itself a read of the child's data, so the insight history and its export leave one
access-log row per referral of the child (action `insight_request`, basis `insight_request`).

Family members who read on the family page (issue 14) are in the log too, under the organisation `family` and their
FamilyPerson id (services/family/access.py), which names no user or organisation of ours: they are shown by the role
they read as, e.g. "Foresatt (ID-porten)" of "Familien", never as unknown and never by who they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from referral_service.domain.access_log import AccessLogEntry, AccessLogHead
from referral_service.domain.child import Child
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import Referral
from referral_service.domain.retention_run import RetentionRun
from referral_service.errors import NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.identity_crypto import IdentityVault
from referral_service.services.admin.audit import require_auditor
from referral_service.services.children.search import ChildSearch, search_clause
from referral_service.services.family.access import FAMILY_ORGANISATION
from referral_service.services.pagination import Page
from referral_service.services.unit_of_work import SqlUnitOfWork

INSIGHT_ACTION = "insight_request"
INSIGHT_BASIS = "insight_request"

#: Who a family member is in the auditor's eyes, by the role they read as (workflows/family_access.FamilyRole); a
#: denied attempt names no role (`family`). The API and the pages show these as the person and organisation names.
FAMILY_READER = {
    "guardian": "Foresatt (ID-porten)",
    "young_person": "Ungdommen selv (ID-porten)",
    "child": "Barnet selv (ID-porten)",
    FAMILY_ORGANISATION: "Familiemedlem (ID-porten)",
}
FAMILY_ORGANISATION_NAME = "Familien"


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrows the log to; all optional. `child` is a search (by number: one child's id)."""

    child: ChildSearch | None = None
    child_id: str | None = None
    referral_id: str | None = None
    user_id: str | None = None
    organisation_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.child is not None and self.child.active:
            found.append(col(AccessLogEntry.child_id).in_(select(Child.id).where(search_clause(
                self.child, child_id=Child.id, given_name=Child.given_name, family_name=Child.family_name))))
        for column, value in ((AccessLogEntry.child_id, self.child_id), (AccessLogEntry.referral_id, self.referral_id),
                              (AccessLogEntry.user_id, self.user_id),
                              (AccessLogEntry.organisation_id, self.organisation_id)):
            if value:
                found.append(col(column) == value)
        if self.since is not None:
            found.append(col(AccessLogEntry.at) >= self.since)
        if self.until is not None:
            found.append(col(AccessLogEntry.at) < self.until)
        return found


@dataclass(frozen=True)
class AuditRow:
    """One access-log row with the names of who it was."""

    id: str
    seq: int
    at: datetime
    user_id: str
    user_name: str
    organisation_id: str
    organisation_name: str
    role: str
    action: str
    referral_id: str | None
    child_id: str | None
    basis: str


def _rows_query(clauses: list[ColumnElement[bool]]) -> Any:
    return (select(AccessLogEntry, User.name, Organisation.name)
            .outerjoin(User, col(User.id) == col(AccessLogEntry.user_id))
            .outerjoin(Organisation, col(Organisation.id) == col(AccessLogEntry.organisation_id))
            .where(*clauses).order_by(col(AccessLogEntry.seq).desc()))


def _row(entry: AccessLogEntry, user_name: str | None, organisation_name: str | None) -> AuditRow:
    if entry.organisation_id == FAMILY_ORGANISATION:
        user_name = FAMILY_READER.get(entry.role, FAMILY_READER[FAMILY_ORGANISATION])
        organisation_name = FAMILY_ORGANISATION_NAME
    return AuditRow(id=entry.id, seq=entry.seq, at=entry.at, user_id=entry.user_id, user_name=user_name or "(ukjent)",
                    organisation_id=entry.organisation_id, organisation_name=organisation_name or "(ukjent)",
                    role=entry.role, action=entry.action, referral_id=entry.referral_id, child_id=entry.child_id,
                    basis=entry.basis)


def list_access_log(session: Session, *, actor: Actor, wanted: AuditFilter, page: int, per_page: int) -> Page[AuditRow]:
    """Newest first, one page, with the count of the rows the filter holds."""
    require_auditor(actor)
    clauses = wanted.clauses()
    if not clauses:
        # The whole log: its head holds the last row's number, so the count is read, not counted, and a page is a
        # range of numbers (as services/admin/audit.py reads it), however many millions of rows there are.
        head = session.get(AccessLogHead, 1)
        total = head.seq if head is not None else 0
        top = total - (page - 1) * per_page
        rows = session.execute(_rows_query([col(AccessLogEntry.seq) <= top]).limit(per_page)).all()
        return Page(items=[_row(*row) for row in rows], total=total, page=page, per_page=per_page)
    total = session.execute(select(func.count()).select_from(AccessLogEntry).where(*clauses)).scalar_one()
    rows = session.execute(_rows_query(clauses).offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items=[_row(*row) for row in rows], total=total, page=page, per_page=per_page)


def child_by_number(session: Session, vault: IdentityVault, national_id: str) -> str | None:
    """The registered child with this identity number (through the blind index under every configured key, so a
    child not yet re-indexed after a key rotation is found too), or None."""
    digits = "".join((national_id or "").split())
    return session.execute(select(Child.id).where(col(Child.national_id_index).in_(vault.blind_indexes(digits)))
                           ).scalar()


def insight_history(uow: SqlUnitOfWork, *, actor: Actor, child_id: str | None) -> list[AuditRow]:
    """Who read or changed the child's data and when, oldest first, for the family's request for insight; the
    reading is logged against each of the child's referrals. An unknown child answers 404."""
    require_auditor(actor)
    with uow:
        session = uow.session
        _record_history_read(session, actor=actor, child_id=child_id)
        rows = [_row(*row) for row in session.execute(
            _rows_query([col(AccessLogEntry.child_id) == child_id]).order_by(None)
            .order_by(col(AccessLogEntry.seq))).all()]
        uow.commit()
    return rows


def record_history_read(uow: SqlUnitOfWork, *, actor: Actor, child_id: str) -> None:
    """The access log filtered by one child is the child's history read: logged like an insight request, against
    each of the child's referrals (a child found by identity number or name on the auditor's log page, or
    `child_id` in the API)."""
    require_auditor(actor)
    with uow:
        _record_history_read(uow.session, actor=actor, child_id=child_id)
        uow.commit()


def _record_history_read(session: Session, *, actor: Actor, child_id: str | None) -> None:
    referrals = list(session.execute(
        select(Referral).where(col(Referral.child_id) == child_id)).scalars()) if child_id else []
    if not referrals:
        raise NotFound("No child with that identity number.")
    record_access(session, actor=actor, action=INSIGHT_ACTION, referrals=referrals, basis=INSIGHT_BASIS)


def users_and_organisations(session: Session, *, actor: Actor) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(id, name) of every user and organisation, by name: the choices of the log's filter."""
    require_auditor(actor)
    users = [(row[0], row[1]) for row in session.execute(select(User.id, User.name).order_by(col(User.name)))]
    organisations = [(row[0], row[1]) for row in session.execute(
        select(Organisation.id, Organisation.name).order_by(col(Organisation.name)))]
    return users, [*organisations, (FAMILY_ORGANISATION, FAMILY_ORGANISATION_NAME)]


def recent_retention_runs(session: Session, *, actor: Actor, limit: int = 30) -> list[RetentionRun]:
    """The retention sweep's newest runs (services/retention), for the auditor."""
    require_auditor(actor)
    return list(session.execute(select(RetentionRun).order_by(col(RetentionRun.at).desc(), col(RetentionRun.kind))
                                .limit(limit)).scalars())
