"""/metrics during a rejection: the request is counted under its endpoint and status, and the backlog, the open
handovers and the alerts by e-mail state move as the worker's path (in-process here) does its work. Runs on SQLite
and PostgreSQL (the `app` fixture)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.alert import Alert
from referral_service.notify.mailer import FakeMailer
from referral_service.services.loop.sweeps import run_sweeps
from referral_service.services.unit_of_work import REFERRAL_EVENT_TOPIC, SqlUnitOfWork
from tests.support.loop import InProcessWorker

REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}
FAMILIES = {"referral_http_request_duration_seconds", "referral_outbox_pending_messages",
            "referral_outbox_unprocessed_messages", "referral_outbox_oldest_unprocessed_age_seconds",
            "referral_alerts", "referral_handovers", "referral_reconciler_repairs_last_day",
            "referral_heartbeat_age_seconds", "referral_metrics_database_up", "referral_alert_emails_retrying"}


class Scrape(dict):
    """One scrape of /metrics: each sample's value by (name, labels), and the families it named."""

    families: set[str]

    def value(self, name: str, **labels: str) -> float:
        return self.get((name, frozenset(labels.items())), 0.0)


def scrape(client, **headers) -> Scrape:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    result = Scrape()
    result.families = set()
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        result.families.add(family.name)
        for sample in family.samples:
            result[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return result


def alerts_in_state(app, state: str) -> int:
    with app.extensions["referral_db"].session() as session:
        return session.exec(select(func.count()).select_from(Alert).where(Alert.email_state == state)).one()


def endpoint_of(app, path: str, method: str) -> str:
    return app.url_map.bind("localhost").match(path, method=method)[0]


def test_a_rejection_moves_the_request_count_backlog_handovers_and_alerts(app, world, clock):
    client = app.test_client()
    worker = InProcessWorker(app, mailer=FakeMailer())
    referral = world.referral_in("submitted")
    worker.run()
    reject_path = f"/api/v1/referrals/{referral['id']}/reject"
    endpoint = endpoint_of(app, reject_path, "POST")
    before = scrape(client)
    assert FAMILIES <= before.families, FAMILIES - before.families
    assert before.value("referral_metrics_database_up") == 1

    world.act("bup", referral["id"], "reject", REJECTION)
    decided = scrape(client)
    counted = "referral_http_request_duration_seconds_count"
    labels = {"endpoint": endpoint, "method": "POST", "status": "200"}
    assert decided.value(counted, **labels) == before.value(counted, **labels) + 1
    assert not any(referral["id"] in value for _name, label_set in decided for _key, value in label_set), \
        "a label carries the referral's id: requests must be labelled by endpoint, never by path"
    # The decision waits in the outbox; nothing has made its handover yet.
    assert decided.value("referral_outbox_pending_messages") >= 1
    assert decided.value("referral_outbox_unprocessed_messages") >= 1
    assert decided.value("referral_handovers", state="open") == before.value("referral_handovers", state="open")

    clock.set(datetime.now(UTC) + timedelta(seconds=90))
    assert scrape(client).value("referral_outbox_oldest_unprocessed_age_seconds") >= 90

    # The worker's path: relay, then the referral event makes the handover and its alerts.
    worker.relay()
    events, worker.queue = [item for item in worker.queue if item[0] == REFERRAL_EVENT_TOPIC], []
    for item in events:
        worker.process(*item)
    handed_over = scrape(client)
    assert handed_over.value("referral_handovers", state="open") == before.value("referral_handovers",
                                                                                 state="open") + 1
    new_alerts = handed_over.value("referral_alerts", email_state="pending") - before.value(
        "referral_alerts", email_state="pending")
    assert new_alerts >= 1  # the coordinator, the GP and the child's contact
    assert handed_over.value("referral_outbox_pending_messages") >= new_alerts  # their e-mails wait

    # The mail server is down: the e-mails wait for their next attempt, counted apart from the backlog.
    worker.mailer = FakeMailer(fail_times=100_000)
    worker.run()
    retrying = scrape(client)
    assert retrying.value("referral_alert_emails_retrying") >= new_alerts
    assert retrying.value("referral_outbox_pending_messages") == 0
    assert retrying.value("referral_outbox_oldest_unprocessed_age_seconds") == 0
    # Down for the whole retry window: the alerts move from pending to failed, and nothing waits any more.
    worker.run_retries(clock)
    failed = scrape(client)
    assert failed.value("referral_alert_emails_retrying") == 0
    assert failed.value("referral_alerts", email_state="pending") == 0
    assert failed.value("referral_alerts", email_state="failed") >= before.value(
        "referral_alerts", email_state="failed") + new_alerts
    assert failed.value("referral_alerts", email_state="failed") == alerts_in_state(app, "failed")
    assert failed.value("referral_outbox_unprocessed_messages") == 0
    assert failed.value("referral_outbox_oldest_unprocessed_age_seconds") == 0

    # Weeks later nobody has taken the task: it is overdue, and the sweep escalates it.
    clock.set(datetime.now(UTC) + timedelta(days=21))
    deps = dependencies(app)
    with app.extensions["referral_db"].session() as session:
        run_sweeps(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines)
    late = scrape(client)
    assert late.value("referral_handovers", state="overdue") == before.value("referral_handovers",
                                                                             state="overdue") + 1
    assert late.value("referral_handovers", state="escalated") == before.value("referral_handovers",
                                                                               state="escalated") + 1


def test_requests_no_route_matched_share_one_label_whatever_their_path(app, world):
    client = app.test_client()
    before = scrape(client)
    for path in ("/no-such-page/12345678901", "/no-such-page/another"):
        assert client.get(path).status_code == 404
    after = scrape(client)
    counted = "referral_http_request_duration_seconds_count"
    labels = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert after.value(counted, **labels) == before.value(counted, **labels) + 2
    assert not any("12345678901" in value for _name, label_set in after for _key, value in label_set)


def test_with_a_metrics_token_only_its_bearer_may_scrape(app, world):
    config = app.config["REFERRAL_CONFIG"]
    config.METRICS_TOKEN = "scrape-secret-0123456789"
    try:
        client = app.test_client()
        refused = client.get("/metrics")
        assert refused.status_code == 401 and "referral_" not in refused.get_data(as_text=True)
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "referral_handovers" in scrape(client, Authorization="Bearer scrape-secret-0123456789").families
    finally:
        config.METRICS_TOKEN = ""


@pytest.fixture(scope="module")
def alert_rules():
    from pathlib import Path

    return yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/operations/alert-rules.yml").read_text())


def test_the_alert_rules_are_a_prometheus_rule_file_on_metrics_the_service_exports(app, world, alert_rules):
    from referral_service.metrics import worker as worker_metrics  # noqa: F401  (the worker's families)

    exported = scrape(app.test_client()).families | {"referral_tasks", "referral_task_duration_seconds",
                                                      "referral_sweep_duration_seconds",
                                                      "referral_reconciler_repairs"}
    groups = alert_rules["groups"]
    assert groups and all(group["name"] and group["rules"] for group in groups)
    rules = [rule for group in groups for rule in group["rules"]]
    names = {rule["alert"] for rule in rules}
    assert {"ReferralOutboxBacklogOld", "ReferralAlertEmailsFailed", "ReferralNoWorkerHeartbeat",
            "ReferralNoBeatHeartbeat", "ReferralHttp5xxRate"} <= names
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
        assert rule["labels"]["severity"] in {"warning", "critical"} and rule["annotations"]["summary"]
        used = {token for token in _words(rule["expr"]) if token.startswith("referral_")}
        assert used, rule["alert"]
        assert {_family(token) for token in used} <= exported, (rule["alert"], used)


def _words(expr: str) -> list[str]:
    import re

    return re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)


