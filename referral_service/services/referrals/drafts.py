"""Referral use cases: create, edit a draft, read, list, completeness, co-referrers."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.db import insert_with_on_conflict
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.enums import (
    SPECIALIST_CLINIC_KINDS,
    OrganisationKind,
    ReferralAction,
    ReferralStatus,
    Role,
    ShareWith,
)
from referral_service.domain.municipalities import MunicipalityRegister, UnknownMunicipality
from referral_service.domain.national_id import BIRTH_DATE_CODES, InvalidNationalId
from referral_service.domain.organisation import Organisation
from referral_service.domain.referral import (
    Consent,
    CoReferrer,
    IdempotencyRecord,
    MunicipalContact,
    Referral,
    ReferralEvent,
)
from referral_service.errors import Conflict, Forbidden, InvalidData, NotFound
from referral_service.security.access_log import record_access
from referral_service.security.actor import Actor
from referral_service.security.identity_numbers import IdentityNumbers
from referral_service.security.visibility import parties_of
from referral_service.services.referrals.actions import draft_of
from referral_service.services.referrals.duplicates import other_open_referrals
from referral_service.services.referrals.events import record_event
from referral_service.services.referrals.guardian_identities import (
    guardian_number_errors,
    replace_guardian_identities,
    without_numbers,
)
from referral_service.services.referrals.guards import check_if_match, require_party
from referral_service.services.referrals.partners import apply_partners_and_needs, check_partners_and_needs
from referral_service.services.referrals.queries import (
    current_consent,
    events_of,
)
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.services.views import ReferralView, build_view, child_details
from referral_service.workflows.age_range import age_refusal
from referral_service.workflows.completeness import Missing, missing_items
from referral_service.workflows.referral_lifecycle import Party

#: Content fields a referrer may change while the referral is a draft.
DRAFT_FIELDS = ("reasons", "description", "urgency", "measures_tried", "child_view", "attachments")


#: Statements every new referral runs, built once (building one costs more than running it).
_ORGANISATIONS = select(Organisation).where(col(Organisation.id).in_(bindparam("ids", expanding=True)))
#: A child by number: under any key's blind index (one not yet re-indexed by `keys rotate` has an older key's).
_CHILD_BY_NUMBER = select(Child).where(col(Child.national_id_index).in_(bindparam("indexes", expanding=True)))


def _require_referrer(actor: Actor) -> None:
    if not actor.has_role(Role.REFERRER):
        raise Forbidden("Only referrers write referrals.")


def _key_digest(key: str) -> str:
    """Keys are stored hashed: any length, and two keys never collide by truncation."""
    return hashlib.sha256(key.encode()).hexdigest()


def _request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _load_organisations(session: Session, data: dict[str, Any]) -> dict[str, Organisation]:
    """The organisations the body names, in one query; while the caller holds them, the session finds them again
    without asking the database (its identity map holds only what someone references)."""
    ids = {data.get("clinic_id"), (data.get("child_welfare") or {}).get("organisation_id"),
           *(contact.get("organisation_id") for contact in data.get("municipal_contacts") or [])} - {None}
    if not ids:
        return {}
    return {o.id: o for o in session.exec(_ORGANISATIONS, params={"ids": list(ids)})}


def _check_organisations(session: Session, data: dict[str, Any]) -> dict[str, Organisation]:
    """The organisations the body names (422 for those that do not exist)."""
    named = _load_organisations(session, data)
    errors: dict[str, list[str]] = {}
    if "clinic_id" in data:
        clinic = named.get(data["clinic_id"])
        if clinic is None or clinic.kind != OrganisationKind.BUP_CLINIC:
            errors["clinic_id"] = ["No BUP clinic with this id."]
    for i, contact in enumerate(data.get("municipal_contacts") or []):
        if contact.get("organisation_id") and contact["organisation_id"] not in named:
            errors[f"municipal_contacts.{i}.organisation_id"] = ["No organisation with this id."]
    if errors:
        raise InvalidData("The referral refers to organisations that do not exist.", errors=errors)
    return named


def _place_child(municipalities: MunicipalityRegister, clock: Clock, data: dict[str, Any]) -> dict[str, list[str]]:
    """The child's home municipality as the register holds it today (a number from before a reform becomes
    its successor's); the refusal by field when no municipality, or more than one, holds it."""
    child = data.get("child")
    if not child or "home_municipality" not in child:
        return {}
    try:
        child["home_municipality"] = municipalities.current(child["home_municipality"], clock.today()).number
    except UnknownMunicipality as exc:
        return {"child.home_municipality": [exc.reason]}
    return {}


