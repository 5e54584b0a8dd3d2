"""Oversikt's kept counts (services/dashboard_counts.py, dashboard_contacts.py) never drift from the events:
after any sequence of what people and the workers do — referrals sent, decided, forwarded, moved, their consent
changed, handovers acknowledged, given to people, passed on and planned, people hired and leaving, the sweep
recording breaches, days passing across months and a new year — every user's Oversikt read from the counts is
the one counted straight from the events (the service's code before it kept counts,
tests/support/dashboard_recount.py), for the default period and for periods that cut months, figure by figure
and in the numbers behind the contact-person figures and the breaches; and counting everything again gives the
counts that were kept. A database upgraded from revision 0017 fills them the same way, and one upgraded from
0021 its contact-person counts and breaches.
"""

from __future__ import annotations

import importlib
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from sqlmodel import Session, col, select

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.dashboard_contact import DashboardContactCount
from referral_service.domain.dashboard_count import DashboardCount
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import Organisation, User
from referral_service.security.actor import Actor
from referral_service.security.statistics_scope import scope_for
from referral_service.services.admin.auth import actor_for_user
from referral_service.services.dashboard import Period, build_dashboard, count_keys, default_period
from referral_service.services.dashboard_contacts import CHANGES, HELD, TWO_OR_MORE, read_contact_totals
from referral_service.services.dashboard_counts import read_totals, rebuild_counts
from referral_service.services.dashboard_facts import BREACHES, CountingRules
from referral_service.services.loop.sweeps import run_sweeps
from tests.support.dashboard_recount import recount_breaches, recount_contacts, recount_dashboard
from tests.support.loop import InProcessWorker

OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2025, 12, 22, 10, tzinfo=OSLO)  # the sequence crosses a new year and the months after it
#: Every kind of scope: the country, two clinics, two municipalities, three referrers.
READERS = ("admin", "bup", "bup2", "coordinator_askoy", "coordinator_bergen", "gp", "ppt", "nurse_bergen")
REFERRERS = {"gp": "4627", "nurse_bergen": "4601", "ppt": "4601"}
MUNICIPALITY_CONSENT = {"given_by": ["guardian"], "share_with": ["bup", "municipality", "school"]}
BUP_ONLY_CONSENT = {"given_by": ["guardian"], "share_with": ["bup", "school"]}
REJECTION_REASONS = ("not_specialist_need", "insufficient_information", "municipal_measures_not_tried")
COORDINATOR = {"4627": "coordinator_askoy", "4601": "coordinator_bergen"}
LEAD = {"coordinator_askoy": "lead_askoy", "coordinator_bergen": "lead_bergen"}
MUNICIPALITY_ORG = {"coordinator_askoy": "askoy", "coordinator_bergen": "bergen"}
MAX_REFERRALS = 6
#: Where each clinic forwards a referral: the other one (a referral forwarded to bup2 may be forwarded back).
FORWARD_TO = {"bup": "bup2", "bup2": "bup"}
DECIDABLE = ("submitted", "information_requested", "accepted", "in_treatment")


def next_steps(today: date) -> dict[str, list[tuple[str, str, dict | None]]]:
    """BUP's and the referrer's possible next steps per status: (who, action, body); "referrer" is the sender."""
    return {
        "submitted": [
            ("clinic", "accept", {"care_start_due": (today + timedelta(days=30)).isoformat()}),
            *[("clinic", "reject", {"reason_code": reason, "explanation": "Forklaring.",
                                    "municipal_advice": "Råd til kommunen."}) for reason in REJECTION_REASONS],
            ("clinic", "municipal-outcome", {"assessment_conversation_on": today.isoformat(),
                                             "explanation": "Kommunen.", "municipal_advice": "Helsesykepleier."}),
            ("clinic", "forward", None),  # to the other clinic (FORWARD_TO)
            ("clinic", "request-information", {"questions": "Hvor lenge har fraværet vart?"}),
            ("referrer", "withdraw", {"reason": "Familien ønsker det ikke."}),
        ],
        "information_requested": [
            ("referrer", "supplement", {"text": "Fraværet startet i august."}),
            ("clinic", "reject", {"reason_code": "insufficient_information", "explanation": "Forklaring.",
                                  "municipal_advice": "Råd."}),
        ],
        "accepted": [
            ("clinic", "start-treatment", {"first_appointment_on": today.isoformat()}),
            ("clinic", "withdraw", {"reason": "Familien ønsker det ikke."}),
        ],
        "in_treatment": [
            ("clinic", "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler i kommunen.",
                                     "epikrise_sent": True}),
            ("clinic", "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler i kommunen.",
                                     "epikrise_sent": False}),
        ],
    }


