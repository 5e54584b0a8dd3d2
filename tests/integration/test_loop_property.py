"""DESIGN.md rule 1 under random schedules: whatever order decisions, relays, deliveries, duplicate and lost
messages, crashed workers and reconciler runs come in, no referral ever gets two handovers and nobody the
same alert twice; and once the reconciler and the workers have settled, every rejected, discharged or
late-withdrawn referral has exactly one handover and every other referral has none. Every open handover has
an owner with someone active who can act on it, whatever the consent, the home municipality, and whether
the municipality's coordinator has left (the owner sweep runs each minute)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import update
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.alert import Alert
from referral_service.domain.handover import Handover
from referral_service.domain.organisation import User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import ReferralEvent
from referral_service.services.handovers.routing import actors
from referral_service.services.loop.consequences import handle_referral_event
from referral_service.services.loop.reconcile import reconcile
from referral_service.services.loop.sweeps import SweepResult, sweep_owners
from referral_service.services.unit_of_work import REFERRAL_EVENT_TOPIC, SqlUnitOfWork
from tests.integration.conftest import empty_case_tables
from tests.support.loop import InProcessWorker

#: Statuses whose referral must end with a handover (withdrawn counts only after acceptance; see below).
HANDOVER_STATUSES = {"rejected", "discharged"}
LATE_WITHDRAWAL_FROM = {"accepted", "in_treatment"}
#: Consent with and without the municipality; a home municipality in the service and one that is not (Oslo).
CONSENTS = [{"given_by": ["guardian"], "share_with": ["bup", "municipality"]},
            {"given_by": ["guardian"], "share_with": ["bup"]}]
HOME_MUNICIPALITIES = ["4627", "0301"]
#: Few referrals, so that the steps go to deciding on them and to the background work.
MAX_REFERRALS = 4


def decisions(world) -> dict[str, list[tuple[str, str, dict | None]]]:
    """BUP's (and the referrer's) possible next steps per status: (who, action, body)."""
    today = dependencies(world.app).clock.today()
    withdraw = {"reason": "Familien ønsker det ikke lenger."}
    return {
        "submitted": [
            ("bup", "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                               "municipal_advice": "Tilbud hos kommunepsykolog."}),
            ("bup", "accept", {"care_start_due": (today + timedelta(days=30)).isoformat()}),
            ("gp", "withdraw", withdraw),
        ],
        "accepted": [
            ("bup", "start-treatment", {"first_appointment_on": today.isoformat()}),
            ("bup", "withdraw", withdraw),
        ],
        "in_treatment": [
            ("bup", "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler i kommunen.",
                                  "epikrise_sent": True}),
            ("bup", "withdraw", withdraw),
        ],
    }


def loop_machine(app, world):
    database = app.extensions["referral_db"]
    deps = dependencies(app)
    steps = decisions(world)

    class LoopClosure(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_case_tables(app)  # each example starts with no referrals
            self.worker = InProcessWorker(app)
            #: referral id -> status, in creation order
            self.status: dict[str, str] = {}
            self.must_have_handover: set[str] = set()

        def open_referrals(self) -> list[str]:
            return [rid for rid, status in self.status.items() if status in steps]

        def referral_messages(self) -> list[int]:
            return [i for i, item in enumerate(self.worker.queue) if item[0] == REFERRAL_EVENT_TOPIC]

        # --- what people do ---------------------------------------------------------------------------

        @initialize(count=st.integers(1, 2))
        def some_referrals_are_waiting(self, count: int) -> None:
            for _ in range(count):
                self.create_and_submit(consent=CONSENTS[0], home=HOME_MUNICIPALITIES[0])

        @precondition(lambda self: len(self.status) < MAX_REFERRALS)
        @rule(consent=st.sampled_from(CONSENTS), home=st.sampled_from(HOME_MUNICIPALITIES))
        def create_and_submit(self, consent: dict, home: str) -> None:
            referral = world.create_referral("gp", consent=consent, home_municipality=home)
            self.status[referral["id"]] = world.act("gp", referral["id"], "submit")["status"]

        @rule(leaves=st.booleans())
        def the_coordinator_leaves_or_comes_back(self, leaves: bool) -> None:
            self.coordinator_active(not leaves)
            # The sweep runs each minute, in short transactions of its own.
            sweep_owners(SqlUnitOfWork(database.new_session, close=True), SweepResult(), clock=deps.clock)

        def coordinator_active(self, active: bool) -> None:
            with database.engine.begin() as connection:
                connection.execute(update(User).where(User.id == world.users["coordinator_askoy"].id)
                                   .values(active=active))

        @precondition(lambda self: self.open_referrals())
        @rule(data=st.data(), relay_ticks=st.booleans())
        def decide(self, data, relay_ticks: bool) -> None:
            rid = data.draw(st.sampled_from(self.open_referrals()), label="referral")
            who, action, body = data.draw(st.sampled_from(steps[self.status[rid]]), label="decision")
            before = self.status[rid]
            self.status[rid] = world.act(who, rid, action, body)["status"]
            if self.status[rid] in HANDOVER_STATUSES or (action == "withdraw" and before in LATE_WITHDRAWAL_FROM):
                self.must_have_handover.add(rid)
            if relay_ticks:  # the relay runs every second: often it has handed the event over already
                self.worker.relay()

        # --- what the background machinery does, and how it fails --------------------------------------

        @rule()
        def relay(self) -> None:
            self.worker.relay()

        @precondition(lambda self: self.worker.queue)
        @rule(data=st.data(), twice=st.booleans(), again_later=st.booleans())
        def deliver(self, data, twice: bool, again_later: bool) -> None:
            index = data.draw(st.integers(0, len(self.worker.queue) - 1), label="message")
            item = self.worker.queue.pop(index)
            self.worker.process(*item)
            if twice:  # the broker delivers the same message twice in a row
                self.worker.process(*item)
            if again_later:  # ... or redelivers it later
                self.worker.queue.append(item)

        @precondition(lambda self: self.worker.queue)
        @rule(data=st.data())
        def broker_loses_a_message(self, data) -> None:
            self.worker.queue.pop(data.draw(st.integers(0, len(self.worker.queue) - 1), label="message"))

        @precondition(lambda self: self.referral_messages())
        @rule(data=st.data(), redelivered=st.booleans())
        def worker_crashes_while_processing(self, data, redelivered: bool) -> None:
            index = data.draw(st.sampled_from(self.referral_messages()), label="message")
            _topic, message_id, *_ = item = self.worker.queue.pop(index)
            with database.session() as session, SqlUnitOfWork.on(session) as uow:
                message = session.get(OutboxMessage, message_id)
                event = session.get(ReferralEvent, message.payload["event_id"])
                handle_referral_event(uow, clock=deps.clock, deadlines=deps.deadlines, event=event)
                # the process died before it could commit: leaving the unit of work rolls it back
            if redelivered:
                self.worker.queue.append(item)

        @rule()
        def a_healthy_moment_the_workers_catch_up(self) -> None:
            self.worker.run()

        @rule()
        def reconciler_runs(self) -> None:
            with database.session() as session:
                reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines, grace=timedelta(0))

        # --- rule 1 ----------------------------------------------------------------------------------------

        @invariant()
        def never_two_handovers_for_one_referral(self) -> None:
            with database.session() as session:
                per_referral = Counter(session.exec(select(Handover.referral_id)).all())
            assert all(count == 1 for count in per_referral.values()), per_referral
            assert set(per_referral) <= self.must_have_handover

        @invariant()
        def every_open_handover_has_an_owner_with_someone_who_can_act(self) -> None:
            with database.session() as session:
                for handover in session.exec(select(Handover).where(Handover.status != "closed")).all():
                    assert handover.owner_org_id is not None, handover
                    assert actors(session, handover), (handover.owner_org_id, handover.addressed_to)

        @invariant()
        def never_the_same_alert_twice_to_one_person(self) -> None:
            with database.session() as session:
                keys = Counter(session.exec(select(Alert.user_id, Alert.dedupe_key)).all())
            assert all(count == 1 for count in keys.values()), keys

        def teardown(self) -> None:
            self.coordinator_active(True)
            # Settle: the reconciler repairs what was lost, the workers finish what is queued.
            with database.session() as session:
                reconcile(SqlUnitOfWork.on(session), clock=deps.clock, deadlines=deps.deadlines, grace=timedelta(0))
            self.worker.run()
            with database.session() as session:
                per_referral = Counter(session.exec(select(Handover.referral_id)).all())
                pending = session.exec(select(OutboxMessage.id).where(OutboxMessage.processed_at.is_(None))).all()
            assert per_referral == Counter(self.must_have_handover), (per_referral, self.must_have_handover)
            assert pending == []
            self.never_the_same_alert_twice_to_one_person()
            self.every_open_handover_has_an_owner_with_someone_who_can_act()

    return LoopClosure


def test_the_loop_closes_exactly_once_whatever_the_background_work_goes_through(app, world):
    run_state_machine_as_test(
        loop_machine(app, world),
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )
