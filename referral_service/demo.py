"""Demo data: organisations, one user per role, and referral rights as in the national trials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from referral_service.domain.enums import OrganisationKind as K
from referral_service.domain.enums import Profession as P
from referral_service.domain.enums import Role as R
from referral_service.domain.organisation import Organisation, ReferralRightGrant, User
from referral_service.services.admin.directory import create_user, grant_referral_right
from referral_service.services.unit_of_work import SqlUnitOfWork

DEMO_PASSWORD = "demo-passord-2026"  # noqa: S105 - synthetic demo logins, refused in production

#: (key, kind, name, municipality number)
ORGANISATIONS = [
    ("bergen", K.MUNICIPALITY, "Bergen kommune", "4601"),
    ("askoy", K.MUNICIPALITY, "Askøy kommune", "4627"),
    ("bup", K.BUP_CLINIC, "BUP Bergen sentrum", None),
    ("bup2", K.BUP_CLINIC, "BUP Øyane", None),
    # Where a young person's care goes on at 18 (voksenpsykiatrien).
    ("dps", K.ADULT_MENTAL_HEALTH, "Bjørgvin DPS", None),
    ("ppt", K.PPT_OFFICE, "PPT Bergen", "4601"),
    ("school_bergen", K.SCHOOL_HEALTH_SERVICE, "Skolehelsetjenesten i Bergen", "4601"),
    ("school_askoy", K.SCHOOL_HEALTH_SERVICE, "Skolehelsetjenesten på Askøy", "4627"),
    ("gp", K.GP_OFFICE, "Askøy legesenter", "4627"),
    ("barnevern_askoy", K.CHILD_WELFARE, "Barneverntjenesten på Askøy", "4627"),
    ("operator", K.OPERATOR, "Driftsorganisasjonen", None),
]

#: (e-mail, name, organisation key, roles[, profession]): without one, the profession is "other".
USERS: list[tuple] = [
    ("admin@demo.example", "Ada Administrator", "operator", [R.ADMIN]),
    ("revisor@demo.example", "Reidar Revisor", "operator", [R.AUDITOR]),
    ("fastlege@askoy.example", "Frida Fastlege", "gp", [R.REFERRER], P.DOCTOR),
    ("ppt@bergen.example", "Per PP-rådgiver", "ppt", [R.REFERRER], P.PPT_ADVISER),
    ("helsesykepleier@bergen.example", "Hanne Helsesykepleier", "school_bergen", [R.REFERRER], P.SCHOOL_NURSE),
    ("helsesykepleier@askoy.example", "Heidi Helsesykepleier", "school_askoy", [R.REFERRER], P.SCHOOL_NURSE),
    ("barnevern@askoy.example", "Berit Barnevern", "barnevern_askoy", [R.REFERRER], P.CHILD_WELFARE_LEADER),
    ("inntak@bup.example", "Ingrid Inntak", "bup", [R.BUP_INTAKE], P.PSYCHOLOGIST),
    ("inntak@bup-oyane.example", "Ivar Inntak", "bup2", [R.BUP_INTAKE], P.PSYCHOLOGIST),
    ("inntak@dps-bjorgvin.example", "Dagny DPS-inntak", "dps", [R.BUP_INTAKE], P.PSYCHOLOGIST),
    ("koordinator@bergen.example", "Kari Koordinator", "bergen", [R.MUNICIPAL_COORDINATOR]),
    ("leder@bergen.example", "Lars Leder", "bergen", [R.MUNICIPAL_LEAD]),
    ("koordinator@askoy.example", "Knut Koordinator", "askoy", [R.MUNICIPAL_COORDINATOR]),
    ("leder@askoy.example", "Lise Leder", "askoy", [R.MUNICIPAL_LEAD]),
    # The leaders of the referring services: the top of the ladder for the tasks their service owns.
    ("leder@askoy-legesenter.example", "Lene Legesenterleder", "gp", [R.REFERRER_LEAD], P.DOCTOR),
    ("leder@ppt-bergen.example", "Petter PPT-leder", "ppt", [R.REFERRER_LEAD]),
    ("leder@skolehelse-bergen.example", "Siri Skolehelseleder", "school_bergen", [R.REFERRER_LEAD]),
    ("leder@skolehelse-askoy.example", "Sverre Skolehelseleder", "school_askoy", [R.REFERRER_LEAD]),
]

#: How families reach the demo's services and people: (phone, hours). Synthetic numbers in the 0xx range no one has.
ORGANISATION_CONTACTS = {
    "bergen": ("05556", "hverdager 08.00–15.30"),
    "askoy": ("05627", "hverdager 08.00–15.00"),
    "bup": ("05590", "hverdager 08.00–15.30"),
    "bup2": ("05591", "hverdager 08.00–15.30"),
    "gp": ("05600", "hverdager 08.00–16.00"),
}
PERSON_CONTACTS = {
    "koordinator@bergen.example": ("05556 1234", "mandag–torsdag 09.00–14.00"),
    "koordinator@askoy.example": ("05627 1234", "mandag–fredag 09.00–14.00"),
}


@dataclass(frozen=True)
class DemoLogin:
    email: str
    name: str
    organisation: str
    roles: list[str]


def demo_logins(uow: SqlUnitOfWork) -> list[DemoLogin]:
    """The demo's logins that are in the database (none when seed-demo has not run), in the demo's order."""
    emails = [email for email, *_ in USERS]
    with uow:
        found = {user.email: user for user in uow.session.exec(select(User).where(col(User.email).in_(emails)))}
        names = {org.id: org.name for org in uow.session.exec(select(Organisation).where(
            col(Organisation.id).in_([user.organisation_id for user in found.values()])))}
        return [DemoLogin(email, found[email].name, names.get(found[email].organisation_id, ""),
                          [str(r) for r in found[email].roles])
                for email in emails if email in found]


def seed_demo(uow: SqlUnitOfWork) -> list[DemoLogin]:
    """Create the demo data if it is not there yet; safe to run again. Returns the logins."""
    orgs: dict[str, Organisation] = {}
    with uow:
        for key, kind, name, number in ORGANISATIONS:
            org = uow.session.exec(select(Organisation).where(Organisation.name == name)).first()
            if org is None:
                org = Organisation(kind=kind, name=name, municipality_number=number)
                uow.add(org)
            if org.phone is None and key in ORGANISATION_CONTACTS:  # also demo data from before phones were kept
                org.phone, org.contact_hours = ORGANISATION_CONTACTS[key]
            orgs[key] = org
        uow.commit()
    # Bergen takes part in the trial: PPT and school nurses may refer. Askøy does not.
    for profession in (P.PPT_ADVISER, P.SCHOOL_NURSE):
        with uow:
            granted = uow.session.exec(select(ReferralRightGrant).where(
                ReferralRightGrant.municipality_number == "4601",
                ReferralRightGrant.profession == profession)).first()
        if not granted:
            grant_referral_right(uow, grant=ReferralRightGrant(
                municipality_number="4601", profession=profession, valid_from=date(2025, 1, 1),
                basis="Nasjonal utprøving: henvisningsrett for PPT og helsesykepleiere"))
    logins = []
    for email, name, org_key, roles, *given in USERS:
        with uow:
            known = uow.session.exec(select(User).where(User.email == email)).first() is not None
        if not known:
            create_user(uow, actor=None, email=email, name=name, password=DEMO_PASSWORD,
                        organisation_id=orgs[org_key].id, roles=list(roles),
                        profession=given[0] if given else P.OTHER)
        if email in PERSON_CONTACTS:
            with uow:
                user = uow.session.exec(select(User).where(User.email == email)).one()
                if user.phone is None:
                    user.phone, user.reachable_hours = PERSON_CONTACTS[email]
                    uow.commit()
        logins.append(DemoLogin(email, name, orgs[org_key].name, [str(r) for r in roles]))
    return logins
