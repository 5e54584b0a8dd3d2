"""Referrals: what a referrer writes, what the API answers, and each action's body."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from referral_service.domain.enums import (
    ChildWelfareBasis,
    ConsentGiver,
    Priority,
    ReasonCode,
    ReferralAction,
    ReferralStatus,
    RejectionReason,
    ShareWith,
    Urgency,
)
from referral_service.schemas.common import (
    MUNICIPALITY_NUMBER,
    CursorPageArgs,
    EventSchema,
    PageSchema,
    required_text,
    text,
)
from referral_service.schemas.dates import within
from referral_service.workflows.date_ranges import DateKind


def one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class GuardianIn(Schema):
    name = required_text(200)
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    # The guardian signs in on the family page with it (ID-porten); kept encrypted apart from the referral, never
    # answered back. The check digits are verified on load, as the child's.
    national_id = fields.String(allow_none=True, load_only=True,
                                validate=validate.Regexp(r"^[0-9]{11}$", error="Must be 11 digits."),
                                metadata={"description": (
                                    "The guardian's fødselsnummer or D-nummer (optional): lets them sign in on the "
                                    "family page. Never answered back; on a draft edited again, a guardian given "
                                    "without one under the same name keeps the number recorded before.")})


class ChildIn(Schema):
    # The pattern lets clients and schema tools see the shape; the check digits are verified on load.
    national_id = fields.String(required=True, load_only=True,
                                validate=validate.Regexp(r"^[0-9]{11}$", error="Must be 11 digits."))
    given_name = required_text(200)
    family_name = required_text(200)
    home_municipality = fields.String(required=True, validate=MUNICIPALITY_NUMBER)
    guardians = fields.List(fields.Nested(GuardianIn), load_default=list, validate=validate.Length(max=10))
    birth_date = fields.Date(allow_none=True, validate=within(DateKind.BIRTH), metadata={"description": (
        "The registered birth date. Required for an FH-number and for a number issued from 2032 that does not "
        "tell it; when given, it must agree with the number's date digits.")})


class ConsentIn(Schema):
    given_by = fields.List(fields.String(validate=one_of(ConsentGiver)), load_default=list)
    share_with = fields.List(fields.String(validate=one_of(ShareWith)), load_default=list)
    recorded_on = fields.Date(allow_none=True, validate=within(DateKind.RECORDED))
    withhold_from_guardians = fields.Boolean(load_default=False)


class ContactIn(Schema):
    role = required_text(100)
    name = required_text(200)
    organisation_id = fields.String(allow_none=True, validate=validate.Length(max=36))


class AttachmentIn(Schema):
    title = required_text(200)
    text = required_text(50_000)


class InterpreterIn(Schema):
    """Whether the child or the family needs an interpreter at BUP, and in which language (ISO 639-1)."""

    needed = fields.Boolean(required=True)
    # Checked against domain/languages.py by the service, so that every refusal comes at once.
    language = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=8))


class ChildWelfareIn(Schema):
    """The child welfare service (barnevern) as a partner: by consent, or on the duty to inform."""

    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    basis = fields.String(required=True, validate=one_of(ChildWelfareBasis))


class ReferralIn(Schema):
    child = fields.Nested(ChildIn, required=True)
    clinic_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reasons = fields.List(fields.String(validate=one_of(ReasonCode)), load_default=list,
                          validate=validate.Length(max=len(ReasonCode)))
    description = text()
    urgency = fields.String(load_default=Urgency.NORMAL.value, validate=one_of(Urgency))
    measures_tried = text()
    child_view = text()
    consent = fields.Nested(ConsentIn, load_default=dict)
    municipal_contacts = fields.List(fields.Nested(ContactIn), load_default=list, validate=validate.Length(max=30))
    attachments = fields.List(fields.Nested(AttachmentIn), load_default=list, validate=validate.Length(max=20))
    interpreter = fields.Nested(InterpreterIn, allow_none=True)
    child_welfare = fields.Nested(ChildWelfareIn, allow_none=True)


class ChildPatchIn(ChildIn):
    """Without a national_id the draft keeps its child and only the details change."""

    national_id = fields.String(load_only=True,
                                validate=validate.Regexp(r"^[0-9]{11}$", error="Must be 11 digits."))


class ReferralPatch(Schema):
    """A draft's content; only the fields given change."""

    child = fields.Nested(ChildPatchIn)
    clinic_id = fields.String(validate=validate.Length(min=1, max=36))
    reasons = fields.List(fields.String(validate=one_of(ReasonCode)), validate=validate.Length(max=len(ReasonCode)))
    description = text()
    urgency = fields.String(validate=one_of(Urgency))
    measures_tried = text()
    child_view = text()
    consent = fields.Nested(ConsentIn)
    municipal_contacts = fields.List(fields.Nested(ContactIn), validate=validate.Length(max=30))
    attachments = fields.List(fields.Nested(AttachmentIn), validate=validate.Length(max=20))
    interpreter = fields.Nested(InterpreterIn, allow_none=True)
    #: null removes the partner.
    child_welfare = fields.Nested(ChildWelfareIn, allow_none=True)


