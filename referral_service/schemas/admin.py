"""Authentication, organisations and users."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from referral_service.domain.enums import REGISTRABLE_ORGANISATION_KINDS, Profession, Role
from referral_service.schemas.common import MUNICIPALITY_NUMBER, PageArgs, PageSchema, required_text
from referral_service.schemas.dates import within
from referral_service.workflows.contact_details import MAX_HOURS
from referral_service.workflows.date_ranges import DateKind


class TokenRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000), load_only=True)


class TokenResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()


def phone_field() -> fields.String:
    """A phone number the family is given: digits, spaces and +, at most 30 characters (workflows/contact_details)."""
    return fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9+ ]{0,30}$"))


def hours_field() -> fields.String:
    """When the family can call, in words (e.g. "hverdager 08.00–15.30"), at most 200 characters."""
    return fields.String(allow_none=True, validate=validate.Length(max=MAX_HOURS))


class OrganisationIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REGISTRABLE_ORGANISATION_KINDS))
    name = required_text(200)
    municipality_number = fields.String(allow_none=True, validate=MUNICIPALITY_NUMBER)
    her_id = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{1,20}$"))
    phone = phone_field()
    contact_hours = hours_field()


class OrganisationOut(Schema):
    id = fields.String()
    kind = fields.String()
    name = fields.String()
    municipality_number = fields.String(allow_none=True)
    her_id = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    contact_hours = fields.String(allow_none=True)


class OrganisationContactIn(Schema):
    """The organisation's phone and contact hours (null or empty clears one)."""

    phone = phone_field()
    contact_hours = hours_field()


class UserContactIn(Schema):
    """The user's phone and when they can be reached (null or empty clears one)."""

    phone = phone_field()
    reachable_hours = hours_field()


class OrganisationListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(REGISTRABLE_ORGANISATION_KINDS))


class OrganisationPage(PageSchema):
    items = fields.List(fields.Nested(OrganisationOut))


class UserIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = required_text(200)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=1000))
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    roles = fields.List(fields.String(validate=validate.OneOf([r.value for r in Role])), required=True,
                        validate=validate.Length(min=1))
    profession = fields.String(load_default=Profession.OTHER.value,
                               validate=validate.OneOf([p.value for p in Profession]))
    #: The Health Personnel Register number HelseID names the person by (security/oidc.py).
    hpr_number = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{4,9}$"))
    phone = phone_field()
    reachable_hours = hours_field()


class UserOut(Schema):
    id = fields.String()
    email = fields.String()
    name = fields.String()
    organisation_id = fields.String()
    roles = fields.List(fields.String())
    profession = fields.String()
    phone = fields.String(allow_none=True)
    reachable_hours = fields.String(allow_none=True)


class DeactivateIn(Schema):
    """Who takes over the leaver's work: a colleague, or the organisation's queue."""

    successor_user_id = fields.String(validate=validate.Length(min=1, max=36))
    to_queue = fields.Boolean(load_default=False)

    @validates_schema
    def one_destination(self, data: dict, **_: object) -> None:
        if bool(data.get("successor_user_id")) == bool(data.get("to_queue")):
            raise ValidationError("Give either successor_user_id or to_queue: true.", field_name="successor_user_id")


class StaffChangeOut(Schema):
    """What moved when the user was deactivated, by kind of holding (handovers, alerts, ...)."""

    user_id = fields.String()
    active = fields.Boolean()
    successor_user_id = fields.String(allow_none=True)
    to_queue = fields.Boolean()
    moved = fields.Dict(keys=fields.String(), values=fields.Integer())
    tokens_revoked = fields.Integer()
    rerouted = fields.Integer()


class RolesIn(Schema):
    """The user's roles after the change (all of them): each must fit the organisation's kind."""

    roles = fields.List(fields.String(validate=validate.OneOf([r.value for r in Role])), required=True,
                        validate=validate.Length(min=1))


class AdminUserOut(UserOut):
    active = fields.Boolean()


class AdminEventOut(Schema):
    """One change to the directory: who (None: the command line), what, and the record before and after."""

    id = fields.String()
    at = fields.DateTime()
    actor_user_id = fields.String(allow_none=True)
    action = fields.String()
    target_kind = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AdminEventListArgs(PageArgs):
    target_id = fields.String(validate=validate.Length(min=1, max=36))


class AdminEventPage(PageSchema):
    items = fields.List(fields.Nested(AdminEventOut))


class GrantIn(Schema):
    """A municipality's right for one profession to refer, from a day, until an optional day."""

    municipality_number = fields.String(required=True, validate=MUNICIPALITY_NUMBER)
    profession = fields.String(required=True, validate=validate.OneOf([p.value for p in Profession]))
    valid_from = fields.Date(required=True, validate=within(DateKind.PLANNED))
    valid_to = fields.Date(allow_none=True, load_default=None, validate=within(DateKind.PLANNED))
    basis = fields.String(load_default="", validate=validate.Length(max=300))


class GrantOut(Schema):
    id = fields.String()
    municipality_number = fields.String()
    profession = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    basis = fields.String()


class GrantList(Schema):
    items = fields.List(fields.Nested(GrantOut))


class GrantEndIn(Schema):
    """The grant's new last day."""

    valid_to = fields.Date(required=True, validate=within(DateKind.PLANNED))