def _the_child(session: Session, identity: IdentityNumbers, municipalities: MunicipalityRegister, clock: Clock,
               data: dict[str, Any]) -> tuple[Child | None, bool]:
    """The child the draft describes (None when it names no new identity number), with its home municipality
    as today's, and whether this request registered it; every refusal about the child at once (422)."""
    errors = _place_child(municipalities, clock, data)
    child, registered = None, False
    try:
        if data.get("child", {}).get("national_id"):
            child, registered = _find_or_register_child(session, identity, clock, data["child"])
    except InvalidData as invalid:
        errors = {**errors, **(invalid.errors or {})}
    errors.update(guardian_number_errors(identity, (data.get("child") or {}).get("guardians") or []))
    if errors:
        raise InvalidData("The child's details are not valid.", errors=errors)
    return child, registered


def _find_or_register_child(session: Session, identity: IdentityNumbers, clock: Clock,
                            child_data: dict[str, Any]) -> tuple[Child, bool]:
    try:
        national_id = identity.parse(child_data["national_id"], birth_date=child_data.get("birth_date"))
    except InvalidNationalId as exc:
        # The message names the fault, never the number.
        if exc.code in BIRTH_DATE_CODES:
            raise InvalidData("The birth date does not fit the identity number.",
                              errors={"child.birth_date": [exc.reason]}) from None
        raise InvalidData("The identity number is not valid.",
                          errors={"child.national_id": [exc.reason]}) from None
    indexes = identity.vault.blind_indexes(national_id.value)
    child = session.exec(_CHILD_BY_NUMBER, params={"indexes": indexes}).first()
    if child is not None and national_id.birth_date_given:
        _check_birth_date_kept(child, national_id.birth_date)
    _check_age(child.birth_date if child is not None else national_id.birth_date, clock)
    if child is not None:
        return child, False
    child = Child(
        national_id_ciphertext=identity.vault.encrypt(national_id.value),
        national_id_index=indexes[0],
        national_id_kind=national_id.kind,
        synthetic=national_id.synthetic,
        birth_date=national_id.birth_date,
        given_name="",
        family_name="",
        home_municipality=child_data["home_municipality"],
    )
    _describe(child, child_data)  # the first description stays on the shared row
    if not _register(session, child):
        return session.exec(_CHILD_BY_NUMBER, params={"indexes": indexes}).one(), False
    return child, True


@cache
def _insert_unless_registered(dialect_name: str) -> Any:
    """One INSERT ... ON CONFLICT DO NOTHING on the identity number's index, built once per dialect; a row comes
    back only if it was stored (psycopg tells no rowcount here)."""
    table = Child.__table__
    return (insert_with_on_conflict(dialect_name, table)
            .on_conflict_do_nothing(index_elements=[table.c.national_id_index]).returning(table.c.id))


def _register(session: Session, child: Child) -> bool:
    """Store the child unless a concurrent request has just registered the same number (the unique index decides,
    not the look-up before), not a savepoint around an INSERT."""
    columns = Child.__table__.columns
    inserted = session.execute(_insert_unless_registered(session.get_bind().dialect.name),
                               {column.name: getattr(child, column.name) for column in columns}).first() is not None
    if inserted:
        # The session takes the row as stored, as if it had inserted it itself.
        make_transient_to_detached(child)
        session.add(child)
    return inserted


