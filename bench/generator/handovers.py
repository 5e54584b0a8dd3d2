"""The life of one handover task (tilbakehenvisning): opened by the worker a second after BUP's decision,
acknowledged, assigned, planned and closed by its owner's people, escalated when late, with its alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.generator.directory import Org, Person, Place
from bench.generator.world import World, add_working_days, someone
from referral_service.domain.check_in import CheckIn
from referral_service.domain.enums import HandoverAddressee, OwnerReason
from referral_service.domain.handover import Handover, HandoverEvent
from referral_service.workflows.handover_rules import handover_content

HANDOVERS = Handover.__table__  # type: ignore[attr-defined]
HANDOVER_EVENTS = HandoverEvent.__table__  # type: ignore[attr-defined]
CHECK_INS = CheckIn.__table__  # type: ignore[attr-defined]
SERVICES = ("Helsestasjon og skolehelsetjenesten", "Familiesenteret", "Kommunepsykolog", "Rask psykisk helsehjelp",
            "Oppfølgingstjenesten")
OUTCOMES = (("followed_up", 0.6, "Følges opp av kommunepsykolog."), ("help_ended", 0.25, "Hjelpen er avsluttet."),
            ("declined", 0.15, "Familien ønsket ikke kommunal oppfølging."))


@dataclass
class Decision:
    """BUP's decision that hands the child back."""

    referral_id: str
    child_id: str
    event_id: str
    trigger: str
    data: dict[str, Any]
    at: datetime
    clinic: Org
    referrer: Person
    referrer_org: Org
    shared_with_municipality: bool


def _owner(decision: Decision, place: Place) -> tuple[Org, str, str]:
    """workflows/handover_owner.py: the connected municipality with consent, otherwise the referrer."""
    if decision.shared_with_municipality and place.connected and place.municipality.people:
        return place.municipality, HandoverAddressee.MUNICIPALITY.value, OwnerReason.MUNICIPAL_CONSENT.value
    reason = (OwnerReason.MUNICIPALITY_NOT_CONNECTED if decision.shared_with_municipality
              else OwnerReason.NO_MUNICIPAL_CONSENT)
    return decision.referrer_org, HandoverAddressee.REFERRER.value, reason.value


def open_handover(world: World, decision: Decision, place: Place) -> None:
    rng = world.rng
    owner, addressed_to, reason = _owner(decision, place)
    basis = "handover_with_consent" if addressed_to == "municipality" else "referring_organisation"
    actors = owner.people + ([] if addressed_to == "municipality" else owner.leads)
    leads = owner.leads or world.directory.admins
    created = decision.at + timedelta(milliseconds=rng.randint(300, 2500))
    ack_due, contact_due = add_working_days(created.date(), 2), add_working_days(created.date(), 10)
    handover_id = world.id()
    row: dict[str, Any] = {
        "id": handover_id, "referral_id": decision.referral_id, "trigger_event_id": decision.event_id,
        "trigger": decision.trigger, "municipality_number": place.number,
        "municipality_org_id": place.municipality.id, "addressed_to": addressed_to, "owner_org_id": owner.id,
        "owner_reason": reason, "status": "open", "acknowledge_due": ack_due, "first_contact_due": contact_due,
        "escalation_level": 0, "version": 1, "created_at": created, "updated_at": created,
        "content": {**handover_content(trigger=decision.trigger, decision=decision.data,
                                       clinic_name=decision.clinic.name), "municipal_contacts": []},
        "acknowledged_at": None, "acknowledged_by_user_id": None, "assignee_user_id": None, "assigned_service": None,
        "first_contact_on": None, "plan": None, "outcome": None, "outcome_code": None, "closed_at": None,
        "transferred_from_id": None, "transferred_to_id": None}
    steps = [("create", None, "open", None, created, {"trigger": decision.trigger, "owner_org_id": owner.id,
                                                       "reason": reason})]
    holder = someone(rng, owner) if owner.people else rng.choice(actors)
    late = rng.random() < 0.1
    acknowledged = world.working_days_after(created, 3, 6) if late else world.working_days_after(created, 0, 2)
    assigned = world.working_days_after(acknowledged, 0, 2)
    planned = world.working_days_after(assigned, 0, 5)
    first_contact = (planned + timedelta(days=rng.randint(1, 14))).date()
    outcome_code, outcome = _outcome(world)
    closed = world.working_days_after(planned, 15, 90)
    steps += [("acknowledge", "open", "acknowledged", holder, acknowledged, {}),
              ("assign", "acknowledged", "assigned", holder, assigned,
               {"assignee_user_id": holder.id, "service": rng.choice(SERVICES)}),
              ("plan", "assigned", "follow_up_planned", holder, planned,
               {"first_contact_on": first_contact.isoformat(), "plan": "Første samtale med familien."}),
              ("close", "follow_up_planned", "closed", holder, closed,
               {"outcome": outcome, "outcome_code": outcome_code})]
    for action, from_status, to_status, actor, at, data in steps:
        if not world.past(at):
            break
        world.writer.add(HANDOVER_EVENTS, {"id": world.id(), "handover_id": handover_id, "action": action,
                                           "from_status": from_status, "to_status": to_status,
                                           "actor_id": actor.id if actor else None, "at": at, "data": data})
        row.update(status=to_status, version=row["version"] + (action != "create"), updated_at=at)
        if action == "acknowledge":
            row.update(acknowledged_at=at, acknowledged_by_user_id=actor.id)
        elif action == "assign":
            row.update(assignee_user_id=actor.id, assigned_service=data["service"])
        elif action == "plan":
            row.update(first_contact_on=first_contact, plan=data["plan"])
        elif action == "close":
            row.update(outcome=outcome, outcome_code=outcome_code, closed_at=at)
        if actor is not None:
            world.access(actor, action=f"handover_{action}", referral_id=decision.referral_id,
                         child_id=decision.child_id, basis=basis, at=at)
    world.writer.add(HANDOVERS, row)
    _alerts(world, decision, row, actors=actors, acknowledged=acknowledged, place=place)
    row["escalation_level"] = _escalations(world, row, leads=leads, acknowledged=acknowledged, planned=planned)
    reader_until = closed if world.past(closed) else world.now
    world.reads(holder, ("read_handover", "list_handovers", "list_handovers", "read_alerts"),
                referral_id=decision.referral_id, child_id=decision.child_id, basis=basis, start=created,
                end=reader_until, count=rng.randint(3, 7))
    if row["status"] == "closed" and outcome_code == "help_ended":
        _check_in(world, row, decision, holder)


