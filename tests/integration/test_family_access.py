"""The family page's need-to-know, on SQLite and PostgreSQL (issue 14, must-show 5 and the page half of 2): a person
who is neither the child nor a recorded guardian gets 404 for every case address, each attempt in the access log;
every read is in the access log; a 16-year-old's case is theirs until they share it; a 14-year-old's guardians do
not see what the child withheld. Family members sign in through tests/support/family.py (the browser journey signs
in through a real OpenID Connect provider: tests/e2e/test_family_page.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.family import FamilyLetter, FamilyNudge, FamilyPerson, FamilyVoice, GuardianIdentity
from referral_service.domain.referral import Referral
from tests.integration.test_web_decisions import WebUser
from tests.support.clock import norway_today
from tests.support.family import CSRF_TOKEN, family_client
from tests.support.loop import InProcessWorker

CHILD_VIEW = "Jeg vil ikke at mamma skal vite om dette."
EXPLANATION = "Plagene kan møtes godt i kommunen."
ADVICE = "Samtaler hos kommunepsykologen."


def born(years: int) -> date:
    """A birth date that makes the child `years` old today (and not on their birthday)."""
    today = norway_today()
    return date(today.year - years, 1, 1) if today > date(today.year, 1, 2) else date(today.year - years - 1, 6, 1)


def referral_of(world, *, age: int, guardian_number: str | None, status: str = "submitted",
                withhold: bool = False, child_number: str | None = None) -> str:
    """A referral of a child of `age` with one guardian (recorded with this number, if any), brought to `status`
    (submitted or rejected) through the API."""
    guardian = {"name": "Mor Testesen", "phone": "40000000"}
    if guardian_number:
        guardian["national_id"] = guardian_number
    body = world.referral_body(birth_date=born(age))
    if child_number:
        body["child"]["national_id"] = child_number
    body["child"]["guardians"] = [guardian]
    body["child_view"] = CHILD_VIEW
    body["consent"] = {"given_by": ["guardian", "child"] if age < 16 else ["child"],
                       "share_with": ["bup", "municipality"], "recorded_on": norway_today().isoformat(),
                       "withhold_from_guardians": withhold}
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201, response.json
    rid = response.json["id"]
    if status in ("submitted", "rejected"):
        world.act("gp", rid, "submit")
    if status == "rejected":
        world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": EXPLANATION,
                                         "municipal_advice": ADVICE})
    return rid


def adult_number(world) -> str:
    return world.national_id(date(1984, 3, 14))


def person_id(world, number: str) -> str:
    from referral_service.bootstrap import dependencies

    indexes = dependencies(world.app).identity.vault.blind_indexes(number)
    with world.app.extensions["referral_db"].session() as session:
        return session.exec(select(FamilyPerson.id).where(FamilyPerson.national_id_index.in_(indexes))).one()


def log_rows(world, *, user_id: str) -> list[AccessLogEntry]:
    with world.app.extensions["referral_db"].session() as session:
        return list(session.exec(select(AccessLogEntry).where(AccessLogEntry.user_id == user_id)
                                 .order_by(AccessLogEntry.seq)))


def page(client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


# --- nobody else sees anything (must-show 5) ------------------------------------------------------------------

def test_a_stranger_gets_404_for_every_case_address_and_each_attempt_is_in_the_access_log(world):
    guardian = adult_number(world)
    submitted = referral_of(world, age=10, guardian_number=guardian)
    rejected = referral_of(world, age=14, guardian_number=guardian, status="rejected")
    stranger_number = adult_number(world)
    stranger = family_client(world.app, stranger_number)

    InProcessWorker(world.app).run()
    letter = sent_letter(world, rejected, "rejected")

    for rid in (submitted, rejected):
        status, text = page(stranger, f"/familie/sak/{rid}")
        assert status == 404 and "Fant ikke siden" in text and "Mor Testesen" not in text
        for form, fields in (("deling", {"del": "ja"}), ("ikke-hort", {}), ("mine-ord", {"text": "Hei"})):
            posted = stranger.post(f"/familie/sak/{rid}/{form}", data={"csrf_token": CSRF_TOKEN, **fields})
            assert posted.status_code == 404, form
    for address in (f"/familie/brev/{letter}", f"/familie/brev/{letter}.pdf"):
        assert stranger.get(address).status_code == 404
    status, text = page(stranger, "/familie")
    assert status == 200 and "Vi fant ingen henvisninger for deg" in text and "Ola" not in text

    rows = log_rows(world, user_id=person_id(world, stranger_number))
    assert [(row.action, row.requested_id, row.organisation_id) for row in rows] == [
        *[("denied:referral", submitted, "family")] * 4, *[("denied:referral", rejected, "family")] * 6]
    with world.app.extensions["referral_db"].session() as session:  # and nothing was written for them
        assert session.exec(select(FamilyNudge).where(col(FamilyNudge.referral_id).in_([submitted, rejected]))
                            ).all() == []
        assert session.exec(select(FamilyVoice)).all() == []


def sent_letter(world, referral_id: str, kind: str) -> str:
    """BUP sends the family its letter of this kind about the referral; its id."""
    with world.app.extensions["referral_db"].session() as session:
        letter_id = session.exec(select(FamilyLetter.id).where(FamilyLetter.referral_id == referral_id,
                                                               FamilyLetter.kind == kind)).one()
    bup = WebUser(world.app, "bup")
    bup.get(f"/henvisninger/{referral_id}/brev/{letter_id}")
    bup.submit("/send", {})
    return letter_id


def test_a_draft_is_not_shown_to_the_family_even_to_its_recorded_guardian(world):
    guardian = adult_number(world)
    draft = referral_of(world, age=10, guardian_number=guardian, status="draft")
    client = family_client(world.app, guardian)
    assert page(client, f"/familie/sak/{draft}")[0] == 404
    assert "Vi fant ingen henvisninger for deg" in page(client, "/familie")[1]


def test_every_read_by_a_guardian_is_in_the_access_log_with_their_role(world):
    guardian = adult_number(world)
    rid = referral_of(world, age=10, guardian_number=guardian)
    client = family_client(world.app, guardian)
    assert page(client, "/familie")[0] == 200
    assert page(client, f"/familie/sak/{rid}")[0] == 200
    rows = log_rows(world, user_id=person_id(world, guardian))
    assert [(row.action, row.referral_id, row.role, row.basis) for row in rows] == [
        ("family_list", rid, "guardian", "family:guardian"), ("family_read", rid, "guardian", "family:guardian")]


# --- what the page says ---------------------------------------------------------------------------------------

def test_a_guardian_sees_that_bup_assesses_the_referral_and_answers_by_the_deadline(world):
    guardian = adult_number(world)
    rid = referral_of(world, age=10, guardian_number=guardian)
    with world.app.extensions["referral_db"].session() as session:
        due = session.get(Referral, rid).assessment_due
    status, text = page(family_client(world.app, guardian), f"/familie/sak/{rid}")
    assert status == 200
    assert "Hvem skal dere snakke med nå?" in text and "BUP Bergen sentrum" in text
    assert "BUP vurderer henvisningen" in text and f"svar innen {due:%d.%m.%Y}" in text
    assert "virkedager igjen" in text
    assert 'href="tel:' in text


def test_after_a_rejection_the_guardian_of_a_young_child_sees_bups_explanation_and_advice(world):
    guardian = adult_number(world)
    rid = referral_of(world, age=10, guardian_number=guardian, status="rejected")
    text = page(family_client(world.app, guardian), f"/familie/sak/{rid}")[1]
    assert EXPLANATION in text and ADVICE in text and CHILD_VIEW in text


# --- the age rules (must-show 2, the page) ---------------------------------------------------------------------

def test_a_16_year_old_sees_their_own_case_and_their_guardian_sees_nothing_until_they_share(world):
    guardian, young = adult_number(world), world.national_id(born(16))
    rid = referral_of(world, age=16, guardian_number=guardian, child_number=young)
    young_person, parent = family_client(world.app, young), family_client(world.app, guardian)

    status, text = page(young_person, f"/familie/sak/{rid}")
    assert status == 200 and "BUP vurderer henvisningen" in text and "Del saken med foresatte" in text
    assert page(parent, f"/familie/sak/{rid}")[0] == 404
    assert "Vi fant ingen henvisninger for deg" in page(parent, "/familie")[1]

    shared = young_person.post(f"/familie/sak/{rid}/deling", data={"csrf_token": CSRF_TOKEN, "del": "ja"})
    assert shared.status_code == 302
    assert page(parent, f"/familie/sak/{rid}")[0] == 200
    assert f"/familie/sak/{rid}" in page(parent, "/familie")[1]
    assert "Slutt å dele med foresatte" in page(young_person, f"/familie/sak/{rid}")[1]
    writes = [row.action for row in log_rows(world, user_id=person_id(world, young))]
    assert "family_share" in writes

    young_person.post(f"/familie/sak/{rid}/deling", data={"csrf_token": CSRF_TOKEN, "del": "nei"})
    assert page(parent, f"/familie/sak/{rid}")[0] == 404


def test_only_the_young_person_may_share_and_a_share_without_the_form_token_changes_nothing(world):
    guardian, young = adult_number(world), world.national_id(born(16))
    rid = referral_of(world, age=16, guardian_number=guardian, child_number=young)
    young_person = family_client(world.app, young)
    forged = young_person.post(f"/familie/sak/{rid}/deling", data={"del": "ja"})
    assert forged.status_code in (400, 403)
    assert page(family_client(world.app, guardian), f"/familie/sak/{rid}")[0] == 404


def test_a_14_year_olds_guardian_does_not_see_what_the_child_withheld_and_the_child_does(world):
    guardian, child_number = adult_number(world), world.national_id(born(14))
    rid = referral_of(world, age=14, guardian_number=guardian, child_number=child_number, status="rejected",
                      withhold=True)
    status, parents_page = page(family_client(world.app, guardian), f"/familie/sak/{rid}")
    assert status == 200 and "Hvem skal dere snakke med nå?" in parents_page
    for withheld in (CHILD_VIEW, EXPLANATION, ADVICE, "Angst", "Skolevegring"):
        assert withheld not in parents_page
    childs_page = page(family_client(world.app, child_number), f"/familie/sak/{rid}")[1]
    for own in (CHILD_VIEW, EXPLANATION, ADVICE, "Angst"):
        assert own in childs_page
    assert "Del saken med foresatte" not in childs_page  # only from 16


def test_a_sign_in_page_and_no_case_without_a_family_session(world):
    rid = referral_of(world, age=10, guardian_number=adult_number(world))
    response = world.app.test_client().get(f"/familie/sak/{rid}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/familie/logg-inn")


# --- guardians recorded with an identity number ---------------------------------------------------------------

def test_a_guardians_number_is_kept_encrypted_apart_and_never_answered_back(world):
    number = adult_number(world)
    body = world.referral_body()
    body["child"]["guardians"] = [{"name": "Mor", "national_id": number}, {"name": "Far"}]
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 201 and number not in response.get_data(as_text=True)
    rid = response.json["id"]
    assert number not in world.get("gp", f"/api/v1/referrals/{rid}").get_data(as_text=True)
    with world.app.extensions["referral_db"].session() as session:
        referral = session.get(Referral, rid)
        assert [guardian["name"] for guardian in referral.child_guardians] == ["Mor", "Far"]
        assert all("national_id" not in guardian for guardian in referral.child_guardians)
        rows = session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == rid)).all()
        assert [(row.position, row.name) for row in rows] == [(0, "Mor")]
        assert number not in rows[0].national_id_ciphertext


def test_replacing_the_guardians_of_a_draft_replaces_who_may_sign_in(world):
    first, second = adult_number(world), adult_number(world)
    body = world.referral_body()
    body["child"]["guardians"] = [{"name": "Mor", "national_id": first}]
    rid = world.post("gp", "/api/v1/referrals", json=body).json["id"]
    child = dict(body["child"], guardians=[{"name": "Far", "national_id": second}])
    etag = world.get("gp", f"/api/v1/referrals/{rid}").headers["ETag"]
    patched = world.patch("gp", f"/api/v1/referrals/{rid}", json={"child": child}, headers={"If-Match": etag})
    assert patched.status_code == 200, patched.json
    world.act("gp", rid, "submit")
    assert page(family_client(world.app, first), f"/familie/sak/{rid}")[0] == 404
    assert page(family_client(world.app, second), f"/familie/sak/{rid}")[0] == 200


def test_an_invalid_guardian_number_is_refused_clearly_without_echoing_it(world):
    body = world.referral_body()
    bad = "12345678901"
    body["child"]["guardians"] = [{"name": "Mor", "national_id": bad}]
    response = world.post("gp", "/api/v1/referrals", json=body)
    assert response.status_code == 422
    assert "child.guardians.0.national_id" in response.get_data(as_text=True)
    assert bad not in response.get_data(as_text=True)
    body["child"]["guardians"] = [{"name": "Mor", "national_id": "123"}]
    short = world.post("gp", "/api/v1/referrals", json=body)
    assert short.status_code == 422 and "123\"" not in short.get_data(as_text=True)
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(Referral)).first() is None




# --- the referral form's guardian number ----------------------------------------------------------------------

def test_the_referral_form_records_a_guardians_number_and_never_shows_it_again(app, world):
    from tests.integration.test_web_referral_form import Browser, start_draft, step_one

    number = adult_number(world)
    browser = Browser(app, "nurse_bergen")
    rid = start_draft(browser, world, **{"child.guardians.0.national_id": number})
    step = browser.get(f"/henvisninger/{rid}/steg/1").get_data(as_text=True)
    assert "Fødselsnummer (for innlogging på familiesiden)" in step and number not in step
    # Step 1 saved again with the number left empty keeps it (as the child's).
    again = step_one(world, **{"child.national_id": "", "child.guardians.0.national_id": ""})
    assert browser.post(f"/henvisninger/{rid}/steg/1", again).status_code == 302
    with world.app.extensions["referral_db"].session() as session:
        rows = session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == rid)).all()
        assert [(row.position, row.name) for row in rows] == [(0, "Mor Testesen")]


def test_the_referral_form_refuses_an_invalid_guardian_number_in_norwegian(app, world):
    from tests.integration.test_web_referral_form import Browser, step_one

    browser = Browser(app, "nurse_bergen")
    for bad in ("12345678901", "123"):
        response = browser.post("/henvisninger/ny", step_one(world, **{"child.guardians.0.national_id": bad}))
        assert response.status_code == 422
        assert "Fødselsnummeret til den foresatte er ikke gyldig" in response.get_data(as_text=True)
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(Referral)).first() is None


def test_a_forwarded_referral_stays_on_the_guardians_page(world):
    guardian = adult_number(world)
    rid = referral_of(world, age=10, guardian_number=guardian)
    forwarded = world.act("bup", rid, "forward", {"clinic_id": world.orgs["bup2"].id, "reason": "Bosted"})
    new_id = forwarded["forwarded_to_id"] if "forwarded_to_id" in forwarded else None
    with world.app.extensions["referral_db"].session() as session:
        new_id = new_id or session.get(Referral, rid).forwarded_to_id
    client = family_client(world.app, guardian)
    assert page(client, f"/familie/sak/{new_id}")[0] == 200
    assert "Henvisningen er sendt videre" in page(client, f"/familie/sak/{rid}")[1]


def test_the_retention_sweep_removes_the_guardians_numbers_with_the_case(app, world, clock):
    from click.testing import CliRunner

    from referral_service.cli import main
    from tests.integration.test_retention import ENDED, SWEEP_AT, ended_case, installation_env
    from tests.support.loop import InProcessWorker

    child = world.referral_body()["child"]
    child["guardians"] = [{"name": "Mor Testesen", "national_id": adult_number(world)}]
    referral = ended_case(world, InProcessWorker(app), clock, ENDED, child=child)
    result = CliRunner().invoke(main, ["retention", "sweep", "--at", SWEEP_AT],
                                env=installation_env(app))
    assert result.exit_code == 0, result.output
    with world.app.extensions["referral_db"].session() as session:
        assert session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == referral["id"])).all() == []


def test_after_keys_rotate_a_guardian_signed_in_under_the_new_key_alone_still_sees_the_case(world, app):
    from config.secret_strength import new_fernet_key
    from tests.integration.test_key_rotation import rotate_on_the_command_line, started_with

    guardian = adult_number(world)
    rid = referral_of(world, age=10, guardian_number=guardian)
    old, new = app.config["ID_ENCRYPTION_KEY"], new_fernet_key()
    result = rotate_on_the_command_line(app, f"{new},{old}")
    assert result.exit_code == 0 and "guardian_identity: 1 rows, 1 re-encrypted or re-indexed." in result.output
    with started_with(app, new) as rotated:
        assert page(family_client(rotated, guardian), f"/familie/sak/{rid}")[0] == 200
