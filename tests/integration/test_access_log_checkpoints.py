"""`audit verify` starts from the newest signed checkpoint, so it stays quick however long the log grows.

A checkpoint says the chain was verified intact up to a row whose hash it names, signed with AUDIT_KEY.
The insider of test_access_log.py (database access, the code, not the key) can rewrite rows and recompute
their unkeyed hashes, but cannot sign: a forged or changed checkpoint, and a rewrite
before the newest checkpoint, are reported without walking every row; `--full` walks every row.
Checkpoints are sealed every 10 000 rows in the service; these tests seal them every three.
"""

from __future__ import annotations

from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry, entry_digest
from referral_service.security.access_log import audit_key
from referral_service.security.access_log_checkpoints import CheckpointFile, checkpoint_dir
from referral_service.security.access_log_verification import sign_checkpoint
from referral_service.services.admin.audit import verify_access_log
from tests.integration.test_access_log import (
    log_rows,
    some_activity,
    tamper,
    verify_on_the_command_line,
    verify_over_the_api,
)

EVERY = 3


class _OtherKey:
    """The app's settings with another AUDIT_KEY: another installation's."""

    def __init__(self, config, key: str) -> None:
        self._config, self.AUDIT_KEY = config, key

    def __getattr__(self, name):
        return getattr(self._config, name)


def verify(app, *, full: bool = False, audit_key: str | None = None):
    deps = dependencies(app)
    config = _OtherKey(deps.config, audit_key) if audit_key else deps.config
    return verify_access_log(deps.database, actor=None, config=config, full=full, every=EVERY)


def checkpoints(app) -> list[dict]:
    with app.extensions["referral_db"].engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM access_log_checkpoint ORDER BY seq"))
        return [dict(row._mapping) for row in rows]


def logged_and_sealed(world, app) -> list[dict]:
    """Seven rows, verified once: checkpoints at rows 3 and 6."""
    some_activity(world)
    assert verify(app).ok
    assert [c["seq"] for c in checkpoints(app)] == [3, 6]
    return log_rows(app)


def test_a_verification_seals_checkpoints_and_the_next_one_starts_from_the_newest(world, app, tmp_path):
    some_activity(world)
    first = verify(app)
    assert (first.ok, first.checked, first.from_checkpoint) == (True, 7, 0)
    world.get("bup", "/api/v1/referrals")
    world.create_referral("gp")

    again = verify(app)
    total = len(log_rows(app))
    assert (again.ok, again.checked, again.from_checkpoint) == (True, total, 6)
    assert [c["seq"] for c in checkpoints(app)] == list(range(EVERY, total + 1, EVERY))
    assert verify_over_the_api(world)["checked"] == total
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 0, result.output
    assert f"intact: {total} rows checked (from the signed checkpoint at row {checkpoints(app)[-1]['seq']})" \
        in result.output


def test_a_forged_checkpoint_is_reported(world, app, tmp_path):
    rows = logged_and_sealed(world, app)
    ninth = rows[-1]  # the newest row, vouched for by someone who guessed the key
    guessed = sign_checkpoint(b"a-guess", seq=ninth["seq"], entry_hash=ninth["entry_hash"])
    tamper(app, "INSERT INTO access_log_checkpoint (seq, entry_hash, signature, sealed_at) "
                "VALUES (:seq, :hash, :signature, :at)",
           seq=ninth["seq"], hash=ninth["entry_hash"], signature=guessed, at=ninth["at"])

    report = verify_over_the_api(world)
    assert (report["ok"], report["first_broken_seq"]) == (False, ninth["seq"])
    assert "checkpoint" in report["reason"]
    result = verify_on_the_command_line(app, tmp_path)
    assert result.exit_code == 1
    assert f"broken at row {ninth['seq']}" in result.output


