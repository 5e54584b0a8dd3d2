"""Reading children as Patients. A child is readable by whoever may read one of the child's referrals; the newest
of those gives the content, as the REST API shows that referral to the reader (guardians as consent allows). The
identity number is shown only to those who may reveal it under /api/v1 (the referring side and the clinic), through
the same use case, so it is logged as that reveal is."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.domain.municipalities import UnknownMunicipality
from referral_service.domain.referral import Referral
from referral_service.errors import Forbidden, NotFound
from referral_service.fhir.patient import patient
from referral_service.fhir.service_request import fhir_instant
from referral_service.security.access_log import DENIED_PATIENT, record_attempt
from referral_service.security.actor import Actor
from referral_service.security.visibility import visible_referrals
from referral_service.services.fhir.registry import FhirRequest, Resource, reads
from referral_service.services.referrals.drafts import get_referral, reveal_national_id
from referral_service.services.views import ReferralView

#: The same answer for a child that does not exist and one the caller may not see.
PATIENT_NOT_FOUND = "No such patient, or it is not visible to you."


def newest_visible_referrals(session: Session, *, actor: Actor, child_ids: Iterable[str]) -> dict[str, str]:
    """child id -> the id of the newest of the child's referrals the actor may see (need-to-know)."""
    ids = set(child_ids)
    if not ids:
        return {}
    newest: dict[str, str] = {}
    rows = session.exec(select(Referral.child_id, Referral.id)
                        .where(col(Referral.child_id).in_(ids), visible_referrals(actor))
                        .order_by(col(Referral.created_at).desc(), col(Referral.id).desc()))
    for child_id, referral_id in rows:
        newest.setdefault(child_id, referral_id)
    return newest


@reads("Patient")
def read_patient(req: FhirRequest, child_id: str) -> Resource:
    """The child, from the newest referral the caller may see; 404 (the attempt logged) when there is none."""
    with req.uow:
        referral_id = newest_visible_referrals(req.uow.session, actor=req.actor, child_ids=[child_id]).get(child_id)
        if referral_id is None:
            record_attempt(req.uow.session, actor=req.actor, action=DENIED_PATIENT, requested_id=child_id)
            raise NotFound(PATIENT_NOT_FOUND)
        req.uow.commit()
    return patients_for(req, [get_referral(req.uow, actor=req.actor, referral_id=referral_id)])[0]


def _revealed_number(req: FhirRequest, referral_id: str) -> str | None:
    """The full number when the caller may see it (the reveal logged), else None."""
    try:
        return reveal_national_id(req.uow, req.deps.identity, actor=req.actor, referral_id=referral_id)
    except (Forbidden, NotFound):  # the municipality; or the number was removed after the retention period
        return None


def _municipality_name(req: FhirRequest, number: str) -> str | None:
    try:
        return req.deps.municipalities.current(number, req.deps.clock.today()).name
    except UnknownMunicipality:
        return None


def patients_for(req: FhirRequest, views: list[ReferralView]) -> list[Resource]:
    """One Patient per child of `views` (the first view of each child gives its content): referrals the caller
    was shown, and logged. Call it outside a `with req.uow:` block: each reveal of a number is a use case."""
    chosen: dict[str, ReferralView] = {}
    for view in views:
        chosen.setdefault(view.referral.child_id, view)
    numbers = {child_id: _revealed_number(req, view.referral.id) for child_id, view in chosen.items()}
    with req.uow:
        children = {c.id: (c.synthetic, c.national_id_kind)
                    for c in req.uow.session.exec(select(Child).where(col(Child.id).in_(list(chosen))))}
        req.uow.commit()
    resources = []
    for child_id, view in chosen.items():
        synthetic, kind = children[child_id]
        resources.append(patient(view.child, last_updated=fhir_instant(view.referral.updated_at),
                                 synthetic=synthetic, number=numbers[child_id], number_kind=kind,
                                 municipality_name=_municipality_name(req, view.child.home_municipality),
                                 interpreter_needed=view.referral.interpreter_needed,
                                 interpreter_language=view.referral.interpreter_language))
    return resources
