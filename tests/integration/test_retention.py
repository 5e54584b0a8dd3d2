"""Issue 13, must show 7: with the clock moved past the period, `referral-service retention sweep --at` anonymises
exactly the cases that are due (the name and identity number gone, so a search by the number finds nothing; what
was written about the child gone; the rows and codes Oversikt counts kept), deletes the delivered outbox messages
that are due, and nothing else: a case that ended within the period, another child's open case, and a child with
an old ended case and a new open referral are untouched. The run is recorded; a second run changes nothing."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlmodel import Session, SQLModel, select

from referral_service.bootstrap import dependencies
from referral_service.cli import main
from referral_service.domain.alert import Alert
from referral_service.domain.check_in import CheckIn
from referral_service.domain.child import Child
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.domain.kept_form import KeptForm
from referral_service.domain.login_throttle import LoginThrottle
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import MunicipalContact, Referral, ReferralEvent
from referral_service.domain.retention_run import RetentionRun
from referral_service.domain.web_session import WebSession
from referral_service.security.access_log_checkpoints import checkpoint_dir
from referral_service.services.children.search import child_search
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
#: When the old cases end; five years (RETENTION_CASE_YEARS) and a day later they are due.
ENDED = datetime(2026, 11, 6, 10, tzinfo=OSLO)
SWEEP_AT = "2031-11-07T09:00:00+01:00"
#: A case that ended half a year before the sweep: within every period.
RECENTLY = datetime(2031, 5, 6, 10, tzinfo=OSLO)
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist, angst etter mobbing.",
             "municipal_advice": "Tilbud hos helsesykepleier."}
FOLLOWED_UP = {"outcome": "Helsesykepleier følger opp Ola ukentlig.", "outcome_code": "followed_up"}
CASE_TABLES: tuple[type[SQLModel], ...] = (Child, Referral, ReferralEvent, Handover, HandoverEvent, CheckIn,
                                           MunicipalContact, Alert, OutboxMessage)


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


def installation_env(app) -> dict[str, str]:
    """The command line on the test's installation: its database, its keys and its access-log checkpoints (so the
    access log's own pruning verifies the chain as the service would)."""
    return {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
            "REFERRAL_DATA_DIR": app.config["DATA_DIR"],
            "REFERRAL_AUDIT_CHECKPOINT_DIR": str(checkpoint_dir(dependencies(app).config))}


@pytest.fixture
def retention_sweep(app):
    """`referral-service retention sweep --at ISO` against the test database; returns what it printed."""
    runner = CliRunner()
    env = installation_env(app)

    def run(at: str = SWEEP_AT) -> str:
        result = runner.invoke(main, ["retention", "sweep", "--at", at], env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    return run


def consent_on(moment: datetime) -> dict[str, Any]:
    """The guardians' and the young person's consent (the children of 2012 are grown up by the later cases)."""
    return {"given_by": ["guardian", "child"], "share_with": ["bup", "municipality"],
            "recorded_on": moment.date().isoformat()}


def ended_case(world, worker, clock, moment: datetime, child: dict[str, Any] | None = None) -> dict[str, Any]:
    """A referral BUP rejected at `moment`, whose handover Askøy's coordinator took and closed the same day."""
    clock.set(moment)
    referral = world.create_referral("gp", child=child or world.referral_body()["child"], consent=consent_on(moment))
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    for action, payload in (("acknowledge", None), ("close", FOLLOWED_UP)):
        response = world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}", json=payload)
        assert response.status_code == 200, response.json
    worker.run()
    return referral


def open_referral(world, worker, clock, moment: datetime, child: dict[str, Any] | None = None) -> dict[str, Any]:
    clock.set(moment)
    referral = world.create_referral("gp", child=child or world.referral_body()["child"], consent=consent_on(moment))
    world.act("gp", referral["id"], "submit")
    worker.run()
    return referral


def session_of(app) -> Session:
    return app.extensions["referral_db"].session()


def child_of(app, referral: dict[str, Any]) -> Child:
    with session_of(app) as session:
        child_id = session.get(Referral, referral["id"]).child_id
        return session.get(Child, child_id)


def found_by_number(app, number: str) -> str | None:
    with session_of(app) as session:
        return child_search(session, dependencies(app).identity.vault, number).child_id


def snapshot(app) -> dict[str, list[dict[str, Any]]]:
    with session_of(app) as session:
        return {table.__tablename__: sorted((row.model_dump() for row in session.exec(select(table))),  # type: ignore[attr-defined]
                                            key=lambda row: str(row.get("id")))
                for table in CASE_TABLES}


def runs(app) -> list[RetentionRun]:
    with session_of(app) as session:
        return list(session.exec(select(RetentionRun)))


