"""Issue 14, the family's data cared for: when a child's case is anonymised by `referral-service retention sweep --at`,
its family data goes too (the guardians recorded with their number, the young person's own words and sharing, what
the letters said, who said "Vi har ikke hørt noe"), while what the statistics count stays (a letter's kind, status
and dates; a nudge's times). Family sessions go after the web sessions' period, and people who signed in on the
family page go when they have not for RETENTION_FAMILY_PERSON_DAYS and nothing kept refers to them. Another case's
family data is untouched, each kind is counted in the run, and a second run changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import SQLModel, select

from referral_service.bootstrap import dependencies
from referral_service.cli import main
from referral_service.domain.family import (
    FamilyLetter,
    FamilyNudge,
    FamilyPerson,
    FamilySession,
    FamilyShare,
    FamilyVoice,
    GuardianIdentity,
)
from referral_service.domain.referral import Referral
from referral_service.services.admin.web_sessions import hash_session_id
from referral_service.services.family.access import readable_cases
from referral_service.services.family.sessions import start_family_session
from tests.integration.test_retention import ENDED, RECENTLY, SWEEP_AT, ended_case, installation_env, runs, session_of
from tests.integration.test_web_decisions import WebUser
from tests.support.family_records import GUARDIAN_BORN, record_guardian, viewer_of
from tests.support.loop import InProcessWorker

FAMILY_TABLES: tuple[type[SQLModel], ...] = (GuardianIdentity, FamilyVoice, FamilyLetter, FamilyNudge, FamilyShare,
                                             FamilyPerson, FamilySession)
LETTER_FACTS = {"responsible_name": "Kari Koordinator", "responsible_phone": "56 15 00 00", "due": "18.12.2026"}


@pytest.fixture
def worker(app, world) -> InProcessWorker:
    return InProcessWorker(app)


@pytest.fixture
def retention_sweep(app):
    """`referral-service retention sweep --at SWEEP_AT` against the test database; returns what it printed."""
    def run() -> str:
        result = CliRunner().invoke(main, ["retention", "sweep", "--at", SWEEP_AT], env=installation_env(app))
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output
    return run


def signed_in(app, clock, national_id: str, at: datetime) -> str:
    """The person with this number signs in on the family page at `at`; answers their FamilyPerson id."""
    clock.set(at)
    deps = dependencies(app)
    session_id = start_family_session(deps.unit_of_work(), deps.clock,
                                      national_id_indexes=viewer_of(app, national_id).national_id_indexes)
    with session_of(app) as session:
        return session.get(FamilySession, hash_session_id(session_id)).person_id


def family_of(app, world, clock, referral: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A guardian recorded on the referral, who signed in, got a letter, said "Vi har ikke hørt noe", and a young
    person's own words and sharing choice, all at `at`."""
    guardian = world.national_id(GUARDIAN_BORN)
    record_guardian(app, referral["id"], guardian)
    person_id = signed_in(app, clock, guardian, at)
    with session_of(app) as session:
        child_id = session.get(Referral, referral["id"]).child_id
        session.add_all([
            FamilyLetter(referral_id=referral["id"], kind="rejected", sender_org_id=world.orgs["bup"].id,
                         trigger_key=f"test:{referral['id']}", status="sent", facts=dict(LETTER_FACTS),
                         audiences=["guardian", "child"], created_at=at, sent_at=at),
            FamilyNudge(referral_id=referral["id"], raised_by_person_id=person_id, raised_as="guardian", raised_at=at),
            FamilyVoice(referral_id=referral["id"], person_id=person_id, text="Jeg vil ikke bytte skole.",
                        written_at=at),
            FamilyShare(child_id=child_id, shared_with_guardians=True, changed_at=at),
        ])
        session.commit()
    return {"guardian": guardian, "person_id": person_id, "child_id": child_id}


def family_rows(app, referral_id: str, child_id: str) -> dict[str, list[dict[str, Any]]]:
    """The referral's rows in the family tables (and the child's sharing choice)."""
    with session_of(app) as session:
        return {
            "guardian_identity": _dumped(session.exec(select(GuardianIdentity).where(
                GuardianIdentity.referral_id == referral_id))),
            "family_voice": _dumped(session.exec(select(FamilyVoice).where(FamilyVoice.referral_id == referral_id))),
            "family_letter": _dumped(session.exec(select(FamilyLetter).where(FamilyLetter.referral_id == referral_id))),
            "family_nudge": _dumped(session.exec(select(FamilyNudge).where(FamilyNudge.referral_id == referral_id))),
            "family_share": _dumped(session.exec(select(FamilyShare).where(FamilyShare.child_id == child_id))),
        }


def everything(app) -> dict[str, list[dict[str, Any]]]:
    with session_of(app) as session:
        return {table.__tablename__: _dumped(session.exec(select(table)))  # type: ignore[attr-defined]
                for table in FAMILY_TABLES}


def _dumped(rows: Any) -> list[dict[str, Any]]:
    return sorted((row.model_dump() for row in rows), key=lambda row: str(row.get("id") or row.get("id_hash")
                                                                           or row.get("child_id")))