def _check_birth_date_kept(child: Child, birth_date: date) -> None:
    """A birth date given for a child already registered must be the one it was registered with."""
    if birth_date != child.birth_date:
        raise InvalidData("The birth date given does not agree with the child's registered birth date.",
                          errors={"child.birth_date": [InvalidNationalId("birth_date_conflict").reason]})


def _check_age(birth_date: date, clock: Clock) -> None:
    """The child must be within the service's ages today (422 by the birth date, else)."""
    refusal = age_refusal(birth_date, clock.today())
    if refusal is not None:
        raise InvalidData("The child is outside the ages the service covers.",
                          errors={"child.birth_date": [refusal.reason]})


def _describe(child: Child, child_data: dict[str, Any]) -> None:
    child.given_name = child_data["given_name"].strip()
    child.family_name = child_data["family_name"].strip()
    child.home_municipality = child_data["home_municipality"]
    child.guardians = without_numbers(child_data.get("guardians") or [])


def _describe_child_on(referral: Referral, child_data: dict[str, Any]) -> None:
    """What this referral says about the child; it changes no other referral of the same child."""
    referral.child_given_name = child_data["given_name"].strip()
    referral.child_family_name = child_data["family_name"].strip()
    referral.child_home_municipality = child_data["home_municipality"]
    referral.child_guardians = without_numbers(child_data.get("guardians") or [])


def _share_as(referral: Referral, consent: dict[str, Any]) -> None:
    """What the referral is shared with, as the consent says."""
    scope = set(consent.get("share_with") or [])
    referral.shared_with_municipality = ShareWith.MUNICIPALITY in scope
    referral.shared_with_school = ShareWith.SCHOOL in scope
    referral.shared_with_child_welfare = ShareWith.CHILD_WELFARE in scope


def record_consent(session: Session, *, referral: Referral, actor: Actor, consent: dict[str, Any],
                   now, first: bool = False) -> Consent:
    """The new consent record supersedes the old one (`first`: the new referral has none); what is shared
    follows it from now on."""
    old = None if first else current_consent(session, referral.id)
    if old is not None:
        old.superseded_at = now
    _share_as(referral, consent)
    if not first:  # the check-ins of its closed tasks carry the municipal sharing for their list (check_in.py)
        session.execute(update(CheckIn).where(col(CheckIn.referral_id) == referral.id)
                        .values(shared_with_municipality=referral.shared_with_municipality))
    record = Consent(
        referral_id=referral.id,
        given_by=sorted(set(consent.get("given_by") or [])),
        share_with=sorted(set(consent.get("share_with") or [])),
        recorded_on=consent.get("recorded_on"),
        withhold_from_guardians=bool(consent.get("withhold_from_guardians")),
        recorded_by_user_id=actor.user_id,
        recorded_at=now,
    )
    session.add(record)
    return record


def _add_contacts(session: Session, *, referral: Referral, contacts: list[dict[str, Any]]) -> list[MunicipalContact]:
    rows = [MunicipalContact(referral_id=referral.id, role=contact["role"], name=contact["name"],
                             organisation_id=contact.get("organisation_id")) for contact in contacts]
    session.add_all(rows)
    return rows


def _replace_contacts(session: Session, *, referral: Referral, contacts: list[dict[str, Any]]) -> None:
    for old in session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == referral.id)):
        session.delete(old)
    _add_contacts(session, referral=referral, contacts=contacts)