def _outcome(world: World) -> tuple[str, str]:
    pick = world.rng.random()
    for code, share, text in OUTCOMES:
        if pick < share:
            return code, text
        pick -= share
    return OUTCOMES[0][0], OUTCOMES[0][2]


def _alerts(world: World, decision: Decision, row: dict[str, Any], *, actors: list[Person], acknowledged: datetime,
            place: Place) -> None:
    key, created = f"handover:{row['id']}:created", row["created_at"]
    world.alerts(actors, kind="handover_created", dedupe_key=key, at=created, referral_id=decision.referral_id,
                 handover_id=row["id"], settled=acknowledged,
                 data={"clinic": decision.clinic.name, "trigger": decision.trigger,
                       "acknowledge_due": row["acknowledge_due"].isoformat()})
    if row["owner_reason"] == "municipality_not_connected":
        world.alerts(world.directory.admins, kind="municipality_not_connected",
                     dedupe_key=f"handover:{row['id']}:not-connected", at=created, handover_id=row["id"],
                     data={"municipality_number": place.number})
    told = [decision.referrer] if decision.referrer.id not in {a.id for a in actors} else []
    world.alerts(told, kind="referral_decision", dedupe_key=key, at=created, referral_id=decision.referral_id,
                 handover_id=row["id"], data={"clinic": decision.clinic.name, "trigger": decision.trigger})


def _escalations(world: World, row: dict[str, Any], *, leads: list[Person], acknowledged: datetime,
                 planned: datetime) -> int:
    """The sweep's marks (escalation.handover_marks): one per working day late, each with the lead's alert."""
    top = 0
    for kind, due, done in (("unacknowledged", row["acknowledge_due"], acknowledged),
                            ("no_first_contact", row["first_contact_due"], planned)):
        level, day = 0, add_working_days(due, 1)
        while True:
            at = world.office_hours(day).replace(hour=6, minute=0)
            if at >= done or not world.past(at):
                break
            level += 1
            mark_key = f"handover:{row['id']}:{kind}:{level}"
            world.mark(key=mark_key, kind=f"handover_{kind}", at=at, due=due, level=level,
                       referral_id=row["referral_id"], handover_id=row["id"])
            world.alerts(leads, kind=f"handover_{kind}", dedupe_key=mark_key, at=at, referral_id=row["referral_id"],
                         handover_id=row["id"], data={"due": due.isoformat(), "level": level},
                         settled=done)
            top = max(top, level)
            day = add_working_days(day, 1)
    return top


def _check_in(world: World, row: dict[str, Any], decision: Decision, holder: Person) -> None:
    """Closing because the help ended schedules a check-in three months on (services/handovers/check_ins.py)."""
    closed = row["closed_at"]
    due = (closed + timedelta(days=91)).date()
    done_at = world.office_hours(due + timedelta(days=world.rng.randint(0, 6)))
    done = world.past(done_at)
    world.writer.add(CHECK_INS, {
        "id": world.id(), "handover_id": row["id"], "referral_id": decision.referral_id,
        "child_id": decision.child_id, "owner_org_id": row["owner_org_id"], "addressed_to": row["addressed_to"],
        "municipality_org_id": row["municipality_org_id"],
        "shared_with_municipality": decision.shared_with_municipality, "coordinator_user_id": holder.id,
        "due_on": due, "status": "done" if done else "planned", "outcome": "Det går bra." if done else None,
        "outcome_code": "doing_well" if done else None, "cancel_reason": None,
        "done_by_user_id": holder.id if done else None, "done_at": done_at if done else None,
        "escalation_level": 0, "version": 2 if done else 1, "created_at": closed,
        "updated_at": done_at if done else closed})