def test_an_anonymised_case_takes_its_family_data_with_it_and_another_case_keeps_its_own(
        app, world, worker, clock, retention_sweep):
    old = ended_case(world, worker, clock, ENDED)
    old_family = family_of(app, world, clock, old, ENDED)
    recent = ended_case(world, worker, clock, RECENTLY)
    recent_family = family_of(app, world, clock, recent, RECENTLY)
    recent_before = family_rows(app, recent["id"], recent_family["child_id"])
    old_before = family_rows(app, old["id"], old_family["child_id"])

    output = retention_sweep()

    assert "case: 1" in output
    gone = family_rows(app, old["id"], old_family["child_id"])
    assert (gone["guardian_identity"], gone["family_voice"], gone["family_share"]) == ([], [], [])
    # The letters the case's steps made, and the one sent in family_of: what they said is gone, the rest kept.
    assert gone["family_letter"] and all(letter["facts"] == {} for letter in gone["family_letter"])
    kept = ("id", "kind", "status", "sent_at", "created_at", "audiences")
    assert [{k: letter[k] for k in kept} for letter in gone["family_letter"]] == [
        {k: letter[k] for k in kept} for letter in old_before["family_letter"]]
    [nudge] = gone["family_nudge"]
    assert nudge["raised_at"] == old_before["family_nudge"][0]["raised_at"] and nudge["raised_as"] == "guardian"
    assert nudge["raised_by_person_id"] != old_family["person_id"], "who raised it is no longer known"
    with session_of(app) as session:
        stand_in = session.get(FamilyPerson, nudge["raised_by_person_id"])
        assert stand_in.national_id_index.startswith("anonymised:")
        # The guardian, who has not signed in for five years and whom nothing kept names any more, is forgotten,
        # and their old session with them; the recent case's guardian is kept.
        assert session.get(FamilyPerson, old_family["person_id"]) is None
        assert session.get(FamilyPerson, recent_family["person_id"]) is not None
        assert not session.exec(select(FamilySession).where(
            FamilySession.person_id == old_family["person_id"])).all()
        # The guardian of the anonymised case finds nothing on the family page; the other guardian still does.
        today = dependencies(app).clock.today()
        assert readable_cases(session, viewer_of(app, old_family["guardian"]), today=today) == []
        assert [case.referral.id for case in readable_cases(session, viewer_of(app, recent_family["guardian"]),
                                                            today=today)] == [recent["id"]]
    assert family_rows(app, recent["id"], recent_family["child_id"]) == recent_before

    recorded = {run.kind: run.count for run in runs(app)}
    # Both guardians' sessions are older than the web sessions' period (30 days); only one person is forgotten.
    assert recorded["family_session"] == 2 and recorded["family_person"] == 1

    settled = everything(app)
    again = retention_sweep()
    assert "case: 0" in again and "family_session: 0" in again and "family_person: 0" in again
    assert everything(app) == settled


def test_people_who_signed_in_go_after_their_period_unless_something_kept_names_them(
        app, world, worker, clock, retention_sweep):
    at = datetime.fromisoformat(SWEEP_AT)
    open_case = world.referral_in("submitted")
    quiet_long = signed_in(app, clock, world.national_id(GUARDIAN_BORN), at - timedelta(days=400))
    quiet_lately = signed_in(app, clock, world.national_id(GUARDIAN_BORN), at - timedelta(days=100))
    with_words = signed_in(app, clock, world.national_id(GUARDIAN_BORN), at - timedelta(days=400))
    with session_of(app) as session:
        session.add(FamilyVoice(referral_id=open_case["id"], person_id=with_words, text="Jeg vil bli hørt.",
                                written_at=at - timedelta(days=400)))
        session.commit()

    output = retention_sweep()

    counts = dict(line.strip().split(": ") for line in output.splitlines() if line.startswith("  "))
    assert (counts["family_person"], counts["family_session"]) == ("1", "3")
    with session_of(app) as session:
        assert {row.id for row in session.exec(select(FamilyPerson))} == {quiet_lately, with_words}
        # Their sessions went after the web sessions' period (30 days), the one 100 days old too.
        assert not session.exec(select(FamilySession)).all()
    assert quiet_long not in {row["id"] for row in everything(app)["family_person"]}


def test_a_case_the_family_wrote_to_lately_is_kept_whole(app, world, worker, clock, retention_sweep):
    old = ended_case(world, worker, clock, ENDED)
    family = family_of(app, world, clock, old, ENDED)
    with session_of(app) as session:
        session.add(FamilyVoice(referral_id=old["id"], person_id=family["person_id"], text="Det er verre nå.",
                                written_at=RECENTLY))
        session.commit()
    before = family_rows(app, old["id"], family["child_id"])

    assert "case: 0" in retention_sweep()

    assert family_rows(app, old["id"], family["child_id"]) == before


def test_the_auditor_sees_the_family_kinds_of_each_run(app, world, worker, clock, retention_sweep):
    old = ended_case(world, worker, clock, ENDED)
    family_of(app, world, clock, old, ENDED)
    retention_sweep()

    page = WebUser(app, "auditor").get("/revisjon/kontroll")

    assert "Gamle innlogginger på familiesiden slettet" in page.text()
    assert "Familiemedlemmer som ikke har logget inn på lenge, slettet" in page.text()