def create_referral(uow: SqlUnitOfWork, *, clock: Clock, identity: IdentityNumbers,
                    municipalities: MunicipalityRegister, actor: Actor, data: dict[str, Any],
                    idempotency_key: str | None = None) -> tuple[ReferralView, bool]:
    """A new draft referral; returns the view and whether it was created now (not replayed)."""
    with uow:
        session = uow.session
        _require_referrer(actor)
        request_hash = _request_hash(data)
        idempotency_key = _key_digest(idempotency_key) if idempotency_key else None
        if idempotency_key:
            replay = _replay(uow, actor=actor, key=idempotency_key, request_hash=request_hash)
            if replay is not None:
                return replay, False
        named = _check_organisations(session, data)
        check_partners_and_needs(session, data=data, share_with=(data.get("consent") or {}).get("share_with") or [])
        child, registered_now = _the_child(session, identity, municipalities, clock, data)
        assert child is not None  # a new referral always names the child's identity number (ReferralIn)
        now = clock.now()
        referral = Referral(
            child_id=child.id,
            status=ReferralStatus.DRAFT,
            referrer_user_id=actor.user_id,
            referrer_org_id=actor.organisation_id,
            referrer_kind=actor.organisation_kind,
            clinic_id=data["clinic_id"],
            created_at=now,
            updated_at=now,
            **{name: data[name] for name in DRAFT_FIELDS if name in data},
        )
        _describe_child_on(referral, data["child"])
        _share_as(referral, data.get("consent") or {})
        session.add(referral)
        # The referral's row goes first, whole (the rows below refer to it, and without ORM relationships the
        # flush would not know to order them after it); the rest is written once, at the commit.
        session.flush()
        with session.no_autoflush:
            consent = record_consent(session, referral=referral, actor=actor, consent=data.get("consent") or {},
                                     now=now, first=True)
            contacts = _add_contacts(session, referral=referral, contacts=data.get("municipal_contacts") or [])
            replace_guardian_identities(session, identity, referral=referral,
                                        guardians=data["child"].get("guardians") or [], new=True)
            # Which kind of number identifies the child (an FH-number is to be replaced by a fødselsnummer later).
            record_event(uow, clock, referral=referral, action=ReferralAction.CREATE, from_status=None, actor=actor,
                         data={"child_id_kind": child.national_id_kind})
            apply_partners_and_needs(uow, clock, actor=actor, referral=referral, data=data)
            record_access(session, actor=actor, action="create", referrals=[referral])
            # Another open referral of the same child (from anyone) is told at once, as a notice (need-to-know);
            # a child registered by this request has none.
            others = [] if registered_now else other_open_referrals(session, actor=actor, referral=referral)
            if idempotency_key:
                session.add(IdempotencyRecord(user_id=actor.user_id, key=idempotency_key, request_hash=request_hash,
                                              referral_id=referral.id))
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent request with the same key won; answer with its result.
            uow.rollback()
            replay = _replay(uow, actor=actor, key=idempotency_key,
                             request_hash=request_hash) if idempotency_key else None
            if replay:
                return replay, False
            raise
        # The answer is what was just written, from memory: a new draft has no co-referrer and no handover yet.
        partner = named.get(referral.child_welfare_org_id or "")
        return ReferralView(referral=referral, child=child_details(referral, child), consent=consent,
                            municipal_contacts=contacts, child_welfare_name=partner.name if partner else "",
                            other_open_referrals=others), True


def _replay(uow: SqlUnitOfWork, *, actor: Actor, key: str, request_hash: str) -> ReferralView | None:
    """The referral an earlier request with this key created, read again (and logged as a read)."""
    session = uow.session
    record = session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key)
    ).first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise InvalidData("This Idempotency-Key was used with a different request body.",
                          errors={"Idempotency-Key": ["Already used for another request."]})
    referral = session.get(Referral, record.referral_id)
    assert referral is not None  # a foreign key guarantees it
    view = build_view(session, referral, viewer=actor)
    record_access(session, actor=actor, action="read", referrals=[referral])
    uow.commit()
    return view


