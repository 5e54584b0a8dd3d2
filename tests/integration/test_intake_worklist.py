"""Inntak as a worklist BUP can work from: a search by name or full identity number (posted, kept in the session,
never in a URL), the decided referrals in a tab of their own, filters for the urgent, the close to their deadline and
the answered, and on each row who referred and who co-refers; the assessment page names them too and reveals the
full number on request. Every row shown is access-logged, and a page costs the same queries however many rows."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from referral_service.bootstrap import dependencies
from referral_service.domain.access_log import AccessLogEntry
from tests.integration.test_sweeps import logged_in_before_the_clock_moves
from tests.integration.test_web_decisions import WebUser
from tests.integration.test_write_path_statements import counted_statements

__all__ = ["logged_in_before_the_clock_moves"]  # the world's tokens stay good while the clock is set back

#: How each referral is brought to its state through the API, by the usual people.
STEPS = {
    "draft": [],
    "submitted": [("submit", None)],
    "information_requested": [("submit", None), ("bup:request-information", {"questions": "Hvor lenge?"})],
    "answered": [("submit", None), ("bup:request-information", {"questions": "Hvor lenge?"}),
                 ("supplement", {"text": "Siden august."})],
    "accepted": [("submit", None), ("bup:accept", {"care_start_due": "{later}"})],
    "in_treatment": [("submit", None), ("bup:accept", {"care_start_due": "{later}"}),
                     ("bup:start-treatment", {"first_appointment_on": "{today}"})],
    "rejected": [("submit", None), ("bup:reject", {
        "reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
        "municipal_advice": "Tilbud hos kommunepsykolog."})],
    "forwarded": [("submit", None), ("bup:forward", {"clinic_id": "{bup2}", "reason": "Bosted"})],
    "withdrawn": [("submit", None), ("withdraw", {"reason": "Familien flytter."})],
    "withdrawn_draft": [("withdraw", {"reason": "Skrevet feil."})],
}


def referral_of(world, given: str, family: str, state: str = "submitted", *, who: str = "gp",
                urgency: str = "normal") -> tuple[str, str]:
    """A referral of a new child with this name, brought to `state`: (its id, the child's identity number)."""
    body = world.referral_body(urgency=urgency)
    body["child"].update(given_name=given, family_name=family)
    created = world.post(who, "/api/v1/referrals", json=body)
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    today = dependencies(world.app).clock.today()
    values = {"{today}": today.isoformat(), "{later}": (today + timedelta(days=30)).isoformat(),
              "{bup2}": world.orgs["bup2"].id}
    for step, data in STEPS[state]:
        actor, _, action = step.rpartition(":")
        data = {key: values.get(value, value) for key, value in (data or {}).items()} if data else None
        world.act(actor or who, rid, action, data)
    return rid, body["child"]["national_id"]


def shown(html: str) -> list[str]:
    """The referrals a page lists, in order (each row links to its assessment page)."""
    return re.findall(r'href="/inntak/([0-9a-f-]{36})"', html)


def waiting_section(html: str) -> str:
    return html.split('id="venter-vurdering"')[1].split('id="venter-oppstart"')[0]


def search(bup: WebUser, text: str, *, path: str = "/inntak"):
    """Post the search form as the page offers it; answers the redirect (not followed)."""
    page = bup.get(path)
    form = next(f for f in page.forms if f["action"].startswith("/inntak") and "csrf_token" in f["hidden"])
    return bup.client.post(form["action"], data={**form["hidden"], "sok": text})


def session_contents(app, bup: WebUser) -> dict:
    """What the session cookie holds (Flask signs the cookie; anyone holding it can read it)."""
    cookie = bup.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def listed_for(app, user_id: str) -> list[str]:
    with app.extensions["referral_db"].session() as session:
        rows = session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "list",
                                                         AccessLogEntry.user_id == user_id)).all()
    return [row.referral_id for row in rows]


# ---- search --------------------------------------------------------------------------------------------------

def test_a_full_identity_number_finds_the_child_and_goes_in_no_url_page_or_session(world, app):
    wanted, number = referral_of(world, "Solveig", "Søkesen")
    other, _ = referral_of(world, "Tobias", "Andersen")
    bup = WebUser(app, "bup")

    answer = search(bup, f"{number[:6]} {number[6:]}")  # typed with a space, as people do
    listed_before = Counter(listed_for(app, world.users["bup"].id))

    assert answer.status_code == 303 and answer.location.endswith("/inntak")
    page = bup.get(answer.location)
    assert shown(page.html) == [wanted] and other not in page.html
    assert "Viser treff for fødselsnummeret du søkte på" in page.text()
    assert number not in page.html and number not in json.dumps(session_contents(app, bup))
    assert Counter(listed_for(app, world.users["bup"].id)) - listed_before == Counter([wanted])


