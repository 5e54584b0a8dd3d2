"""A form posted after its session ended keeps what was typed.

Every form carries the session's CSRF token, and a signed-in session's token names, signed, the user it was made
for (session_auth.py `sign_in`). A post whose session is gone, or has run out, is refused as before, but when its
token names its user the posted fields are kept on the server, encrypted (services/admin/kept_forms.py); only a
random id goes in the session, never what was typed. When that user signs in again they come back to the same
page with the text filled in; anyone else signing in gets nothing. Only pages that know how to show a kept form
again take part (`restorable`).
"""

from __future__ import annotations

from flask import Response, request, session, url_for
from werkzeug.datastructures import MultiDict

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.security import csrf
from referral_service.services.admin.kept_forms import keep_form, newest_kept_form, take_kept_form
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.web.session_auth import form_owner, web_actor

#: In the session: the id of the kept form the next page is to show again (a random id, never the content).
RESTORE = "skjema_tilbake"
#: In the session until the log-in page has said that the form was kept.
KEPT_NOTICE = "skjema_tatt_vare_paa"

KEPT = ("Du ble logget ut fordi du ikke hadde gjort noe på en stund. Det du skrev er tatt vare på: logg inn igjen, "
        "så kommer du tilbake til skjemaet med teksten fylt inn.")
RESTORED = ("Du ble logget ut før skjemaet ble sendt. Det du skrev er fylt inn igjen, men ikke lagret: se over og "
            "send på nytt.")

_restorable: set[str] = set()


def restorable(endpoint: str) -> None:
    """Let the page at this endpoint (`web.edit_referral`) take a kept form: its GET calls `restored_form()`."""
    _restorable.add(endpoint)


def keep_expired_post() -> Response | None:
    """A post whose session ended: kept for the user the form was shown to, who is sent to sign in (or, signed in
    again already, back to the page). None when it cannot be kept: no token naming a user, a page that cannot show
    it again, or someone else signed in."""
    if request.method != "POST" or request.endpoint not in _restorable:
        return None
    owner = form_owner(request.form.get(csrf.FIELD, ""))
    actor = web_actor()
    if owner is None or (actor is not None and actor.user_id != owner):
        return None
    fields = [(name, value) for name, value in request.form.items(multi=True) if name != csrf.FIELD]
    kept_id = keep_form(unit_of_work(), clock=deps().clock, vault=deps().identity.vault, user_id=owner,
                        path=request.path, fields=fields)
    if actor is not None:
        session[RESTORE] = kept_id
        return _see_other(request.path)
    session[KEPT_NOTICE] = True
    return _see_other(url_for("web.login"))


def _see_other(location: str) -> Response:
    return Response(status=303, headers={"Location": location})


def was_kept() -> bool:
    """Whether the log-in page should say that a form was kept (once)."""
    return bool(session.pop(KEPT_NOTICE, False))


def page_after_sign_in(user_id: str) -> str | None:
    """The page of the user's kept form, to go back to once signed in; the next GET of it fills it in."""
    place = newest_kept_form(unit_of_work(), clock=deps().clock, user_id=user_id)
    if place is None:
        return None
    session[RESTORE] = place.id
    return place.path


def restored_form() -> MultiDict | None:
    """What the signed-in user had posted to this page before their session ended, once; else None."""
    kept_id = session.pop(RESTORE, None)
    actor = web_actor()
    if not kept_id or actor is None:
        return None
    # A GET's unit of work only reads; giving the form back deletes it.
    writing = SqlUnitOfWork(db_session, close=False, read_only=False, bell=deps().outbox_bell)
    fields = take_kept_form(writing, clock=deps().clock, vault=deps().identity.vault, kept_id=str(kept_id),
                            user_id=actor.user_id, path=request.path)
    return MultiDict(fields) if fields is not None else None