class ChildOut(Schema):
    id = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    birth_date = fields.Date()
    national_id_masked = fields.String()
    home_municipality = fields.String()
    guardians = fields.List(fields.Dict())


class ConsentOut(Schema):
    given_by = fields.List(fields.String())
    share_with = fields.List(fields.String())
    recorded_on = fields.Date(allow_none=True)
    withhold_from_guardians = fields.Boolean()
    recorded_at = fields.DateTime()


class ContactOut(Schema):
    role = fields.String()
    name = fields.String()
    organisation_id = fields.String(allow_none=True)


class CoReferrerOut(Schema):
    organisation_id = fields.String()
    invited_at = fields.DateTime()


class OtherOpenReferralOut(Schema):
    """Another open referral of the same child, as its existence may be told to a referrer who is no party of it."""

    referral_id = fields.String()
    clinic_id = fields.String()
    clinic_name = fields.String()
    open_since = fields.Date()
    referrer_kind = fields.String()


class OtherOpenReferralList(Schema):
    items = fields.List(fields.Nested(OtherOpenReferralOut))


class InterpreterOut(Schema):
    needed = fields.Boolean()
    language = fields.String(allow_none=True)
    #: The language's name in Norwegian, for readers who show it.
    language_name = fields.String()


class ChildWelfareOut(Schema):
    organisation_id = fields.String()
    organisation_name = fields.String()
    basis = fields.String()


