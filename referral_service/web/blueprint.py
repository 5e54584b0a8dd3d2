"""The web blueprint, its CSRF check, and what every page template knows."""

from __future__ import annotations

from flask import Blueprint, g

from referral_service.api.context import db_session, deps
from referral_service.domain.alert import Alert
from referral_service.notify.alert_texts import alert_text
from referral_service.security.csrf import check_csrf, csrf_token
from referral_service.services.alerts.inbox import unread_count
from referral_service.services.views import masked_national_id
from referral_service.web import formatting, labels
from referral_service.web.session_auth import web_actor

web = Blueprint("web", __name__)


@web.before_request
def _protect_forms() -> None:
    check_csrf()


@web.app_context_processor
def _page_context() -> dict:
    actor = web_actor() if g.get("web_enabled", True) else None
    return {
        "actor": actor,
        "organisation": g.get("web_organisation"),
        "unread_alerts": unread_count(db_session(), actor=actor) if actor else 0,
        "csrf_token": csrf_token,
        "labels": labels,
        "today": deps().clock.today(),
    }


@web.app_template_filter("dato")
def _date(value) -> str:
    return formatting.norwegian_date(value)


@web.app_template_filter("tid")
def _time(value) -> str:
    return formatting.norwegian_time(value)


@web.app_template_filter("frist")
def _deadline(value) -> str:
    return formatting.deadline_text(value, today=deps().clock.today(), calendar=deps().calendar)


@web.app_template_filter("virkedager_igjen")
def _days_left(value):
    return formatting.working_days_left(value, today=deps().clock.today(), calendar=deps().calendar)


@web.app_template_filter("maskert")
def _masked(birth_date) -> str:
    """What is shown instead of an identity number (services/views.py masked_national_id)."""
    return masked_national_id(birth_date)


@web.app_template_filter("varseltekst")
def _alert_text(alert: Alert) -> str:
    return alert_text(alert)
