"""Migrations: a database with data from the first release upgrades to the newest schema intact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from referral_service.db import build_engine
from referral_service.migrations import alembic_config, upgrade
from referral_service.security.access_log import verify_chain


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite'}"
    return request.getfixturevalue("postgres_server").create_database(f"migrations_{tmp_path.name[-20:]}".lower())


def insert_first_release_data(url: str) -> None:
    """Rows as the first release wrote them: a referral with consent and two access-log rows."""
    engine = build_engine(url)
    statements = [
        "INSERT INTO organisation (id, kind, name, created_at) VALUES ('o1', 'bup_clinic', 'BUP', '2026-01-01 10:00:00+00')",
        "INSERT INTO organisation (id, kind, name, municipality_number, created_at) VALUES ('o2', 'gp_office', 'Lege', '4627', '2026-01-01 10:00:00+00')",
        "INSERT INTO app_user (id, email, name, password_hash, organisation_id, roles, profession, active, failed_logins, created_at) "
        "VALUES ('u1', 'a@b.example', 'A', 'x', 'o2', '[\"referrer\"]', 'doctor', true, 0, '2026-01-01 10:00:00+00')",
        "INSERT INTO child (id, national_id_ciphertext, national_id_index, national_id_kind, synthetic, given_name, family_name, birth_date, home_municipality, guardians, created_at) "
        "VALUES ('c1', 'x', 'i', 'fodselsnummer', true, 'G', 'F', '2012-05-10', '4627', '[]', '2026-01-01 10:00:00+00')",
        "INSERT INTO referral (id, child_id, status, referrer_user_id, referrer_org_id, referrer_kind, clinic_id, reasons, description, urgency, measures_tried, child_view, attachments, version, created_at, updated_at) "
        "VALUES ('r1', 'c1', 'submitted', 'u1', 'o2', 'gp_office', 'o1', '[]', '', 'normal', '', '', '[]', 1, '2026-01-01 10:00:00+00', '2026-01-01 10:00:00+00')",
        "INSERT INTO consent (id, referral_id, given_by, share_with, withhold_from_guardians, recorded_by_user_id, recorded_at) "
        "VALUES ('k1', 'r1', '[\"guardian\"]', '[\"bup\", \"school\"]', false, 'u1', '2026-01-01 10:00:00+00')",
        "INSERT INTO access_log (id, at, user_id, organisation_id, role, action, referral_id, child_id, basis) "
        "VALUES ('a1', '2026-01-01 10:00:00+00', 'u1', 'o2', 'referrer', 'create', 'r1', 'c1', 'referring_organisation')",
        "INSERT INTO access_log (id, at, user_id, organisation_id, role, action, referral_id, child_id, basis) "
        "VALUES ('a2', '2026-01-01 10:00:01+00', 'u1', 'o2', 'referrer', 'read', 'r1', 'c1', 'referring_organisation')",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


def test_a_first_release_database_upgrades_with_its_data(empty_database):
    upgrade(empty_database, "0001")
    insert_first_release_data(empty_database)
    upgrade(empty_database)
    command.check(alembic_config(empty_database))  # the tables match the models exactly
    engine = build_engine(empty_database)
    with engine.connect() as connection:
        school, municipality = connection.execute(sa.text(
            "SELECT shared_with_school, shared_with_municipality FROM referral WHERE id = 'r1'")).one()
    assert (bool(school), bool(municipality)) == (True, False)
    with engine.connect() as connection:
        described = connection.execute(sa.text(
            "SELECT child_given_name, child_home_municipality FROM referral WHERE id = 'r1'")).one()
    assert tuple(described) == ("G", "4627")  # each referral starts with the shared child's details
    from sqlmodel import Session

    with Session(engine) as session:
        verification = verify_chain(session)
    assert verification.ok and verification.checked == 2
    engine.dispose()
