"""The referrer's actions on the referral page: answer BUP's questions, withdraw the referral, name a contact,
record a move. Each form's address also answers GET, which shows the form its user posted as their session ended,
filled in again (web/kept_forms.py), or leads to the referral page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.enums import SPECIALIST_CLINIC_KINDS, OrganisationKind
from referral_service.errors import Conflict, InvalidData, PreconditionFailed
from referral_service.services.admin.directory import list_organisations
from referral_service.services.pagination import MAX_PER_PAGE
from referral_service.services.referrals.actions import take_action
from referral_service.services.referrals.drafts import update_municipal_contacts
from referral_service.services.referrals.move import record_move
from referral_service.services.referrals.page import referral_page
from referral_service.web import kept_forms
from referral_service.web.blueprint import web
from referral_service.web.forms import decisions
from referral_service.web.forms.decisions import ActionForm, FilledForm
from referral_service.web.forms.submission import VERSION_FIELD, kept_values
from referral_service.web.session_auth import login_required, web_actor

CHANGED_MEANWHILE = "Henvisningen er endret i mellomtiden. Se hva som gjelder nå, og prøv igjen om det trengs."
#: The referrer's forms on the referral page: (form, where it posts, its key on the page, its button's variant).
REFERRER_FORMS = ((decisions.ANSWER, "web.answer_bup", "svar", "primary"),
                  (decisions.ADD_CONTACT, "web.add_municipal_contact", "kontakt", "secondary"),
                  (decisions.WITHDRAW, "web.withdraw_referral", "trekk", "secondary"),
                  (decisions.MOVE, "web.record_move_on_referral", "flytting", "secondary"))


def referral_detail_page(page, **extra):
    """The referral page, with the referrer's forms."""
    organisations = list_organisations(db_session(), actor=web_actor(), page=1, per_page=MAX_PER_PAGE).items
    options = {"contact_organisation_id": [(o.id, o.name) for o in organisations
                                           if o.kind not in (*SPECIALIST_CLINIC_KINDS, OrganisationKind.OPERATOR)],
               "move_home_municipality": municipality_choices()}
    return render_template("referrals/detail.html", **page.context(), referrer_forms=REFERRER_FORMS,
                           referrer_options=options,
                           version_field=VERSION_FIELD, **extra)


@web.route("/henvisninger/<referral_id>/svar", methods=["GET", "POST"])
@login_required
def answer_bup(referral_id: str):
    return _act(referral_id, decisions.ANSWER)


@web.route("/henvisninger/<referral_id>/kontakt", methods=["GET", "POST"])
@login_required
def add_municipal_contact(referral_id: str):
    """The referring side names one more person in the municipality around the child, after submission too."""
    def add(data: dict[str, Any], version: str | None) -> None:
        page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
        contacts = [{"role": c.role, "name": c.name, "organisation_id": c.organisation_id}
                    for c in page.view.municipal_contacts]
        update_municipal_contacts(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                                  contacts=[*contacts, data], if_match=version)

    return _act(referral_id, decisions.ADD_CONTACT, add)


def municipality_choices() -> list[tuple[str, str]]:
    """The municipalities in the register today, as the referral form lists them."""
    return [(m.number, f"{m.name} ({m.number})") for m in deps().municipalities.in_force(deps().clock.today())]


def move_to(referral_id: str) -> Callable[[dict[str, Any], str | None], Any]:
    """Record that the family has moved (the referral page and the handover page post this)."""
    def move(data: dict[str, Any], version: str | None) -> Any:
        return record_move(unit_of_work(), deps().clock, deadlines=deps().deadlines,
                           municipalities=deps().municipalities, actor=web_actor(), referral_id=referral_id,
                           home_municipality=data["home_municipality"], moved_on=data.get("moved_on"),
                           if_match=version)

    return move


@web.route("/henvisninger/<referral_id>/flytting", methods=["GET", "POST"])
@login_required
def record_move_on_referral(referral_id: str):
    """The referring side records that the family has moved; an open task goes with the child."""
    return _act(referral_id, decisions.MOVE, move_to(referral_id))


@web.route("/henvisninger/<referral_id>/trekk-tilbake", methods=["GET", "POST"])
@login_required
def withdraw_referral(referral_id: str):
    return _act(referral_id, decisions.WITHDRAW)


def _take(referral_id: str, form: ActionForm) -> Callable[[dict[str, Any], str | None], Any]:
    def take(data: dict[str, Any], version: str | None) -> Any:
        return take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                           municipalities=deps().municipalities, actor=web_actor(), referral_id=referral_id,
                           action=form.action, data=data, if_match=version)

    return take


def _act(referral_id: str, form: ActionForm, do: Callable[[dict[str, Any], str | None], Any] | None = None):
    """Parse the form, do what it asks (the form's lifecycle action unless `do` is given), and go back to the
    referral page (or show it again with errors). A referral that changed meanwhile is shown as it is now, with
    a notice: the referrer's forms are short."""
    if request.method == "GET":
        return _show_kept(referral_id, form)
    filled = form.parse(request.form)
    if not filled.valid:
        return _page_with_errors(referral_id, filled)
    try:
        (do or _take(referral_id, form))(filled.data, request.form.get(VERSION_FIELD) or None)
    except InvalidData as exc:
        return _page_with_errors(referral_id, filled.refused(exc))
    except (Conflict, PreconditionFailed):
        flash(CHANGED_MEANWHILE, "info")
    else:
        flash(form.done, "ok")
    return redirect(url_for("web.referral_detail", referral_id=referral_id))


def _show_kept(referral_id: str, form: ActionForm):
    values = kept_values(form)
    if values is None:
        return redirect(url_for("web.referral_detail", referral_id=referral_id), code=303)
    page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                         window_months=deps().deadlines.repeat_window_months)
    return referral_detail_page(page, failed=form.action, action_values=values)


def _page_with_errors(referral_id: str, filled: FilledForm):
    page = referral_page(unit_of_work(), actor=web_actor(), referral_id=referral_id,
                             window_months=deps().deadlines.repeat_window_months)
    return referral_detail_page(page, failed=filled.form.action, action_errors=filled.errors,
                                action_values=filled.values), 422


for _form, _endpoint, _key, _variant in REFERRER_FORMS:
    kept_forms.restorable(_endpoint)
