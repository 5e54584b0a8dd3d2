"""The life of one referral as the service records it: drafted and submitted by a referrer, assessed by BUP
(about 1 in 5 rejected), treated and discharged or withdrawn; every step an event with its outbox row, its
alerts, its deadline marks and its access-log rows; steps after "now" have not happened yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bench.generator.directory import Org, Person, Place
from bench.generator.handovers import Decision, open_handover
from bench.generator.world import World, add_working_days, someone
from referral_service.domain.referral import Consent, MunicipalContact, Referral

REFERRALS = Referral.__table__  # type: ignore[attr-defined]
CONSENTS = Consent.__table__  # type: ignore[attr-defined]
CONTACTS = MunicipalContact.__table__  # type: ignore[attr-defined]
CONTACT_SHARE = 0.6  # referrals that name someone in the municipality around the child

#: (outcome, share): what BUP and the family end up doing with a referral.
OUTCOMES = (("reject", 0.20), ("municipal-outcome", 0.05), ("withdraw-early", 0.02), ("treat", 0.73))
REASONS = ("anxiety", "depression", "self_harm", "eating_disorder", "adhd_assessment", "autism_assessment",
           "trauma", "behaviour", "school_refusal", "parent_mental_illness_or_substance_use")
REJECTIONS = ("not_specialist_need", "municipal_measures_not_tried", "insufficient_information", "wrong_service")
GIVEN = ("Emma", "Nora", "Sofie", "Olivia", "Ella", "Leah", "Jakob", "Noah", "Emil", "Lucas", "Oskar", "Filip",
         "Ingrid", "Sara", "Aksel", "Henrik", "Maja", "Tiril", "Mathias", "Vilde", "Aurora", "Liam", "Isak", "Ida")
FAMILY = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
          "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen")


@dataclass
class Child:
    id: str
    given_name: str
    family_name: str
    birth_date: date
    guardians: list[dict[str, str]]


@dataclass
class Story:
    """What is known about the referral as its steps are written."""

    world: World
    place: Place
    clinic: Org
    referrer: Person
    referrer_org: Org
    child: Child
    row: dict[str, Any]
    has_contact: bool = False

    @property
    def referral_id(self) -> str:
        return str(self.row["id"])

    def step(self, action: str, to_status: str, actor: Person, at: datetime, data: dict[str, Any],
             trigger: str | None = None) -> str | None:
        """Record the step, unless it lies in the future; returns the event id."""
        if not self.world.past(at):
            return None
        event_id = self.world.event(referral_id=self.referral_id, action=action, from_status=self.row["status"],
                                    to_status=to_status, actor=actor, at=at, data=data, trigger=trigger)
        self.row.update(status=to_status, version=self.row["version"] + 1, updated_at=at)
        self.world.access(actor, action=action, referral_id=self.referral_id, child_id=self.child.id,
                          basis=self.basis(actor), at=at)
        return event_id

    def basis(self, person: Person) -> str:
        if person.organisation_id == self.clinic.id:
            return "receiving_clinic"
        if person.organisation_id == self.referrer_org.id:
            return "referring_organisation"
        return "handover_with_consent"

    def tell(self, people: list[Person], kind: str, event_id: str, at: datetime) -> None:
        self.world.alerts(people, kind=kind, dedupe_key=f"referral-event:{event_id}", at=at,
                          referral_id=self.referral_id, data={"clinic": self.clinic.name})

    def decision(self, event_id: str, trigger: str, data: dict[str, Any], at: datetime) -> Decision:
        return Decision(self.referral_id, self.child.id, event_id, trigger, data, at, self.clinic, self.referrer,
                        self.referrer_org, bool(self.row["shared_with_municipality"]))


def write_referral(world: World, *, place: Place, referrer_org: Org, child: Child, created: datetime) -> None:
    rng = world.rng
    assert place.clinic is not None
    referrer = someone(rng, referrer_org)
    municipal_consent = referrer_org.kind == "child_welfare" or rng.random() < 0.85
    share = ["bup"] + (["municipality"] if municipal_consent else []) + (
        ["school"] if referrer_org.kind == "ppt_office" else [])
    row: dict[str, Any] = {
        "id": world.id(), "child_id": child.id, "child_given_name": child.given_name,
        "child_family_name": child.family_name, "child_home_municipality": place.number,
        "child_guardians": child.guardians, "status": "draft", "referrer_user_id": referrer.id,
        "referrer_org_id": referrer_org.id, "referrer_kind": referrer_org.kind, "submitted_by_user_id": None,
        "clinic_id": place.clinic.id, "reasons": rng.sample(REASONS, rng.randint(1, 3)),
        "description": "Økende vansker over tid; tiltak i kommunen har ikke vært nok.",
        "urgency": "urgent" if rng.random() < 0.1 else "normal",
        "measures_tried": "Samtaler med helsesykepleier og tiltak i skolen.", "child_view": "Vil ha hjelp.",
        "attachments": [], "shared_with_municipality": municipal_consent,
        "shared_with_school": "school" in share, "shared_with_child_welfare": False, "received_on": None,
        "assessment_due": None, "care_start_due": None, "priority": None, "first_appointment_on": None,
        "planned_discharge_on": None, "epikrise_pending": False, "interpreter_needed": False,
        "interpreter_language": None, "child_welfare_org_id": None, "child_welfare_basis": None,
        "forwarded_from_id": None, "forwarded_to_id": None, "merged_into_id": None, "version": 0,
        "created_at": created, "updated_at": created}
    story = Story(world, place, place.clinic, referrer, referrer_org, child, row)
    world.writer.add(CONSENTS, {"id": world.id(), "referral_id": row["id"], "given_by": ["guardian"],
                                "share_with": sorted(share), "recorded_on": created.date(),
                                "withhold_from_guardians": False, "recorded_by_user_id": referrer.id,
                                "recorded_at": created, "superseded_at": None})
    if rng.random() < CONTACT_SHARE:
        world.writer.add(CONTACTS, {"id": world.id(), "referral_id": row["id"], "role": "Helsesykepleier",
                                    "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}", "organisation_id": None})
        story.has_contact = True
    story.step("create", "draft", referrer, created, {"child_id_kind": "fodselsnummer"})
    _assess(story)
    world.writer.add(REFERRALS, row)


def _assess(story: Story) -> None:
    world, rng, row = story.world, story.world.rng, story.row
    created = row["created_at"]
    world.reads(story.referrer, ("check_completeness", "update", "read"), referral_id=story.referral_id,
                child_id=story.child.id, basis="referring_organisation", start=created,
                end=created + timedelta(minutes=40), count=rng.randint(1, 3))
    submitted = created + timedelta(minutes=rng.randint(5, 60))
    received = submitted.date()
    due = add_working_days(received, 10)
    if not world.past(submitted):
        return
    row.update(submitted_by_user_id=story.referrer.id, received_on=received, assessment_due=due)
    story.step("submit", "submitted", story.referrer, submitted,
               {"received_on": received.isoformat(), "assessment_due": due.isoformat()})
    intake = story.clinic.people
    assessor = someone(rng, story.clinic)
    decided = world.working_days_after(submitted, *rng.choices(((1, 6), (7, 10), (11, 14)), (70, 22, 8))[0])
    world.reads(assessor, ("list", "list", "read", "read_events"), referral_id=story.referral_id,
                child_id=story.child.id, basis="receiving_clinic", start=submitted, end=min(decided, world.now),
                count=rng.randint(3, 6))
    world.reads(story.referrer, ("list", "read"), referral_id=story.referral_id, child_id=story.child.id,
                basis="referring_organisation", start=submitted, end=world.now, count=rng.randint(2, 4))
    _assessment_marks(story, due=due, decided=decided, intake=intake)
    if rng.random() < 0.08:
        asked = world.working_days_after(submitted, 1, 4)
        if asked < decided and (event_id := story.step("request-information", "information_requested", assessor,
                                                       asked, {"question": "Hvilke tiltak er prøvd i skolen?"})):
            story.tell([story.referrer], "referral_request-information", event_id, asked)
            answered = world.working_days_after(asked, 0, 2)
            if answered < decided and (answer := story.step("supplement", "submitted", story.referrer, answered,
                                                            {"answer": "Tilrettelegging i klassen i ett år."})):
                story.tell(intake, "referral_supplement", answer, answered)
    if world.past(decided):
        _decide(story, assessor, decided)


def _decide(story: Story, assessor: Person, decided: datetime) -> None:
    rng = story.world.rng
    outcome = rng.choices([name for name, _ in OUTCOMES], [share for _, share in OUTCOMES])[0]
    if outcome == "reject":
        data = {"reason_code": rng.choice(REJECTIONS), "explanation": "Vansker som best møtes i kommunen.",
                "municipal_advice": "Kommunepsykolog og oppfølging i skolen."}
        _hand_back(story, "reject", "rejected", "rejected", assessor, decided, data)
    elif outcome == "municipal-outcome":
        data = {"assessment_conversation_on": decided.date().isoformat(),
                "explanation": "Vurderingssamtale viser at hjelpen hører hjemme i kommunen.",
                "municipal_advice": "Rask psykisk helsehjelp."}
        _hand_back(story, "municipal-outcome", "municipal_level", "municipal_level", assessor, decided, data)
    elif outcome == "withdraw-early":
        story.step("withdraw", "withdrawn", story.referrer, decided, {"reason": "Familien trakk henvisningen."})
    else:
        _treat(story, assessor, decided)


def _assessment_marks(story: Story, *, due: date, decided: datetime, intake: list[Person]) -> None:
    """The sweep's warning two working days before the assessment deadline and its breach after it."""
    world, rid = story.world, story.referral_id
    warned = world.office_hours(add_working_days(due, -2)).replace(hour=6, minute=0)
    if warned < decided and world.past(warned):
        key = f"referral:{rid}:assessment_warning"
        world.mark(key=key, kind="assessment_warning", at=warned, due=due, referral_id=rid)
        world.alerts(intake, kind="assessment_warning", dedupe_key=key, at=warned, referral_id=rid,
                     data={"due": due.isoformat(), "level": 0})
    breached = world.office_hours(add_working_days(due, 1)).replace(hour=6, minute=0)
    if breached < decided and world.past(breached):
        key = f"referral:{rid}:assessment_breach"
        world.mark(key=key, kind="assessment_breach", at=breached, due=due, referral_id=rid)
        world.alerts(intake, kind="assessment_breach", dedupe_key=key, at=breached, referral_id=rid,
                     data={"due": due.isoformat(), "level": 0})


