"""Integration fixtures: the app on a real database (SQLite file and a real PostgreSQL server),
seeded once per session with the demo organisations and users; each test starts with no referrals."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from config import load_config
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.migrations import upgrade
from referral_service.security.access_log_checkpoints import checkpoint_dir
from tests.support.clock import TestClock
from tests.support.servers import start_postgres
from tests.support.world import World, build_world

#: The kept tables' contact details (phone and hours), by table and the name of its hours column.
CONTACT_COLUMNS = {"organisation": "contact_hours", "app_user": "reachable_hours"}
#: Directory data kept between tests, with what signing in writes (tokens, the addresses accounts signed in from:
#: tests sign in lazily, in the middle of what they measure); everything else is emptied before each test.
KEPT_TABLES = {"organisation", "app_user", "api_token", "sign_in_address", "referral_right_grant", "alembic_version"}


@pytest.fixture(scope="session")
def postgres_server():
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'referrals.sqlite'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"referrals_{tmp_path_factory.mktemp('pg').name.replace('-', '_')}")


@pytest.fixture(scope="session")
def test_clock() -> TestClock:
    return TestClock()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory, test_clock):
    upgrade(database_url)
    config = load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path_factory.mktemp("data")),
                         CLOCK=test_clock)
    return create_app(config)


@pytest.fixture(scope="session")
def seeded_world(app, test_clock) -> World:
    world = build_world(app)
    world.clock = test_clock
    return world


def empty_case_tables(app) -> None:
    engine = app.extensions["referral_db"].engine
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in KEPT_TABLES:
                connection.execute(text(f'DELETE FROM "{table.name}"'))
    # A new installation, as far as the access log goes: its checkpoints outside the database go with its rows.
    shutil.rmtree(checkpoint_dir(dependencies(app).config), ignore_errors=True)


@pytest.fixture
def world(app, seeded_world, test_clock) -> World:
    empty_case_tables(app)
    test_clock.reset()
    engine = app.extensions["referral_db"].engine
    with engine.connect() as connection:
        active_before = set(connection.execute(text("SELECT id FROM app_user WHERE active")).scalars())
        contacts_before = {table: connection.execute(text(f"SELECT id, phone, {hours} AS hours FROM {table}")).all()
                           for table, hours in CONTACT_COLUMNS.items()}
    yield seeded_world
    # Phones and hours a test changed (the administration's tests) go back to the demo's: the family's pages and
    # letters name them.
    with engine.begin() as connection:
        for table, rows in contacts_before.items():
            for row in rows:
                connection.execute(text(f"UPDATE {table} SET phone = :phone, {CONTACT_COLUMNS[table]} = :hours "
                                        "WHERE id = :id"), {"id": row.id, "phone": row.phone, "hours": row.hours})
    test_clock.reset()
    # Users a test made (a coordinator, a nurse) leave with it: users are kept between tests, and a later test that
    # counts who can act in a municipality (the owner rules) must see the demo's people only.
    with engine.begin() as connection:
        made = set(connection.execute(text("SELECT id FROM app_user WHERE active")).scalars()) - active_before
        for user_id in made:
            connection.execute(text("UPDATE app_user SET active = false WHERE id = :id"), {"id": user_id})


@pytest.fixture
def clock(test_clock) -> TestClock:
    return test_clock
