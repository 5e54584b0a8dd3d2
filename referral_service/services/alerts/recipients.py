"""Who should know: the people an alert goes to, found from organisations and roles."""

from __future__ import annotations

from sqlmodel import Session, select

from referral_service.domain.enums import OrganisationKind, Role
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.referral import CoReferrer, MunicipalContact, Referral
from referral_service.security.consent_scope import child_welfare_partner_may_know, consent_allows


def users_with_role(session: Session, *, organisation_id: str | None, role: Role) -> list[User]:
    if organisation_id is None:
        return []
    users = session.exec(select(User).where(User.organisation_id == organisation_id, User.active.is_(True)))
    return sorted((u for u in users if role.value in u.roles), key=lambda u: u.id)


def administrators(session: Session) -> list[User]:
    return sorted((u for u in session.exec(select(User).where(User.active.is_(True))) if Role.ADMIN in u.roles),
                  key=lambda u: u.id)


def municipality_of(session: Session, municipality_number: str) -> Organisation | None:
    return session.exec(
        select(Organisation)
        .where(Organisation.kind == OrganisationKind.MUNICIPALITY,
               Organisation.municipality_number == municipality_number)
        .order_by(Organisation.created_at)
    ).first()


def referrer_side(session: Session, referral: Referral) -> list[User]:
    """The referring user and the referrers at co-referring GP offices (the child's GP)."""
    people = {referral.referrer_user_id: session.get(User, referral.referrer_user_id)}
    gp_orgs = session.exec(
        select(Organisation.id)
        .join(CoReferrer, CoReferrer.organisation_id == Organisation.id)
        .where(CoReferrer.referral_id == referral.id, Organisation.kind == OrganisationKind.GP_OFFICE)
    ).all()
    for org_id in gp_orgs:
        for user in users_with_role(session, organisation_id=org_id, role=Role.REFERRER):
            people[user.id] = user
    # Consent decides who is told: PPT without consent to share with the school hears nothing more.
    kinds = dict(session.exec(select(Organisation.id, Organisation.kind).where(
        Organisation.id.in_({u.organisation_id for u in people.values() if u is not None}))).all())
    return [u for u in people.values() if u is not None and u.active
            and consent_allows(kinds.get(u.organisation_id, ""), referral, u.organisation_id)]


def _referrers_at(session: Session, referral: Referral, organisation_ids: set[str]) -> list[User]:
    """The active referrers at these organisations that the consent lets take part in the referral."""
    if not organisation_ids:
        return []
    kinds = dict(session.exec(select(Organisation.id, Organisation.kind)
                              .where(Organisation.id.in_(organisation_ids))).all())
    people = [user for org_id in sorted(kinds) if consent_allows(kinds[org_id], referral, org_id)
              for user in users_with_role(session, organisation_id=org_id, role=Role.REFERRER)]
    return people


def around_the_child(session: Session, referral: Referral) -> list[User]:
    """Everyone around the child who hears BUP's decision to hand the child back: the referrer, every
    co-referring organisation (GP, PPT, school health, child welfare), the organisations of the named
    municipal contacts, within the consent given, and the child welfare partner on its basis."""
    co_referring = set(session.exec(select(CoReferrer.organisation_id)
                                    .where(CoReferrer.referral_id == referral.id)).all())
    contacts = {org_id for org_id in session.exec(select(MunicipalContact.organisation_id)
                                                  .where(MunicipalContact.referral_id == referral.id)).all() if org_id}
    people = {u.id: u for u in referrer_side(session, referral)}
    for user in [*_referrers_at(session, referral, co_referring | contacts), *child_welfare_partner(session, referral)]:
        people.setdefault(user.id, user)
    return sorted(people.values(), key=lambda u: u.id)


def child_welfare_partner(session: Session, referral: Referral) -> list[User]:
    """The people at the child welfare partner (barnevern), when it may be told: on the duty to inform, or
    while the consent in force shares with it (workflows.partners)."""
    if not child_welfare_partner_may_know(referral):
        return []
    people = {u.id: u for role in (Role.REFERRER, Role.REFERRER_LEAD)
              for u in users_with_role(session, organisation_id=referral.child_welfare_org_id, role=role)}
    return sorted(people.values(), key=lambda u: u.id)


def invited_co_referrers(session: Session, referral: Referral, organisation_id: str) -> list[User]:
    """The referrers at an organisation invited as medhenviser, when the consent lets it take part."""
    return _referrers_at(session, referral, {organisation_id})
