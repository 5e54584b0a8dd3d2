"""Two referrals for one child on the pages: the referrer joins the other referral, BUP merges two into one."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from referral_service.api.context import deps, unit_of_work
from referral_service.errors import Conflict, Forbidden, InvalidData, NotFound, PreconditionFailed
from referral_service.services.referrals import duplicates
from referral_service.web.blueprint import web
from referral_service.web.forms.submission import VERSION_FIELD
from referral_service.web.session_auth import login_required, web_actor

#: The form field naming the other referral of the child.
OTHER_FIELD = "annen_henvisning"
JOINED = "Du er nå medhenviser på den andre henvisningen for barnet. Det du skrev, er lagt til i den."
MERGED = ("Henvisningene er slått sammen. Innholdet og historikken fra begge er tatt vare på, og begge henviserne "
          "er varslet.")
CHANGED_MEANWHILE = "Henvisningene er endret i mellomtiden. Se hva som gjelder nå, og prøv igjen om det trengs."
REFUSED = "Henvisningene kan ikke slås sammen: de må gjelde samme barn og være hos samme poliklinikk."


def _other_and_version() -> tuple[str, str | None]:
    other = (request.form.get(OTHER_FIELD) or "").strip()
    if not other:
        abort(400)
    return other, request.form.get(VERSION_FIELD) or None


@web.post("/henvisninger/<referral_id>/bli-med")
@login_required
def join_other_referral(referral_id: str):
    """The referrer's own draft joins the child's other open referral."""
    other, version = _other_and_version()
    try:
        duplicates.join_referral(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                                 other_referral_id=other, if_match=version)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except (Conflict, PreconditionFailed):
        flash(CHANGED_MEANWHILE, "info")
        return redirect(url_for("web.edit_referral", referral_id=referral_id, step=2))
    flash(JOINED, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


@web.post("/inntak/<referral_id>/sla-sammen")
@login_required
def merge_referrals(referral_id: str):
    """BUP keeps this referral and merges the child's other referral at the clinic into it."""
    other, version = _other_and_version()
    try:
        duplicates.merge_referrals(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                                   other_referral_id=other, if_match=version)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except InvalidData:
        flash(REFUSED, "info")
    except (Conflict, PreconditionFailed):
        flash(CHANGED_MEANWHILE, "info")
    else:
        flash(MERGED, "ok")
    return redirect(url_for("web.assess_referral", referral_id=referral_id))
