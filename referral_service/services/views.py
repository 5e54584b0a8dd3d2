"""What a reader is shown of a referral or a handover task, loaded in a few queries for one or many."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy import select as columns
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import Consent, CoReferrer, MunicipalContact, Referral
from referral_service.security.actor import Actor
from referral_service.security.guardian_privacy import guardians_seen_by


@dataclass(frozen=True)
class ChildDetails:
    """The child as one referral describes it, with the birth date from the identity number."""

    id: str
    given_name: str
    family_name: str
    birth_date: date
    home_municipality: str
    guardians: list[dict]


def child_details(referral: Referral, child: Child, *, viewer: Actor | None = None,
                  withhold_from_guardians: bool = False) -> ChildDetails:
    """`viewer`, when given, sees the guardians as the child's request to withhold from them allows."""
    return ChildDetails(id=child.id, given_name=referral.child_given_name, family_name=referral.child_family_name,
                        birth_date=child.birth_date, home_municipality=referral.child_home_municipality,
                        guardians=guardians_seen_by(viewer, referral.child_guardians,
                                                    withheld=withhold_from_guardians))


@dataclass
class ReferralView:
    referral: Referral
    child: ChildDetails
    consent: Consent | None
    municipal_contacts: list[MunicipalContact] = field(default_factory=list)
    co_referrers: list[CoReferrer] = field(default_factory=list)
    handover_id: str | None = None
    #: At creation only: the child's other open referrals, as the referrer may be told of them (duplicates).
    other_open_referrals: list[Any] | None = None
    #: The name of the child welfare partner (referral.child_welfare_org_id), "" when there is none.
    child_welfare_name: str = ""

    @property
    def etag(self) -> str:
        return etag_for(self.referral)


def names_a_version(if_match: str | None) -> bool:
    """True when the client sent If-Match with a version (not `*`): it asks to change that version only."""
    return if_match is not None and if_match.strip() != "*"


def etag_for(referral: Referral) -> str:
    return f'"{referral.id}.{referral.version}"'


def masked_national_id(birth_date: date) -> str:
    """What is shown instead of the number: the birth date and a mask."""
    return f"{birth_date:%d.%m.%y} *****"


#: What a view shows beside the referral, one query per table for any number of referrals. Built once: building a
#: statement costs more than running it on a small table, and every read and every action answers with a view.
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
_CHILDREN = select(Child).where(col(Child.id).in_(_IDS))
_CONSENTS_IN_FORCE = (select(Consent).where(col(Consent.referral_id).in_(_IDS), col(Consent.superseded_at).is_(None))
                      .order_by(col(Consent.recorded_at)))
_CONTACTS = select(MunicipalContact).where(col(MunicipalContact.referral_id).in_(_IDS))
_CURRENT_HANDOVERS = columns(Handover.referral_id, Handover.id).where(
    col(Handover.referral_id).in_(_IDS), col(Handover.transferred_to_id).is_(None))  # each one's current task
_CO_REFERRERS = select(CoReferrer).where(col(CoReferrer.referral_id).in_(_IDS))
_ORGANISATION_NAMES = columns(Organisation.id, Organisation.name).where(
    col(Organisation.id).in_(_IDS))


def _children(session: Session, ids: set[str]) -> dict[str, Child]:
    """The children, from the session where it holds them already (an action that checked the child's age)."""
    held = {i: child for i in ids if (child := session.identity_map.get(identity_key(Child, i))) is not None}
    missing = list(ids - held.keys())
    return {**held, **{c.id: c for c in session.exec(_CHILDREN, params={"ids": missing})}} if missing else held


def build_views(session: Session, referrals: list[Referral], *, viewer: Actor | None = None) -> list[ReferralView]:
    """Views for many referrals with one query per related table, as `viewer` may see them."""
    if not referrals:
        return []
    ids = [r.id for r in referrals]
    children = _children(session, {r.child_id for r in referrals})
    consents: dict[str, Consent] = {}
    for consent in session.exec(_CONSENTS_IN_FORCE, params={"ids": ids}):
        consents[consent.referral_id] = consent
    contacts: dict[str, list[MunicipalContact]] = defaultdict(list)
    for contact in session.exec(_CONTACTS, params={"ids": ids}):
        contacts[contact.referral_id].append(contact)
    handovers = dict(session.execute(_CURRENT_HANDOVERS, {"ids": ids}).all())
    co_referrers: dict[str, list[CoReferrer]] = defaultdict(list)
    for co in session.exec(_CO_REFERRERS, params={"ids": ids}):
        co_referrers[co.referral_id].append(co)
    partner_ids = list({r.child_welfare_org_id for r in referrals if r.child_welfare_org_id})
    partner_names = dict(session.execute(_ORGANISATION_NAMES, {"ids": partner_ids}).all()) if partner_ids else {}
    return [
        ReferralView(
            referral=r,
            child=child_details(r, children[r.child_id], viewer=viewer, withhold_from_guardians=bool(
                consents.get(r.id) and consents[r.id].withhold_from_guardians)),
            consent=consents.get(r.id),
            municipal_contacts=contacts[r.id],
            co_referrers=co_referrers[r.id],
            handover_id=handovers.get(r.id),
            child_welfare_name=partner_names.get(r.child_welfare_org_id or "", ""),
        )
        for r in referrals
    ]


def build_view(session: Session, referral: Referral, *, viewer: Actor | None = None) -> ReferralView:
    return build_views(session, [referral], viewer=viewer)[0]



@dataclass
class HandoverView:
    handover: Handover
    events: list[HandoverEvent]
    #: The steps the reader may take now (empty for those who only read the task).
    actions: list[str] = field(default_factory=list)
    #: The child (12-16) has asked that the guardians are not informed: the task must say so.
    withhold_from_guardians: bool = False

    @property
    def etag(self) -> str:
        return handover_etag(self.handover)


def handover_etag(handover: Handover) -> str:
    return f'"{handover.id}.{handover.version}"'