class ReferralOut(Schema):
    id = fields.String()
    status = fields.String()
    child = fields.Nested(ChildOut)
    clinic_id = fields.String()
    referrer_user_id = fields.String()
    referrer_org_id = fields.String()
    referrer_kind = fields.String()
    submitted_by_user_id = fields.String(allow_none=True)
    reasons = fields.List(fields.String())
    description = fields.String()
    urgency = fields.String()
    measures_tried = fields.String()
    child_view = fields.String()
    attachments = fields.List(fields.Dict())
    consent = fields.Nested(ConsentOut, allow_none=True)
    municipal_contacts = fields.List(fields.Nested(ContactOut))
    co_referrers = fields.List(fields.Nested(CoReferrerOut))
    received_on = fields.Date(allow_none=True)
    assessment_due = fields.Date(allow_none=True)
    care_start_due = fields.Date(allow_none=True)
    priority = fields.String(allow_none=True)
    first_appointment_on = fields.Date(allow_none=True)
    forwarded_from_id = fields.String(allow_none=True)
    forwarded_to_id = fields.String(allow_none=True)
    handover_id = fields.String(allow_none=True)
    merged_into_id = fields.String(allow_none=True)
    #: In the creation response: the child's other open referrals (any referrer), to warn and offer to join.
    other_open_referrals = fields.List(fields.Nested(OtherOpenReferralOut))
    interpreter = fields.Nested(InterpreterOut)
    #: The child welfare partner; BUP sees a priority flag when there is one.
    child_welfare = fields.Nested(ChildWelfareOut, allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReferralListArgs(CursorPageArgs):
    status = fields.String(validate=one_of(ReferralStatus))
    overdue = fields.Boolean(load_default=False)
    sort = fields.String(load_default="created_at", validate=validate.OneOf(["created_at", "assessment_due"]))


class ReferralPage(PageSchema):
    items = fields.List(fields.Nested(ReferralOut))


class EventOut(EventSchema):
    actor_id = fields.String()  # a referral event always has an actor


class EventList(Schema):
    items = fields.List(fields.Nested(EventOut))


class MissingItem(Schema):
    field = fields.String()
    #: What is missing, as a code (the web says it in Norwegian), and as an English sentence.
    code = fields.String()
    message = fields.String()
    #: True when it stops the referral from being sent; otherwise it is sent with it, and BUP sees it.
    blocking = fields.Boolean()


class CompletenessOut(Schema):
    complete = fields.Boolean()
    #: Nothing blocking is missing: the referral may be sent (with warnings, if `missing` is not empty).
    may_submit = fields.Boolean()
    missing = fields.List(fields.Nested(MissingItem))


class MunicipalContactsIn(Schema):
    municipal_contacts = fields.List(fields.Nested(ContactIn), required=True, validate=validate.Length(max=30))


class CoReferrerIn(Schema):
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


# Action bodies, one per action (API.md's table).
class RequestInformationIn(Schema):
    questions = required_text()


class SupplementIn(Schema):
    text = required_text()


class AcceptIn(Schema):
    care_start_due = fields.Date(required=True, validate=within(DateKind.PLANNED))
    priority = fields.String(allow_none=True, validate=one_of(Priority))


class RejectIn(Schema):
    reason_code = fields.String(required=True, validate=one_of(RejectionReason))
    explanation = required_text()
    municipal_advice = required_text()


class MunicipalOutcomeIn(Schema):
    """After an assessment conversation: the help belongs in the municipality, and what it should offer."""

    assessment_conversation_on = fields.Date(required=True, validate=within(DateKind.RECORDED))
    explanation = required_text()
    municipal_advice = required_text()


class ForwardIn(Schema):
    clinic_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = required_text()


class TransferToDpsIn(Schema):
    """Growing up: the adult mental health clinic (DPS) the young person goes on at, and why."""

    clinic_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = required_text()


class StartTreatmentIn(Schema):
    first_appointment_on = fields.Date(required=True, validate=within(DateKind.PLANNED))


class DischargeIn(Schema):
    summary = required_text()
    follow_up_recommendations = required_text()
    epikrise_sent = fields.Boolean(required=True)


class PlanDischargeIn(Schema):
    planned_discharge_on = fields.Date(required=True, validate=within(DateKind.PLANNED))


class WithdrawIn(Schema):
    reason = required_text()


#: Each lifecycle action's body (None: it takes none), for the API's operations and the web's forms.
ACTION_BODIES: dict[ReferralAction, type[Schema] | None] = {
    ReferralAction.SUBMIT: None,
    ReferralAction.REQUEST_INFORMATION: RequestInformationIn,
    ReferralAction.SUPPLEMENT: SupplementIn,
    ReferralAction.ACCEPT: AcceptIn,
    ReferralAction.REJECT: RejectIn,
    ReferralAction.MUNICIPAL_OUTCOME: MunicipalOutcomeIn,
    ReferralAction.FORWARD: ForwardIn,
    ReferralAction.START_TREATMENT: StartTreatmentIn,
    ReferralAction.DISCHARGE: DischargeIn,
    ReferralAction.WITHDRAW: WithdrawIn,
    ReferralAction.PLAN_DISCHARGE: PlanDischargeIn,
    ReferralAction.RECORD_EPIKRISE: None,
    ReferralAction.TRANSFER_TO_DPS: TransferToDpsIn,
}


class NationalIdOut(Schema):
    national_id = fields.String()


class MergeIn(Schema):
    """`join` (the referrer's own draft joins the other) and `merge` (BUP keeps this one, the other ends)."""

    other_referral_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class MoveIn(Schema):
    """The family has moved: the child's new home municipality (from the register) and, if known, the day."""

    home_municipality = fields.String(required=True, validate=MUNICIPALITY_NUMBER)
    moved_on = fields.Date(load_default=None, allow_none=True, validate=within(DateKind.PLANNED))
