"""The decision services on a fake unit of work: what a decision stores, raises and refuses, with no database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from referral_service.clock import Clock
from referral_service.domain.child import Child
from referral_service.domain.enums import HandoverTrigger, OrganisationKind, ReferralAction, ReferralStatus, Role
from referral_service.domain.handover import Handover
from referral_service.domain.municipalities import load_register
from referral_service.domain.organisation import Organisation, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import Referral, ReferralEvent
from referral_service.errors import Conflict, Forbidden, InvalidData, PreconditionFailed
from referral_service.security.actor import Actor
from referral_service.services.handovers.tasks import act_on_handover
from referral_service.services.referrals.actions import take_action
from referral_service.services.unit_of_work import REFERRAL_EVENT_TOPIC
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.handover_lifecycle import HandoverAction, HandoverStatus
from referral_service.workflows.referral_rights import ReferrerPolicy
from tests.unit.fakes import FakeUnitOfWork

NOW = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)  # a Tuesday
BUP = Actor(user_id="u-bup", organisation_id="o-bup", organisation_kind=OrganisationKind.BUP_CLINIC,
            municipality_number=None, roles=frozenset({Role.BUP_INTAKE}), profession="other")
GP = Actor(user_id="u-gp", organisation_id="o-gp", organisation_kind=OrganisationKind.GP_OFFICE,
           municipality_number="4627", roles=frozenset({Role.REFERRER}), profession="doctor")
COORDINATOR = Actor(user_id="u-coord", organisation_id="o-askoy", organisation_kind=OrganisationKind.MUNICIPALITY,
                    municipality_number="4627", roles=frozenset({Role.MUNICIPAL_COORDINATOR}), profession="other")
REJECTION = {"reason_code": "not_specialist_need", "explanation": "Kommunen kan hjelpe.",
             "municipal_advice": "Samtaler hos helsesykepleier."}


def clock_at(moment: datetime = NOW) -> Clock:
    return Clock(source=lambda: moment, timezone=ZoneInfo("Europe/Oslo"))


def action_parts(moment: datetime = NOW) -> dict[str, Any]:
    """What take_action is given: the clock at `moment`, ten working days to assess, doctors refer."""
    deadlines = DeadlinePolicy(calendar=WorkingDayCalendar(), assessment_working_days=10,
                               assessment_warning_working_days=2, handover_acknowledge_days=2,
                               handover_first_contact_days=10)
    return {"clock": clock_at(moment), "deadlines": deadlines,
            "referrers": ReferrerPolicy(always=("doctor",), conditional=()), "municipalities": load_register()}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def a_referral(uow: FakeUnitOfWork, *, status: ReferralStatus, assessment_due: date | None = None) -> Referral:
    child = Child(national_id_ciphertext="x", national_id_index="i", national_id_kind="fnr", given_name="Ola",
                  family_name="Testesen", birth_date=date(2014, 5, 1), home_municipality="4627")
    referral = Referral(child_id=child.id, status=status, referrer_user_id=GP.user_id,
                        referrer_org_id=GP.organisation_id, referrer_kind=OrganisationKind.GP_OFFICE,
                        clinic_id=BUP.organisation_id, child_home_municipality="4627", assessment_due=assessment_due)
    uow.referrals.children[child.id] = child
    uow.referrals.rows[referral.id] = referral
    return referral


def events(uow: FakeUnitOfWork) -> list[ReferralEvent]:
    return [row for row in uow.added if isinstance(row, ReferralEvent)]


def test_a_rejection_stores_its_handover_trigger_on_the_event_and_sends_it_through_the_outbox(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED, assessment_due=date(2026, 4, 10))

    view = take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.REJECT,
                       data=REJECTION, if_match=None)

    assert view.referral.status == ReferralStatus.REJECTED
    [event] = events(uow)
    assert event.handover_trigger == HandoverTrigger.REJECTED
    assert event.from_status == ReferralStatus.SUBMITTED and event.data["municipal_advice"]
    [message] = uow.outbox
    assert isinstance(message, OutboxMessage) and message.topic == REFERRAL_EVENT_TOPIC
    assert message.payload == {"event_id": event.id}
    assert uow.commits == 1 and uow.rollbacks == 0
    assert uow.access_log.rows == [(BUP.user_id, "reject", referral.id)]


def test_accepting_fires_no_handover(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED, assessment_due=date(2026, 4, 10))

    take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.ACCEPT,
                data={"care_start_due": date(2026, 5, 1), "priority": "moderate"}, if_match=None)

    [event] = events(uow)
    assert event.handover_trigger is None and referral.care_start_due == date(2026, 5, 1)


def test_a_rejection_after_the_deadline_is_marked_a_breach_by_the_decision_itself(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED, assessment_due=date(2026, 3, 27))

    take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.REJECT,
                data=REJECTION, if_match=None)

    assert list(uow.marks.keys) == [f"referral:{referral.id}:assessment_breach"]


def test_a_stale_copy_changes_nothing_and_raises_no_event(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED)

    with pytest.raises(PreconditionFailed):
        take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.REJECT,
                    data=REJECTION, if_match=f'"{referral.id}.0"')

    assert uow.commits == 0 and uow.rollbacks == 1 and uow.outbox == [] and events(uow) == []
    assert referral.status == ReferralStatus.SUBMITTED


def test_the_referrer_may_not_reject(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED)

    with pytest.raises(Forbidden):
        take_action(uow, **action_parts(), actor=GP, referral_id=referral.id, action=ReferralAction.REJECT,
                    data=REJECTION, if_match=None)

    assert uow.commits == 0 and uow.outbox == []


def test_a_decision_that_loses_a_race_is_refused_not_made_twice(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED)
    uow.referrals.taken_versions.add((referral.id, referral.version))

    with pytest.raises(Conflict):
        take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.REJECT,
                    data=REJECTION, if_match=None)

    assert uow.commits == 0 and uow.outbox == [] and events(uow) == []


def test_a_decision_that_loses_a_race_with_if_match_is_told_its_copy_is_stale(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED)
    etag = f'"{referral.id}.{referral.version}"'  # the client read the version the winner claimed first
    uow.referrals.taken_versions.add((referral.id, referral.version))

    with pytest.raises(PreconditionFailed):
        take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.REJECT,
                    data=REJECTION, if_match=etag)

    assert uow.commits == 0 and uow.outbox == [] and events(uow) == []


def test_a_draft_without_what_the_law_needs_cannot_be_submitted(uow):
    referral = a_referral(uow, status=ReferralStatus.DRAFT)

    with pytest.raises(InvalidData) as refused:
        take_action(uow, **action_parts(), actor=GP, referral_id=referral.id, action=ReferralAction.SUBMIT, data={},
                    if_match=None)

    assert {"reasons", "consent"} <= set(refused.value.errors)  # no reason, no consent: these stop it
    assert "description" not in refused.value.errors  # a short description is only a warning
    assert uow.commits == 0 and uow.outbox == []


def test_a_forward_creates_the_new_referral_with_its_own_received_event(uow):
    referral = a_referral(uow, status=ReferralStatus.SUBMITTED)
    uow.organisations.rows["o-bup2"] = Organisation(id="o-bup2", kind=OrganisationKind.BUP_CLINIC, name="BUP Øyane")

    take_action(uow, **action_parts(), actor=BUP, referral_id=referral.id, action=ReferralAction.FORWARD,
                data={"clinic_id": "o-bup2", "reason": "Nærmere hjemmet."}, if_match=None)

    new = uow.referrals.rows[referral.forwarded_to_id]
    assert new.clinic_id == "o-bup2" and new.status == ReferralStatus.SUBMITTED
    assert new.assessment_due == date(2026, 4, 17)  # ten working days, Easter excluded
    assert [e.action for e in events(uow)] == [ReferralAction.RECEIVE_FORWARDED, ReferralAction.FORWARD]
    assert len(uow.outbox) == 2


def a_handover(uow: FakeUnitOfWork) -> Handover:
    referral = a_referral(uow, status=ReferralStatus.REJECTED)
    handover = Handover(referral_id=referral.id, trigger_event_id="e-1", trigger=HandoverTrigger.REJECTED,
                        municipality_number="4627", municipality_org_id=COORDINATOR.organisation_id,
                        addressed_to="municipality", acknowledge_due=date(2026, 4, 2),
                        first_contact_due=date(2026, 4, 14))
    uow.handovers.rows[handover.id] = handover
    return handover


def test_the_coordinator_acknowledges_a_handover(uow):
    handover = a_handover(uow)

    view = act_on_handover(uow, clock_at(), actor=COORDINATOR, handover_id=handover.id,
                           action=HandoverAction.ACKNOWLEDGE, data={}, if_match=None,
                           deadlines=action_parts()["deadlines"])

    assert view.handover.status == HandoverStatus.ACKNOWLEDGED
    assert view.handover.acknowledged_by_user_id == COORDINATOR.user_id
    assert [e.action for e in view.events] == [HandoverAction.ACKNOWLEDGE]
    assert uow.commits == 1


def test_a_handover_is_assigned_only_to_someone_in_the_municipality(uow):
    handover = a_handover(uow)
    handover.status = HandoverStatus.ACKNOWLEDGED
    uow.organisations.users["u-other"] = User(id="u-other", email="x@example.no", name="Annen", password_hash="-",
                                              organisation_id="o-bergen", roles=[Role.MUNICIPAL_COORDINATOR])

    with pytest.raises(InvalidData):
        act_on_handover(uow, clock_at(), actor=COORDINATOR, handover_id=handover.id, action=HandoverAction.ASSIGN,
                        data={"assignee_user_id": "u-other"}, if_match=None, deadlines=action_parts()["deadlines"])

    assert uow.commits == 0 and uow.handovers.events == []
