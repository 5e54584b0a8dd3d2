"""The figures read from the database when /metrics is scraped: right in every web process, however many there are,
and never out of date. Each is one query on an index whose entries follow the work waiting, not the years of
work done: the backlog (ix_outbox_pending, ix_outbox_unprocessed), alerts waiting or failed (ix_alert_email_state),
open tasks (ix_handover_status_acknowledge_due), the last day's repairs (ix_repair_report_at) and the heartbeats
(one row per process)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from referral_service.clock import Clock
from referral_service.db import Database
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover, RepairReport
from referral_service.services.admin.operations import backlog
from referral_service.services.loop.heartbeats import heartbeat_ages
from referral_service.workflows.handover_lifecycle import OPEN_STATUSES, overdue_handovers

log = logging.getLogger(__name__)

#: The e-mail states an operator acts on; 'sent' is the history of every alert and is counted by the worker
#: (referral_tasks_total), not by reading every alert ever sent.
WATCHED_EMAIL_STATES = ("pending", "failed")
REPAIR_WINDOW = timedelta(hours=24)


class DatabaseCollector(Collector):
    """Gauges computed at scrape time from the database, one cheap query each."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("referral_metrics_database_up",
                               "1 when the database answered the queries of this scrape, else 0.")
        try:
            with self.database.session(read_only=True) as session:
                families = list(self._families(session))
        except Exception as exc:  # noqa: BLE001 - a scrape must still answer (with up 0) when the database does not
            log.warning("metrics: database figures unavailable", extra={"error_type": type(exc).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, session: Session) -> Iterator[Metric]:
        now = self.clock.now()
        waiting = backlog(session, self.clock)
        yield _gauge("referral_outbox_pending_messages", "Outbox messages not yet handed to the broker.",
                     waiting["outbox_pending"])
        yield _gauge("referral_outbox_unprocessed_messages", "Outbox messages whose effects are not yet committed.",
                     waiting["outbox_unprocessed"])
        yield _gauge("referral_outbox_oldest_unprocessed_age_seconds",
                     "Age of the oldest outbox message whose effects are not yet committed (0 when none).",
                     waiting["oldest_pending_seconds"] or 0.0)
        yield _gauge("referral_alert_emails_retrying",
                     "Alert e-mails waiting in their retry window for the next attempt (not backlog: planned).",
                     waiting["email_retries_waiting"])

        alerts = GaugeMetricFamily("referral_alerts", "Alerts whose e-mail is waiting or has failed, by e-mail state.",
                                   labels=["email_state"])
        counts = dict(session.exec(select(Alert.email_state, func.count()).where(
            col(Alert.email_state).in_(WATCHED_EMAIL_STATES)).group_by(Alert.email_state)).all())
        for state in WATCHED_EMAIL_STATES:
            alerts.add_metric([state], counts.get(state, 0))
        yield alerts

        handovers = GaugeMetricFamily("referral_handovers", "Handover tasks not closed: all open ones, those past a "
                                      "deadline, and those escalated.", labels=["state"])
        not_closed = col(Handover.status).in_(list(OPEN_STATUSES))
        count = lambda *where: session.exec(select(func.count()).select_from(Handover).where(*where)).one()  # noqa: E731
        handovers.add_metric(["open"], count(not_closed))
        handovers.add_metric(["overdue"], count(overdue_handovers(self.clock.today())))
        handovers.add_metric(["escalated"], count(not_closed, col(Handover.escalation_level) > 0))
        yield handovers

        repaired = session.exec(select(func.coalesce(func.sum(RepairReport.missing_handovers
                                                              + RepairReport.stuck_messages), 0))
                                .where(RepairReport.at >= now - REPAIR_WINDOW)).one()
        yield _gauge("referral_reconciler_repairs_last_day",
                     "What the reconciler repaired in the last 24 hours (missing handovers and stuck messages).",
                     int(repaired))

        ages = GaugeMetricFamily("referral_heartbeat_age_seconds",
                                 "Seconds since the newest heartbeat of any worker / scheduler (absent: never heard).",
                                 labels=["component"])
        for component, age in heartbeat_ages(session, now).items():
            if age is not None:
                ages.add_metric([str(component)], age)
        yield ages


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
