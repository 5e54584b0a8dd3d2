"""Every table, imported in one place so that metadata and migrations see them all."""

from referral_service.domain import (
    access_log,
    admin_event,
    alert,
    check_in,
    child,
    dashboard_contact,
    dashboard_count,
    family,
    handover,
    heartbeat,
    kept_form,
    login_throttle,
    oidc_state,
    organisation,
    outbox,
    referral,
    retention_run,
    subscription,
    web_session,
)

#: The modules that define tables; importing this module registers every one of them.
TABLE_MODULES = (access_log, admin_event, alert, check_in, child, dashboard_contact, dashboard_count, family,
                 handover, heartbeat, kept_form, login_throttle, oidc_state, organisation, outbox, referral,
                 retention_run, subscription, web_session)
