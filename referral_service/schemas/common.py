"""Shapes shared across resources: problems, pagination, ids."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from referral_service.services.pagination import MAX_PER_PAGE

MUNICIPALITY_NUMBER = validate.Regexp(r"^[0-9]{4}$", error="Must be a 4-digit municipality number.")
ID = fields.String  # ids are opaque strings


def text(max_length: int = 10_000, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Must not be blank.")


def required_text(max_length: int = 10_000) -> fields.String:
    return fields.String(required=True, validate=[validate.Length(min=1, max=max_length), not_blank])


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class CursorPageArgs(PageArgs):
    """A list that can also be read by cursor: `cursor` from the `Link: <…>; rel="next"` header of the page before."""

    cursor = fields.String(validate=validate.Length(max=1000),
                           metadata={"description": "Opaque, from the Link header's rel=\"next\" URL; empty for the "
                                                    "first page by cursor (not counted)."})


class EventSchema(Schema):
    """One step in a record's history: who did what, when, from which status to which."""

    id = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_id = fields.String(allow_none=True)
    at = fields.DateTime()
    data = fields.Dict()


class PageSchema(Schema):
    #: `total` and `page` answer a page asked for by number; a page asked for by cursor has neither.
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
