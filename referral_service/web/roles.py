"""Which pages are for which roles, checked in one place before any view runs.

A page of another role answers 403 with the Norwegian error page, the same for every address under it, so it
tells nothing about whether a referral or a task exists. Pages not listed here are for everyone signed in;
the records they show are still guarded by need-to-know in the services (404 for what a user may not see).
"""

from __future__ import annotations

from flask import abort, request

from referral_service.domain.enums import Role
from referral_service.web.blueprint import web
from referral_service.web.session_auth import web_actor
from referral_service.web.views import bup

REFERRERS = frozenset({Role.REFERRER})
BUP = frozenset({Role.BUP_INTAKE})
#: The municipality's worklist; a referring service's lead holds the tasks their service owns there too.
TASK_HOLDERS = frozenset({Role.MUNICIPAL_COORDINATOR, Role.MUNICIPAL_LEAD, Role.REFERRER_LEAD})
#: Oversikt's figures have a scope for these (security/statistics_scope.py); a referring service's lead has none.
ADMINISTRATORS = frozenset({Role.ADMIN})
DASHBOARD_READERS = frozenset({Role.REFERRER, Role.BUP_INTAKE, Role.MUNICIPAL_COORDINATOR, Role.MUNICIPAL_LEAD,
                               Role.ADMIN, Role.AUDITOR})

#: The access log's pages (web/views/audit.py); an administrator never reads child data, so not them.
AUDITORS = frozenset({Role.AUDITOR})

PAGE_ROLES: dict[str, frozenset[Role]] = {
    "web.new_referral": REFERRERS,
    "web.edit_referral": REFERRERS,
    "web.my_referrals": REFERRERS,
    "web.search_my_referrals": REFERRERS,
    "web.intake": BUP,
    "web.search_intake": BUP,
    # Not "web.assess_referral": a referral's other parties opening BUP's page are sent on to the referral's own
    # page, and the view answers 404 to anyone who may not see the referral.
    "web.merge_referrals": BUP,
    **{endpoint: BUP for endpoint in bup.ENDPOINTS.values()},
    "web.handovers": TASK_HOLDERS,
    "web.search_handovers": TASK_HOLDERS,
    "web.dashboard": DASHBOARD_READERS,
    "web.dashboard_csv": DASHBOARD_READERS,
    # Administrasjon (web/views/admin*.py): the administrator only.
    **{endpoint: ADMINISTRATORS for endpoint in (
        "web.admin_overview", "web.admin_organisations", "web.admin_create_organisation", "web.admin_users",
        "web.admin_create_user", "web.admin_user", "web.admin_change_roles", "web.admin_deactivate_user",
        "web.admin_grants", "web.admin_add_grant", "web.admin_end_grant", "web.admin_user_contact",
        "web.admin_organisation_contact")},
    **{f"web.{endpoint}": AUDITORS for endpoint in ("audit_log", "search_audit_log", "audit_verification",
                                                   "insight_request", "search_insight", "insight_print",
                                                   "insight_csv")},
    "web.admin_reset_password": ADMINISTRATORS,
    # Drift (web/views/admin_operations.py): the backlog and failed alert e-mails.
    "web.admin_operations": ADMINISTRATORS,
    "web.admin_resend_alert_email": ADMINISTRATORS,
}


def roles_for(endpoint: str | None) -> frozenset[Role] | None:
    """The roles a page is for, or None when it is for everyone signed in."""
    return PAGE_ROLES.get(endpoint or "")


def may_open(endpoint: str) -> bool:
    """Whether the signed-in user's roles open the page: the header's navigation shows only those."""
    wanted, actor = roles_for(endpoint), web_actor()
    return actor is not None and (wanted is None or any(actor.has_role(role) for role in wanted))


@web.before_request
def _refuse_other_roles() -> None:
    if web_actor() is None:  # not signed in: the view's login_required sends them to log in
        return
    if request.endpoint and not may_open(request.endpoint):
        abort(403)


@web.app_context_processor
def _navigation() -> dict:
    return {"may_open": may_open}
