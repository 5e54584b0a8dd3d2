"""Samtykke: the referring side narrows or withdraws the sharing with the municipality or the school; the page says
what will happen before it is confirmed, the change waits for the confirmation, and a receipt follows. Only those
who may change the consent have the link and the page."""

from __future__ import annotations

import html as markup
import re
from datetime import date

from sqlmodel import select

from referral_service.domain.access_log import AccessLogEntry
from tests.integration.test_web_reveal import signed_in
from tests.support.loop import InProcessWorker

API = "/api/v1/referrals"


def sent(world, who: str = "gp", *, share_with=("bup", "municipality"), birth_date: date = date(2012, 5, 10),
         home_municipality: str = "4627") -> str:
    body = world.referral_body(birth_date=birth_date, home_municipality=home_municipality)
    body["consent"] = {"given_by": ["guardian"], "share_with": list(share_with), "recorded_on": "2026-11-02"}
    created = world.post(who, API, json=body)
    assert created.status_code == 201, created.json
    world.act(who, created.json["id"], "submit")
    return created.json["id"]


def shared_now(world, rid: str) -> list[str]:
    return sorted(world.get("gp", f"{API}/{rid}").json["consent"]["share_with"])


def withdraw_municipality(client, token: str, rid: str, *, version: str | None = None, **extra):
    """Choose: keep nothing but BUP (the municipality was the only other), changed by the guardians."""
    data = {"csrf_token": token, "endret_av": "guardian", **extra}
    if version:
        data["versjon"] = version
    return client.post(f"/henvisninger/{rid}/samtykke", data=data)


