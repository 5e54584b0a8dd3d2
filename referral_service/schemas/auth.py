"""Passwords through the API: the user's own change, and an administrator's reset."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PasswordChangeIn(Schema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1000))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1000))


class PasswordResetOut(Schema):
    #: Shown once; the service keeps only its hash.
    temporary_password = fields.String()