def update_draft(uow: SqlUnitOfWork, *, clock: Clock, identity: IdentityNumbers,
                 municipalities: MunicipalityRegister, actor: Actor, referral_id: str, data: dict[str, Any],
                 if_match: str | None, invite_organisation_id: str | None = None) -> ReferralView:
    """Change a draft's content (and invite a co-referrer with it); only the referring side, only while it is
    a draft. All of it is saved, or none of it."""
    with uow:
        session = uow.session
        # Visibility first: a referral the actor may not see answers 404 whatever their role (rule 5).
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        _require_referrer(actor)
        require_party(uow.referrals, actor=actor, referral=referral, party=Party.REFERRER)
        check_if_match(referral, if_match)
        if referral.status != ReferralStatus.DRAFT:
            raise Conflict("Only a draft can be edited.")
        _check_organisations(session, data)
        in_force = current_consent(session, referral.id)
        share_with = (data["consent"].get("share_with") or [] if "consent" in data
                      else (in_force.share_with if in_force else []))
        check_partners_and_needs(session, data=data, share_with=share_with)
        child, _registered = _the_child(session, identity, municipalities, clock, data)
        if child is None and (data.get("child") or {}).get("birth_date"):
            # Without a new number the child stays; a birth date given with it must be the registered one.
            _check_birth_date_kept(uow.referrals.child_of(referral), data["child"]["birth_date"])
        uow.referrals.claim_version(referral, if_match=if_match)
        if child is not None:
            session.flush()
            referral.child_id = child.id
        if "child" in data:
            # Without a number the child stays the same one; only what this referral says changes.
            _describe_child_on(referral, data["child"])
            replace_guardian_identities(session, identity, referral=referral,
                                        guardians=data["child"].get("guardians") or [])
        for name in (*DRAFT_FIELDS, "clinic_id"):
            if name in data:
                setattr(referral, name, data[name])
        if "consent" in data:
            record_consent(session, referral=referral, actor=actor, consent=data["consent"], now=clock.now())
        if "municipal_contacts" in data:
            _replace_contacts(session, referral=referral, contacts=data["municipal_contacts"])
        apply_partners_and_needs(uow, clock, actor=actor, referral=referral, data=data)
        referral.updated_at = clock.now()
        record_access(session, actor=actor, action="update", referrals=[referral])
        if invite_organisation_id:
            _invite(uow, clock, actor=actor, referral=referral, organisation_id=invite_organisation_id,
                    version_claimed=True)
        view = build_view(session, referral)  # in the transaction: the answer is what this commit stores
        uow.commit()
        return view


def get_referral(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str) -> ReferralView:
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        view = build_view(session, referral, viewer=actor)
        record_access(session, actor=actor, action="read", referrals=[referral])
        uow.commit()
        return view


def list_events(uow: SqlUnitOfWork, *, actor: Actor, referral_id: str) -> list[ReferralEvent]:
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        events = events_of(session, referral.id)
        record_access(session, actor=actor, action="read_events", referrals=[referral])
        uow.commit()
        return events


def check_completeness(uow: SqlUnitOfWork, clock: Clock, *, municipalities: MunicipalityRegister, actor: Actor,
                       referral_id: str) -> list[Missing]:
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        missing = missing_items(draft_of(uow.referrals, referral, today=clock.today(), municipalities=municipalities))
        record_access(session, actor=actor, action="check_completeness", referrals=[referral])
        uow.commit()
        return missing


def invite_co_referrer(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str,
                       organisation_id: str, if_match: str | None = None) -> ReferralView:
    """Let another organisation around the child take part as medhenviser."""
    with uow:
        # Visibility first: a referral the actor may not see answers 404 whatever their role (rule 5).
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        _require_referrer(actor)
        require_party(uow.referrals, actor=actor, referral=referral, party=Party.REFERRER)
        check_if_match(referral, if_match)
        _invite(uow, clock, actor=actor, referral=referral, organisation_id=organisation_id, version_claimed=False,
                if_match=if_match)
        view = build_view(uow.session, referral)  # in the transaction: the answer is what this commit stores
        uow.commit()
        return view