def actor_of(session: Session, world, who: str) -> Actor:
    user = session.get(User, world.users[who].id)
    return actor_for_user(user, session.get(Organisation, user.organisation_id))


def periods(today: date) -> list[Period]:
    """The default period, one that cuts months at both ends, and a few days in the middle."""
    return [default_period(today), Period(START.date() + timedelta(days=3), today - timedelta(days=2)),
            Period(date(2026, 1, 1), date(2026, 1, 20))]


def assert_counts_agree_with_the_events(app, world) -> None:
    deps = dependencies(app)
    database = app.extensions["referral_db"]
    with database.session() as session:
        for who in READERS:
            actor = actor_of(session, world, who)
            for period in periods(deps.clock.today()):
                kept = build_dashboard(session, clock=deps.clock, calendar=deps.calendar, actor=actor, period=period)
                counted = recount_dashboard(session, clock=deps.clock, calendar=deps.calendar, actor=actor,
                                            period=period)
                assert kept == counted, (who, period)
                assert raw_counts(session, deps, actor, period) == recounted(session, deps, actor, period), (
                    who, period)
    assert stored_counts(database.engine) == rebuilt_counts(database.engine, deps)


def raw_counts(session: Session, deps, actor: Actor, period: Period) -> tuple:
    """The kept contact-person and breach counts before they are made figures (which hide 1 and 2)."""
    referral_key, handover_key = count_keys(scope_for(session, actor=actor), actor)
    contacts = read_contact_totals(session, scope=handover_key, first=period.first, last=period.last,
                                   today=deps.clock.today())
    breaches = read_totals(session, scopes=[referral_key], first=period.first, last=period.last)[referral_key]
    return ((contacts[HELD], contacts[CHANGES], contacts[TWO_OR_MORE]),
            {kind: n for kind, n in breaches.get(BREACHES, {}).items() if n})


def recounted(session: Session, deps, actor: Actor, period: Period) -> tuple:
    scope = scope_for(session, actor=actor)
    start, end = period.bounds(deps.clock.timezone)
    return (recount_contacts(session, scope, start=start, end=end),
            {kind: n for kind, n in recount_breaches(session, deps.clock, scope, period).items() if n})


KEPT = (DashboardCount.__table__, DashboardContactCount.__table__)


def _counts_in(connection) -> set[tuple]:
    return {(table.name, *row) for table in KEPT for row in connection.execute(sa.select(table)) if row.count}


def stored_counts(engine) -> set[tuple]:
    with engine.connect() as connection:
        return _counts_in(connection)


