"""Issue 13, must show 3: `referral-service audit verify` detects each of six tamperings after a checkpoint was
sealed, and names what was done; an untouched log verifies.

The insider has the database and the code, not AUDIT_KEY. Each tampering writes to the database directly; the
checkpoint outside the database (a file in the data dir) is out of their reach. The last one is the thorough
insider: delete a row, then renumber and re-hash every row after it with the project's own digest
(`entry_digest`, what anyone with the code can compute) and move the head to match.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from referral_service.domain.access_log import GENESIS_HASH, LEGACY_MAC, AccessLogEntry, AccessLogHead, entry_digest
from referral_service.security.access_log_verification import PROBLEMS
from tests.integration.test_access_log import log_rows, some_activity, tamper, verify_on_the_command_line


def run(app, sql: str, **params) -> None:
    with app.extensions["referral_db"].engine.begin() as connection:
        connection.execute(text(sql), params)


def change_a_row(app, rows):
    tamper(app, "UPDATE access_log SET user_id = 'someone-else' WHERE id = :id", id=rows[3]["id"])
    return "changed", rows[3]["seq"]


def delete_a_middle_row(app, rows):
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[3]["id"])
    return "deleted", rows[3]["seq"]


def delete_the_last_row(app, rows):
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[-1]["id"])
    return "truncated", rows[-1]["seq"]


def delete_the_last_five_and_rewind_the_head(app, rows):
    kept = rows[-6]
    run(app, "DELETE FROM access_log WHERE seq > :seq", seq=kept["seq"])
    tamper(app, "UPDATE access_log_head SET seq = :seq, last_hash = :hash", seq=kept["seq"], hash=kept["entry_hash"])
    return "rewound", kept["seq"] + 1


def delete_everything(app, rows):
    for table in ("access_log", "access_log_head", "access_log_checkpoint"):
        run(app, f"DELETE FROM {table}")
    return "wiped", 1


def delete_a_row_and_rehash_with_the_projects_digest(app, rows):
    victim = rows[3]
    with app.extensions["referral_db"].session() as session:
        session.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": victim["id"]})
        prev = rows[2]["entry_hash"]
        for row in rows[4:]:  # renumbered, so no number is missing, and relinked with the unkeyed digest
            entry = session.get(AccessLogEntry, row["id"])
            entry.seq, entry.prev_hash = row["seq"] - 1, prev
            entry.entry_hash = prev = entry_digest(entry)
            session.flush()
        session.execute(text("UPDATE access_log_head SET seq = :seq, last_hash = :hash"),
                        {"seq": rows[-1]["seq"] - 1, "hash": prev})
        session.commit()
    return "rehashed", victim["seq"]


@pytest.mark.parametrize("tampering", [
    change_a_row, delete_a_middle_row, delete_the_last_row, delete_the_last_five_and_rewind_the_head,
    delete_everything, delete_a_row_and_rehash_with_the_projects_digest,
], ids=lambda f: f.__name__.replace("_", " "))
def test_audit_verify_detects_the_tampering_and_names_it(world, app, tmp_path, tampering):
    some_activity(world)
    sealed = verify_on_the_command_line(app, tmp_path)  # seals a checkpoint outside the database at the head
    assert sealed.exit_code == 0, sealed.output
    rows = log_rows(app)
    assert len(rows) == 7

    problem, broken_seq = tampering(app, rows)

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1, result.output
    assert PROBLEMS[problem] in result.output  # in Norwegian and English
    assert f"broken at row {broken_seq}" in result.output
    report = world.get("auditor", "/api/v1/audit/verify").json
    assert (report["ok"], report["problem"], report["first_broken_seq"]) == (False, problem, broken_seq)
    assert report["reason"]


def test_an_untouched_log_verifies_and_goes_on_verifying_as_it_grows(world, app, tmp_path):
    some_activity(world)
    first = verify_on_the_command_line(app, tmp_path)
    assert first.exit_code == 0, first.output
    world.get("bup", "/api/v1/referrals")
    world.create_referral("gp")
    again = verify_on_the_command_line(app, tmp_path)
    assert again.exit_code == 0, again.output
    assert f"intact: {len(log_rows(app))} rows checked" in again.output
    assert world.get("auditor", "/api/v1/audit/verify").json["ok"] is True


def test_a_checkpoint_line_changed_outside_the_database_is_reported(world, app, tmp_path):
    from referral_service.bootstrap import dependencies
    from referral_service.security.access_log_checkpoints import FILE_NAME, checkpoint_dir

    some_activity(world)
    assert verify_on_the_command_line(app, tmp_path).exit_code == 0
    path = checkpoint_dir(dependencies(app).config) / FILE_NAME
    path.write_text(path.read_text().replace('"seq":7', '"seq":3'))  # someone moves the checkpoint back

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["forged"] in result.output


# --- the upgrade from the unkeyed chain ---------------------------------------------------------------------

def rows_from_before_the_keyed_chain(app, count: int) -> None:
    """The log as an installation from before AUDIT_KEY left it: rows chained with the unkeyed digest."""
    prev = GENESIS_HASH
    with app.extensions["referral_db"].session() as session:
        for seq in range(1, count + 1):
            entry = AccessLogEntry(seq=seq, at=datetime(2026, 1, 1, 10, seq, tzinfo=UTC), user_id="u-old",
                                   organisation_id="o-old", role="bup_intake", action="read", basis="receiving_clinic",
                                   prev_hash=prev, entry_hash="", mac_version=LEGACY_MAC)
            entry.entry_hash = prev = entry_digest(entry)
            session.add(entry)
        session.add(AccessLogHead(id=1, seq=count, last_hash=prev))
        session.commit()


def test_rows_from_before_the_upgrade_verify_the_old_way_and_the_sealed_cut_over_stops_a_downgrade(
        world, app, tmp_path):
    rows_from_before_the_keyed_chain(app, 3)
    some_activity(world)  # keyed rows from row 4 on, linked to the last unkeyed one
    first = verify_on_the_command_line(app, tmp_path)  # seals the cut-over: unkeyed rows end at row 3
    assert first.exit_code == 0, first.output
    assert "intact: 10 rows checked" in first.output

    rows = log_rows(app)
    with app.extensions["referral_db"].session() as session:  # the insider passes keyed rows off as old ones
        prev = rows[2]["entry_hash"]
        for row in rows[3:]:
            entry = session.get(AccessLogEntry, row["id"])
            entry.user_id, entry.mac_version, entry.prev_hash = "someone-else", LEGACY_MAC, prev
            entry.entry_hash = prev = entry_digest(entry)
        session.execute(text("UPDATE access_log_head SET last_hash = :hash"), {"hash": prev})
        session.commit()

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert PROBLEMS["rehashed"] in result.output
    assert "broken at row 4" in result.output
