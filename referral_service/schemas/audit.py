"""The access log."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from referral_service.schemas.common import PageArgs, PageSchema


class AuditListArgs(PageArgs):
    referral_id = fields.String(validate=validate.Length(max=36))
    user_id = fields.String(validate=validate.Length(max=36))
    child_id = fields.String(validate=validate.Length(max=36))
    since = fields.AwareDateTime()


class AuditEntryOut(Schema):
    id = fields.String()
    seq = fields.Integer()
    at = fields.DateTime()
    user_id = fields.String()
    organisation_id = fields.String()
    role = fields.String()
    action = fields.String()
    referral_id = fields.String(allow_none=True)
    child_id = fields.String(allow_none=True)
    basis = fields.String()


class AuditPage(PageSchema):
    items = fields.List(fields.Nested(AuditEntryOut))


class VerifyArgs(Schema):
    full = fields.Boolean(load_default=False, metadata={
        "description": "Walk every row from the first, not only those after the newest signed checkpoint."})


class VerifyOut(Schema):
    ok = fields.Boolean()
    checked = fields.Integer()
    first_broken_seq = fields.Integer(allow_none=True)
    first_broken_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