def test_words_of_the_name_find_the_children_whose_name_has_them_all(world, app):
    tobias, _ = referral_of(world, "Tobias", "Berg")
    referral_of(world, "Tobias", "Dahl")
    referral_of(world, "Solveig", "Berg")
    bup = WebUser(app, "bup")

    page = bup.get(search(bup, "tob BERG").location)

    assert shown(page.html) == [tobias]
    assert "«tob BERG»" in page.text()


def test_a_number_no_child_has_finds_nothing_and_says_so(world, app):
    referral_of(world, "Solveig", "Søkesen")
    bup = WebUser(app, "bup")

    page = bup.get(search(bup, world.national_id()).location)

    assert shown(page.html) == []
    assert page.text().count("Ingen henvisninger her passer til søket eller filteret.") == 3


def test_a_search_is_kept_across_the_tabs_until_it_is_cleared(world, app):
    open_one, _ = referral_of(world, "Kari", "Nordmann")
    decided, _ = referral_of(world, "Kari", "Nordmann", "rejected")
    referral_of(world, "Ola", "Nordmann", "rejected")
    bup = WebUser(app, "bup")
    search(bup, "kari")

    assert shown(bup.get("/inntak").html) == [open_one]
    assert shown(bup.get("/inntak?visning=avgjort").html) == [decided]

    form = bup.page.form_for("/inntak?visning=avgjort")
    cleared = bup.client.post(form["action"], data={**form["hidden"], "fjern_sok": "1"})
    assert cleared.status_code == 303 and cleared.location.endswith("/inntak?visning=avgjort")
    assert len(shown(bup.get(cleared.location).html)) == 2


def test_another_clinics_referral_is_never_found(world, app):
    _, number = referral_of(world, "Solveig", "Søkesen")
    bup2 = WebUser(app, "bup2")

    page = bup2.get(search(bup2, number).location)

    assert shown(page.html) == [] and "Søkesen" not in page.html


# ---- decided referrals ---------------------------------------------------------------------------------------

def test_the_decided_referrals_have_a_tab_of_their_own_newest_first(world, app):
    decided = [referral_of(world, "Barn", state, state)[0]
               for state in ("rejected", "forwarded", "withdrawn")]
    discharged = world.referral_in("discharged")["id"]
    still_open = [referral_of(world, "Barn", state, state)[0] for state in ("submitted", "accepted", "in_treatment")]
    referral_of(world, "Barn", "Utkast", "withdrawn_draft")  # never sent: the clinic never had it
    bup = WebUser(app, "bup")

    tab = bup.get("/inntak?visning=avgjort")

    assert shown(tab.html) == [discharged, *reversed(decided)]
    text = tab.text()
    for outcome in ("Avslag", "Videresendt", "Trukket tilbake", "Avsluttet i BUP"):
        assert outcome in text, outcome
    assert sorted(shown(bup.get("/inntak").html)) == sorted(still_open)


