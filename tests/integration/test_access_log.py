"""DESIGN.md rule 5: every read and write of a child's data is written to an append-only, tamper-evident
access log (who, when, what, which child), which an auditor reads and verifies.

Tampering is done the way an insider with database access would: writing to the access_log table
directly, bypassing the service (and, in one case, knowing how the row hashes are computed).
The API (GET /api/v1/audit/verify) and the command line (`referral-service audit verify`) must both
notice it and name the first broken row.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.cli import main as cli
from referral_service.domain.access_log import AccessLogEntry
from referral_service.security.access_log import entry_digest
from referral_service.security.access_log_checkpoints import checkpoint_dir
from tests.support.loop import InProcessWorker
from tests.support.world import USERS

AUDIT = "/api/v1/audit"


# --- helpers ---------------------------------------------------------------------------------------------

def log_rows(app, **where: str) -> list[dict]:
    """The access log as stored, oldest first."""
    clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    with app.extensions["referral_db"].engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM access_log WHERE {clause} ORDER BY seq"), where)
        return [dict(row._mapping) for row in rows]


def tamper(app, sql: str, **params) -> None:
    with app.extensions["referral_db"].engine.begin() as connection:
        assert connection.execute(text(sql), params).rowcount == 1


def verify_over_the_api(world) -> dict:
    response = world.get("auditor", f"{AUDIT}/verify")
    assert response.status_code == 200
    return response.json


def verify_on_the_command_line(app, tmp_path, *args: str):
    """`referral-service audit verify`, as a command run on the same installation: its database and its
    checkpoints outside the database."""
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": app.config["DATA_DIR"],  # its keys
           "REFERRAL_AUDIT_CHECKPOINT_DIR": str(checkpoint_dir(dependencies(app).config))}
    return CliRunner().invoke(cli, ["audit", "verify", *args], env=env)


def some_activity(world) -> None:
    """A referral's life up to a rejection, read along the way, and another draft: seven rows."""
    referral = world.referral_in("submitted")
    world.get("bup", f"/api/v1/referrals/{referral['id']}")
    world.get("bup", "/api/v1/referrals")
    world.act("bup", referral["id"], "reject", {"reason_code": "wrong_service", "explanation": "Annen instans.",
                                                "municipal_advice": "Helsestasjonen."})
    world.get("gp", f"/api/v1/referrals/{referral['id']}/events")
    world.create_referral("nurse_askoy")


# --- verification ----------------------------------------------------------------------------------------

def test_an_untouched_log_verifies_on_the_api_and_the_command_line(world, app, tmp_path):
    some_activity(world)
    rows = log_rows(app)
    assert len(rows) == 7
    assert verify_over_the_api(world) == {"ok": True, "checked": len(rows), "first_broken_seq": None,
                                          "first_broken_id": None, "reason": None, "problem": None}
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"intact: {len(rows)} rows checked" in result.output


def test_verifying_the_log_does_not_itself_write_to_it(world, app):
    some_activity(world)
    before = len(log_rows(app))
    verify_over_the_api(world)
    world.get("auditor", AUDIT)
    assert len(log_rows(app)) == before


