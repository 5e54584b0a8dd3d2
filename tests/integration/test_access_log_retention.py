"""The access log's own retention: its oldest rows are pruned from the start of the chain only, only up to a row
a checkpoint outside the database signed before the cut-off vouches for, and only once the chain verifies; the new
start is signed inside and outside the database, verification starts there, and a deletion after it is still
found. Backdating rows in the database lets none of them go."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.clock import Clock
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.retention_run import RetentionRun
from referral_service.security.access_log_verification import PROBLEMS
from referral_service.services.admin.audit_retention import access_log_cutoff, prune_access_log
from referral_service.services.retention.policy import ACCESS_LOG, RetentionPolicy
from referral_service.services.retention.sweep import run_retention
from tests.integration.test_access_log import log_rows, some_activity, tamper, verify_on_the_command_line


def written_at(app) -> list[datetime]:
    """When each row was written, oldest first, as the service reads it."""
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(AccessLogEntry.at).order_by(AccessLogEntry.seq)).all())


def prune(app, before) -> int:
    deps = dependencies(app)
    return prune_access_log(deps.unit_of_work(), deps.clock, before=before)


def now(app) -> datetime:
    return dependencies(app).clock.now()


def backdate(app, *, up_to: int | None = None) -> None:
    """What someone with write access to the database (and not AUDIT_KEY) can do: set the rows' time to 2000."""
    table = AccessLogEntry.__table__
    change = update(table).values(at=datetime(2000, 1, 1, tzinfo=UTC))
    if up_to is not None:
        change = change.where(table.c.seq <= up_to)
    with app.extensions["referral_db"].engine.begin() as connection:
        assert connection.execute(change).rowcount >= 1


def logged_then_pruned(world, app, tmp_path) -> tuple[list[dict], int]:
    """Seven rows, sealed outside the database, then two more; pruned with all nine due by their time: only the
    seven the checkpoint outside the database vouches for go."""
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    world.get("bup", "/api/v1/referrals")
    world.get("bup", "/api/v1/referrals")
    rows = log_rows(app)
    assert len(rows) == 9
    assert prune(app, now(app)) == 7
    return rows, 7


def test_pruning_deletes_the_oldest_rows_only_and_the_log_still_verifies(world, app, tmp_path):
    rows, due = logged_then_pruned(world, app, tmp_path)
    assert [row["id"] for row in log_rows(app)] == [row["id"] for row in rows[due:]]
    world.get("bup", "/api/v1/referrals")  # the log goes on from where it was

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert world.get("auditor", "/api/v1/audit/verify").json["ok"] is True
    assert prune(app, written_at(app)[0]) == 0  # nothing more is due


def test_rows_due_by_their_own_time_are_kept_until_a_checkpoint_signed_before_the_cutoff_vouches_for_them(
        world, app, tmp_path):
    some_activity(world)
    assert prune(app, now(app)) == 0  # no checkpoint outside the database yet
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    times = written_at(app)
    assert prune(app, times[-1]) == 0  # six rows are due by their time, but the checkpoint was signed after
    assert len(log_rows(app)) == 7
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0


def test_a_row_deleted_after_the_new_start_is_still_found(world, app, tmp_path):
    rows, due = logged_then_pruned(world, app, tmp_path)
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[due]["id"])  # the first row kept
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["deleted"] in result.output


def test_moving_the_start_in_the_database_is_found(world, app, tmp_path):
    rows, due = logged_then_pruned(world, app, tmp_path)
    tamper(app, "UPDATE access_log_head SET first_seq = first_seq + 1")
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["forged"] in result.output


def test_unsigning_the_start_and_deleting_after_it_is_found_against_the_file(world, app, tmp_path):
    rows, due = logged_then_pruned(world, app, tmp_path)
    tamper(app, "UPDATE access_log_head SET first_seq = 1, anchor_mac = NULL")
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[due]["id"])
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["deleted"] in result.output


def test_pruning_everything_leaves_a_log_that_verifies_and_grows(world, app, tmp_path):
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    assert prune(app, now(app)) == 7
    assert log_rows(app) == []
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0  # pruned, not wiped
    world.get("bup", "/api/v1/referrals")
    world.create_referral("gp")
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output


def test_backdating_every_row_lets_none_go_and_verification_fails(world, app, tmp_path, caplog):
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    world.get("bup", "/api/v1/referrals")  # the snooping, after the last checkpoint
    rows = log_rows(app)
    backdate(app)
    with caplog.at_level(logging.ERROR, logger="referral_service.services.admin.audit_retention"):
        assert prune(app, access_log_cutoff(dependencies(app).clock, years=10)) == 0
    assert "not pruned" in caplog.text
    assert [row["id"] for row in log_rows(app)] == [row["id"] for row in rows]
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["changed"] in result.output


def test_backdating_the_rows_up_to_ones_own_lets_none_go_and_verification_fails(world, app, tmp_path):
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    world.get("bup", "/api/v1/referrals")  # the snooping: row 8
    world.get("bup", "/api/v1/referrals")  # someone else's: row 9
    rows = log_rows(app)
    backdate(app, up_to=8)
    assert prune(app, access_log_cutoff(dependencies(app).clock, years=10)) == 0
    assert [row["id"] for row in log_rows(app)] == [row["id"] for row in rows]
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["changed"] in result.output


def test_a_pruning_refused_leaves_the_rows_even_when_the_cutoff_would_take_them_all(world, app, tmp_path):
    """Backdated or not, a chain that does not verify is not pruned, whatever the cut-off."""
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    backdate(app, up_to=1)
    assert prune(app, now(app)) == 0
    assert len(log_rows(app)) == 7


def test_the_cutoff_is_the_retention_period_back_from_the_services_clock(clock):
    service_clock = Clock(source=clock, timezone=ZoneInfo("Europe/Oslo"))
    clock.set(datetime(2036, 3, 1, 9, 0, tzinfo=UTC))
    assert access_log_cutoff(service_clock, years=10) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    clock.set(datetime(2028, 2, 29, 9, 0, tzinfo=UTC))
    assert access_log_cutoff(service_clock, years=10) == datetime(2018, 2, 28, 9, 0, tzinfo=UTC)
    clock.reset()


def test_the_daily_sweep_records_a_refused_pruning_as_nothing_pruned_and_logs_it(world, app, tmp_path, caplog):
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    rows = log_rows(app)
    backdate(app)
    deps = dependencies(app)
    with caplog.at_level(logging.ERROR, logger="referral_service.services.admin.audit_retention"):
        done = run_retention(deps.unit_of_work(), deps.clock, RetentionPolicy.from_settings(deps.config))
    assert done[ACCESS_LOG] == 0
    assert "not pruned" in caplog.text
    with app.extensions["referral_db"].session() as session:
        run = session.exec(select(RetentionRun).where(RetentionRun.kind == ACCESS_LOG)
                           .order_by(RetentionRun.at.desc())).first()
    assert run is not None and run.count == 0
    assert [row["id"] for row in log_rows(app)] == [row["id"] for row in rows]