def rebuilt_counts(engine, deps) -> set[tuple]:
    """The counts as a full recount makes them (rolled back again)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        rebuild_counts(connection, CountingRules(calendar=deps.calendar, timezone=deps.clock.timezone))
        rows = _counts_in(connection)
        transaction.rollback()
    return rows


def counting_machine(app, world, *, handed_back: int = 0):
    """The actions as rules; with `handed_back`, each run starts with that many children rejected by BUP whose
    handovers the municipalities hold, so the tasks' steps and the staff changes come into play at once."""
    database = app.extensions["referral_db"]
    deps = dependencies(app)

    def a_second_later(action):
        """`action`, done a second after what was done before it. With the clock standing still, a child's steps
        taken at one moment are ordered by their random ids (the kept counts and the recount both order them so),
        and the figures, and whether a wrong count shows, would hang on the ids: a replayed example could end
        otherwise (Hypothesis's FlakyFailure). What one request or one message does still happens at one moment."""
        def later(*args, **kwargs):
            world.clock.advance(timedelta(seconds=1))
            return action(*args, **kwargs)
        return later

    create_referral, act, post = (a_second_later(call) for call in (world.create_referral, world.act, world.post))
    catch_up, sweep = a_second_later(InProcessWorker.run), a_second_later(run_sweeps)

    class Counting(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.worker = InProcessWorker(app)
            world.clock.set(START)
            #: referral id -> (referrer, clinic, home municipality, status)
            self.referrals: dict[str, list[str]] = {}
            #: people hired in this run and still working: user id -> municipality
            self.hired: dict[str, str] = {}

        def ids_in(self, statuses) -> list[str]:
            """The referrals in `statuses`, in the order they were made here: ids are random, so ordered by id the
            same choices would pick another referral when Hypothesis replays or extends an example (its
            FlakyStrategyDefinition), and every draw must follow from this run's own steps."""
            return [rid for rid, (_who, _clinic, _home, status) in self.referrals.items() if status in statuses]

        def tasks(self, *columns, where) -> list[tuple]:
            """The handover tasks' `columns` where `where` holds, in the order of their referrals here (as
            `ids_in`; a referral's tasks by when they were made), not in the database's order of random ids."""
            with database.session() as session:
                rows = session.exec(select(Handover.referral_id, Handover.created_at, *columns).where(*where)).all()
            place = {rid: n for n, rid in enumerate(self.referrals)}
            return [tuple(row[2:]) for row in sorted(rows, key=lambda row: (place[row[0]], row[1]))]

        @initialize()
        def empty(self) -> None:
            from tests.integration.conftest import empty_case_tables

            empty_case_tables(app)
            for n in range(handed_back):
                who = sorted(REFERRERS)[n % len(REFERRERS)]
                referral = create_referral(who, home_municipality=REFERRERS[who],
                                           consent={**MUNICIPALITY_CONSENT,
                                                    "recorded_on": deps.clock.today().isoformat()})
                act(who, referral["id"], "submit")
                answer = act("bup", referral["id"], "reject", {
                    "reason_code": REJECTION_REASONS[0], "explanation": "Forklaring.", "municipal_advice": "Råd."})
                self.referrals[referral["id"]] = [who, "bup", REFERRERS[who], answer["status"]]
            catch_up(self.worker)

        @precondition(lambda self: len(self.referrals) < MAX_REFERRALS)
        @rule(who=st.sampled_from(sorted(REFERRERS)), shares=st.booleans(), interpreter=st.booleans(),
              parent_illness=st.booleans(), gaps=st.booleans())
        def send(self, who: str, shares: bool, interpreter: bool, parent_illness: bool, gaps: bool) -> None:
            extra: dict = {}
            if interpreter:
                extra["interpreter"] = {"needed": True, "language": "so"}
            if parent_illness:
                extra["reasons"] = ["anxiety", "parent_mental_illness_or_substance_use"]
            if gaps:
                extra["municipal_contacts"] = []
            referral = create_referral(who, home_municipality=REFERRERS[who], **extra,
                                       consent={**(MUNICIPALITY_CONSENT if shares else BUP_ONLY_CONSENT),
                                                "recorded_on": deps.clock.today().isoformat()})
            status = act(who, referral["id"], "submit")["status"]
            self.referrals[referral["id"]] = [who, "bup", REFERRERS[who], status]

        @precondition(lambda self: self.ids_in(DECIDABLE))
        @rule(data=st.data(), worker_runs=st.booleans())
        def decide(self, data, worker_runs: bool) -> None:
            steps = next_steps(deps.clock.today())
            rid = data.draw(st.sampled_from(self.ids_in(steps)), label="referral")
            who, clinic, home, status = self.referrals[rid]
            side, action, body = data.draw(st.sampled_from(steps[status]), label="step")
            actor = clinic if side == "clinic" else who
            if action == "forward":
                body = {"clinic_id": world.orgs[FORWARD_TO[clinic]].id, "reason": "Et annet opptaksområde."}
            answer = act(actor, rid, action, body)
            self.referrals[rid][3] = answer["status"]
            if action == "forward":
                forwarded = world.get(clinic, f"/api/v1/referrals/{rid}").json["forwarded_to_id"]
                self.referrals[forwarded] = [who, FORWARD_TO[clinic], home, "submitted"]
            if worker_runs:  # else the handover comes later, when the workers catch up
                catch_up(self.worker)

        @rule()
        def the_workers_catch_up(self) -> None:
            catch_up(self.worker)

        @precondition(lambda self: self.ids_in({"submitted", "accepted", "in_treatment", "rejected"}))
        @rule(data=st.data())
        def the_family_moves(self, data) -> None:
            rid = data.draw(st.sampled_from(self.ids_in({"submitted", "accepted", "in_treatment", "rejected"})))
            who, clinic, home, status = self.referrals[rid]
            to = "4601" if home == "4627" else "4627"
            response = post(clinic, f"/api/v1/referrals/{rid}/move", json={"home_municipality": to})
            if response.status_code == 200:
                self.referrals[rid][2] = to

        @precondition(lambda self: self.ids_in({"submitted", "information_requested", "accepted"}))
        @rule(data=st.data(), shares=st.booleans())
        def the_consent_changes(self, data, shares: bool) -> None:
            rid = data.draw(st.sampled_from(self.ids_in({"submitted", "information_requested", "accepted"})))
            consent = MUNICIPALITY_CONSENT if shares else BUP_ONLY_CONSENT
            post(self.referrals[rid][0], f"/api/v1/referrals/{rid}/consent",
                 json={**consent, "recorded_on": deps.clock.today().isoformat(),
                       "withhold_from_guardians": False})

        @rule(data=st.data(), step=st.sampled_from(["acknowledge", "plan", "close"]))
        def the_municipality_takes_a_step(self, data, step: str) -> None:
            handovers = self.tasks(Handover.id, Handover.municipality_number, where=[Handover.status != "closed"])
            if not handovers:
                return
            handover_id, number = data.draw(st.sampled_from(handovers), label="handover")
            body = {"plan": {"first_contact_on": (deps.clock.today() + timedelta(days=data.draw(
                        st.integers(0, 12), label="first contact in"))).isoformat(), "plan": "Samtale."},
                    "close": {"outcome": "Fulgt opp."}}.get(step)
            post(COORDINATOR.get(number, "coordinator_askoy"), f"/api/v1/handovers/{handover_id}/{step}",
                 json=body)

        @rule(data=st.data(), to_service=st.booleans())
        def the_municipality_gives_a_task_to_a_person(self, data, to_service: bool) -> None:
            handovers = self.tasks(Handover.id, Handover.municipality_number, Handover.status,
                                   where=[col(Handover.status).in_(["open", "acknowledged", "assigned"]),
                                          Handover.addressed_to == "municipality"])
            if not handovers:
                return
            handover_id, number, status = data.draw(st.sampled_from(handovers), label="handover")
            coordinator = COORDINATOR.get(number, "coordinator_askoy")
            if status == "open":
                post(coordinator, f"/api/v1/handovers/{handover_id}/acknowledge")
            body = ({"service": "Helsestasjonen"} if to_service
                    else {"assignee_user_id": data.draw(st.sampled_from(self.people(coordinator)), label="person")})
            answer = post(coordinator, f"/api/v1/handovers/{handover_id}/assign", json=body)
            assert answer.status_code in (200, 409), answer.json

        @rule(data=st.data())
        def the_municipality_passes_a_task_on(self, data) -> None:
            handovers = self.tasks(Handover.id, Handover.municipality_number, Handover.assignee_user_id,
                                   where=[Handover.status == "assigned"])
            if not handovers:
                return
            handover_id, number, holder = data.draw(st.sampled_from(handovers), label="handover")
            coordinator = COORDINATOR.get(number, "coordinator_askoy")
            others = [person for person in self.people(coordinator) if person != holder]
            answer = post(coordinator, f"/api/v1/handovers/{handover_id}/assign",
                          json={"assignee_user_id": data.draw(st.sampled_from(others), label="person")})
            assert answer.status_code == 200, answer.json

        def people(self, coordinator: str) -> list[str]:
            """The municipality's people who may hold a task: its coordinator, its lead and those hired here."""
            return [world.users[coordinator].id, world.users[LEAD[coordinator]].id,
                    *(person for person, org in self.hired.items() if org == MUNICIPALITY_ORG[coordinator])]

        @precondition(lambda self: len(self.hired) < 3)
        @rule(org=st.sampled_from(["askoy", "bergen"]))
        def the_municipality_hires(self, org: str) -> None:
            response = post("admin", "/api/v1/users", json={
                "email": f"ny-{uuid.uuid4().hex[:8]}@{org}.example", "name": "Ny Koordinator",
                "password": DEMO_PASSWORD, "organisation_id": world.orgs[org].id,
                "roles": ["municipal_coordinator"]})
            assert response.status_code == 201, response.json
            self.hired[response.json["id"]] = org

        @precondition(lambda self: self.hired)
        @rule(data=st.data(), to_queue=st.booleans())
        def a_person_leaves(self, data, to_queue: bool) -> None:
            leaver = data.draw(st.sampled_from(list(self.hired)), label="leaver")
            org = self.hired.pop(leaver)
            successor = world.users[{"askoy": "coordinator_askoy", "bergen": "coordinator_bergen"}[org]].id
            response = post("admin", f"/api/v1/admin/users/{leaver}/deactivate",
                                  json={"to_queue": True} if to_queue else {"successor_user_id": successor})
            assert response.status_code == 200, response.json

        @rule()
        def the_sweep_runs(self) -> None:  # it records the deadline breaches
            sweep(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)

        @rule(days=st.sampled_from([1, 3, 9, 20]), hour=st.sampled_from([0, 10, 23]))
        def days_pass(self, days: int, hour: int) -> None:
            world.clock.set(datetime.combine(deps.clock.today() + timedelta(days=days), time(hour, 30), OSLO))

        def teardown(self) -> None:
            try:
                catch_up(self.worker)
                assert_counts_agree_with_the_events(app, world)
            finally:  # the people hired here leave again, so other tests meet the seeded staff only
                with database.engine.begin() as connection:
                    connection.execute(sa.update(User).where(col(User.id).in_(list(self.hired)))
                                       .values(active=False))

    return Counting


def _machine_settings(*, max_examples: int, stateful_step_count: int) -> settings:
    """The machines' settings. Derandomized (as the API's property tests are), so every run, CI's included, walks
    the same sequences in the same time: a random draw of long sequences once ran past the 300 s test timeout on
    the loaded CI machine, and a timeout inside Hypothesis reads as a flaky strategy, not as a finding. Replayed
    and extended examples run the same only because every draw and every moment follows from the run's own steps
    (`ids_in`, `tasks`, `a_second_later`), never from random ids. No shrinking: Hypothesis shrinks a failure for
    up to five minutes, the 300 s timeout then stops it inside an example, and that is reported as a flaky strategy
    instead of the failure; unshrunk, a wrong count fails in the time of a passing run, with all its steps."""
    return settings(max_examples=max_examples, stateful_step_count=stateful_step_count, deadline=None,
                    derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_the_kept_counts_give_the_oversikt_counted_from_the_events_after_any_sequence_of_actions(app, world):
    run_state_machine_as_test(
        counting_machine(app, world),
        settings=_machine_settings(max_examples=12, stateful_step_count=25),
    )


def test_the_kept_contact_person_figures_follow_the_tasks_steps_and_the_staff_changes(app, world):
    run_state_machine_as_test(
        counting_machine(app, world, handed_back=3),
        settings=_machine_settings(max_examples=10, stateful_step_count=40),
    )


def run_migration_0021(engine) -> None:
    """Migration 0021's upgrade, as Alembic runs it, on a database whose counts table is not there yet."""
    migration = importlib.import_module("referral_service.migrations.versions.0021_dashboard_facts")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE dashboard_count"))
        with Operations.context(MigrationContext.configure(connection)):
            migration.upgrade()


def test_the_migration_fills_the_counts_so_an_upgraded_database_shows_the_same_oversikt(app, world):
    deps, worker = dependencies(app), InProcessWorker(app)
    world.clock.set(START)
    sent = {}
    for n, who in enumerate(["gp", "gp", "gp", "gp", "nurse_bergen", "nurse_bergen", "ppt"]):
        referral = world.create_referral(who, home_municipality=REFERRERS[who],
                                         interpreter={"needed": n < 4, "language": "so"} if n < 4 else None,
                                         consent={**MUNICIPALITY_CONSENT, "recorded_on": "2025-12-22"})
        world.act(who, referral["id"], "submit")
        sent[n] = referral["id"]
    world.clock.set(START + timedelta(days=16))  # into the new year
    for n in (0, 1, 4):
        world.act("bup", sent[n], "reject", {"reason_code": "not_specialist_need", "explanation": "Forklaring.",
                                             "municipal_advice": "Råd."})
    world.act("bup", sent[2], "accept", {"care_start_due": "2026-03-01"})
    world.act("bup", sent[5], "forward", {"clinic_id": world.orgs["bup2"].id, "reason": "Et annet område."})
    worker.run()
    world.clock.set(START + timedelta(days=20))
    with app.extensions["referral_db"].session() as session:
        handovers = session.exec(select(Handover.id, Handover.municipality_number)).all()
    for handover_id, number in handovers:
        world.post(COORDINATOR[number], f"/api/v1/handovers/{handover_id}/acknowledge")
    world.post("bup", f"/api/v1/referrals/{sent[2]}/move", json={"home_municipality": "4601"})
    engine = app.extensions["referral_db"].engine
    kept = stored_counts(engine)

    run_migration_0021(engine)

    assert stored_counts(engine) == kept
    assert_counts_agree_with_the_events(app, world)
    with app.extensions["referral_db"].session() as session:
        national = build_dashboard(session, clock=deps.clock, calendar=deps.calendar,
                                   actor=actor_of(session, world, "admin"), period=default_period(deps.clock.today()))
    assert (national.referrals.received.text, national.referrals.rejection.rejected.text,
            national.handovers.created.text, national.handovers.moved_in.text) == ("8", "3", "3", "<3")


def run_migration_0022(engine) -> None:
    """Migration 0022's upgrade, as Alembic runs it, on a database at 0021: no contact counts, no breaches."""
    migration = importlib.import_module("referral_service.migrations.versions.0022_oversikt_contacts")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE dashboard_contact_count"))
        connection.execute(sa.delete(DashboardCount).where(DashboardCount.measure == BREACHES))
        with Operations.context(MigrationContext.configure(connection)):
            migration.upgrade()


def test_migration_0022_fills_the_contact_person_counts_and_the_breaches_from_what_is_stored(app, world):
    deps, worker = dependencies(app), InProcessWorker(app)
    world.clock.set(START)
    handed_back = []
    for who in ["gp", "gp", "gp", "nurse_bergen"]:
        referral = world.create_referral(who, home_municipality=REFERRERS[who],
                                         consent={**MUNICIPALITY_CONSENT, "recorded_on": "2025-12-22"})
        world.act(who, referral["id"], "submit")
        handed_back.append(referral["id"])
    waiting = world.create_referral("ppt", home_municipality="4601",
                                    consent={**MUNICIPALITY_CONSENT, "recorded_on": "2025-12-22"})
    world.act("ppt", waiting["id"], "submit")
    for rid in handed_back:
        world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Forklaring.",
                                         "municipal_advice": "Råd."})
    worker.run()
    with app.extensions["referral_db"].session() as session:
        handovers = session.exec(select(Handover.id, Handover.municipality_number)).all()
    people = {"4627": ["coordinator_askoy", "lead_askoy"], "4601": ["coordinator_bergen", "lead_bergen"]}
    for day, (handover_id, number) in enumerate(handovers * 3):
        world.clock.set(START + timedelta(days=10 + 9 * day))
        coordinator, lead = people[number]
        world.post(coordinator, f"/api/v1/handovers/{handover_id}/acknowledge")
        answer = world.post(coordinator, f"/api/v1/handovers/{handover_id}/assign",
                            json={"assignee_user_id": world.users[(coordinator, lead)[day // len(handovers) % 2]].id})
        assert answer.status_code == 200, answer.json
    world.post("coordinator_askoy", f"/api/v1/handovers/{handovers[0][0]}/close", json={"outcome": "Fulgt opp."})
    run_sweeps(deps.unit_of_work(), clock=deps.clock, deadlines=deps.deadlines)
    engine = app.extensions["referral_db"].engine
    kept = stored_counts(engine)
    with app.extensions["referral_db"].session() as session:
        admin = actor_of(session, world, "admin")
        before = raw_counts(session, deps, admin, default_period(deps.clock.today()))

    run_migration_0022(engine)

    assert stored_counts(engine) == kept
    assert_counts_agree_with_the_events(app, world)
    with app.extensions["referral_db"].session() as session:
        assert raw_counts(session, deps, admin, default_period(deps.clock.today())) == before
    (children, changes, several), breaches = before
    assert (children, changes, several, breaches) == (4, 8, 4, {"assessment_breach": 1})


def test_the_counts_are_still_kept_after_the_database_connections_are_renewed(app, world):
    """`engine.dispose()` (a worker after a fork, a reconnect) gives the engine a new pool; the counts must not stop
    being kept then."""
    world.clock.set(START)
    referral = world.create_referral("gp", home_municipality=REFERRERS["gp"],
                                     consent={**MUNICIPALITY_CONSENT, "recorded_on": "2025-12-22"})
    engine = app.extensions["referral_db"].engine
    engine.dispose()
    world.act("gp", referral["id"], "submit")
    world.act("bup", referral["id"], "reject", {"reason_code": "not_specialist_need", "explanation": "Forklaring.",
                                               "municipal_advice": "Råd."})
    assert stored_counts(engine)  # the submit and the rejection were counted
    assert_counts_agree_with_the_events(app, world)