def _hand_back(story: Story, action: str, to_status: str, trigger: str, actor: Person, at: datetime,
               data: dict[str, Any]) -> None:
    event_id = story.step(action, to_status, actor, at, data, trigger=trigger)
    if event_id is not None:
        open_handover(story.world, story.decision(event_id, trigger, data, at), story.place)


def _treat(story: Story, assessor: Person, accepted: datetime) -> None:
    world, rng, row = story.world, story.world.rng, story.row
    care_start_due = (accepted + timedelta(days=rng.randint(30, 65))).date()
    priority = rng.choice(("severe", "moderate", "moderate", "mild"))
    row.update(care_start_due=care_start_due, priority=priority)
    event_id = story.step("accept", "accepted", assessor, accepted,
                          {"care_start_due": care_start_due.isoformat(), "priority": priority})
    if event_id is None:
        return
    story.tell([story.referrer], "referral_accept", event_id, accepted)
    started = world.office_hours(add_working_days(accepted.date(), rng.randint(7, 32)))
    if started.date() > care_start_due:
        _care_start_breach(story, care_start_due, started)
    waiting_alone = world.office_hours(add_working_days(row["received_on"], 15)).replace(hour=6, minute=0)
    if waiting_alone < started and world.past(waiting_alone) and not story.has_contact:
        _waiting_alone(story, waiting_alone)
    if rng.random() < 0.04:
        withdrawn = world.working_days_after(accepted, 1, 20)
        if withdrawn < started:
            _hand_back(story, "withdraw", "withdrawn", "withdrawn", story.referrer, withdrawn,
                       {"reason": "Familien flyttet utenlands."})
            return
    row["first_appointment_on"] = started.date()
    if not story.step("start-treatment", "in_treatment", assessor, started,
                      {"first_appointment_on": started.date().isoformat()}):
        row["first_appointment_on"] = None
        return
    world.reads(assessor, ("read", "read_events"), referral_id=story.referral_id, child_id=story.child.id,
                basis="receiving_clinic", start=started, end=world.now, count=rng.randint(1, 3))
    ended = world.working_days_after(started, 40, 350)
    if rng.random() < 0.06:
        _hand_back(story, "withdraw", "withdrawn", "withdrawn", story.referrer, ended,
                   {"reason": "Familien ønsket å avslutte."})
        return
    epikrise_sent = rng.random() > 0.05
    data = {"summary": "Behandling avsluttet med god effekt.",
            "follow_up_recommendations": "Oppfølging hos helsesykepleier.", "epikrise_sent": epikrise_sent}
    _hand_back(story, "discharge", "discharged", "discharged", assessor, ended, data)
    if not epikrise_sent and row["status"] == "discharged":
        _epikrise(story, assessor, ended)


