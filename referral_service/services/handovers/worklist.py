"""The municipality's worklist (Tilbakehenvisninger): a page of tasks with what a coordinator triages by: the child
(name as the referral gives it, masked number, age) and who holds each task by name.

The page is read by task_list.py; the children and the holders' names for the whole page are then read in one query
each, and every referral shown is written to the access log in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.handover import Handover
from referral_service.domain.national_id import age_on
from referral_service.domain.organisation import User
from referral_service.domain.referral import Referral
from referral_service.security.actor import Actor
from referral_service.services.handovers.task_list import TaskFilter, tasks_page
from referral_service.services.pagination import Page, PageRequest
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import masked_national_id


@dataclass(frozen=True)
class TaskRow:
    """One task as the worklist shows it."""

    handover: Handover
    child_name: str
    #: The birth date and a mask (`dd.mm.yy *****`), never the number.
    child_masked_id: str
    child_age: int | None
    #: The person who holds the task, by name; None when no person does (the service, or nobody yet).
    holder_name: str | None


def _children(session: Session, referral_ids: set[str]) -> dict[str, tuple[Referral, date]]:
    """Each referral with its child's birth date, in one query."""
    if not referral_ids:
        return {}
    rows = session.exec(select(Referral, Child.birth_date).join(Child, col(Child.id) == col(Referral.child_id))
                        .where(col(Referral.id).in_(referral_ids)))
    return {referral.id: (referral, born) for referral, born in rows}


def _names(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all())


def _age(born: date | None, today: date) -> int | None:
    return age_on(born, today) if born is not None and born <= today else None


def worklist(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, wanted: PageRequest,
             tasks: TaskFilter) -> Page[TaskRow]:
    """One page of the tasks the actor may see that `tasks` keeps, each with its child and holder."""
    today = clock.today()
    with uow:
        page = tasks_page(uow.session, today=today, actor=actor, wanted=wanted, tasks=tasks)
        children = _children(uow.session, {h.referral_id for h in page.items})
        names = _names(uow.session, {h.assignee_user_id for h in page.items if h.assignee_user_id})
        uow.access_log.record(actor=actor, action="list_handovers",
                              referrals=[referral for referral, _born in children.values()])
        uow.commit()
    rows = []
    for handover in page.items:
        referral, born = children.get(handover.referral_id, (None, None))
        name = f"{referral.child_given_name} {referral.child_family_name}".strip() if referral else ""
        rows.append(TaskRow(handover=handover, child_name=name,
                            child_masked_id=masked_national_id(born) if born else "",
                            child_age=_age(born, today),
                            holder_name=names.get(handover.assignee_user_id or "")))
    return Page(items=rows, total=page.total, page=page.page, per_page=page.per_page, next_after=page.next_after,
                total_capped=page.total_capped)
