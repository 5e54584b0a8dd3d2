"""Changing a user's roles, and deactivating a user, as the administration pages and the API do it: each change is
checked against the organisation's kind (workflows/role_fit.py) and written to the administration log."""

from __future__ import annotations

from referral_service.clock import Clock
from referral_service.domain.enums import Role
from referral_service.domain.organisation import Organisation, User
from referral_service.errors import InvalidData, NotFound, Reason
from referral_service.security.actor import Actor
from referral_service.services.admin import events
from referral_service.services.admin.directory import require_admin, role_misfit, user_facts
from referral_service.services.unit_of_work import SqlUnitOfWork

#: The code of the refusal to change one's own roles (web/views/admin_forms.py says it in Norwegian).
OWN_ROLES = "own_roles"


def change_roles(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor | None, user_id: str, roles: list[str]) -> User:
    """Give the user exactly these roles; 422 naming `roles` when one is unknown or does not fit the kind.
    `actor` None is the command line (the operator on the server)."""
    with uow:
        if actor is not None:
            require_admin(actor)
        session = uow.session
        user = session.get(User, user_id)
        if user is None:
            raise NotFound("No such user.")
        wanted = sorted(set(roles))
        if not wanted or any(role not in set(Role) for role in wanted):
            raise InvalidData("The roles cannot be changed.",
                              errors={"roles": ["Give one or more of: " + ", ".join(Role) + "."]})
        organisation = session.get(Organisation, user.organisation_id)
        if organisation is not None and (unfit := role_misfit(organisation, wanted)):
            raise InvalidData("The roles cannot be changed.", errors={"roles": [unfit]})
        before = user_facts(user)
        if actor is not None and user.id == actor.user_id and before["roles"] != wanted:
            # Nobody widens their own access (nor could the last administrator lock everyone out of the
            # administration): another administrator changes an administrator's roles.
            raise InvalidData("You cannot change your own roles.", errors={"roles": [Reason(
                OWN_ROLES, "Ask another administrator.")]})
        user.roles = wanted
        session.add(user)
        if before["roles"] != wanted:
            events.record(session, clock=clock, actor=actor, action=events.ROLES_CHANGED, target_kind="user",
                          target_id=user.id, before={"roles": before["roles"]}, after={"roles": wanted})
        uow.commit()
        return user