def _care_start_breach(story: Story, due: date, started: datetime) -> None:
    world, rid = story.world, story.referral_id
    at = world.office_hours(due + timedelta(days=1)).replace(hour=6, minute=0)
    if world.past(at):
        key = f"referral:{rid}:care_start_breach"
        world.mark(key=key, kind="care_start_breach", at=at, due=due, referral_id=rid)
        world.alerts(story.clinic.people, kind="care_start_breach", dedupe_key=key, at=at, referral_id=rid,
                     data={"due": due.isoformat(), "level": 0})


def _waiting_alone(story: Story, at: datetime) -> None:
    """No one named in the municipality while the child waits: its coordinators are told (or the referrer)."""
    world, rid, place = story.world, story.referral_id, story.place
    key = f"referral:{rid}:no_municipal_helper"
    world.mark(key=key, kind="waiting_without_municipal_helper", at=at, due=story.row["received_on"],
               referral_id=rid)
    told = place.municipality.people if story.row["shared_with_municipality"] and place.connected else []
    world.alerts(told or [story.referrer], kind="waiting_without_municipal_helper", dedupe_key=key, at=at,
                 referral_id=rid, data={"due": story.row["received_on"].isoformat(), "level": 0})


def _epikrise(story: Story, assessor: Person, discharged: datetime) -> None:
    """Discharged without an epikrise: reminded each working day until BUP records it as sent."""
    world, rid = story.world, story.referral_id
    story.row["epikrise_pending"] = True
    day, recorded = discharged.date(), world.working_days_after(discharged, 1, 4)
    while world.past(at := world.office_hours(day).replace(hour=6, minute=0) if day != discharged.date()
                     else discharged + timedelta(seconds=2)) and at < recorded:
        key = f"referral:{rid}:epikrise:{day.isoformat()}"
        world.mark(key=key, kind="epikrise_reminder", at=at, due=day, referral_id=rid)
        world.alerts(story.clinic.people, kind="epikrise_missing" if day == discharged.date() else
                     "epikrise_reminder", dedupe_key=key, at=at, referral_id=rid,
                     data={"due": day.isoformat(), "level": 0})
        day = add_working_days(day, 1)
    if story.step("record-epikrise", "discharged", assessor, recorded, {}):
        story.row["epikrise_pending"] = False
