"""Referrals: create, list, read, edit a draft, completeness, events, co-referrers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, guarded_change, problems
from referral_service.api.paging import list_answer, page_request
from referral_service.api.presenters import case_payload, referral_payload
from referral_service.schemas.cases import CaseOut
from referral_service.schemas.referrals import (
    CompletenessOut,
    ConsentIn,
    CoReferrerIn,
    EventList,
    MergeIn,
    MoveIn,
    MunicipalContactsIn,
    NationalIdOut,
    OtherOpenReferralList,
    ReferralIn,
    ReferralListArgs,
    ReferralOut,
    ReferralPage,
    ReferralPatch,
)
from referral_service.services.cases.read_model import child_case
from referral_service.services.referrals import consent as consent_changes
from referral_service.services.referrals import drafts as referrals
from referral_service.services.referrals import duplicates
from referral_service.services.referrals import move as moves
from referral_service.services.referrals import queries as referral_lists

blp = Blueprint("referrals", __name__, description="Referrals (henvisninger)")
authenticated(blp)


def with_etag(view):
    return referral_payload(view), {"ETag": view.etag}


def _reads(rule: str, response: type) -> Callable[[Any], Any]:
    """A GET of one referral or what belongs to it: 200 with `response`, or 401, or 404 when not visible."""

    def decorate(view: Any) -> Any:
        view = blp.response(200, response)(view)
        return blp.route(rule, methods=["GET"])(view)

    return decorate


@blp.route("/referrals", methods=["POST"])
@blp.arguments(ReferralIn())  # an instance: given the class, webargs builds the schema and its nested ones per request
@blp.response(201, ReferralOut)
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                      "schema": {"type": "string", "maxLength": 1000}}])
@problems(blp, 403)
def create_referral(body: dict):
    """Create a referral.

    A referrer's draft for a child (201 with its id and ETag). A retry with the same `Idempotency-Key` and
    body answers the first result and creates nothing new.
    """
    key = request.headers.get("Idempotency-Key") or None
    view, _created = referrals.create_referral(unit_of_work(), clock=deps().clock, identity=deps().identity,
                                               municipalities=deps().municipalities,
                                               actor=current_actor(), data=body, idempotency_key=key)
    return with_etag(view)


@blp.route("/referrals", methods=["GET"])
@blp.arguments(ReferralListArgs, location="query")
@blp.response(200, ReferralPage)
def list_referrals(args: dict):
    """List referrals.

    Those you take part in, filtered by status or overdue; paged by number or by cursor (the `Link` header
    names the next page).
    """
    actor = current_actor()
    page = referral_lists.list_referrals(unit_of_work(), deps().clock, actor=actor,
                                         wanted=page_request(args, actor=actor), **args)
    return list_answer(page, actor=actor, present=referral_payload)


@_reads("/referrals/<referral_id>", ReferralOut)
def get_referral(referral_id: str):
    """Read one referral.

    With its status, deadlines, consent and the people around the child, and its ETag for If-Match on the
    next change.
    """
    return with_etag(referrals.get_referral(unit_of_work(), actor=current_actor(), referral_id=referral_id))


@guarded_change(blp, "/referrals/<referral_id>", method="PATCH", body=ReferralPatch(), response=ReferralOut)
def update_referral(body: dict, referral_id: str):
    """Edit a draft referral.

    Only the referring side, only while it is a draft; all of it is saved, or none of it.
    """
    view = referrals.update_draft(unit_of_work(), clock=deps().clock, identity=deps().identity,
                                  municipalities=deps().municipalities, actor=current_actor(),
                                  referral_id=referral_id, data=body, if_match=if_match())
    return with_etag(view)


@_reads("/referrals/<referral_id>/completeness", CompletenessOut)
def get_referral_completeness(referral_id: str):
    """Check what a referral still lacks.

    `missing` lists the items; `may_submit` is false while one of them blocks submission.
    """
    missing = referrals.check_completeness(unit_of_work(), deps().clock, municipalities=deps().municipalities,
                                           actor=current_actor(), referral_id=referral_id)
    return {"complete": not missing, "may_submit": not any(item.blocking for item in missing), "missing": missing}


@_reads("/referrals/<referral_id>/events", EventList)
def list_referral_events(referral_id: str):
    """List a referral's events.

    Every action taken on it, oldest first, with who took it and when.
    """
    return {"items": referrals.list_events(unit_of_work(), actor=current_actor(), referral_id=referral_id)}


@guarded_change(blp, "/referrals/<referral_id>/co-referrers", method="POST", body=CoReferrerIn, response=ReferralOut)
def invite_co_referrer(body: dict, referral_id: str):
    """Invite a co-referrer.

    Let another organisation around the child take part in the referral (medhenviser).
    """
    view = referrals.invite_co_referrer(unit_of_work(), deps().clock, actor=current_actor(), referral_id=referral_id,
                                        organisation_id=body["organisation_id"], if_match=if_match())
    return with_etag(view)


@guarded_change(blp, "/referrals/<referral_id>/municipal-contacts", method="PUT", body=MunicipalContactsIn,
                response=ReferralOut)
def update_municipal_contacts(body: dict, referral_id: str):
    """Name the people in the municipality around the child.

    The referring side, while the child is with BUP.
    """
    view = referrals.update_municipal_contacts(unit_of_work(), deps().clock, actor=current_actor(),
                                               referral_id=referral_id, contacts=body["municipal_contacts"],
                                               if_match=if_match())
    return with_etag(view)


@guarded_change(blp, "/referrals/<referral_id>/consent", method="POST", body=ConsentIn, response=ReferralOut,
                statuses=(403,))
def change_consent(body: dict, referral_id: str):
    """Change the consent.

    Withdraw or narrow (or widen) it; views and alerts follow the new scope.
    """
    view = consent_changes.change_consent(unit_of_work(), deps().clock, actor=current_actor(), referral_id=referral_id,
                                          consent=body, if_match=if_match())
    return with_etag(view)


@guarded_change(blp, "/referrals/<referral_id>/move", method="POST", body=MoveIn, response=ReferralOut)
def record_move(body: dict, referral_id: str):
    """Record that the family has moved.

    The child's new home municipality; an open handover task is transferred to it (the old task closes as
    `transferred`). The referring side, BUP, or the municipality holding the task.
    """
    view = moves.record_move(unit_of_work(), deps().clock, deadlines=deps().deadlines,
                             municipalities=deps().municipalities, actor=current_actor(), referral_id=referral_id,
                             home_municipality=body["home_municipality"], moved_on=body["moved_on"],
                             if_match=if_match())
    return with_etag(view)


@blp.route("/referrals/<referral_id>/national-id", methods=["POST"])
@blp.response(200, NationalIdOut)
@problems(blp, 403)
def reveal_national_id(referral_id: str):
    """Reveal the child's identity number.

    The full number (POST, so it never sits in a URL or a cache); the reveal is logged.
    """
    number = referrals.reveal_national_id(unit_of_work(), deps().identity, actor=current_actor(),
                                          referral_id=referral_id)
    return {"national_id": number}


@_reads("/referrals/<referral_id>/case", CaseOut)
def get_child_case(referral_id: str):
    """Read the child's case.

    As you may see it: entries of the child's referrals and handovers in time order, and the repeat count
    (earlier referrals and rejections in the window). The read is logged.
    """
    case = child_case(unit_of_work(), actor=current_actor(), referral_id=referral_id,
                      window_months=deps().deadlines.repeat_window_months)
    return case_payload(case)


@_reads("/referrals/<referral_id>/other-open-referrals", OtherOpenReferralList)
def list_other_open_referrals(referral_id: str):
    """List the child's other open referrals.

    Told as the creation response tells them (no content); the look-up is logged. BUP sees those at its own
    clinic.
    """
    return {"items": [vars(o) for o in duplicates.list_other_open_referrals(
        unit_of_work(), actor=current_actor(), referral_id=referral_id)]}


@guarded_change(blp, "/referrals/<referral_id>/join", method="POST", body=MergeIn, response=ReferralOut)
def join_referral(body: dict, referral_id: str):
    """Join the child's other open referral.

    End your own draft and join the other referral as co-referrer, with what you wrote.
    """
    view = duplicates.join_referral(unit_of_work(), deps().clock, actor=current_actor(), referral_id=referral_id,
                                    other_referral_id=body["other_referral_id"], if_match=if_match())
    return with_etag(view)


@guarded_change(blp, "/referrals/<referral_id>/merge", method="POST", body=MergeIn, response=ReferralOut)
def merge_referrals(body: dict, referral_id: str):
    """Merge the child's other referral into this one (BUP).

    The other referral at the clinic ends and its content is kept on this one.
    """
    view = duplicates.merge_referrals(unit_of_work(), deps().clock, actor=current_actor(), referral_id=referral_id,
                                      other_referral_id=body["other_referral_id"], if_match=if_match())
    return with_etag(view)
