"""The access log."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from referral_service.schemas.common import PageArgs, PageSchema
from referral_service.security.access_log_verification import PROBLEMS


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
    requested_id = fields.String(allow_none=True, metadata={
        "description": "A denied attempt's (action 'denied:...') requested id, which may not exist."})


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
    problem = fields.String(allow_none=True, validate=validate.OneOf(sorted(PROBLEMS)), metadata={
        "description": "What was done to the log: changed, deleted, truncated (last rows deleted), rewound (last "
                       "rows deleted and the head rewound), wiped, rehashed (without the key), forged (a "
                       "checkpoint)."})


# --- Issue 13, part F: the log by organisation and time, and a child's history by identity number (innsyn) -----

class AuditFilterArgs(AuditListArgs):
    organisation_id = fields.String(validate=validate.Length(max=36))
    until = fields.AwareDateTime(metadata={"description": "Rows before this moment (with `since`: a period)."})


class InsightIn(Schema):
    """The child's identity number, in the body only: never in the URL, and never echoed in an error."""

    national_id = fields.String(required=True, load_only=True,
                                validate=validate.Regexp(r"^[0-9]{11}$", error="Must be 11 digits."))


class InsightEntryOut(Schema):
    at = fields.DateTime()
    user_id = fields.String()
    user_name = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    role = fields.String()
    action = fields.String()
    referral_id = fields.String(allow_none=True)
    basis = fields.String()


class InsightOut(Schema):
    child_id = fields.String()
    items = fields.List(fields.Nested(InsightEntryOut), metadata={
        "description": "Who read or changed the child's data and when, oldest first. This reading is logged too."})