def test_a_checkpoint_moved_to_another_hash_is_reported(world, app):
    logged_and_sealed(world, app)
    tamper(app, "UPDATE access_log_checkpoint SET entry_hash = :other WHERE seq = 3", other="f" * 64)
    report = verify_over_the_api(world)
    assert (report["ok"], report["first_broken_seq"]) == (False, 3)
    assert "checkpoint" in report["reason"]


def test_checkpoints_are_signed_with_the_audit_key(world, app):
    logged_and_sealed(world, app)
    elsewhere = verify(app, audit_key="another-installation's-key")
    assert elsewhere.ok is False
    assert elsewhere.problem == "forged"


def test_a_rewrite_before_the_newest_checkpoint_is_found_without_a_full_walk(world, app):
    """The thorough insider changes row 2 and recomputes every hash after it with the project's own (unkeyed)
    digest, the head's too."""
    rows = logged_and_sealed(world, app)
    with app.extensions["referral_db"].session() as session:
        prev = rows[0]["entry_hash"]
        for row in rows[1:]:
            entry = session.get(AccessLogEntry, row["id"])
            if entry.seq == 2:
                entry.user_id = "someone-else"
            entry.prev_hash = prev
            entry.entry_hash = prev = entry_digest(entry)
        session.execute(text("UPDATE access_log_head SET last_hash = :h"), {"h": prev})
        session.commit()

    result = verify(app)
    assert (result.ok, result.first_broken_seq) == (False, 2)  # the walk to the first checkpoint it moved names it
    assert result.problem == "rehashed"
    assert "rewritten" in result.reason


def test_tampering_after_the_newest_checkpoint_is_found_at_its_row(world, app):
    rows = logged_and_sealed(world, app)
    victim = rows[6]  # row 7, after the checkpoint at row 6
    tamper(app, "UPDATE access_log SET action = 'nothing' WHERE id = :id", id=victim["id"])
    result = verify(app)
    assert (result.ok, result.first_broken_seq, result.first_broken_id) == (False, 7, victim["id"])
    assert result.checked == 6


def test_deleting_the_row_a_checkpoint_names_is_found(world, app):
    rows = logged_and_sealed(world, app)
    tamper(app, "DELETE FROM access_log WHERE seq = 6")
    result = verify(app)
    assert (result.ok, result.first_broken_seq, result.first_broken_id) == (False, 6, rows[6]["id"])


def test_a_full_verification_walks_the_rows_a_checkpoint_vouches_for(world, app, tmp_path):
    """A row changed without its hash before the newest checkpoint: `--full` names it."""
    rows = logged_and_sealed(world, app)
    tamper(app, "UPDATE access_log SET user_id = 'someone-else' WHERE id = :id", id=rows[1]["id"])

    report = world.get("auditor", "/api/v1/audit/verify", query_string={"full": "true"}).json
    assert (report["ok"], report["first_broken_seq"], report["first_broken_id"]) == (False, 2, rows[1]["id"])
    result = verify_on_the_command_line(app, tmp_path, "--full")
    assert result.exit_code == 1
    assert f"broken at row 2 (id {rows[1]['id']})" in result.output


def test_the_workers_check_seals_a_checkpoint_outside_and_logs_an_error_when_the_chain_is_broken(world, app, caplog):
    from referral_service.tasks import jobs, runtime

    runtime.install(dependencies(app))
    some_activity(world)
    assert jobs.checkpoint_access_log.run() is True
    rows = log_rows(app)
    outside = CheckpointFile(checkpoint_dir(dependencies(app).config), audit_key(dependencies(app).config)).read()
    assert (outside.newest["seq"], outside.newest["hash"]) == (rows[-1]["seq"], rows[-1]["entry_hash"])
    tamper(app, "DELETE FROM access_log WHERE id = :id", id=rows[3]["id"])
    with caplog.at_level("ERROR"):
        assert jobs.checkpoint_access_log.run() is False
    [record] = [r for r in caplog.records if r.getMessage() == "the access log is broken"]
    assert record.first_broken_seq == rows[3]["seq"]
