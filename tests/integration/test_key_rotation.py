"""Key rotation of the identity numbers' key: with a new key put first, children made under the old key are still
found by number and read; `referral-service keys rotate` re-encrypts and re-indexes everything under the new key,
after which the old key can go; a rotation stopped halfway still finds everyone, and running it again finishes it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import select

from config import load_config
from config.secret_strength import new_fernet_key
from referral_service import create_app
from referral_service.bootstrap import dependencies
from referral_service.cli import main
from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.family import FamilySession, GuardianIdentity
from referral_service.services.admin.kept_forms import keep_form, take_kept_form
from referral_service.services.admin.key_rotation import rotate_keys
from referral_service.services.admin.web_sessions import hash_session_id
from referral_service.services.children.search import child_search
from referral_service.services.family.access import readable_cases
from referral_service.services.family.sessions import start_family_session
from tests.support.family_records import GUARDIAN_BORN, record_guardian, viewer_of
from tests.support.world import USERS

KEPT_PATH = "/henvisninger/ny"


@contextmanager
def started_with(app, keys: str) -> Iterator[object]:
    """The service started again on the same database with REFERRAL_ID_ENCRYPTION_KEY=keys."""
    again = create_app(load_config("test", DATABASE_URL=app.config["DATABASE_URL"], DATA_DIR=app.config["DATA_DIR"],
                                   ID_ENCRYPTION_KEY=keys, CLOCK=app.config["CLOCK"]))
    try:
        yield again
    finally:
        again.extensions["referral_db"].engine.dispose()


def gp_headers(app) -> dict[str, str]:
    response = app.test_client().post("/api/v1/auth/token", json={"email": USERS["gp"], "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def revealed(app, referral_id: str) -> str:
    response = app.test_client().post(f"/api/v1/referrals/{referral_id}/national-id", headers=gp_headers(app))
    assert response.status_code == 200, response.json
    return response.json["national_id"]


def found_by_number(app, number: str) -> str | None:
    deps = dependencies(app)
    with deps.database.session(read_only=True) as session:
        return child_search(session, deps.identity.vault, number).child_id


def children(app) -> dict[str, str]:
    """Each child's id and blind index."""
    with app.extensions["referral_db"].engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, national_id_index FROM child")).all())


def made_under_the_old_key(world, count: int = 3) -> list[dict]:
    """Referrals of `count` children, written by the service as it runs with its (old) key."""
    made = []
    for _ in range(count):
        body = world.referral_body()
        referral = world.post("gp", "/api/v1/referrals", json=body).json
        made.append({"id": referral["id"], "number": body["child"]["national_id"]})
    return made


def kept_under(app) -> str:
    deps = dependencies(app)
    return keep_form(deps.unit_of_work(), clock=deps.clock, vault=deps.identity.vault, user_id=_gp_id(app),
                     path=KEPT_PATH, fields=[("child.national_id", "12345678901")])


def taken_with(app, kept_id: str):
    deps = dependencies(app)
    return take_kept_form(deps.unit_of_work(), clock=deps.clock, vault=deps.identity.vault, kept_id=kept_id,
                          user_id=_gp_id(app), path=KEPT_PATH)


def _gp_id(app) -> str:
    with app.extensions["referral_db"].engine.connect() as connection:
        return connection.execute(text("SELECT id FROM app_user WHERE email = :e"), {"e": USERS["gp"]}).scalar_one()


def rotate_on_the_command_line(app, keys: str):
    env = {"REFERRAL_ENV": "test", "REFERRAL_DATABASE_URL": app.config["DATABASE_URL"],
           "REFERRAL_DATA_DIR": app.config["DATA_DIR"], "REFERRAL_ID_ENCRYPTION_KEY": keys}
    return CliRunner().invoke(main, ["keys", "rotate", "--batch-size", "2"], env=env)


def test_after_keys_rotate_only_the_new_key_is_needed(world, app):
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    made = made_under_the_old_key(world)
    kept_id = kept_under(app)
    indexes_before = children(app)

    result = rotate_on_the_command_line(app, f"{new},{old}")

    assert result.exit_code == 0, result.output
    assert "child: 3 rows, 3 re-encrypted or re-indexed." in result.output
    assert "kept_form: 1 rows, 1 re-encrypted or re-indexed." in result.output
    assert set(children(app).values()).isdisjoint(indexes_before.values()), "every child is re-indexed"
    with started_with(app, new) as rotated:
        for referral in made:
            assert revealed(rotated, referral["id"]) == referral["number"]
            assert found_by_number(rotated, referral["number"]) is not None
        assert taken_with(rotated, kept_id) == [("child.national_id", "12345678901")]
    with started_with(app, old) as only_old:
        assert found_by_number(only_old, made[0]["number"]) is None, "the old key's index is gone"


