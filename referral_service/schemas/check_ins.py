"""Check-ins after the municipal help ended: the list, one check-in, and recording or cancelling it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from referral_service.domain.enums import CheckInOutcome, CheckInStatus
from referral_service.schemas.common import PageArgs, PageSchema, required_text


class CheckInOut(Schema):
    id = fields.String()
    handover_id = fields.String()
    referral_id = fields.String()
    owner_org_id = fields.String(allow_none=True)
    #: The coordinator who holds it; null: the owner organisation's coordinators together.
    coordinator_user_id = fields.String(allow_none=True)
    due_on = fields.Date()
    #: planned, done or cancelled.
    status = fields.String()
    #: Planned and its due date has come.
    due = fields.Boolean()
    outcome = fields.String(allow_none=True)
    outcome_code = fields.String(allow_none=True)
    #: What the outcome leads to: none, offer_help_or_refer_again, contact_family_again.
    next_step = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    done_by_user_id = fields.String(allow_none=True)
    done_at = fields.DateTime(allow_none=True)
    escalation_level = fields.Integer()
    version = fields.Integer()
    created_at = fields.DateTime()
    #: What the caller may do: record, cancel.
    actions = fields.List(fields.String())


class CheckInListArgs(PageArgs):
    #: Those due on or before this day (the worklist: today).
    due_by = fields.Date()
    status = fields.String(validate=validate.OneOf([s.value for s in CheckInStatus]))
    handover_id = fields.String(validate=validate.Length(min=1, max=36))
    #: Only those the caller holds.
    mine = fields.Boolean(load_default=False)


class CheckInPage(PageSchema):
    items = fields.List(fields.Nested(CheckInOut))


class RecordCheckInIn(Schema):
    outcome = required_text()
    outcome_code = fields.String(required=True, validate=validate.OneOf([o.value for o in CheckInOutcome]))


class CancelCheckInIn(Schema):
    reason = required_text(2_000)