def _invite(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral: Referral, organisation_id: str,
            version_claimed: bool, if_match: str | None = None) -> None:
    """Add the co-referrer, unless it takes part already, in the caller's unit of work."""
    session = uow.session
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind in SPECIALIST_CLINIC_KINDS:
        raise InvalidData("No such municipal organisation.", errors={"organisation_id": ["No such organisation."]})
    if referral.status not in (ReferralStatus.DRAFT, ReferralStatus.INFORMATION_REQUESTED,
                               ReferralStatus.SUBMITTED):
        raise Conflict("Co-referrers can only be added while the referral is open for the referrer.")
    exists = session.exec(select(CoReferrer).where(CoReferrer.referral_id == referral.id,
                                                   CoReferrer.organisation_id == organisation_id)).first()
    if exists is not None or organisation_id == referral.referrer_org_id:
        return
    if not version_claimed:
        uow.referrals.claim_version(referral, if_match=if_match)
    session.add(CoReferrer(referral_id=referral.id, organisation_id=organisation_id,
                           invited_by_user_id=actor.user_id, invited_at=clock.now()))
    record_event(uow, clock, referral=referral, action=ReferralAction.INVITE_CO_REFERRER,
                 from_status=referral.status, actor=actor, data={"organisation_id": organisation_id})
    record_access(session, actor=actor, action="invite_co_referrer", referrals=[referral])


#: While the child is with BUP, the referring side may name who in the municipality is around the child.
CONTACTS_OPEN_IN = (ReferralStatus.DRAFT, ReferralStatus.SUBMITTED, ReferralStatus.INFORMATION_REQUESTED,
                    ReferralStatus.ACCEPTED, ReferralStatus.IN_TREATMENT)


def update_municipal_contacts(uow: SqlUnitOfWork, clock: Clock, *, actor: Actor, referral_id: str,
                              contacts: list[dict[str, Any]], if_match: str | None = None) -> ReferralView:
    """The referring side names the people in the municipality around the child, also after submission."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        require_party(uow.referrals, actor=actor, referral=referral, party=Party.REFERRER)
        check_if_match(referral, if_match)
        if referral.status not in CONTACTS_OPEN_IN:
            raise Conflict("The municipal contacts can only change while the child is with BUP.")
        _check_organisations(session, {"municipal_contacts": contacts})
        uow.referrals.claim_version(referral, if_match=if_match)
        _replace_contacts(session, referral=referral, contacts=contacts)
        referral.updated_at = clock.now()
        record_event(uow, clock, referral=referral, action=ReferralAction.UPDATE_MUNICIPAL_CONTACTS,
                     from_status=referral.status, actor=actor, data={"count": len(contacts)})
        record_access(session, actor=actor, action="update_municipal_contacts", referrals=[referral])
        view = build_view(session, referral, viewer=actor)  # in the transaction: the answer is what it stores
        uow.commit()
        return view


def reveal_national_id(uow: SqlUnitOfWork, identity: IdentityNumbers, *, actor: Actor, referral_id: str) -> str:
    """The child's full identity number, for the referring side and BUP only; the reveal is logged."""
    with uow:
        session = uow.session
        referral = uow.referrals.get_visible(actor=actor, referral_id=referral_id)
        if not parties_of(session, actor=actor, referral=referral):
            raise Forbidden("Only the referring side and the receiving clinic may see the full identity number.")
        ciphertext = uow.referrals.child_of(referral).national_id_ciphertext
        if not ciphertext:  # anonymised after the retention period (services/retention): there is none to reveal
            raise NotFound("The identity number was removed after the retention period.")
        number = identity.vault.decrypt(ciphertext)
        record_access(session, actor=actor, action="reveal_national_id", referrals=[referral])
        uow.commit()
        return number

