"""How the family reaches the people and services that hold a child's case (issue 14): a user's phone and when they
can be reached, an organisation's phone and contact hours. The family page and the letters name them
(services/family/responsible.py). An administrator sets them for anyone; a user sets their own. Each change is in the
administration log."""

from __future__ import annotations

from referral_service.clock import Clock
from referral_service.domain.organisation import Organisation, User
from referral_service.errors import Forbidden, InvalidData, NotFound
from referral_service.security.actor import Actor
from referral_service.services.admin import events
from referral_service.services.admin.directory import require_admin
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.contact_details import cleaned, contact_errors

#: The administration log's action.
CONTACT_CHANGED = "contact_changed"


def set_user_contact(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, user_id: str, phone: str | None,
                     reachable_hours: str | None) -> User:
    """An administrator sets anyone's phone and hours; a user their own. 422 on a bad phone or too long hours."""
    if actor.user_id != user_id:
        require_admin(actor)
    phone, reachable_hours = cleaned(phone), cleaned(reachable_hours)
    if errors := contact_errors(phone=phone, hours=reachable_hours, hours_field="reachable_hours"):
        raise InvalidData("The contact details are refused.", errors=errors)
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        if not user.active:
            raise Forbidden("The user is deactivated.")
        before = {"phone": user.phone, "reachable_hours": user.reachable_hours}
        user.phone, user.reachable_hours = phone, reachable_hours
        events.record(uow.session, clock=clock, actor=actor, action=CONTACT_CHANGED, target_kind="user",
                      target_id=user.id, before=before, after={"phone": phone, "reachable_hours": reachable_hours})
        uow.commit()
        return user


def set_organisation_contact(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor | None, organisation_id: str,
                             phone: str | None, contact_hours: str | None) -> Organisation:
    """An administrator sets an organisation's phone and contact hours (`actor` None: the command line)."""
    if actor is not None:
        require_admin(actor)
    phone, contact_hours = cleaned(phone), cleaned(contact_hours)
    if errors := contact_errors(phone=phone, hours=contact_hours, hours_field="contact_hours"):
        raise InvalidData("The contact details are refused.", errors=errors)
    with uow:
        organisation = uow.session.get(Organisation, organisation_id)
        if organisation is None:
            raise NotFound("No such organisation.")
        before = {"phone": organisation.phone, "contact_hours": organisation.contact_hours}
        organisation.phone, organisation.contact_hours = phone, contact_hours
        events.record(uow.session, clock=clock, actor=actor, action=CONTACT_CHANGED, target_kind="organisation",
                      target_id=organisation.id, before=before, after={"phone": phone, "contact_hours": contact_hours})
        uow.commit()
        return organisation
