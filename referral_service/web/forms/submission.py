"""Posting a decision form: call the service, then redirect, or show the page again with what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for

from referral_service.errors import Conflict, InvalidData, PreconditionFailed
from referral_service.web import kept_forms
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.session_auth import login_required

#: The hidden field that carries the version the user saw, so a decision on a stale page is refused.
VERSION_FIELD = "versjon"


def submit_form(form: ActionForm, *, act: Callable[[dict[str, Any], str | None], Any], page: Callable[..., Any],
                done_url: str) -> Any:
    """Parse the posted form and `act(data, version)`: POST/redirect/GET on success; 422 with the errors beside
    the fields; 409 when the case changed meanwhile. A GET shows the page with the form its user posted as their
    session ended, filled in again (web/kept_forms.py), or goes to the page."""
    if request.method == "GET":
        return _show_kept(form, page=page, done_url=done_url)
    filled = form.parse(request.form)
    if filled.valid:
        try:
            act(filled.data, request.form.get(VERSION_FIELD) or None)
        except InvalidData as error:
            filled.refused(error)
        except (Conflict, PreconditionFailed):
            return page(changed=True, status=409)
        else:
            flash(form.done, "ok")
            return redirect(done_url, code=303)
    return page(filled=filled, status=422)


def kept_values(form: ActionForm) -> dict[str, Any] | None:
    """What the user typed in this form as their session ended, kept (web/kept_forms.py) and given back once with
    a notice; None when nothing was kept. Not yet judged: the errors come when it is sent again."""
    posted = kept_forms.restored_form()
    if posted is None:
        return None
    flash(kept_forms.RESTORED, "info")
    return form.parse(posted).values


def _show_kept(form: ActionForm, *, page: Callable[..., Any], done_url: str) -> Any:
    values = kept_values(form)
    if values is None:
        return redirect(done_url, code=303)
    return page(filled=FilledForm(form=form, values=values), status=200)


def register_form_posts(blueprint: Blueprint, *, path: str, posts: dict[str, tuple[str, ActionForm]],
                        handle: Callable[[str, ActionForm], Any]) -> dict[str, str]:
    """One POST route per form: `path` with `<id>` and the form's slug, e.g. `/inntak/<id>/avslag`.

    `posts` maps each slug to (endpoint name, form); `handle(id, form)` does the work. Returns each form's
    action -> its endpoint, for the pages that show the forms. Each form's address also answers GET, which shows a
    form kept when the session ended (web/kept_forms.py) or else leads to the page.
    """
    endpoints = {}
    for slug, (endpoint, form) in posts.items():
        def post(record_id: str, form: ActionForm = form) -> Any:
            return handle(record_id, form)

        blueprint.add_url_rule(path.format(slug=slug), endpoint=endpoint, view_func=login_required(post),
                               methods=["GET", "POST"])
        kept_forms.restorable(f"{blueprint.name}.{endpoint}")
        endpoints[form.action] = f"{blueprint.name}.{endpoint}"
    return endpoints


def forms_on_page(endpoints: dict[str, str], forms: dict[str, ActionForm], *, allowed: Iterable[str],
                  record_id: str, filled: FilledForm | None, changed: bool) -> dict[str, Any]:
    """What a page with action forms shows of them: the forms the reader may use, each with where it posts,
    the one that failed with what was typed and its errors, and whether the record changed meanwhile."""
    allowed = set(allowed)
    return {"forms": [(form, url_for(endpoints[action], record_id=record_id))
                      for action, form in forms.items() if action in allowed],
            "version_field": VERSION_FIELD, "failed": filled.form.action if filled else None,
            "values": filled.values if filled else {}, "errors": filled.errors if filled else {},
            "changed": changed}
