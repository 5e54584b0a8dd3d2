"""POST /fhir with a transaction Bundle: a new draft referral, through the REST API's schema and service.

The Bundle is read back into the body of `POST /api/v1/referrals` (`fhir/inbound.py`), loaded by the same
`ReferralIn` schema and created by the same `create_referral` in one unit of work: the same rules, the same
idempotency, never submitted. Every field error the schema or the service raises is told at the FHIR element it
came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlmodel import col, select

from referral_service.api.problems import flatten_messages
from referral_service.domain.enums import OrganisationKind, ShareWith
from referral_service.domain.organisation import Organisation
from referral_service.errors import InvalidData
from referral_service.fhir.inbound import InboundReferral, read_transaction
from referral_service.schemas.referrals import ReferralIn
from referral_service.services.fhir.registry import FhirRequest
from referral_service.services.referrals.drafts import create_referral
from referral_service.services.views import ReferralView

#: What a consent shares with, by the kind of the Organization a Consent names as recipient.
SHARE_WITH_BY_KIND = {OrganisationKind.BUP_CLINIC: ShareWith.BUP, OrganisationKind.MUNICIPALITY:
                      ShareWith.MUNICIPALITY, OrganisationKind.SCHOOL_HEALTH_SERVICE: ShareWith.SCHOOL,
                      OrganisationKind.CHILD_WELFARE: ShareWith.CHILD_WELFARE}
#: The idempotency key derived from a ServiceRequest's business identifier (its own namespace: no REST key
#: can collide with it).
IDENTIFIER_KEY_PREFIX = "fhir:ServiceRequest.identifier:"
REUSED_IDENTIFIER = "This identifier was sent before with a different referral."


@dataclass(frozen=True)
class TransactionResult:
    """The draft the Bundle created (or an earlier identical one), and the Bundle's request entries in order."""

    view: ReferralView
    created: bool
    entries: list[str]


def create_draft_from_bundle(req: FhirRequest, *, bundle: Any, idempotency_key: str | None) -> TransactionResult:
    """A new draft referral from a transaction Bundle, all or nothing; 422 with FHIR paths for what is wrong."""
    inbound = read_transaction(bundle)
    _resolve_organisations(req, inbound)
    try:
        body = ReferralIn().load(inbound.body)
    except ValidationError as invalid:
        raise InvalidData("The referral in the Bundle is not valid.",
                          errors=_at_fhir_paths(inbound, flatten_messages(invalid.messages))) from None
    key = idempotency_key or (IDENTIFIER_KEY_PREFIX + inbound.identifier if inbound.identifier else None)
    try:
        view, created = create_referral(req.uow, clock=req.deps.clock, identity=req.deps.identity,
                                        municipalities=req.deps.municipalities, actor=req.actor, data=body,
                                        idempotency_key=key)
    except InvalidData as invalid:
        raise InvalidData(invalid.detail, errors=_at_fhir_paths(inbound, invalid.errors or {},
                                                 from_identifier=idempotency_key is None)) from None
    return TransactionResult(view=view, created=created, entries=inbound.entries)


def _resolve_organisations(req: FhirRequest, inbound: InboundReferral) -> None:
    """The clinic named by its HER-id, and the kinds of the Organizations a Consent shares with (422 by path)."""
    if inbound.clinic_her_id is None and not inbound.recipient_organisations:
        return
    errors: dict[str, list[str]] = {}
    with req.uow.reading() as uow:
        if inbound.clinic_her_id is not None:
            clinic = uow.session.exec(select(Organisation).where(
                Organisation.her_id == inbound.clinic_her_id,
                Organisation.kind == OrganisationKind.BUP_CLINIC)).first()
            if clinic is None:
                errors[inbound.origins["clinic_id"]] = ["No BUP clinic with this HER-id."]
            else:
                inbound.body["clinic_id"] = clinic.id
        named = {o.id: o for o in uow.session.exec(select(Organisation).where(
            col(Organisation.id).in_(list(inbound.recipient_organisations))))} if inbound.recipient_organisations \
            else {}
    consent = inbound.body.setdefault("consent", {"share_with": []})
    for organisation_id, path in inbound.recipient_organisations.items():
        kind = named[organisation_id].kind if organisation_id in named else None
        if kind not in SHARE_WITH_BY_KIND:
            errors[path] = ["No organisation of a kind a consent may share with has this id."]
        else:
            consent["share_with"].append(SHARE_WITH_BY_KIND[OrganisationKind(kind)].value)
    if errors:
        raise InvalidData("The Bundle names organisations that do not exist.", errors=errors)


def _at_fhir_paths(inbound: InboundReferral, errors: dict[str, list[str]], *,
                   from_identifier: bool = False) -> dict[str, list[str]]:
    """The REST field errors keyed by the FHIR elements the fields came from (the message stays the service's)."""
    located: dict[str, list[str]] = {}
    for body_field, messages in errors.items():
        if body_field == "Idempotency-Key" and from_identifier and "identifier" in inbound.origins:
            # The key was derived from the ServiceRequest's identifier: it is what was sent twice.
            path, messages = inbound.origins["identifier"], [REUSED_IDENTIFIER]
        elif body_field == "Idempotency-Key":
            path = "_schema"  # a header is no element of the Bundle
        else:
            path = inbound.fhir_path(body_field) or "Bundle"
        located.setdefault(path, []).extend(messages)
    return located
