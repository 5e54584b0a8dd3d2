"""The nation's organisations and people: 357 municipalities (most connected, with coordinators and a lead),
~50 BUP clinics with intake staff, and the GP offices, PPT and child welfare services that refer.

The demo organisations and users (referral_service/demo.py) are part of it: Askøy and Bergen are the demo
municipalities, "BUP Bergen sentrum" is one of the fifty clinics, and the demo GP office is one of Askøy's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, select

from referral_service.domain.enums import OrganisationKind as K
from referral_service.domain.enums import Profession as P
from referral_service.domain.enums import Role as R
from referral_service.domain.municipalities import load_register
from referral_service.domain.organisation import Organisation, User

#: Inhabitants of the largest municipalities (2024), so that the big cities carry their share of the load.
POPULATION = {"0301": 717_000, "4601": 291_000, "5001": 216_000, "1103": 149_000, "3201": 131_000,
              "4204": 116_000, "3301": 103_000, "3203": 96_000, "3205": 94_000, "3107": 84_000, "1108": 83_000,
              "5501": 78_000, "1804": 53_000, "3403": 29_000, "4627": 30_000}
NATIONAL_POPULATION = 5_550_000
CLINICS = 50
NOT_CONNECTED_SHARE = 0.08  # municipalities without an active coordinator (handovers go to the referrer)
DEMO_CLINIC, DEMO_CLINIC_2, DEMO_GP = "BUP Bergen sentrum", "BUP Øyane", "Askøy legesenter"


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID from the seeded generator, as str(uuid.uuid4()) spells one."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


@dataclass
class Person:
    id: str
    organisation_id: str
    role: str  # the access log's primary role


@dataclass
class Org:
    id: str
    kind: str
    name: str
    people: list[Person] = field(default_factory=list)
    leads: list[Person] = field(default_factory=list)


@dataclass
class Place:
    """One municipality: its organisation, whether it is connected, who refers from there and its clinic."""

    number: str
    name: str
    weight: float
    municipality: Org
    connected: bool
    referrers: list[tuple[Org, float]] = field(default_factory=list)  # (organisation, share of referrals)
    clinic: Org | None = None


@dataclass
class Directory:
    places: list[Place]
    clinics: list[Org]
    admins: list[Person]
    organisations: list[dict[str, Any]]
    users: list[dict[str, Any]]


class Builder:
    def __init__(self, rng: random.Random, *, password_hash: str, created: datetime) -> None:
        self.rng, self.password_hash, self.created = rng, password_hash, created
        self.organisations: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self._emails = 0

    def org(self, kind: K, name: str, number: str | None) -> Org:
        org = Org(new_uuid(self.rng), kind.value, name)
        self.organisations.append({"id": org.id, "kind": kind.value, "name": name, "municipality_number": number,
                                   "created_at": self.created})
        return org

    def person(self, org: Org, role: R, profession: P = P.OTHER, *, lead: bool = False) -> Person:
        self._emails += 1
        person = Person(new_uuid(self.rng), org.id, role.value)
        self.users.append({"id": person.id, "email": f"{role.value.replace('_', '-')}{self._emails}@nasjonal.example",
                           "name": f"Bruker {self._emails}", "password_hash": self.password_hash,
                           "organisation_id": org.id, "roles": [role.value], "profession": profession.value,
                           "active": True, "failed_logins": 0, "created_at": self.created})
        (org.leads if lead else org.people).append(person)
        return person


def _demo(session: Session) -> tuple[dict[str, Organisation], dict[str, User]]:
    orgs = {o.name: o for o in session.exec(select(Organisation)).all()}
    users = {u.email: u for u in session.exec(select(User)).all()}
    return orgs, users


def _existing(org: Organisation, users: dict[str, User]) -> Org:
    known = Org(org.id, str(org.kind), org.name)
    for user in users.values():
        if user.organisation_id != org.id:
            continue
        person = Person(user.id, org.id, next(r.value for r in R if r.value in user.roles))
        is_lead = R.MUNICIPAL_LEAD.value in user.roles or R.REFERRER_LEAD.value in user.roles
        (known.leads if is_lead else known.people).append(person)
    return known


def build_directory(session: Session, rng: random.Random, *, today: date, password_hash: str,
                    created: datetime) -> Directory:
    """Every organisation and user of the nation, around the demo data already in the database."""
    demo_orgs, demo_users = _demo(session)
    b = Builder(rng, password_hash=password_hash, created=created)
    register = sorted(load_register().in_force(today), key=lambda m: (m.county_number, m.number))
    small = [m for m in register if m.number not in POPULATION]
    rest = NATIONAL_POPULATION - sum(POPULATION.values())
    raw = {m.number: rng.lognormvariate(0, 1.1) for m in small}
    scale = rest / sum(raw.values())
    places = []
    for m in register:
        population = POPULATION.get(m.number) or max(200.0, raw[m.number] * scale)
        demo = next((o for o in demo_orgs.values() if o.kind == K.MUNICIPALITY and o.municipality_number == m.number),
                    None)
        connected = demo is not None or rng.random() > NOT_CONNECTED_SHARE
        municipality = _existing(demo, demo_users) if demo else b.org(K.MUNICIPALITY, f"{m.name} kommune", m.number)
        if connected:
            for _ in range(max(0, min(6, 1 + int(population // 100_000)) - len(municipality.people))):
                b.person(municipality, R.MUNICIPAL_COORDINATOR)
            if not municipality.leads and rng.random() < 0.85:
                b.person(municipality, R.MUNICIPAL_LEAD, lead=True)
        place = Place(m.number, m.name, population / NATIONAL_POPULATION, municipality, connected)
        gp_offices = max(1, round(population / 9_000))
        for i in range(gp_offices):
            gp = (_existing(demo_orgs[DEMO_GP], demo_users) if m.number == "4627" and i == 0
                  else b.org(K.GP_OFFICE, f"{m.name} legesenter {i + 1}", m.number))
            for _ in range(max(0, rng.randint(2, 5) - len(gp.people))):
                b.person(gp, R.REFERRER, P.DOCTOR)
            if not gp.leads and rng.random() < 0.8:
                b.person(gp, R.REFERRER_LEAD, P.DOCTOR, lead=True)
            place.referrers.append((gp, 0.72 / gp_offices))
        demo_ppt = demo_orgs.get(f"PPT {m.name}")
        ppt = _existing(demo_ppt, demo_users) if demo_ppt else b.org(K.PPT_OFFICE, f"PPT {m.name}", m.number)
        if not ppt.people:
            b.person(ppt, R.REFERRER, P.PSYCHOLOGIST)
        if not ppt.leads:
            b.person(ppt, R.REFERRER_LEAD, P.PSYCHOLOGIST, lead=True)
        welfare = b.org(K.CHILD_WELFARE, f"Barneverntjenesten i {m.name}", m.number)
        b.person(welfare, R.REFERRER, P.CHILD_WELFARE_LEADER)
        place.referrers += [(ppt, 0.14), (welfare, 0.14)]
        places.append(place)
    clinics = _clinics(b, places, demo_orgs, demo_users)
    admins = [Person(u.id, u.organisation_id, R.ADMIN.value) for u in demo_users.values() if R.ADMIN.value in u.roles]
    return Directory(places, clinics, admins, b.organisations, b.users)


def _clinics(b: Builder, places: list[Place], demo_orgs: dict[str, Organisation],
             demo_users: dict[str, User]) -> list[Org]:
    """Fifty clinics, each serving a run of neighbouring municipalities with about a fiftieth of the children;
    the demo clinic serves Askøy's run."""
    clinics: list[Org] = []
    share, run = 1.0 / CLINICS, []
    groups: list[list[Place]] = []
    for place in places:
        run.append(place)
        if sum(p.weight for p in run) >= share or place is places[-1]:
            groups.append(run)
            run = []
    askoy = next(i for i, g in enumerate(groups) if any(p.number == "4627" for p in g))
    for i, group in enumerate(groups):
        if i == askoy:
            clinic = _existing(demo_orgs[DEMO_CLINIC], demo_users)
        elif i == (askoy + 1) % len(groups):
            clinic = _existing(demo_orgs[DEMO_CLINIC_2], demo_users)
        else:
            clinic = b.org(K.BUP_CLINIC, f"BUP {group[0].name}", None)
        for _ in range(max(0, b.rng.randint(2, 4) - len(clinic.people))):
            b.person(clinic, R.BUP_INTAKE, P.PSYCHOLOGIST)
        for place in group:
            place.clinic = clinic
        clinics.append(clinic)
    return clinics


def created_at(today: date, years: int) -> datetime:
    """When the directory was set up: just before the first generated referral."""
    return datetime(today.year - years, today.month, 1, 6, tzinfo=UTC)
