"""The access log's own retention: its oldest rows are pruned from the start of the chain only, the new start is
signed inside and outside the database, verification starts there, and a deletion after it is still found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.clock import Clock
from referral_service.domain.access_log import AccessLogEntry
from referral_service.security.access_log_verification import PROBLEMS
from referral_service.services.admin.audit_retention import access_log_cutoff, prune_access_log
from tests.integration.test_access_log import log_rows, some_activity, tamper, verify_on_the_command_line


def written_at(app) -> list[datetime]:
    """When each row was written, oldest first, as the service reads it."""
    with app.extensions["referral_db"].session() as session:
        return list(session.exec(select(AccessLogEntry.at).order_by(AccessLogEntry.seq)).all())


def prune(app, before) -> int:
    deps = dependencies(app)
    return prune_access_log(deps.unit_of_work(), deps.clock, before=before)


def logged_then_pruned(world, app, tmp_path) -> tuple[list[dict], int]:
    """Seven rows, sealed outside the database, then those written before the fifth pruned."""
    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    rows, times = log_rows(app), written_at(app)
    due = sum(1 for at in times if at < times[4])
    assert due >= 1
    assert prune(app, times[4]) == due
    return rows, due


def test_pruning_deletes_the_oldest_rows_only_and_the_log_still_verifies(world, app, tmp_path):
    rows, due = logged_then_pruned(world, app, tmp_path)
    assert [row["id"] for row in log_rows(app)] == [row["id"] for row in rows[due:]]
    world.get("bup", "/api/v1/referrals")  # the log goes on from where it was

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert world.get("auditor", "/api/v1/audit/verify").json["ok"] is True
    assert prune(app, written_at(app)[0]) == 0  # nothing more is due


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
    assert prune(app, written_at(app)[-1] + timedelta(seconds=1)) == 7
    assert log_rows(app) == []
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0  # pruned, not wiped
    world.get("bup", "/api/v1/referrals")
    world.create_referral("gp")
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output


def test_the_cutoff_is_the_retention_period_back_from_the_services_clock(clock):
    service_clock = Clock(source=clock, timezone=ZoneInfo("Europe/Oslo"))
    clock.set(datetime(2036, 3, 1, 9, 0, tzinfo=UTC))
    assert access_log_cutoff(service_clock, years=10) == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    clock.set(datetime(2028, 2, 29, 9, 0, tzinfo=UTC))
    assert access_log_cutoff(service_clock, years=10) == datetime(2018, 2, 28, 9, 0, tzinfo=UTC)
    clock.reset()