def test_the_sweep_anonymises_the_due_case_and_nothing_else_and_a_second_run_changes_nothing(
        app, world, worker, clock, retention_sweep):
    old = ended_case(world, worker, clock, ENDED)
    kept_whole = ended_case(world, worker, clock, ENDED)
    kept_whole_child = child_of(app, kept_whole)
    recent = ended_case(world, worker, clock, RECENTLY)
    other_open = open_referral(world, worker, clock, ENDED)
    # The child of `kept_whole` is referred again, years later: the old ended case stays with the new one.
    number_of = {}
    with session_of(app) as session:
        vault = dependencies(app).identity.vault
        for name, referral in (("old", old), ("kept_whole", kept_whole), ("recent", recent), ("open", other_open)):
            child = session.get(Child, session.get(Referral, referral["id"]).child_id)
            number_of[name] = vault.decrypt(child.national_id_ciphertext)
    again = dict(world.referral_body()["child"], national_id=number_of["kept_whole"])
    new_open = open_referral(world, worker, clock, RECENTLY, child=again)
    assert child_of(app, new_open).id == kept_whole_child.id
    old_child = child_of(app, old)
    before = snapshot(app)

    output = retention_sweep()

    assert "case: 1" in output
    # The case that was due: who the child is, and what was written about them, is gone.
    anonymised = child_of(app, old)
    assert (anonymised.given_name, anonymised.family_name, anonymised.guardians) == ("", "", [])
    assert anonymised.national_id_ciphertext == "" and anonymised.national_id_index != old_child.national_id_index
    with pytest.raises(ValueError):
        dependencies(app).identity.vault.decrypt(anonymised.national_id_ciphertext)
    assert found_by_number(app, number_of["old"]) is None
    assert anonymised.birth_date.year == old_child.birth_date.year  # the age in statistics stays
    with session_of(app) as session:
        referral = session.get(Referral, old["id"])
        assert (referral.child_given_name, referral.description, referral.child_view, referral.measures_tried) == (
            "", "", "", "")
        assert (referral.status, referral.child_home_municipality) == ("rejected", "4627")  # what Oversikt counts
        reject = session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == old["id"],
                                                          ReferralEvent.action == "reject")).one()
        assert reject.data.get("reason_code") == "not_specialist_need"
        assert "explanation" not in reject.data and "municipal_advice" not in reject.data
        handover = session.exec(select(Handover).where(Handover.referral_id == old["id"])).one()
        assert (handover.outcome, handover.outcome_code) == (None, "followed_up")
        assert set(handover.content) <= {"clinic_name", "reason_code", "epikrise_sent"}
        assert "explanation" not in handover.content and "municipal_advice" not in handover.content
        assert not session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == old["id"])).all()
        assert not session.exec(select(Alert).where(Alert.referral_id == old["id"])).all()
        assert not session.exec(select(OutboxMessage).where(OutboxMessage.processed_at.is_not(None))).all()

    # The anonymised referral still opens (for the statistics' sake its rows stay), without the child's name or
    # number; revealing the number answers that there is none to reveal.
    opened = world.get("gp", f"/api/v1/referrals/{old['id']}")
    assert opened.status_code == 200 and opened.json["child"]["given_name"] == ""
    revealed = world.post("gp", f"/api/v1/referrals/{old['id']}/national-id")
    assert revealed.status_code == 404, revealed.status_code

    # Nothing else: the recent case, the other child's open case, and the child with an old case and a new one.
    after = snapshot(app)
    untouched = {old["id"]}
    for table in ("child", "referral", "handover"):
        assert [r for r in before[table] if not touches(r, untouched, old_child.id)] == \
               [r for r in after[table] if not touches(r, untouched, old_child.id)], table
    for name in ("kept_whole", "recent", "open"):
        assert found_by_number(app, number_of[name]) is not None, name
    assert child_of(app, kept_whole).given_name == kept_whole_child.given_name
    with session_of(app) as session:
        for referral in (kept_whole, recent, other_open, new_open):
            assert session.get(Referral, referral["id"]).description == world.referral_body()["description"]
            assert session.exec(select(MunicipalContact).where(MunicipalContact.referral_id == referral["id"])).all()
        assert session.exec(select(Alert).where(Alert.referral_id == recent["id"])).all()

    # The run is recorded, kind by kind, with its cut-off.
    recorded = {run.kind: run for run in runs(app)}
    assert recorded["case"].count == 1
    assert recorded["case"].cut_off.astimezone(OSLO).date().isoformat() == "2026-11-07"
    assert recorded["outbox"].count > 0

    # A second run finds nothing more to do.
    settled = snapshot(app)
    output = retention_sweep()
    assert "case: 0" in output and "outbox: 0" in output and "alert: 0" in output
    assert snapshot(app) == settled
    first_ids = {run.id for run in recorded.values()}
    second = [run for run in runs(app) if run.id not in first_ids]
    assert {run.kind for run in second} >= {"case", "alert", "outbox", "kept_form", "login_throttle"}
    assert all(run.count == 0 for run in second)