def test_the_decided_tab_filters_by_outcome_and_pages_on_its_own(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.bup.PER_PAGE", 2)
    rejected = [referral_of(world, "Barn", f"Avslag{i}", "rejected")[0] for i in range(3)]
    referral_of(world, "Barn", "Videresendt", "forwarded")
    bup = WebUser(app, "bup")

    first = bup.get("/inntak?visning=avgjort&utfall=rejected")
    [next_page] = re.findall(r'href="([^"]+)" rel="next">Neste side', first.html)
    second = bup.get(next_page.replace("&amp;", "&"))

    assert "utfall=rejected" in next_page and "avgjorte=2" in next_page
    assert shown(first.html) + shown(second.html) == list(reversed(rejected))


def test_a_decided_row_says_when_it_was_decided_and_when_it_came(world, app):
    referral_of(world, "Barn", "Avslagsen", "rejected")
    bup = WebUser(app, "bup")
    today = dependencies(app).clock.today().strftime("%d.%m.%Y")

    row = bup.get("/inntak?visning=avgjort").html.split("<tbody>")[1]

    assert row.count(today) == 2  # avgjort and mottatt, both today


# ---- filters -------------------------------------------------------------------------------------------------

def test_answered_since_bup_asked_is_marked_and_can_be_shown_alone(world, app):
    answered, _ = referral_of(world, "Barn", "Svarsen", "answered")
    asked_again, _ = referral_of(world, "Barn", "Igjen", "answered")
    world.act("bup", asked_again, "request-information", {"questions": "Og nå?"})
    referral_of(world, "Barn", "Venter", "information_requested")
    referral_of(world, "Barn", "Ny", "submitted")
    bup = WebUser(app, "bup")

    waiting = waiting_section(bup.get("/inntak").html)
    rows = {rid: row for row in waiting.split("<tr")[2:] for rid in shown(row)}
    assert len(rows) == 4
    assert [rid for rid, row in rows.items() if "Svar mottatt" in row] == [answered]

    assert shown(bup.get("/inntak?svar_mottatt=ja").html) == [answered]


def test_urgent_ones_alone(world, app):
    urgent, _ = referral_of(world, "Barn", "Haster", urgency="urgent")
    referral_of(world, "Barn", "Vanlig")
    accepted_urgent, _ = referral_of(world, "Barn", "Oppstart", "accepted", urgency="urgent")
    bup = WebUser(app, "bup")

    page = bup.get("/inntak?haster=ja")

    assert shown(page.html) == [urgent, accepted_urgent]
    assert page.field("haster").get("checked") is not None


def test_close_to_the_deadline_alone(world, app, clock):
    clock.set(datetime.now(UTC) - timedelta(days=30))
    late, _ = referral_of(world, "Barn", "Sent")
    clock.reset()
    referral_of(world, "Barn", "Tidlig")
    bup = WebUser(app, "bup")

    page = bup.get("/inntak?naer_fristen=ja")

    assert shown(page.html) == [late]
    assert "Nær fristen" in waiting_section(page.html)


def test_the_close_to_deadline_filter_shows_exactly_the_rows_marked_nær_fristen(world, app, clock):
    for days_ago in range(0, 22, 3):  # deadlines from well ahead to past, across weekends
        clock.set(datetime.now(UTC) - timedelta(days=days_ago))
        referral_of(world, "Barn", f"Sendt{days_ago}")
    clock.reset()
    bup = WebUser(app, "bup")

    rows = waiting_section(bup.get("/inntak").html).split("<tbody>")[1].split("</tr>")
    marked = {rid for row in rows if "Nær fristen" in row for rid in shown(row)}
    filtered = shown(bup.get("/inntak?naer_fristen=ja").html)

    assert marked and len(marked) < 8
    assert sorted(filtered) == sorted(marked)


def test_filters_are_kept_by_the_search_and_the_page_links(world, app, monkeypatch):
    monkeypatch.setattr("referral_service.web.views.bup.PER_PAGE", 1)
    first, _ = referral_of(world, "Kari", "En", urgency="urgent")
    second, _ = referral_of(world, "Kari", "To", urgency="urgent")
    referral_of(world, "Kari", "Tre")
    bup = WebUser(app, "bup")

    answer = search(bup, "kari", path="/inntak?haster=ja")
    assert answer.location.endswith("/inntak?haster=ja")
    page = bup.get(answer.location)
    [next_page] = re.findall(r'href="([^"]+)" rel="next">Neste side', waiting_section(page.html))

    assert "haster=ja" in next_page
    # Both are due the same day: their ids settle the order.
    assert sorted(shown(page.html) + shown(bup.get(next_page.replace("&amp;", "&")).html)) == sorted([first, second])


# ---- rows: who referred, access log, queries -----------------------------------------------------------------

def test_each_row_names_who_referred_and_who_co_refers(world, app):
    rid, _ = referral_of(world, "Barn", "Sammen", "draft", who="nurse_askoy")
    invited = world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers",
                         json={"organisation_id": world.orgs["gp"].id})
    assert invited.status_code == 200
    world.act("gp", rid, "submit")
    bup = WebUser(app, "bup")

    [row] = waiting_section(bup.get("/inntak").html).split("<tbody>")[1].split("</tr>")[:1]

    assert "Skolehelsetjenesten på Askøy" in row and "Heidi Helsesykepleier" in row
    assert "Medhenviser: Askøy legesenter" in row


