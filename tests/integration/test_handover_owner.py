"""Every handover has an owner who can act, and its escalation ends at a lead of that owner: with consent to
share with the municipality, without it, with a home municipality not connected to the service, and when
the owner's people are deactivated. In no case is the GP the only one told (SQLite and PostgreSQL)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlmodel import select

from referral_service.domain.alert import Alert
from referral_service.domain.organisation import User
from tests.integration.test_loop_edge_cases import only_handover
from tests.integration.test_sweeps import ESCALATION, alerts, logged_in_before_the_clock_moves, sweep, worker
from tests.integration.test_web_referral_form import Browser

__all__ = ["logged_in_before_the_clock_moves", "sweep", "worker"]  # fixtures shared with test_sweeps

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 10, 5, 9, tzinfo=OSLO)  # acknowledge due Wednesday 7 October
PAST_DUE = "2026-10-12T09:00:00+02:00"
NO_MUNICIPAL_CONSENT = {"given_by": ["guardian"], "share_with": ["bup"]}
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
             "municipal_advice": "Tilbud hos kommunepsykolog."}


@contextmanager
def deactivated(app, world, *who: str, organisations: tuple[str, ...] = ()):
    """These people, and everyone at these organisations, leave the service for the length of the block (as an
    administrator would record it)."""
    engine = app.extensions["referral_db"].engine
    with engine.connect() as connection:
        org_ids = [world.orgs[key].id for key in organisations]
        ids = [world.users[name].id for name in who] + list(connection.execute(
            select(User.id).where(User.organisation_id.in_(org_ids), User.active.is_(True))).scalars())
    with engine.begin() as connection:
        connection.execute(update(User).where(User.id.in_(ids)).values(active=False))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(update(User).where(User.id.in_(ids)).values(active=True))


def rejected(world, worker, clock, **referral):
    clock.set(MONDAY)
    created = world.create_referral("gp", **referral)
    world.act("gp", created["id"], "submit")
    world.act("bup", created["id"], "reject", REJECTION)
    worker.run()
    return created["id"]


def told(app, handover_id: str) -> set[str]:
    """Everyone alerted about the task, by user id."""
    with app.extensions["referral_db"].session() as session:
        return set(session.exec(select(Alert.user_id).where(Alert.handover_id == handover_id)).all())


def assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, *, owner: str, actor: str):
    assert handover.owner_org_id == world.orgs[owner].id
    assert world.post(actor, f"/api/v1/handovers/{handover.id}/acknowledge").status_code == 200
    gp_side = {world.users["gp"].id}
    assert told(app, handover.id) - gp_side, "the GP is the only one told"


@pytest.fixture(autouse=True)
def the_leads_are_logged_in(world):
    for who in ("lead_gp", "admin", "coordinator_askoy"):
        world.headers(who)


def test_with_municipal_consent_the_home_municipality_owns_it_and_its_lead_is_escalated_to(
        app, world, worker, clock, sweep):
    rid = rejected(world, worker, clock)
    handover = only_handover(app, rid)
    assert (handover.addressed_to, handover.owner_reason) == ("municipality", "municipal_consent")
    assert [a["handover_id"] for a in alerts(world, "coordinator_askoy", "handover_created")] == [handover.id]

    sweep(PAST_DUE)

    [escalated] = alerts(world, "lead_askoy", ESCALATION)
    assert escalated["handover_id"] == handover.id
    assert alerts(world, "gp", ESCALATION) == []
    assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, owner="askoy", actor="coordinator_askoy")


def test_without_municipal_consent_the_referring_office_owns_it_and_its_lead_is_escalated_to(
        app, world, worker, clock, sweep):
    rid = rejected(world, worker, clock, consent=NO_MUNICIPAL_CONSENT)
    handover = only_handover(app, rid)
    assert (handover.addressed_to, handover.owner_reason) == ("referrer", "no_municipal_consent")
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover.id}").status_code == 404

    sweep(PAST_DUE)

    [escalated] = alerts(world, "lead_gp", ESCALATION)  # the office's lead, not "nivå 1, still only the GP"
    assert escalated["handover_id"] == handover.id
    assert alerts(world, "lead_askoy", ESCALATION) == []
    assert world.get("lead_gp", f"/api/v1/handovers/{handover.id}").status_code == 200
    assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, owner="gp", actor="gp")


def test_a_municipality_not_connected_to_the_service_leaves_the_task_with_the_referrer_and_tells_the_admins(
        app, world, worker, clock, sweep):
    rid = rejected(world, worker, clock, home_municipality="0301")  # Oslo: in the register, not in the service
    handover = only_handover(app, rid)
    assert (handover.addressed_to, handover.owner_reason) == ("referrer", "municipality_not_connected")
    [notice] = alerts(world, "admin", "municipality_not_connected")
    assert notice["handover_id"] == handover.id and "0301" in notice["message"]
    assert world.get("gp", f"/api/v1/handovers/{handover.id}").json["owner_reason"] == "municipality_not_connected"
    page = Browser(app, "gp").client.get(f"/tilbakehenvisninger/{handover.id}").get_data(as_text=True)
    assert "kommunen er ikke koblet til tjenesten ennå, så henviser følger opp" in page

    sweep(PAST_DUE)

    assert [a["handover_id"] for a in alerts(world, "lead_gp", ESCALATION)] == [handover.id]
    assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, owner="gp", actor="gp")


def test_a_municipality_whose_coordinators_have_all_left_is_not_connected(app, world, worker, clock, sweep):
    with deactivated(app, world, "coordinator_askoy"):
        rid = rejected(world, worker, clock)
        handover = only_handover(app, rid)
        assert (handover.owner_org_id, handover.owner_reason) == (world.orgs["gp"].id, "municipality_not_connected")
        assert alerts(world, "admin", "municipality_not_connected")
        sweep(PAST_DUE)
        assert [a["handover_id"] for a in alerts(world, "lead_gp", ESCALATION)] == [handover.id]
        assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, owner="gp", actor="gp")


def test_when_the_owners_people_are_deactivated_the_sweep_gives_the_task_to_the_next_owner(
        app, world, worker, clock, sweep):
    rid = rejected(world, worker, clock)
    assert only_handover(app, rid).owner_org_id == world.orgs["askoy"].id
    with deactivated(app, world, "coordinator_askoy"):
        sweep("2026-10-06T09:00:00+02:00")  # before any deadline: only the owner is checked
        handover = only_handover(app, rid)
        assert (handover.addressed_to, handover.owner_org_id) == ("referrer", world.orgs["gp"].id)
        assert handover.content["municipal_contacts"] == []  # nothing more reaches a municipality that left
        assert [a["handover_id"] for a in alerts(world, "gp", "handover_created")] == [handover.id]

        sweep(PAST_DUE)

        assert [a["handover_id"] for a in alerts(world, "lead_gp", ESCALATION)] == [handover.id]
        assert_owner_can_act_and_not_only_the_gp_is_told(app, world, handover, owner="gp", actor="gp")
    assert len(world.get("gp", f"/api/v1/handovers/{handover.id}").json["events"]) >= 2  # created, re-addressed


def test_when_nobody_anywhere_can_act_the_administrators_must_find_someone(app, world, worker, clock):
    clock.set(MONDAY)
    created = world.create_referral("gp")
    world.act("gp", created["id"], "submit")
    with deactivated(app, world, organisations=("askoy", "gp")):
        world.act("bup", created["id"], "reject", REJECTION)
        worker.run()
        handover = only_handover(app, created["id"])
        assert handover.owner_org_id is None
        assert [a["handover_id"] for a in alerts(world, "admin", "handover_unrouted")] == [handover.id]
