"""Reading the directory: Organization, Practitioner and PractitionerRole. Directory data, as GET
/api/v1/organisations: every signed-in user may read it (the token is checked before the reader runs)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from referral_service.domain.municipalities import UnknownMunicipality
from referral_service.domain.organisation import Organisation, User
from referral_service.errors import NotFound
from referral_service.fhir.directory import organization, practitioner, practitioner_role
from referral_service.services.fhir.registry import FhirRequest, Resource, reads

ORGANISATION_NOT_FOUND = "No such organisation."
PERSON_NOT_FOUND = "No such practitioner."


def _organisations(session: Session, ids: Iterable[str]) -> list[Organisation]:
    wanted = sorted(set(ids))
    return list(session.exec(select(Organisation).where(col(Organisation.id).in_(wanted)))) if wanted else []


def _users(session: Session, ids: Iterable[str]) -> list[User]:
    wanted = sorted(set(ids))
    return list(session.exec(select(User).where(col(User.id).in_(wanted)))) if wanted else []


def _municipality_name(req: FhirRequest, number: str | None) -> str | None:
    if not number:
        return None
    try:
        return req.deps.municipalities.current(number, req.deps.clock.today()).name
    except UnknownMunicipality:
        return None


def organizations_for(req: FhirRequest, organisation_ids: Iterable[str]) -> list[Resource]:
    """The Organizations with these ids (unknown ones are left out); call it outside a `with req.uow:` block."""
    with req.uow:
        found = _organisations(req.uow.session, organisation_ids)
        req.uow.commit()
    return [organization(o, municipality_name=_municipality_name(req, o.municipality_number)) for o in found]


def practitioners_for(req: FhirRequest, user_ids: Iterable[str]) -> list[Resource]:
    """The Practitioners with these ids (unknown ones are left out); call it outside a `with req.uow:` block."""
    with req.uow:
        found = _users(req.uow.session, user_ids)
        req.uow.commit()
    return [practitioner(user) for user in found]


def practitioner_roles_for(req: FhirRequest, user_ids: Iterable[str]) -> list[Resource]:
    """The PractitionerRoles with these ids (a user's id: a user has one organisation); unknown ones are left
    out. Call it outside a `with req.uow:` block."""
    with req.uow:
        users = _users(req.uow.session, user_ids)
        names = {o.id: o.name for o in _organisations(req.uow.session, {u.organisation_id for u in users})}
        req.uow.commit()
    return [practitioner_role(user, organisation_name=names.get(user.organisation_id)) for user in users]


def _one(found: list[Resource], message: str) -> Resource:
    if not found:
        raise NotFound(message)
    return found[0]


@reads("Organization")
def read_organization(req: FhirRequest, organisation_id: str) -> Resource:
    return _one(organizations_for(req, [organisation_id]), ORGANISATION_NOT_FOUND)


@reads("Practitioner")
def read_practitioner(req: FhirRequest, user_id: str) -> Resource:
    return _one(practitioners_for(req, [user_id]), PERSON_NOT_FOUND)


@reads("PractitionerRole")
def read_practitioner_role(req: FhirRequest, user_id: str) -> Resource:
    return _one(practitioner_roles_for(req, [user_id]), PERSON_NOT_FOUND)
