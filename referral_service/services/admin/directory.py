"""Administration: organisations and users. Administrators read no child data."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from referral_service.clock import Clock
from referral_service.domain.enums import SPECIALIST_CLINIC_KINDS, Profession, Role
from referral_service.domain.municipalities import UNKNOWN, MunicipalityRegister
from referral_service.domain.organisation import Organisation, ReferralRightGrant, User
from referral_service.errors import Forbidden, InvalidData, NotFound, Reason
from referral_service.security.actor import Actor
from referral_service.security.passwords import MIN_PASSWORD_LENGTH, hash_password
from referral_service.services.admin import events
from referral_service.services.pagination import Page, paginate
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.contact_details import cleaned, contact_errors
from referral_service.workflows.role_fit import ROLE_UNFIT, ROLES_SEPARATE, joined_duties, roles_for_kind, unfit_roles


def require_admin(actor: Actor) -> None:
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only administrators manage organisations and users.")


def create_organisation(uow: SqlUnitOfWork, *, clock: Clock, municipalities: MunicipalityRegister,
                        actor: Actor | None, kind: str, name: str, municipality_number: str | None = None,
                        her_id: str | None = None, phone: str | None = None,
                        contact_hours: str | None = None) -> Organisation:
    """Register an organisation; every kind but a specialist clinic (BUP, DPS) belongs to one municipality in
    force today. `actor` None is the command line (the operator on the server)."""
    with uow:
        session = uow.session
        if actor is not None:
            require_admin(actor)
        if kind not in SPECIALIST_CLINIC_KINDS and not municipality_number:
            raise InvalidData(
                "This kind of organisation belongs to a municipality.",
                errors={"municipality_number": ["Required for every kind but bup_clinic and adult_mental_health."]},
            )
        if municipality_number and not municipalities.holds(municipality_number, clock.today()):
            raise InvalidData("No municipality in force has this number.",
                              errors={"municipality_number": [UNKNOWN]})
        phone, contact_hours = cleaned(phone), cleaned(contact_hours)
        if errors := contact_errors(phone=phone, hours=contact_hours, hours_field="contact_hours"):
            raise InvalidData("The contact details are refused.", errors=errors)
        organisation = Organisation(kind=kind, name=name.strip(), municipality_number=municipality_number,
                                    her_id=her_id, phone=phone, contact_hours=contact_hours)
        session.add(organisation)
        session.flush()
        events.record(session, clock=clock, actor=actor, action=events.ORGANISATION_CREATED,
                      target_kind="organisation", target_id=organisation.id, after=organisation_facts(organisation))
        uow.commit()
        return organisation


def organisation_facts(organisation: Organisation) -> dict[str, str | None]:
    """What the administration log keeps of an organisation."""
    return {"kind": organisation.kind, "name": organisation.name,
            "municipality_number": organisation.municipality_number}


def list_organisations(session: Session, *, actor: Actor, page: int, per_page: int,
                       kind: str | None = None) -> Page[Organisation]:
    """Organisations are directory data: every signed-in user may list them (to pick a clinic)."""
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if kind:
        query = query.where(Organisation.kind == kind)
    return paginate(session, query, page=page, per_page=per_page)


def create_user(uow: SqlUnitOfWork, *, actor: Actor | None, email: str, name: str, password: str,
                organisation_id: str, roles: list[str], profession: str = Profession.OTHER,
                hpr_number: str | None = None, clock: Clock | None = None, phone: str | None = None,
                reachable_hours: str | None = None) -> User:
    """Create a user whose roles fit the organisation's kind; `actor` None is the command line (create-admin,
    seed-demo)."""
    with uow:
        session = uow.session
        if actor is not None:
            require_admin(actor)
        email = email.strip().lower()
        errors: dict[str, list[str]] = {}
        organisation = session.get(Organisation, organisation_id)
        if organisation is None:
            errors["organisation_id"] = ["No such organisation."]
        if session.exec(select(func.count()).select_from(User).where(User.email == email)).one():
            errors["email"] = ["A user with this e-mail address already exists."]
        if hpr_number is not None and not (hpr_number.isascii() and hpr_number.isdigit() and 4 <= len(hpr_number) <= 9):
            errors["hpr_number"] = ["An HPR number is 4 to 9 digits."]
        elif hpr_number and session.exec(select(func.count()).select_from(User)
                                       .where(User.hpr_number == hpr_number)).one():
            errors["hpr_number"] = ["A user with this HPR number already exists."]
        if len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = [f"At least {MIN_PASSWORD_LENGTH} characters."]
        if not roles or any(role not in set(Role) for role in roles):
            errors["roles"] = ["Give one or more of: " + ", ".join(Role) + "."]
        elif organisation is not None and (unfit := role_misfit(organisation, roles)):
            errors["roles"] = [unfit]
        phone, reachable_hours = cleaned(phone), cleaned(reachable_hours)
        errors.update(contact_errors(phone=phone, hours=reachable_hours, hours_field="reachable_hours"))
        if errors:
            raise InvalidData("The user cannot be created.", errors=errors)
        user = User(email=email, name=name.strip(), password_hash=hash_password(password),
                    organisation_id=organisation_id, roles=sorted(set(roles)), profession=profession,
                    hpr_number=hpr_number or None, phone=phone, reachable_hours=reachable_hours)
        session.add(user)
        session.flush()
        events.record(session, clock=clock, actor=actor, action=events.USER_CREATED, target_kind="user",
                      target_id=user.id, after=user_facts(user))
        uow.commit()
        return user


def role_misfit(organisation: Organisation, roles: list[str]) -> Reason | None:
    """Why these roles cannot be held at this organisation (workflows/role_fit.py), or None when they fit."""
    unfit = unfit_roles(organisation.kind, roles)
    if not unfit:
        joined = joined_duties(roles)
        return Reason(ROLES_SEPARATE, f"The roles {' and '.join(joined)} are never held by one person.") if joined \
            else None
    allowed = ", ".join(sorted(roles_for_kind(organisation.kind))) or "none"
    return Reason(ROLE_UNFIT, f"The role(s) {', '.join(unfit)} do not fit an organisation of kind "
                              f"{organisation.kind}; it may hold: {allowed}.")


def user_facts(user: User) -> dict[str, object]:
    """What the administration log keeps of a user: never the password hash."""
    return {"email": user.email, "organisation_id": user.organisation_id, "roles": list(user.roles),
            "profession": user.profession, "active": user.active}


def get_user(session: Session, *, actor: Actor, user_id: str) -> User:
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users(session: Session, *, actor: Actor, organisation_id: str | None = None) -> list[User]:
    """The users, by organisation and name (directory data; for the administration pages)."""
    require_admin(actor)
    query = select(User).order_by(User.organisation_id, User.name, User.id)
    if organisation_id:
        query = query.where(User.organisation_id == organisation_id)
    return list(session.exec(query))


def grant_referral_right(uow: SqlUnitOfWork, *, grant: ReferralRightGrant) -> ReferralRightGrant:
    """Give a municipality's PPT or school nurses the right to refer for a period."""
    with uow:
        session = uow.session
        session.add(grant)
        uow.commit()
        return grant


def organisations_by_id(session: Session, ids: set[str | None]) -> dict[str, Organisation]:
    """The named organisations only, for showing names on a page (directory data, not child data)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(wanted)))}