def change_a_middle_row(app, rows):
    """Someone rewrites who read the child's data."""
    victim = rows[len(rows) // 2]
    tamper(app, "UPDATE access_log SET user_id = :other WHERE id = :id", other="someone-else", id=victim["id"])
    return victim["seq"], victim["id"]


def change_a_middle_row_and_its_hash(app, rows):
    """The same, by someone who also recomputes the row's own hash with the project's digest (the code is open;
    AUDIT_KEY is not): the keyed hash gives it away at the row itself."""
    victim = rows[len(rows) // 2]
    with app.extensions["referral_db"].session() as session:
        entry = session.get(AccessLogEntry, victim["id"])
        entry.user_id = "someone-else"
        entry.entry_hash = entry_digest(entry)
        session.commit()
    return victim["seq"], victim["id"]


def delete_a_middle_row(app, rows):
    victim, successor = rows[len(rows) // 2], rows[len(rows) // 2 + 1]
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=victim["id"])
    return victim["seq"], successor["id"]  # the missing number, found where the next row stands


def delete_the_last_row(app, rows):
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[-1]["id"])
    return rows[-1]["seq"], None  # nothing stands where the last row was


@pytest.mark.parametrize("tampering", [change_a_middle_row, change_a_middle_row_and_its_hash,
                                       delete_a_middle_row, delete_the_last_row],
                         ids=lambda f: f.__name__.replace("_", " "))
def test_tampering_with_the_log_is_reported_at_the_first_broken_row(world, app, tmp_path, tampering):
    some_activity(world)
    rows = log_rows(app)
    broken_seq, broken_id = tampering(app, rows)

    report = verify_over_the_api(world)
    assert report["ok"] is False
    assert (report["first_broken_seq"], report["first_broken_id"]) == (broken_seq, broken_id)
    assert report["checked"] == broken_seq - 1  # every row before it is intact
    assert report["reason"]

    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert f"broken at row {broken_seq}" in result.output
    if broken_id is not None:
        assert broken_id in result.output


# --- what is written ------------------------------------------------------------------------------------

def test_a_bup_read_of_a_referral_writes_one_row_naming_the_user_the_child_and_the_action(world, app):
    referral = world.referral_in("submitted")
    before = log_rows(app)
    assert world.get("bup", f"/api/v1/referrals/{referral['id']}").status_code == 200
    [row] = log_rows(app)[len(before):]
    assert row["user_id"] == world.users["bup"].id
    assert row["organisation_id"] == world.orgs["bup"].id
    assert row["role"] == "bup_intake"
    assert row["action"] == "read"
    assert row["child_id"] == referral["child"]["id"]
    assert row["referral_id"] == referral["id"]
    assert row["basis"] == "receiving_clinic"
    assert row["seq"] == before[-1]["seq"] + 1


def test_revealing_the_identity_number_is_logged_and_a_refused_reveal_is_not(world, app):
    referral = world.referral_in("rejected")
    InProcessWorker(app).run()
    before = len(log_rows(app))
    assert world.post("coordinator_askoy", f"/api/v1/referrals/{referral['id']}/national-id").status_code == 403
    assert len(log_rows(app)) == before
    assert world.post("bup", f"/api/v1/referrals/{referral['id']}/national-id").status_code == 200
    [row] = log_rows(app)[before:]
    assert (row["user_id"], row["action"], row["child_id"]) == (
        world.users["bup"].id, "reveal_national_id", referral["child"]["id"])


def test_listing_fifty_referrals_writes_one_row_per_child_shown(world, app):
    children = {world.referral_in("submitted")["child"]["id"] for _ in range(50)}
    before = len(log_rows(app))
    page = world.get("bup", "/api/v1/referrals", query_string={"per_page": 50}).json
    assert len(page["items"]) == 50
    new_rows = log_rows(app)[before:]
    assert len(new_rows) == 50
    assert {row["child_id"] for row in new_rows} == {item["child"]["id"] for item in page["items"]} == children
    assert {(row["user_id"], row["action"]) for row in new_rows} == {(world.users["bup"].id, "list")}


def test_the_audit_log_filtered_by_child_is_that_childs_whole_access_history(world, app):
    referral = world.referral_in("submitted")
    child_id = referral["child"]["id"]
    world.get("bup", f"/api/v1/referrals/{referral['id']}")
    world.act("bup", referral["id"], "request-information", {"questions": "Hvor lenge?"})
    world.get("gp", f"/api/v1/referrals/{referral['id']}/events")
    world.act("gp", referral["id"], "supplement", {"text": "Siden august."})
    other = world.referral_in("submitted")  # another child, read by the same people
    world.get("bup", f"/api/v1/referrals/{other['id']}")

    response = world.get("auditor", AUDIT, query_string={"child_id": child_id, "per_page": 200})
    assert response.status_code == 200
    history = response.json["items"]
    stored = log_rows(app, child_id=child_id)
    assert response.json["total"] == len(stored) == len(history)
    assert [entry["id"] for entry in history] == [row["id"] for row in reversed(stored)]  # newest first
    assert {(entry["user_id"], entry["action"]) for entry in history} >= {
        (world.users["gp"].id, "create"), (world.users["gp"].id, "submit"), (world.users["bup"].id, "read"),
        (world.users["bup"].id, "request-information"), (world.users["gp"].id, "read_events"),
        (world.users["gp"].id, "supplement")}
    assert all(entry["child_id"] == child_id for entry in history)


@pytest.mark.parametrize("who", [who for who in USERS if who != "auditor"])
def test_only_the_auditor_may_read_a_childs_access_history(world, who):
    referral = world.referral_in("submitted")
    response = world.get(who, AUDIT, query_string={"child_id": referral["child"]["id"]})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_the_auditor_reads_the_whole_log_newest_first_page_by_page(world, app):
    some_activity(world)
    stored = log_rows(app)
    first = world.get("auditor", AUDIT, query_string={"per_page": 3}).json
    second = world.get("auditor", AUDIT, query_string={"per_page": 3, "page": 2}).json
    beyond = world.get("auditor", AUDIT, query_string={"per_page": 3, "page": 100}).json
    newest_first = [row["id"] for row in reversed(stored)]
    assert first["total"] == second["total"] == len(stored)
    assert [entry["id"] for entry in first["items"] + second["items"]] == newest_first[:6]
    assert beyond["items"] == [] and beyond["total"] == len(stored)
