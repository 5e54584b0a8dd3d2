"""Mine henvisninger: open and finished apart, each status group, mine or the organisation's, sorted by the day
sent, searched by name or full number (never in an address), with the invitations to co-refer; every referral
shown is access-logged."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from referral_service.domain.enums import ReferralStatus
from referral_service.domain.referral import Referral
from referral_service.services.referrals.referrer_worklist import STATUS_GROUPS
from tests.integration.test_web_reveal import signed_in


def referral_of(world, name: str, status: str = "submitted", *, who: str = "gp",
                birth_date: date = date(2012, 5, 10)) -> tuple[str, str]:
    """A referral of the named child brought to `status`; its id and the child's identity number."""
    given, family = name.split()
    body = world.referral_body(birth_date=birth_date)
    body["child"].update(given_name=given, family_name=family)
    created = world.post(who, "/api/v1/referrals", json=body)
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    later = (dependencies(world.app).clock.today() + timedelta(days=30)).isoformat()
    steps = {
        "draft": [],
        "submitted": [(who, "submit", None)],
        "information_requested": [(who, "submit", None), ("bup", "request-information", {"questions": "Hvor lenge?"})],
        "accepted": [(who, "submit", None), ("bup", "accept", {"care_start_due": later})],
        "rejected": [(who, "submit", None), ("bup", "reject", {
            "reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
            "municipal_advice": "Tilbud hos kommunepsykolog."})],
        "withdrawn": [(who, "withdraw", {"reason": "Familien flytter."})],
    }[status]
    for actor, action, data in steps:
        world.act(actor, rid, action, data)
    return rid, body["child"]["national_id"]


def children(html: str) -> list[str]:
    """The children named in the list's table, in its order."""
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'href="/henvisninger/[0-9a-f-]{36}">([^<]+)</a>', table)


def test_open_and_finished_referrals_are_in_separate_tabs(world, app):
    referral_of(world, "Åse Venter", "submitted")
    referral_of(world, "Per Utkast", "draft")
    referral_of(world, "Kari Avslag", "rejected")
    referral_of(world, "Nils Trukket", "withdrawn")
    client, _ = signed_in(app, "gp")

    assert sorted(children(client.get("/henvisninger").get_data(as_text=True))) == ["Per Utkast", "Åse Venter"]
    finished = client.get("/henvisninger?fane=avsluttede").get_data(as_text=True)
    assert sorted(children(finished)) == ["Kari Avslag", "Nils Trukket"]
    assert 'aria-current="page">Avsluttede' in finished and "Avslått " in finished


def test_each_status_group_shows_only_its_referrals(world, app):
    for name, status in [("Per Utkast", "draft"), ("Åse Venter", "submitted"), ("Ida Spurt", "information_requested"),
                         ("Ola Rett", "accepted"), ("Kari Avslag", "rejected"), ("Nils Trukket", "withdrawn")]:
        referral_of(world, name, status)
    client, _ = signed_in(app, "gp")

    expected = {"draft": ["Per Utkast"], "waiting": ["Åse Venter"], "information_requested": ["Ida Spurt"],
                "accepted": ["Ola Rett"]}
    for group, names in expected.items():
        assert children(client.get(f"/henvisninger?status={group}").get_data(as_text=True)) == names, group
    for group, names in {"rejected_or_discharged": ["Kari Avslag"], "closed": ["Nils Trukket"]}.items():
        page = client.get(f"/henvisninger?fane=avsluttede&status={group}").get_data(as_text=True)
        assert children(page) == names, group


def test_a_row_shows_the_child_the_clinic_the_dates_and_the_organisations_part(world, app):
    rid, number = referral_of(world, "Åse Venter", "submitted", birth_date=date(2012, 5, 10))
    client, _ = signed_in(app, "gp")

    page = client.get("/henvisninger").get_data(as_text=True)
    row = page.split(f'href="/henvisninger/{rid}"', 1)[1].split("</tr>", 1)[0]
    today = dependencies(app).clock.today()
    age = today.year - 2012 - ((today.month, today.day) < (5, 10))
    assert f"10.05.12 *****, {age} år" in row and number not in page
    assert world.orgs["bup"].name in row and "Sendt – venter på vurdering" in row
    assert f"{today:%d.%m.%Y}" in row and "Vurderingsfrist" in row and "Henviser" in row


def test_mine_shows_only_what_i_referred_and_the_organisations_list_shows_the_colleagues_too(world, app):
    referral_of(world, "Åse Min", "submitted")
    colleagues, _ = referral_of(world, "Per Kollega", "submitted")
    with app.extensions["referral_db"].session() as session:  # written by a colleague at the same GP office
        referral = session.get(Referral, colleagues)
        referral.referrer_user_id = world.users["lead_gp"].id
        session.add(referral)
        session.commit()
    client, _ = signed_in(app, "gp")

    assert sorted(children(client.get("/henvisninger").get_data(as_text=True))) == ["Per Kollega", "Åse Min"]
    assert children(client.get("/henvisninger?hvem=mine").get_data(as_text=True)) == ["Åse Min"]


