"""The child's case: its entries in time order, the child's referrals as far as the reader may know of them, and
the repeat count."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from referral_service.workflows.case_entries import CaseDetail, EntryKind, EntrySource

DETAILS = validate.OneOf([d.value for d in CaseDetail if d is not CaseDetail.NONE])


class RepeatOut(Schema):
    earlier_referrals = fields.Integer(required=True)
    earlier_rejections = fields.Integer(required=True)
    window_months = fields.Integer(required=True)
    rejected_before = fields.Boolean(required=True)


class CaseReferralOut(Schema):
    id = fields.String(required=True)
    clinic_id = fields.String(required=True)
    clinic_name = fields.String(required=True)
    status = fields.String(required=True)
    received_on = fields.Date(allow_none=True)
    #: full: the reader takes part; conclusion: another clinic's (that it exists and what it concluded);
    #: advice: BUP's advice to the municipality only.
    detail = fields.String(required=True, validate=DETAILS)
    current = fields.Boolean(required=True)


class CaseEntryOut(Schema):
    id = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf([s.value for s in EntrySource]))
    #: A plain category; an event kind the service does not know yet comes as "other", its action named.
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in EntryKind]))
    action = fields.String(required=True)
    at = fields.DateTime(required=True)
    referral_id = fields.String(required=True)
    handover_id = fields.String(allow_none=True)
    clinic_id = fields.String(required=True)
    clinic_name = fields.String(required=True)
    detail = fields.String(required=True, validate=DETAILS)
    conclusion = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    explanation = fields.String(allow_none=True)
    advice = fields.String(allow_none=True)


class CaseOut(Schema):
    child_id = fields.String(required=True)
    referral_id = fields.String(required=True)
    repeat = fields.Nested(RepeatOut, required=True)
    referrals = fields.List(fields.Nested(CaseReferralOut), required=True)
    entries = fields.List(fields.Nested(CaseEntryOut), required=True)
