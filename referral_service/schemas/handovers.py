"""Handover tasks and alerts."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from referral_service.domain.enums import CHOSEN_HANDOVER_OUTCOMES, HandoverOutcome
from referral_service.errors import Reason
from referral_service.notify.alert_texts import alert_text
from referral_service.schemas.common import CursorPageArgs, EventSchema, PageSchema, required_text
from referral_service.schemas.dates import within
from referral_service.workflows.date_ranges import DateKind
from referral_service.workflows.handover_lifecycle import HandoverAction, HandoverStatus


class HandoverEventOut(EventSchema):
    #: The task the step was taken on: a task transferred after a move shows the earlier task's steps too.
    handover_id = fields.String()


class HandoverOut(Schema):
    id = fields.String()
    referral_id = fields.String()
    trigger = fields.String()
    municipality_number = fields.String()
    addressed_to = fields.String()
    #: The organisation that owns the follow-up, and why (municipal_consent, no_municipal_consent,
    #: municipality_not_connected); null only while nobody can act on it.
    owner_org_id = fields.String(allow_none=True)
    owner_reason = fields.String(allow_none=True)
    #: The child (12-16) has asked that the guardians are not informed; their phone and e-mail are hidden from
    #: the municipality while the request stands.
    withhold_from_guardians = fields.Boolean()
    #: BUP discharged the child without sending the epikrise, and has not recorded it as sent since.
    epikrise_missing = fields.Boolean()
    status = fields.String()
    acknowledge_due = fields.Date()
    first_contact_due = fields.Date()
    escalation_level = fields.Integer()
    content = fields.Dict()
    acknowledged_at = fields.DateTime(allow_none=True)
    assignee_user_id = fields.String(allow_none=True)
    assigned_service = fields.String(allow_none=True)
    first_contact_on = fields.Date(allow_none=True)
    plan = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    outcome_code = fields.String(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    #: After a move: the task this one continues, and the one that continues this (closed as `transferred`).
    transferred_from_id = fields.String(allow_none=True)
    transferred_to_id = fields.String(allow_none=True)
    version = fields.Integer()
    created_at = fields.DateTime()
    events = fields.List(fields.Nested(HandoverEventOut))


class HandoverListArgs(CursorPageArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in HandoverStatus]))
    overdue = fields.Boolean(load_default=False)


class HandoverPage(PageSchema):
    items = fields.List(fields.Nested(HandoverOut))


class AssignIn(Schema):
    assignee_user_id = fields.String(validate=validate.Length(min=1, max=36))
    service = fields.String(validate=validate.Length(min=1, max=200))

    @validates_schema
    def one_target(self, data, **_kwargs):
        if bool(data.get("assignee_user_id")) == bool(data.get("service")):
            raise ValidationError(Reason("assignee_or_service", "Give either assignee_user_id or service."),
                                  field_name="assignee_user_id")


class PlanIn(Schema):
    first_contact_on = fields.Date(required=True, validate=within(DateKind.PLANNED))
    plan = required_text()


class CloseIn(Schema):
    outcome = required_text()
    #: How the task ended; left out, the municipality follows the child up.
    outcome_code = fields.String(load_default=HandoverOutcome.FOLLOWED_UP.value,
                                 validate=validate.OneOf(CHOSEN_HANDOVER_OUTCOMES))


#: Each handover action's body (None: it takes none), for the API's operations and the web's forms.
STEP_BODIES: dict[HandoverAction, type[Schema] | None] = {
    HandoverAction.ACKNOWLEDGE: None,
    HandoverAction.ASSIGN: AssignIn,
    HandoverAction.PLAN: PlanIn,
    HandoverAction.CLOSE: CloseIn,
}


class AlertOut(Schema):
    id = fields.String()
    kind = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    referral_id = fields.String(allow_none=True)
    handover_id = fields.String(allow_none=True)
    #: The alert's sentence in Norwegian, rendered from its kind and data.
    message = fields.Function(alert_text, metadata={"type": "string"})
    email_state = fields.String()


class AlertListArgs(CursorPageArgs):
    unread = fields.Boolean(load_default=False)


class AlertPage(PageSchema):
    items = fields.List(fields.Nested(AlertOut))
    unread = fields.Integer()


class OperationsOut(Schema):
    outbox_pending = fields.Integer()
    outbox_unprocessed = fields.Integer()
    oldest_pending_seconds = fields.Float(allow_none=True)
    #: E-mails waiting in their retry window: planned, not stuck, so not in the backlog above.
    email_retries_waiting = fields.Integer()
    alerts_failed = fields.Integer()
    alerts_pending_email = fields.Integer()
    repairs_last_24h = fields.Integer()
    last_repair_at = fields.DateTime(allow_none=True)
    #: FHIR subscription notifications given up, and the subscriptions in `error` because of it (issue 16).
    subscription_notifications_failed = fields.Integer()
    subscriptions_in_error = fields.Integer()
    subscription_retries_waiting = fields.Integer()