def test_sorting_by_the_day_sent_puts_the_newest_or_the_oldest_first(world, app, clock):
    now = datetime.now(UTC)
    clock.set(now - timedelta(days=3))
    referral_of(world, "Eldst Sendt", "submitted")
    clock.set(now)
    referral_of(world, "Nyest Sendt", "submitted")
    client, _ = signed_in(app, "gp")

    assert children(client.get("/henvisninger?sortering=sendt-nyeste").get_data(as_text=True)) == [
        "Nyest Sendt", "Eldst Sendt"]
    assert children(client.get("/henvisninger?sortering=sendt-eldste").get_data(as_text=True)) == [
        "Eldst Sendt", "Nyest Sendt"]


def test_searching_by_the_full_number_finds_the_child_and_the_number_is_never_in_an_address(world, app):
    referral_of(world, "Åse Venter", "submitted", birth_date=date(2011, 3, 4))
    _, number = referral_of(world, "Per Funnet", "submitted", birth_date=date(2013, 8, 9))
    client, token = signed_in(app, "gp")

    posted = client.post("/henvisninger?status=waiting", data={"csrf_token": token, "sok": number})
    assert posted.status_code == 303 and number not in posted.headers["Location"]
    assert posted.headers["Location"].endswith("/henvisninger?status=waiting")
    page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert children(page) == ["Per Funnet"] and number not in page
    assert "fødselsnummeret du søkte på" in page

    cleared = client.post("/henvisninger", data={"csrf_token": token, "fjern_sok": "1"})
    assert len(children(client.get(cleared.headers["Location"]).get_data(as_text=True))) == 2


def test_searching_by_name_keeps_the_rows_with_each_word(world, app):
    referral_of(world, "Åse Venter", "submitted")
    referral_of(world, "Per Venter", "submitted")
    referral_of(world, "Per Annen", "submitted")
    client, token = signed_in(app, "gp")

    client.post("/henvisninger", data={"csrf_token": token, "sok": "per vent"})
    assert children(client.get("/henvisninger").get_data(as_text=True)) == ["Per Venter"]


def test_a_draft_another_organisation_invited_us_to_is_listed_as_an_invitation(world, app):
    rid, _ = referral_of(world, "Ida Invitert", "draft")
    world.post("gp", f"/api/v1/referrals/{rid}/co-referrers", json={"organisation_id": world.orgs["school_askoy"].id})
    client, _ = signed_in(app, "nurse_askoy")

    page = client.get("/henvisninger").get_data(as_text=True)
    invitations = page.split('id="invitasjoner"', 1)[1].split("</section>", 1)[0]
    assert "Ida Invitert" in invitations and world.orgs["gp"].name in invitations
    assert f'href="/henvisninger/{rid}"' in invitations and "Se utkastet og bidra" in invitations
    row = page.split("<tbody>", 1)[1].split(f'href="/henvisninger/{rid}"', 1)[1].split("</tr>", 1)[0]
    assert "Medhenviser" in row
    # The organisation that wrote it is not invited to its own draft.
    assert 'id="invitasjoner"' not in signed_in(app, "gp")[0].get("/henvisninger").get_data(as_text=True)


def test_every_referral_the_list_shows_is_access_logged(world, app):
    shown = {referral_of(world, "Åse Venter", "submitted")[0], referral_of(world, "Per Utkast", "draft")[0]}
    invited, _ = referral_of(world, "Ida Invitert", "draft", who="nurse_askoy")
    world.post("nurse_askoy", f"/api/v1/referrals/{invited}/co-referrers",
               json={"organisation_id": world.orgs["gp"].id})
    client, _ = signed_in(app, "gp")

    assert client.get("/henvisninger").status_code == 200
    with app.extensions["referral_db"].session() as session:
        logged = session.exec(select(AccessLogEntry.referral_id).where(
            AccessLogEntry.action == "list", AccessLogEntry.user_id == world.users["gp"].id)).all()
    assert sorted(logged) == sorted([*shown, invited, invited])  # in the table, and among the invitations


def test_only_referrers_have_the_list(world, app):
    for who in ("bup", "coordinator_askoy"):
        client, token = signed_in(app, who)
        assert client.get("/henvisninger").status_code == 403  # web/roles.py: another role's page
        assert client.post("/henvisninger", data={"csrf_token": token, "sok": "Ola"}).status_code == 403


def test_every_status_is_in_exactly_one_group_of_one_tab():
    grouped = [status for group in STATUS_GROUPS.values() for status in group.statuses]
    assert sorted(grouped) == sorted(ReferralStatus) and len(grouped) == len(set(grouped))