def touches(row: dict[str, Any], referral_ids: set[str], child_id: str) -> bool:
    return row.get("id") in referral_ids or row.get("referral_id") in referral_ids or row.get("id") == child_id


def test_a_case_with_a_planned_check_in_is_kept_whole_however_old(app, world, worker, clock, retention_sweep):
    clock.set(ENDED)
    referral = world.create_referral("gp")
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", REJECTION)
    worker.run()
    handover_id = world.get("gp", f"/api/v1/referrals/{referral['id']}").json["handover_id"]
    for action, payload in (("acknowledge", None),
                            ("close", {"outcome": "Hjelpen er avsluttet.", "outcome_code": "help_ended"})):
        assert world.post("coordinator_askoy", f"/api/v1/handovers/{handover_id}/{action}",
                          json=payload).status_code == 200
    before = child_of(app, referral)

    assert "case: 0" in retention_sweep()

    assert child_of(app, referral).model_dump() == before.model_dump()


def test_the_other_kinds_go_after_their_own_periods_and_only_those(app, world, retention_sweep):
    at = datetime.fromisoformat(SWEEP_AT)
    long_ago, lately = at - timedelta(days=400), at - timedelta(hours=3)
    gp = world.users["gp"].id
    with session_of(app) as session:
        session.add_all([
            KeptForm(id="kept-old", user_id=gp, path="/henvisninger/ny", fields_ciphertext="x", created_at=long_ago,
                     expires_at=long_ago + timedelta(hours=2)),
            KeptForm(id="kept-new", user_id=gp, path="/henvisninger/ny", fields_ciphertext="x", created_at=lately,
                     expires_at=lately + timedelta(hours=2)),
            LoginThrottle(key="a" * 64, failures=3, last_failure_at=long_ago),
            LoginThrottle(key="b" * 64, failures=10, last_failure_at=long_ago, locked_until=at + timedelta(hours=1)),
            LoginThrottle(key="c" * 64, failures=1, last_failure_at=lately),
            OutboxMessage(id="sent-old", topic="t", created_at=long_ago, dispatched_at=long_ago, processed_at=long_ago),
            OutboxMessage(id="stuck-old", topic="t", created_at=long_ago, dispatched_at=long_ago),
            OutboxMessage(id="sent-new", topic="t", created_at=lately, dispatched_at=lately, processed_at=lately),
            WebSession(id_hash="o" * 64, user_id=gp, created_at=long_ago, last_seen_at=long_ago, ended_at=long_ago,
                       ended_reason="logged_out"),
            WebSession(id_hash="n" * 64, user_id=gp, created_at=lately, last_seen_at=lately),
        ])
        session.commit()

    output = retention_sweep()

    counts = dict(line.strip().split(": ") for line in output.splitlines() if line.startswith("  "))
    assert (counts["kept_form"], counts["login_throttle"], counts["outbox"], counts["web_session"]) == (
        "1", "1", "1", "1")
    with session_of(app) as session:
        assert {row.id for row in session.exec(select(KeptForm))} == {"kept-new"}
        assert {row.key[0] for row in session.exec(select(LoginThrottle))} == {"b", "c"}
        assert {row.id for row in session.exec(select(OutboxMessage))} == {"stuck-old", "sent-new"}
        # Signing in for this test left sessions of its own: only the one begun 400 days ago is gone.
        hashes = {row.id_hash for row in session.exec(select(WebSession))}
        assert "n" * 64 in hashes and "o" * 64 not in hashes


def test_the_sweep_works_in_batches_and_finishes(app, world, worker, clock, tmp_path):
    cases = [ended_case(world, worker, clock, ENDED) for _ in range(3)]
    env = {**installation_env(app), "REFERRAL_RETENTION_BATCH": "1"}
    result = CliRunner().invoke(main, ["retention", "sweep", "--at", SWEEP_AT], env=env)
    assert result.exit_code == 0, result.output
    assert "case: 3" in result.output
    assert all(child_of(app, referral).given_name == "" for referral in cases)


def test_the_sweep_at_a_time_is_refused_by_a_complete_production_configuration(postgres_server, tmp_path):
    # The refusal comes before the database is opened; strong secrets, so that only --at is refused.
    env = {"REFERRAL_ENV": "production", "REFERRAL_DATA_DIR": str(tmp_path),
           "REFERRAL_SECRET_KEY": secrets.token_urlsafe(48), "REFERRAL_AUDIT_KEY": secrets.token_urlsafe(48),
           "REFERRAL_ID_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "REFERRAL_BROKER_URL": "redis://127.0.0.1:1/0", "REFERRAL_SMTP_HOST": "x",
           "REFERRAL_BASE_URL": "https://henvisning.kommune.example",
           "REFERRAL_DATABASE_URL": postgres_server.url}
    result = CliRunner().invoke(main, ["retention", "sweep", "--at", SWEEP_AT], env=env)
    assert result.exit_code != 0
    assert "--at is refused in production" in result.output
