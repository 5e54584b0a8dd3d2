"""Forms that keep work: a form posted after the session ended comes back filled in once the same user has signed in
again, to no one else, for two hours; nothing typed reaches the session cookie or the log. And "Lagre utkast"
saves what is valid of a step with errors, and says what it left out."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from referral_service.demo import DEMO_PASSWORD
from tests.integration.test_web_referral_form import (
    Browser,
    field_value,
    parse,
    start_draft,
    step_one,
)
from tests.support.world import USERS

SESSION_COOKIE = "henvisning_session"
DESCRIPTION = "Sover dårlig og gruer seg til skolen hver morgen; har sluttet på fotball i høst."


def sign_in(browser: Browser, who: str):
    """Sign in on the log-in page in this browser (a new session); the answer is the redirect."""
    token = browser.csrf_from("/logg-inn")
    response = browser.client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD,
                                                      "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def signed_out_browser(app) -> Browser:
    browser = Browser.__new__(Browser)
    browser.client = app.test_client()
    return browser


def session_ends(browser: Browser) -> None:
    """The session runs out: the browser drops its cookie (as it does when the cookie expires)."""
    browser.client.delete_cookie(SESSION_COOKIE)


def post_form(browser: Browser, path: str, data: dict, *, token: str):
    """Post a form as it was on the page, with the token the page carried."""
    return browser.client.post(path, data={**data, "csrf_token": token})


def session_contents(app, browser: Browser) -> str:
    cookie = browser.client.get_cookie(SESSION_COOKIE)
    if cookie is None:
        return ""
    return repr(app.session_interface.get_signing_serializer(app).loads(cookie.value))


def step_two(**overrides) -> dict:
    return {"reasons": ["anxiety"], "urgency": "normal", "description": DESCRIPTION,
            "measures_tried": "Samtaler med helsesykepleier.", "handling": "neste", **overrides}


def kept_after_the_session_ended(browser: Browser, path: str, data: dict, *, page: str | None = None):
    """Open the page, let the session end, post the form: it is kept and the browser is sent to sign in."""
    token = browser.csrf_from(page or path)
    session_ends(browser)
    response = post_form(browser, path, data, token=token)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/logg-inn"
    return response


# ---- a post after the session ended -------------------------------------------------------------------

def test_a_step_posted_after_the_session_ended_comes_back_filled_in_after_signing_in(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    step = f"/henvisninger/{referral_id}/steg/2"
    kept_after_the_session_ended(nurse, step, step_two())

    login = parse(nurse.get("/logg-inn"))
    assert "Det du skrev er tatt vare på" in login.text
    assert sign_in(nurse, "nurse_bergen").headers["Location"] == step

    page = parse(nurse.get(step))
    assert field_value(page, "description") == DESCRIPTION
    assert "checked" in page.by_id("felt-reasons-anxiety").attrs
    assert "Det du skrev er fylt inn igjen" in page.text
    # Kept, not saved: the draft is as it was until the step is sent again; and given back once.
    assert world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json["description"] == ""
    assert field_value(parse(nurse.get(step)), "description") == ""


def test_the_form_is_given_back_to_its_user_only(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    step = f"/henvisninger/{referral_id}/steg/2"
    kept_after_the_session_ended(nurse, step, step_two())

    # A colleague signs in on the same browser: they come to their own start page, and see nothing kept.
    assert sign_in(nurse, "gp").headers["Location"] == "/"
    assert DESCRIPTION not in nurse.get("/henvisninger/ny").get_data(as_text=True)
    nurse.client.post("/logg-ut", data={"csrf_token": nurse.csrf_from("/henvisninger")})

    same_nurse_elsewhere = signed_out_browser(app)
    assert sign_in(same_nurse_elsewhere, "nurse_bergen").headers["Location"] == step
    assert field_value(parse(same_nurse_elsewhere.get(step)), "description") == DESCRIPTION


def test_a_kept_form_is_gone_after_two_hours(app, world, test_clock):
    test_clock.set(datetime.now(UTC))
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    step = f"/henvisninger/{referral_id}/steg/2"
    kept_after_the_session_ended(nurse, step, step_two())

    test_clock.set(datetime.now(UTC) + timedelta(hours=2, minutes=1))
    assert sign_in(nurse, "nurse_bergen").headers["Location"] == "/"
    assert field_value(parse(nurse.get(step)), "description") == ""


def test_nothing_typed_reaches_the_session_cookie_or_the_log(app, world, caplog):
    caplog.set_level(logging.DEBUG)
    nurse = Browser(app, "nurse_bergen")
    typed = step_one(world, **{"child.given_name": "Ingeborg", "child.family_name": "Gjemmesen"})
    number = typed["child.national_id"]
    kept_after_the_session_ended(nurse, "/henvisninger/ny", typed)

    for seen in (session_contents(app, nurse), caplog.text):
        assert number not in seen and "Gjemmesen" not in seen and "Mor Testesen" not in seen
    assert world.get("nurse_bergen", "/api/v1/referrals").json["total"] == 0

    assert sign_in(nurse, "nurse_bergen").headers["Location"] == "/henvisninger/ny"
    page = parse(nurse.get("/henvisninger/ny"))
    assert field_value(page, "child.national_id") == number
    assert field_value(page, "child.family_name") == "Gjemmesen"
    for seen in (session_contents(app, nurse), caplog.text):
        assert number not in seen and "Gjemmesen" not in seen


def test_a_decision_posted_after_the_session_ended_comes_back_filled_in(app, world):
    referral = world.referral_in("submitted")
    bup = Browser(app, "bup")
    page = f"/inntak/{referral['id']}"
    explanation = "Vansker som best følges opp i kommunen; ingen tegn til alvorlig psykisk lidelse."
    kept_after_the_session_ended(bup, f"{page}/avslag", {
        "reason_code": "other", "explanation": explanation, "municipal_advice": "Følg opp med helsesykepleier."},
        page=page)

    assert sign_in(bup, "bup").headers["Location"] == f"{page}/avslag"
    shown = parse(bup.get(f"{page}/avslag"))
    assert field_value(shown, "explanation") == explanation
    assert "Det du skrev er fylt inn igjen" in shown.text
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == "submitted"
    # Without a kept form the form's address leads to the page.
    assert bup.get(f"{page}/avslag").headers["Location"] == page


def test_an_answer_to_bup_posted_after_the_session_ended_comes_back_filled_in(app, world):
    referral = world.referral_in("information_requested")
    gp = Browser(app, "gp")
    page = f"/henvisninger/{referral['id']}"
    answer = "Plagene startet etter flyttingen i august; skolen har meldt fravær to dager i uken."
    kept_after_the_session_ended(gp, f"{page}/svar", {"text": answer}, page=page)

    assert sign_in(gp, "gp").headers["Location"] == f"{page}/svar"
    shown = parse(gp.get(f"{page}/svar"))
    assert field_value(shown, "text") == answer
    assert "Det du skrev er fylt inn igjen" in shown.text
    assert world.get("gp", f"/api/v1/referrals/{referral['id']}").json["status"] == "information_requested"
    # Given back once; without a kept form the form's address leads to the referral page.
    assert gp.get(f"{page}/svar").headers["Location"] == page


def test_a_session_past_its_longest_life_keeps_the_form_too(app, world, test_clock):
    start = datetime.now(UTC)
    test_clock.set(start)
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    step = f"/henvisninger/{referral_id}/steg/2"
    token = nurse.csrf_from(step)
    test_clock.set(start + timedelta(hours=10, minutes=1))  # past the session's longest life (the server's clock)

    assert post_form(nurse, step, step_two(), token=token).headers["Location"] == "/logg-inn"
    assert sign_in(nurse, "nurse_bergen").headers["Location"] == step


def test_a_form_whose_token_names_no_one_is_refused_as_before(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    session_ends(nurse)
    response = post_form(nurse, f"/henvisninger/{referral_id}/steg/2", step_two(), token="forged")
    assert response.status_code == 400
    assert "Skjemaet er utløpt" in response.get_data(as_text=True)
    assert sign_in(nurse, "nurse_bergen").headers["Location"] == "/"


# ---- when the session ends ---------------------------------------------------------------------------

def test_every_signed_in_page_says_when_the_session_ends_and_it_can_be_extended(app, world):
    nurse = Browser(app, "nurse_bergen")
    notice = parse(nurse.get("/henvisninger")).by_id("okt-slutt").text
    assert re.fullmatch(r"Du blir logget ut kl\. \d\d:\d\d hvis du ikke gjør noe\.", notice)
    extended = nurse.client.post("/okt/forleng", data={"csrf_token": nurse.csrf_from("/henvisninger")})
    assert extended.status_code == 200
    assert re.fullmatch(r"\d\d:\d\d", extended.json["ends_at"])
    assert 29 * 60 <= extended.json["seconds_left"] <= 30 * 60
    assert parse(app.test_client().get("/logg-inn")).by_id("okt-slutt") is None


# ---- Lagre utkast with what is valid -----------------------------------------------------------------

def test_saving_a_new_draft_with_a_guardian_left_half_filled_saves_the_rest(app, world):
    nurse = Browser(app, "nurse_bergen")
    typed = step_one(world, **{"child.guardians.1.phone": "41111111", "handling": "lagre"})
    response = nurse.post("/henvisninger/ny", typed)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = parse(response)
    assert "Utkastet er lagret, men ikke foresatt 2." in page.text
    assert page.by_id("felt-child-guardians-1-name-feil").text == "Skriv navnet på den foresatte."
    assert field_value(page, "child.guardians.1.phone") == "41111111"
    assert typed["child.national_id"] not in response.get_data(as_text=True)  # saved: never shown again
    [draft] = world.get("nurse_bergen", "/api/v1/referrals").json["items"]
    saved = world.get("nurse_bergen", f"/api/v1/referrals/{draft['id']}").json
    assert saved["child"]["family_name"] == "Testesen" and saved["status"] == "draft"
    assert [g["name"] for g in saved["child"]["guardians"]] == ["Mor Testesen"]


def test_a_new_draft_without_the_clinic_is_not_saved_and_says_what_it_needs(app, world):
    nurse = Browser(app, "nurse_bergen")
    response = nurse.post("/henvisninger/ny", step_one(world, clinic_id="", handling="lagre"))
    assert response.status_code == 422
    page = parse(response)
    assert "Utkastet er ikke lagret ennå" in page.text
    assert field_value(page, "child.family_name") == "Testesen"
    assert world.get("nurse_bergen", "/api/v1/referrals").json["total"] == 0


def test_saving_step_one_of_a_draft_with_a_missing_name_saves_the_other_fields(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    response = nurse.post(f"/henvisninger/{referral_id}/steg/1", step_one(world, **{
        "child.national_id": "", "child.given_name": "Kari", "child.family_name": "", "handling": "lagre"}))
    assert response.status_code == 200
    page = parse(response)
    assert "Utkastet er lagret, men ikke barnets etternavn" in page.text
    assert page.by_id("felt-child-family-name-feil").text == "Skriv barnets etternavn."
    child = world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json["child"]
    assert (child["given_name"], child["family_name"]) == ("Kari", "Testesen")


def test_saving_step_five_with_a_half_filled_contact_saves_the_other_contacts(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    response = nurse.post(f"/henvisninger/{referral_id}/steg/5", {
        "municipal_contacts.0.role": "Lærer", "municipal_contacts.0.name": "Lise Lærer",
        "municipal_contacts.0.organisation_id": "", "municipal_contacts.1.role": "Helsesykepleier",
        "municipal_contacts.1.name": "", "municipal_contacts.1.organisation_id": "", "handling": "lagre"})
    assert response.status_code == 200
    page = parse(response)
    assert "Utkastet er lagret, men ikke kontaktperson 2." in page.text
    assert field_value(page, "municipal_contacts.1.role") == "Helsesykepleier"
    saved = world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json
    assert [c["name"] for c in saved["municipal_contacts"]] == ["Lise Lærer"]


def test_saving_a_later_step_with_a_refused_choice_saves_the_other_fields(app, world):
    nurse = Browser(app, "nurse_bergen")
    referral_id = start_draft(nurse, world)
    response = nurse.post(f"/henvisninger/{referral_id}/steg/2", step_two(handling="lagre", urgency="kanskje"))
    assert response.status_code == 200
    assert "Utkastet er lagret, men ikke hvor mye det haster" in parse(response).text
    saved = world.get("nurse_bergen", f"/api/v1/referrals/{referral_id}").json
    assert saved["reasons"] == ["anxiety"] and saved["description"] == DESCRIPTION
    assert saved["urgency"] == "normal"
