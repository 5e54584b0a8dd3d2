"""Posting a decision form: call the service, then redirect, or show the page again with what went wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect

from referral_service.errors import Conflict, InvalidData, PreconditionFailed
from referral_service.web.forms.decisions import FilledForm


def submit_form(filled: FilledForm, *, call: Callable[[], Any], page: Callable[..., Any], done_url: str,
                done_message: str) -> Any:
    """POST/redirect/GET on success; 422 with the errors beside the fields; 409 when the case changed."""
    if filled.valid:
        try:
            call()
        except InvalidData as error:
            filled.refused(error)
        except (Conflict, PreconditionFailed):
            return page(changed=True, status=409)
        else:
            flash(done_message, "ok")
            return redirect(done_url, code=303)
    return page(filled=filled, status=422)