def _family(sample: str) -> str:
    for suffix in ("_bucket", "_count", "_sum", "_total", "_created"):
        if sample.endswith(suffix):
            return sample[: -len(suffix)]
    return sample


def test_each_figure_read_from_the_database_is_found_through_an_index(tmp_path):
    """The figures are read at every scrape: each query must search an index (whose entries follow the work
    waiting), never scan the years of alerts, handovers or outbox rows a national installation holds."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import event

    from referral_service.clock import Clock
    from referral_service.db import Database
    from referral_service.domain.types import utcnow
    from referral_service.metrics.collector import DatabaseCollector
    from referral_service.migrations import upgrade

    url = f"sqlite:///{tmp_path / 'plans.sqlite'}"
    upgrade(url)
    database = Database()
    database.configure(url)
    statements: list[tuple[str, object]] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, _context, _many: statements.append(
                     (statement, parameters)))
    try:
        families = list(DatabaseCollector(database, Clock(utcnow, ZoneInfo("Europe/Oslo"))).collect())
        assert families[0].samples[0].value == 1  # referral_metrics_database_up
        queries = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
        assert len(queries) >= 8
        with database.engine.connect() as connection:
            for statement, parameters in queries:
                plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                for table in ("alert", "handover", "outbox_message", "repair_report"):
                    steps = [step for step in plan if re.search(rf"\b{table}\b", step)]
                    assert all(step.startswith("SEARCH") and "INDEX" in step for step in steps), (statement, plan)
    finally:
        database.engine.dispose()