def test_with_the_new_key_first_and_before_rotation_children_under_the_old_key_are_found_and_read(world, app):
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    made = made_under_the_old_key(world, count=1)

    with started_with(app, f"{new},{old}") as both:
        assert found_by_number(both, made[0]["number"]) in children(app)
        assert revealed(both, made[0]["id"]) == made[0]["number"]
        # A new referral for the same child finds the child registered under the old key: no second child.
        body = world.referral_body()
        body["child"]["national_id"] = made[0]["number"]
        response = both.test_client().post("/api/v1/referrals", json=body, headers=gp_headers(both))
        assert response.status_code == 201, response.json
        assert len(children(app)) == 1


def test_a_rotation_stopped_halfway_still_finds_everyone_and_running_it_again_finishes(world, app):
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    made = made_under_the_old_key(world, count=4)

    with started_with(app, f"{new},{old}") as both:
        deps = dependencies(both)
        first_batch = list(islice(rotate_keys(deps.unit_of_work(), vault=deps.identity.vault, batch_size=2), 1))
        assert first_batch == [("child", 2, 2)]
        under_the_new_key = {deps.identity.vault.blind_index(m["number"]) for m in made}
        assert len(under_the_new_key & set(children(app).values())) == 2, "half the children are re-indexed"
        for referral in made:
            assert found_by_number(both, referral["number"]) is not None
            assert revealed(both, referral["id"]) == referral["number"]

    result = rotate_on_the_command_line(app, f"{new},{old}")

    assert result.exit_code == 0, result.output
    assert "child: 4 rows, 2 re-encrypted or re-indexed." in result.output
    with started_with(app, new) as rotated:
        for referral in made:
            assert found_by_number(rotated, referral["number"]) is not None
            assert revealed(rotated, referral["id"]) == referral["number"]


def test_keys_new_prints_a_fresh_fernet_key_each_time(tmp_path):
    runner = CliRunner()
    first, second = (runner.invoke(main, ["keys", "new"]).output.strip() for _ in range(2))

    assert first != second
    load_config("test", ID_ENCRYPTION_KEY=f"{first},{second}", DATA_DIR=str(tmp_path)).validate()


def test_a_child_anonymised_by_retention_does_not_stop_the_rotation(world, app):
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    kept, gone = made_under_the_old_key(world, count=2)
    with app.extensions["referral_db"].engine.begin() as connection:  # what services/retention/cases.py leaves
        connection.execute(text("UPDATE child SET national_id_ciphertext = '', national_id_kind = 'anonymised', "
                                "national_id_index = 'anonymised:' || id WHERE id = "
                                "(SELECT child_id FROM referral WHERE id = :r)"), {"r": gone["id"]})

    result = rotate_on_the_command_line(app, f"{new},{old}")

    assert result.exit_code == 0, result.output
    assert "child: 2 rows, 1 re-encrypted or re-indexed." in result.output
    with started_with(app, new) as rotated:
        assert revealed(rotated, kept["id"]) == kept["number"]
        assert found_by_number(rotated, gone["number"]) is None


def test_a_guardian_recorded_before_the_rotation_still_finds_the_childs_case_under_the_new_key(world, app):
    """The family's side: a guardian's number on a referral is re-encrypted and re-indexed like a child's, so the
    family access rules still match the guardian once only the new key is left; someone who signed in on the family
    page (no number kept) moves to the new key's index at their next sign-in."""
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    referral = world.referral_in("submitted")
    guardian = world.national_id(GUARDIAN_BORN)
    record_guardian(app, referral["id"], guardian)
    before = start_family_session(dependencies(app).unit_of_work(), dependencies(app).clock,
                                  national_id_indexes=viewer_of(app, guardian).national_id_indexes)
    person_id = _family_person_of(app, before)

    result = rotate_on_the_command_line(app, f"{new},{old}")

    assert result.exit_code == 0, result.output
    assert "guardian_identity: 1 rows, 1 re-encrypted or re-indexed." in result.output
    with started_with(app, f"{new},{old}") as both:  # the guardian signs in while both keys are still configured
        deps = dependencies(both)
        again = start_family_session(deps.unit_of_work(), deps.clock,
                                     national_id_indexes=viewer_of(both, guardian).national_id_indexes)
        assert _family_person_of(app, again) == person_id, "the same person, not a new one"
    with started_with(app, new) as rotated:
        deps = dependencies(rotated)
        viewer = viewer_of(rotated, guardian, person_id)
        assert len(viewer.national_id_indexes) == 1, "only the new key's index"
        with deps.database.session(read_only=True) as session:
            cases = readable_cases(session, viewer, today=deps.clock.today())
            row = session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == referral["id"])).one()
            assert deps.identity.vault.decrypt(row.national_id_ciphertext) == guardian
        assert [(case.referral.id, case.role.value) for case in cases] == [(referral["id"], "guardian")]
        later = start_family_session(deps.unit_of_work(), deps.clock, national_id_indexes=viewer.national_id_indexes)
        assert _family_person_of(app, later) == person_id, "found under the new key's index"


def _family_person_of(app, session_id: str) -> str:
    with app.extensions["referral_db"].session() as session:
        found = session.get(FamilySession, hash_session_id(session_id))
        assert found is not None
        return found.person_id