def test_every_row_shown_is_access_logged(world, app):
    open_ids = [referral_of(world, "Barn", s, s)[0] for s in ("submitted", "accepted", "in_treatment")]
    decided, _ = referral_of(world, "Barn", "Avslag", "rejected")
    bup = WebUser(app, "bup")

    bup.get("/inntak")
    assert sorted(listed_for(app, world.users["bup"].id)) == sorted(open_ids)
    bup.get("/inntak?visning=avgjort")
    assert sorted(listed_for(app, world.users["bup"].id)) == sorted([*open_ids, decided])


@pytest.mark.parametrize("tab", ["/inntak", "/inntak?visning=avgjort"])
def test_a_page_costs_the_same_queries_with_three_rows_or_nine(world, app, tab):
    state = "rejected" if "avgjort" in tab else "answered"

    def statements_with(rows: int) -> int:
        for i in range(rows):
            rid, _ = referral_of(world, "Barn", f"Rad{i}", "draft", who="nurse_askoy")
            world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers",
                       json={"organisation_id": world.orgs["gp"].id})
            for step, data in STEPS[state]:
                actor, _, action = step.rpartition(":")
                world.act(actor or "gp", rid, action, data)  # the co-referrer has the right to refer
        bup = WebUser(app, "bup")
        with counted_statements(app) as statements:
            bup.get(tab)
        return len(statements)

    three = statements_with(3)
    nine = statements_with(6)
    assert nine == three


# ---- the assessment page -------------------------------------------------------------------------------------

def test_the_assessment_page_says_who_referred_and_who_co_refers(world, app):
    rid, _ = referral_of(world, "Barn", "Sammen", "draft", who="nurse_askoy")
    world.post("nurse_askoy", f"/api/v1/referrals/{rid}/co-referrers", json={"organisation_id": world.orgs["gp"].id})
    world.act("gp", rid, "submit")

    page = WebUser(app, "bup").get(f"/inntak/{rid}")

    assert page.by_id["henvist-av"] == "Heidi Helsesykepleier, Skolehelsetjenesten på Askøy (Skolehelsetjenesten)"
    assert page.by_id["medhenvisere"] == "Askøy legesenter (Fastlegekontor)"


def test_the_clinic_reveals_the_full_number_on_request_and_the_reveal_is_logged(world, app):
    rid, number = referral_of(world, "Barn", "Vis")
    bup = WebUser(app, "bup")
    page = bup.get(f"/inntak/{rid}")
    assert number not in page.html and "Vis hele fødselsnummeret" in page.buttons

    form = page.form_for(f"/inntak/{rid}/vis-fodselsnummer")
    revealed = bup.client.post(form["action"], data=form["hidden"])

    assert revealed.status_code == 200 and revealed.headers["Cache-Control"] == "no-store"
    assert number in revealed.get_data(as_text=True)
    assert number not in form["action"]
    with app.extensions["referral_db"].session() as session:
        reveals = session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "reveal_national_id")).all()
    assert [(r.user_id, r.referral_id) for r in reveals] == [(world.users["bup"].id, rid)]


def test_another_clinic_cannot_reveal_the_number(world, app):
    rid, number = referral_of(world, "Barn", "Vis")
    bup2 = WebUser(app, "bup2")
    token = bup2.get("/inntak").hidden("csrf_token")

    refused = bup2.client.post(f"/inntak/{rid}/vis-fodselsnummer", data={"csrf_token": token})

    assert refused.status_code == 404 and number not in refused.get_data(as_text=True)


def test_the_referring_side_is_sent_to_its_own_page_to_reveal_the_number(world, app):
    rid, number = referral_of(world, "Barn", "Vis")
    gp = WebUser(app, "gp")
    token = gp.get(f"/henvisninger/{rid}").hidden("csrf_token")

    answer = gp.client.post(f"/inntak/{rid}/vis-fodselsnummer", data={"csrf_token": token})

    assert answer.status_code == 303 and answer.location.endswith(f"/henvisninger/{rid}")
    with app.extensions["referral_db"].session() as session:
        assert not session.exec(select(AccessLogEntry).where(AccessLogEntry.action == "reveal_national_id")).all()


def test_the_session_holds_the_search_as_the_childs_id(world, app):
    _, number = referral_of(world, "Solveig", "Søkesen")
    bup = WebUser(app, "bup")
    search(bup, number)

    held = session_contents(app, bup)["search"]["inntak"]

    assert held["number"] is True and held["child"] and number not in json.dumps(held)