def hidden(html: str) -> dict[str, list[str]]:
    """The confirmation's form as a browser would post it."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        fields.setdefault(name, []).append(markup.unescape(value))
    return fields


def test_the_referrer_finds_the_link_on_a_sent_referral_and_not_on_a_draft(world, app):
    rid = sent(world)
    draft = world.create_referral("gp")["id"]
    client, _ = signed_in(app, "gp")

    page = client.get(f"/henvisninger/{rid}").get_data(as_text=True)
    assert f'href="/henvisninger/{rid}/samtykke">Endre samtykke</a>' in page
    assert "Endre samtykke" not in client.get(f"/henvisninger/{draft}").get_data(as_text=True)
    assert client.get(f"/henvisninger/{draft}/samtykke").status_code == 404


def test_those_who_may_not_change_the_consent_have_no_link_and_no_page(world, app):
    rid = sent(world)
    for who in ("bup", "ppt", "coordinator_askoy"):
        client, token = signed_in(app, who)
        assert "Endre samtykke" not in client.get(f"/henvisninger/{rid}").get_data(as_text=True)
        assert client.get(f"/henvisninger/{rid}/samtykke").status_code == 404, who
        assert withdraw_municipality(client, token, rid).status_code == 404, who
        assert client.post(f"/henvisninger/{rid}/samtykke/bekreft", data={
            "csrf_token": token, "endret_av": "guardian"}).status_code == 404, who
    assert shared_now(world, rid) == ["bup", "municipality"]


def test_the_page_says_what_withdrawing_means_before_anything_changes(world, app):
    rid = sent(world)
    client, token = signed_in(app, "gp")

    page = client.get(f"/henvisninger/{rid}/samtykke").get_data(as_text=True)
    assert "Uten samtykke kan BUP ikke sende barnet tilbake til kommunen" in page
    assert "går oppgaven med å følge opp barnet til dere som henviste" in page
    review = withdraw_municipality(client, token, rid)
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "Bekreft endringen" in text
    assert "Samtykket trekkes for: <strong>Kommunale tjenester</strong>" in text
    assert "Kommunen ser ikke lenger henvisningen" in text
    assert shared_now(world, rid) == ["bup", "municipality"]  # nothing changes before the confirmation
    with app.extensions["referral_db"].session() as session:
        read = session.exec(select(AccessLogEntry.referral_id).where(AccessLogEntry.action == "read_consent")).all()
    assert set(read) == {rid}


def test_confirming_changes_the_consent_and_shows_a_receipt(world, app):
    rid = sent(world)
    client, token = signed_in(app, "gp")

    review = withdraw_municipality(client, token, rid).get_data(as_text=True)
    confirmed = client.post(f"/henvisninger/{rid}/samtykke/bekreft", data=hidden(review))
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith(f"/henvisninger/{rid}/samtykke/kvittering")
    receipt = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "Samtykket er endret" in receipt and "Frida Fastlege" in receipt
    assert "Kommunen ser ikke henvisningen" in receipt
    assert shared_now(world, rid) == ["bup"]
    assert world.get("gp", f"{API}/{rid}/events").json["items"][-1]["action"] == "change-consent"


def test_an_open_task_at_the_municipality_moves_to_the_referrer_when_the_consent_is_withdrawn(world, app):
    rid = sent(world)
    world.act("bup", rid, "reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                     "municipal_advice": "Tilbud hos kommunepsykolog."})
    InProcessWorker(app).run()
    handover_id = world.get("gp", f"{API}/{rid}").json["handover_id"]
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").status_code == 200
    client, token = signed_in(app, "gp")

    review = withdraw_municipality(client, token, rid).get_data(as_text=True)
    assert "Tilbakehenvisningen som kommunen har nå, flyttes til dere som henviste" in review
    client.post(f"/henvisninger/{rid}/samtykke/bekreft", data=hidden(review))
    assert world.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}").status_code == 404
    assert world.get("gp", f"/api/v1/handovers/{handover_id}").json["owner_org_id"] == world.orgs["gp"].id


def test_a_form_with_nothing_changed_and_nobody_named_shows_the_errors_with_links_to_the_fields(world, app):
    rid = sent(world)
    client, token = signed_in(app, "gp")

    response = client.post(f"/henvisninger/{rid}/samtykke", data={
        "csrf_token": token, "deles_med": "municipality"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="feiloppsummering"' in text
    assert '<a class="ds-link" href="#felt-deles-med">Du har ikke endret noe.' in text
    assert '<a class="ds-link" href="#felt-endret-av">Velg hvem som har trukket' in text
    assert 'id="felt-deles-med"' in text and 'id="felt-endret-av"' in text
    assert shared_now(world, rid) == ["bup", "municipality"]


def test_a_change_the_childs_age_does_not_allow_is_refused_before_the_confirmation(world, app):
    rid = sent(world, birth_date=date(2012, 5, 10))  # 14: the guardians consent, not the child alone
    client, token = signed_in(app, "gp")

    response = client.post(f"/henvisninger/{rid}/samtykke", data={"csrf_token": token, "endret_av": "child"})
    assert response.status_code == 422
    assert "Under 16 år må foresatte (eller barnevernet) samtykke." in response.get_data(as_text=True)


def test_a_confirmation_after_someone_else_changed_the_referral_changes_nothing(world, app):
    rid = sent(world)
    client, token = signed_in(app, "gp")
    review = hidden(withdraw_municipality(client, token, rid).get_data(as_text=True))
    world.post("gp", f"{API}/{rid}/consent", json={"given_by": ["guardian"], "share_with": ["bup", "municipality"]})

    response = client.post(f"/henvisninger/{rid}/samtykke/bekreft", data=review)
    assert response.status_code == 409 and "endret i mellomtiden" in response.get_data(as_text=True)
    assert shared_now(world, rid) == ["bup", "municipality"]


def test_ppt_withdrawing_the_sharing_with_the_school_is_told_it_no_longer_sees_the_referral(world, app):
    rid = sent(world, "ppt", share_with=("bup", "municipality", "school"), home_municipality="4601")
    client, token = signed_in(app, "ppt")

    review = client.post(f"/henvisninger/{rid}/samtykke", data={
        "csrf_token": token, "deles_med": "municipality", "endret_av": "guardian"}).get_data(as_text=True)
    assert "Dere mister selv innsyn i henvisningen" in review
    confirmed = client.post(f"/henvisninger/{rid}/samtykke/bekreft", data=hidden(review))
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/henvisninger")
    assert "ikke lenger innsyn" in client.get("/henvisninger").get_data(as_text=True)
    assert client.get(f"/henvisninger/{rid}").status_code == 404
