"""A record's page with one form per action: the page at its own URL, and one POST per form that acts on
the record and answers as `submit_form` does (back to the page, or the page again with what went wrong)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, url_for

from referral_service.web.forms.decisions import ActionForm
from referral_service.web.forms.submission import register_form_posts, submit_form
from referral_service.web.session_auth import login_required


def register_record_page(blueprint: Blueprint, *, prefix: str, record: str, endpoint: str,
                         show: Callable[..., Any], act: Callable[[str, ActionForm, dict[str, Any], str | None], Any],
                         posts: dict[str, tuple[str, ActionForm]]) -> dict[str, str]:
    """GET `prefix/<record>` is the page, `show(id)`; each form of `posts` (slug -> endpoint name, form) posts
    to `prefix/<record_id>/<slug>`, which calls `act(id, form, data, version)` and then redirects to the page,
    or answers `show(id, filled=..., changed=..., status=...)`. Returns each form's action -> its endpoint, for the
    page."""

    def page(**path_args: str) -> Any:
        return show(path_args[record])

    blueprint.add_url_rule(f"{prefix}/<{record}>", endpoint=endpoint, view_func=login_required(page), methods=["GET"])

    def handle(record_id: str, form: ActionForm) -> Any:
        return submit_form(
            form, act=lambda data, version: act(record_id, form, data, version),
            page=lambda **kwargs: show(record_id, **kwargs),
            done_url=url_for(f"{blueprint.name}.{endpoint}", **{record: record_id}))

    return register_form_posts(blueprint, path=f"{prefix}/<record_id>/{{slug}}", handle=handle, posts=posts)
