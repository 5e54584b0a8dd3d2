"""A small world of organisations and users for tests, and an API client that acts as one of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD, seed_demo
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.domain.organisation import Organisation, User
from referral_service.services.unit_of_work import SqlUnitOfWork

#: The demo users by what they are in the tests.
USERS = {
    "gp": "fastlege@askoy.example",
    "ppt": "ppt@bergen.example",
    "nurse_bergen": "helsesykepleier@bergen.example",
    "nurse_askoy": "helsesykepleier@askoy.example",
    "barnevern_askoy": "barnevern@askoy.example",
    "bup": "inntak@bup.example",
    "bup2": "inntak@bup-oyane.example",
    "dps": "inntak@dps-bjorgvin.example",
    "coordinator_bergen": "koordinator@bergen.example",
    "lead_bergen": "leder@bergen.example",
    "coordinator_askoy": "koordinator@askoy.example",
    "lead_askoy": "leder@askoy.example",
    "lead_gp": "leder@askoy-legesenter.example",
    "lead_ppt": "leder@ppt-bergen.example",
    "lead_school_bergen": "leder@skolehelse-bergen.example",
    "lead_school_askoy": "leder@skolehelse-askoy.example",
    "admin": "admin@demo.example",
    "auditor": "revisor@demo.example",
}


@dataclass
class World:
    """The demo organisations and users, with a logged-in API client per user."""

    app: Flask
    client: FlaskClient
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)
    _seq: int = 0
    clock: object | None = None
    _token_generation: int = 0

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        generation = getattr(self.clock, "generation", 0)
        if generation != self._token_generation:
            self._tokens.clear()  # tokens expire by the service's clock, which has moved
            self._token_generation = generation
        if who not in self._tokens:
            response = self.client.post("/api/v1/auth/token",
                                        json={"email": USERS[who], "password": DEMO_PASSWORD})
            assert response.status_code == 200, response.json
            self._tokens[who] = response.json["access_token"]
        return {"Authorization": f"Bearer {self._tokens[who]}", **extra}

    def get(self, who: str, path: str, **kwargs: Any):
        return self.client.get(path, headers=self.headers(who, **kwargs.pop("headers", {})), **kwargs)

    def post(self, who: str, path: str, json: Any = None, **kwargs: Any):
        return self.client.post(path, json=json, headers=self.headers(who, **kwargs.pop("headers", {})), **kwargs)

    def patch(self, who: str, path: str, json: Any = None, **kwargs: Any):
        return self.client.patch(path, json=json, headers=self.headers(who, **kwargs.pop("headers", {})),
                                 **kwargs)

    def national_id(self, birth_date: date = date(2012, 5, 10)) -> str:
        """A fresh synthetic identity number for a child born on `birth_date`."""
        self._seq += 1
        return make_synthetic_national_id(birth_date, seed=self._seq * 7)

    def referral_body(self, *, clinic: str = "bup", home_municipality: str = "4627",
                      birth_date: date = date(2012, 5, 10), **overrides: Any) -> dict[str, Any]:
        """A complete referral for a 14-year-old with guardian consent."""
        body = {
            "child": {"national_id": self.national_id(birth_date), "given_name": "Ola",
                      "family_name": "Testesen", "home_municipality": home_municipality,
                      "guardians": [{"name": "Mor Testesen", "phone": "40000000"}]},
            "clinic_id": self.orgs[clinic].id,
            "reasons": ["anxiety", "school_refusal"],
            "description": "Økende angst og skolefravær siden høsten, sover dårlig og trekker seg unna.",
            "urgency": "normal",
            "measures_tried": "Samtaler med helsesykepleier i åtte uker; tilrettelegging på skolen.",
            "child_view": "Jeg vil gjerne snakke med noen som kan hjelpe.",
            # Recorded a week before the service's today: a consent date may not lie ahead (date_ranges.py), and
            # tests set the clock to days before and after any fixed date.
            "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"],
                        "recorded_on": (dependencies(self.app).clock.today() - timedelta(days=7)).isoformat()},
            "municipal_contacts": [{"role": "Helsesykepleier", "name": "Heidi Helsesykepleier",
                                    "organisation_id": self.orgs["school_askoy"].id}],
        }
        body.update(overrides)
        return body

    def create_referral(self, who: str = "gp", **overrides: Any) -> dict[str, Any]:
        response = self.post(who, "/api/v1/referrals", json=self.referral_body(**overrides))
        assert response.status_code == 201, response.json
        return response.json

    def act(self, who: str, referral_id: str, action: str, body: dict | None = None, *, expect: int = 200,
            **kwargs: Any) -> dict[str, Any]:
        response = self.post(who, f"/api/v1/referrals/{referral_id}/{action}", json=body, **kwargs)
        assert response.status_code == expect, (action, response.status_code, response.json)
        return response.json

    def referral_in(self, status: str, who: str = "gp") -> dict[str, Any]:
        """A referral brought to `status` through the API by the usual people."""
        referral = self.create_referral(who)
        rid = referral["id"]
        today = dependencies(self.app).clock.today()  # Norway's date, as the service sees it
        later = (today + timedelta(days=30)).isoformat()
        paths = {
            "draft": [],
            "submitted": [(who, "submit", None)],
            "information_requested": [(who, "submit", None),
                                      ("bup", "request-information", {"questions": "Hvor lenge?"})],
            "accepted": [(who, "submit", None), ("bup", "accept", {"care_start_due": later})],
            "in_treatment": [(who, "submit", None), ("bup", "accept", {"care_start_due": later}),
                             ("bup", "start-treatment", {"first_appointment_on": today.isoformat()})],
            "discharged": [(who, "submit", None), ("bup", "accept", {"care_start_due": later}),
                           ("bup", "start-treatment", {"first_appointment_on": today.isoformat()}),
                           ("bup", "discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.",
                                                 "epikrise_sent": True})],
            "rejected": [(who, "submit", None), ("bup", "reject", {
                "reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                "municipal_advice": "Tilbud hos kommunepsykolog."})],
            "forwarded": [(who, "submit", None), ("bup", "forward", {"clinic_id": self.orgs["bup2"].id,
                                                                     "reason": "Bosted"})],
            "withdrawn": [(who, "withdraw", {"reason": "Familien flytter."})],
        }
        for actor, action, body in paths[status]:
            referral = self.act(actor, rid, action, body)
        assert referral["status"] == status
        return referral


def build_world(app: Flask) -> World:
    from referral_service.demo import ORGANISATIONS  # noqa: N811
    from referral_service.demo import USERS as DEMO_USERS

    world = World(app=app, client=app.test_client())
    with app.extensions["referral_db"].session() as session:
        seed_demo(SqlUnitOfWork.on(session))
        by_name = {o.name: o for o in session.exec(select(Organisation))}
        world.orgs = {key: by_name[name] for key, _kind, name, _number in ORGANISATIONS}
        by_email = {u.email: u for u in session.exec(select(User))}
        world.users = {key: by_email[email] for key, email in USERS.items()}
    assert len(DEMO_USERS) == len(USERS)
    return world
