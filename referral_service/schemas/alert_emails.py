"""The failed alert e-mails an administrator sees, and the answer to sending one again. No child data."""

from __future__ import annotations

from marshmallow import Schema, fields


class FailedEmailOut(Schema):
    alert_id = fields.String(metadata={"description": "The alert whose e-mail was given up"})
    kind = fields.String(metadata={"description": "What the alert is about (its kind)"})
    organisation = fields.String(metadata={"description": "The recipient's organisation"})
    attempts = fields.Integer(metadata={"description": "Attempts to send it, resends included"})
    error = fields.String(allow_none=True, metadata={"description": "The mail server's last answer"})
    failed_at = fields.DateTime(allow_none=True, metadata={"description": "When the e-mail was given up"})
    created_at = fields.DateTime(metadata={"description": "When the alert was raised"})


class FailedEmailsOut(Schema):
    items = fields.List(fields.Nested(FailedEmailOut))


class ResendOut(Schema):
    alert_id = fields.String()
    email_state = fields.String(metadata={"description": "pending: the e-mail is on its way again"})
