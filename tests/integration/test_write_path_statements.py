"""The write path stays lean: how many SQL statements a GP's create + submit and a read of one referral cost.

A statement count is deterministic (a time is not), so it catches the regressions that made the write path slow:
a re-read of the whole referral after each write, a flush between every step, one look-up per named organisation.
Only the statements that read or write rows are counted: how transactions begin (SQLite's BEGIN IMMEDIATE and
PRAGMAs, PostgreSQL's implicit BEGIN) differs by database and is not what makes the path long. The bounds are
today's counts, the same on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.child import Child
from referral_service.services.referrals.drafts import _find_or_register_child, _register

#: What counts: statements that read or write rows (an upsert is an INSERT).
DATA_STATEMENTS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})
#: A GP's create and submit of a complete referral, the token check of each request included, and the four
#: statements of the submit that keep Oversikt's counts in its transaction (services/dashboard_counts.py), and in
#: each of the two writes the one query for the FHIR subscriptions that may hear of the change (notifications.py).
CREATE_AND_SUBMIT_STATEMENTS = 33
#: A new referral of a child already registered: the search for the child's other open referrals, and the
#: access-log row of telling the referrer of them, take the place of registering the child.
CREATE_OF_A_KNOWN_CHILD_STATEMENTS = 14
#: A read of one referral: the token check, the referral and what its view shows, and its access-log row.
READ_ONE_STATEMENTS = 10


@contextmanager
def counted_statements(app) -> Iterator[list[str]]:
    """The statements reading or writing rows that the app sends to its database inside the block."""
    engine = app.extensions["referral_db"].engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in DATA_STATEMENTS:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_create_and_submit_stays_within_its_statements(world):
    body = world.referral_body()
    headers = world.headers("gp")  # the log-in is not part of the write path
    with counted_statements(world.app) as statements:
        created = world.client.post("/api/v1/referrals", json=body, headers=headers)
        submitted = world.client.post(f"/api/v1/referrals/{created.json['id']}/submit", headers=headers)
    assert (created.status_code, submitted.status_code) == (201, 200)
    assert submitted.json["status"] == "submitted"
    assert len(statements) <= CREATE_AND_SUBMIT_STATEMENTS, "\n".join(statements)


def test_a_referral_of_a_child_already_referred_warns_within_its_statements(world):
    first_body = world.referral_body()
    headers = world.headers("gp")
    first = world.client.post("/api/v1/referrals", json=first_body, headers=headers).json
    body = world.referral_body(child=first_body["child"])  # the same child, named again
    with counted_statements(world.app) as statements:
        created = world.client.post("/api/v1/referrals", json=body, headers=headers)
    assert created.status_code == 201
    assert [other["referral_id"] for other in created.json["other_open_referrals"]] == [first["id"]]
    assert len(statements) <= CREATE_OF_A_KNOWN_CHILD_STATEMENTS, "\n".join(statements)


def test_a_read_of_one_referral_stays_within_its_statements(world):
    referral = world.referral_in("submitted")
    headers = world.headers("gp")
    with counted_statements(world.app) as statements:
        response = world.client.get(f"/api/v1/referrals/{referral['id']}", headers=headers)
    assert response.status_code == 200
    assert response.json["status"] == "submitted"
    assert len(statements) <= READ_ONE_STATEMENTS, "\n".join(statements)


def test_a_child_registered_meanwhile_by_another_request_is_found_not_registered_twice(world):
    """Two requests may name a new child at once: the one that registers second takes the first one's child."""
    deps = dependencies(world.app)
    database = world.app.extensions["referral_db"]
    child_data = world.referral_body()["child"]
    with database.session() as first:
        registered, new = _find_or_register_child(first, deps.identity, deps.clock, dict(child_data))
        first.commit()
    assert new
    with database.session() as second:
        # The second request looked before the first one committed, found nobody, and now registers the child.
        late = Child(**registered.model_dump(exclude={"id"}))
        assert not _register(second, late)
        found, new = _find_or_register_child(second, deps.identity, deps.clock, dict(child_data))
        second.commit()  # the transaction is still good: nothing failed in it
    assert (found.id, new) == (registered.id, False)
    with database.session() as session:
        assert [c.id for c in session.exec(select(Child))] == [registered.id]
