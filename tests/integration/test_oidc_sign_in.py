"""Signing in through OpenID Connect, without a browser: the app's callback against a real provider started on
this machine (tests/support/oidc_provider.py), on SQLite and PostgreSQL. A provider only proves who the person is:
an existing, active user is found by HPR number or e-mail, and every other answer is refused and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlmodel import select

from config import ConfigurationError, load_config
from referral_service import create_app
from referral_service.domain.oidc_state import UsedOidcState
from referral_service.domain.organisation import User
from referral_service.security.oidc import SignInRefused, providers_from_setting
from referral_service.services.admin.oidc import use_state, user_for_claims
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.support.oidc_provider import HEALTH_KINDS, HPR_CLAIM, helseid_and_entra, local_provider
from tests.support.world import USERS

PUBLIC = "http://localhost"


@pytest.fixture(scope="module")
def provider():
    with local_provider() as started:
        yield started


@pytest.fixture(scope="module")
def oidc_app(database_url, seeded_world, provider, tmp_path_factory, test_clock):
    config = load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path_factory.mktemp("oidc")),
                         CLOCK=test_clock, PUBLIC_BASE_URL=PUBLIC,
                         OIDC_PROVIDERS=helseid_and_entra(provider, entra_organisation_ids=[
                             seeded_world.orgs["bergen"].id, seeded_world.orgs["gp"].id]))
    return create_app(config)


@pytest.fixture
def browser(oidc_app, world):
    """A browser's cookies on the app with the providers configured."""
    return oidc_app.test_client()


def new_hpr_number() -> str:
    return str(uuid.uuid4().int % 10**9).rjust(9, "1")


def staff_with_hpr_number(world, *, roles=("referrer",), org="gp") -> tuple[str, str]:
    """A new user with an HPR number, created by the administrator through the API: (e-mail, HPR number)."""
    email, hpr = f"lege-{uuid.uuid4().hex[:8]}@askoy.example", new_hpr_number()
    response = world.post("admin", "/api/v1/users", json={
        "email": email, "name": "Hanne Helse", "password": "et-langt-passord-2026",
        "organisation_id": world.orgs[org].id, "roles": list(roles), "profession": "doctor", "hpr_number": hpr})
    assert response.status_code == 201, response.json
    return email, hpr


def start(browser, key: str) -> str:
    """Follow "Logg inn med ..." on the login page: the address the app sends the browser to at the provider."""
    page = browser.get("/logg-inn").get_data(as_text=True)
    assert f'href="/logg-inn/{key}"' in page
    response = browser.get(f"/logg-inn/{key}")
    assert response.status_code == 302
    return response.headers["Location"]


def sign_in_at_provider(authorize_url: str, subject: str) -> str:
    """The person signs in at the provider as `subject`: the app's callback address (path and query) it sends
    the browser back to."""
    response = requests.post(authorize_url, data={"sub": subject}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(PUBLIC)
    return location[len(PUBLIC):]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def refusal_reasons(caplog) -> list[str]:
    """The reasons the service logged for the sign-ins it refused."""
    return [r.reason for r in caplog.records if r.getMessage() == "oidc sign-in refused"]


def signed_in_start_page(browser) -> str:
    """Where the start page sends the browser: the role's own page when signed in, else the login page."""
    return urlsplit(browser.get("/").headers["Location"]).path


# --- who gets in ---------------------------------------------------------------------------------------------

def test_a_user_mapped_by_hpr_number_signs_in_with_helseid_and_gets_their_roles_start_page(browser, world,
                                                                                             provider):
    _, hpr = staff_with_hpr_number(world)
    provider.set_claims("helseid-person-1", {HPR_CLAIM: hpr, "name": "Hanne Helse"})
    callback = sign_in_at_provider(start(browser, "helseid"), "helseid-person-1")
    response = browser.get(callback)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/"
    assert signed_in_start_page(browser) == "/henvisninger"  # a referrer's start page


def test_a_user_mapped_by_email_signs_in_with_entra_id(browser, provider):
    provider.set_claims("entra-koordinator",
                        {"email": USERS["coordinator_bergen"].upper(), "email_verified": True})
    response = browser.get(sign_in_at_provider(start(browser, "entra"), "entra-koordinator"))
    assert response.status_code == 302
    assert signed_in_start_page(browser) == "/tilbakehenvisninger"  # the municipality's tasks


def test_entra_falls_back_to_preferred_username_when_there_is_no_email(browser, provider):
    provider.set_claims("entra-upn", {"preferred_username": USERS["coordinator_bergen"]})
    browser.get(sign_in_at_provider(start(browser, "entra"), "entra-upn"))
    assert signed_in_start_page(browser) == "/tilbakehenvisninger"


# --- who does not --------------------------------------------------------------------------------------------

def test_an_unknown_subject_gets_a_norwegian_refusal_and_is_not_signed_in(browser, provider):
    provider.set_claims("ukjent-person", {"email": "ukjent@annen-kommune.example", "email_verified": True})
    response = browser.get(sign_in_at_provider(start(browser, "entra"), "ukjent-person"))
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Du har ikke tilgang her" in page and "Be administratoren din om tilgang." in page
    assert "ukjent@annen-kommune.example" not in page
    assert signed_in_start_page(browser) == "/logg-inn"


def test_helseid_does_not_map_by_email_when_it_maps_by_hpr_number(browser, world, provider):
    email, _ = staff_with_hpr_number(world)
    provider.set_claims("helseid-uten-hpr", {"email": email})
    response = browser.get(sign_in_at_provider(start(browser, "helseid"), "helseid-uten-hpr"))
    assert response.status_code == 403
    assert signed_in_start_page(browser) == "/logg-inn"


def test_a_deactivated_user_is_refused_like_an_unknown_one(browser, world, provider, oidc_app):
    _, hpr = staff_with_hpr_number(world)
    with oidc_app.extensions["referral_db"].session() as session:
        user = session.exec(select(User).where(User.hpr_number == hpr)).one()
        user.active = False
        session.add(user)
        session.commit()
    provider.set_claims("helseid-sluttet", {HPR_CLAIM: hpr})
    response = browser.get(sign_in_at_provider(start(browser, "helseid"), "helseid-sluttet"))
    assert response.status_code == 403 and "Du har ikke tilgang her" in response.get_data(as_text=True)


# --- whose staff a provider may sign in ------------------------------------------------------------------

def test_entra_does_not_sign_in_a_bup_intake_user_even_by_a_verified_email(browser, provider, caplog):
    provider.set_claims("entra-bup", {"email": USERS["bup"], "email_verified": True})
    response = browser.get(sign_in_at_provider(start(browser, "entra"), "entra-bup"))
    assert response.status_code == 403 and "Du har ikke tilgang her" in response.get_data(as_text=True)
    assert refusal_reasons(caplog) == ["organisation_not_allowed"]
    assert signed_in_start_page(browser) == "/logg-inn"


def test_entra_does_not_sign_in_the_administrator_or_the_auditor(browser, provider):
    for who in ("admin", "auditor"):
        provider.set_claims(f"entra-{who}", {"email": USERS[who], "email_verified": True})
        response = browser.get(sign_in_at_provider(start(browser, "entra"), f"entra-{who}"))
        assert response.status_code == 403 and "Du har ikke tilgang her" in response.get_data(as_text=True)
        assert signed_in_start_page(browser) == "/logg-inn"


def test_helseid_does_not_sign_in_staff_outside_health_organisations(browser, world, provider, caplog):
    _, hpr = staff_with_hpr_number(world, org="barnevern_askoy")
    provider.set_claims("helseid-barnevern", {HPR_CLAIM: hpr})
    response = browser.get(sign_in_at_provider(start(browser, "helseid"), "helseid-barnevern"))
    assert response.status_code == 403 and "Du har ikke tilgang her" in response.get_data(as_text=True)
    assert refusal_reasons(caplog) == ["organisation_not_allowed"]


def test_an_administrator_is_signed_in_only_by_a_provider_that_names_the_role(oidc_app, world, provider):
    """Even a provider for the operator organisation finds no administrator or auditor unless `allow_roles`
    names the role."""
    operator = world.orgs["operator"].id
    entry = provider.settings(key="drift", name="Drift", user_field="email", claims=["email"],
                              organisation_ids=[operator])
    without = providers_from_setting([entry])["drift"]
    with_admin = providers_from_setting([{**entry, "allow_roles": ["admin"]}])["drift"]
    with oidc_app.extensions["referral_db"].session() as session:
        for who in ("admin", "auditor"):
            with pytest.raises(SignInRefused) as refused:
                user_for_claims(session, provider=without, claims={"email": USERS[who], "email_verified": True})
            assert refused.value.reason == "role_not_allowed"
        admin = user_for_claims(session, provider=with_admin, claims={"email": USERS["admin"], "email_verified": True})
        assert admin.email == USERS["admin"]
        with pytest.raises(SignInRefused):
            user_for_claims(session, provider=with_admin, claims={"email": USERS["auditor"], "email_verified": True})


def test_an_email_the_token_does_not_call_verified_is_refused_like_an_unknown_person(browser, provider, caplog):
    for n, verified in enumerate(({}, {"email_verified": False}, {"email_verified": "true"})):
        provider.set_claims(f"entra-uverifisert-{n}", {"email": USERS["coordinator_bergen"], **verified})
        response = browser.get(sign_in_at_provider(start(browser, "entra"), f"entra-uverifisert-{n}"))
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Du har ikke tilgang her" in page and "Be administratoren din om tilgang." in page
        assert signed_in_start_page(browser) == "/logg-inn"
    assert refusal_reasons(caplog) == ["email_not_verified"] * 3


def test_an_unverified_email_gives_way_to_the_claim_the_provider_vouches_for(browser, provider):
    provider.set_claims("entra-begge", {"email": USERS["bup"], "preferred_username": USERS["coordinator_bergen"]})
    browser.get(sign_in_at_provider(start(browser, "entra"), "entra-begge"))
    assert signed_in_start_page(browser) == "/tilbakehenvisninger"


# --- state and nonce ---------------------------------------------------------------------------------------

def test_the_callback_opened_again_is_refused(browser, provider, caplog):
    provider.set_claims("entra-gjentatt", {"email": USERS["gp"], "email_verified": True})
    callback = sign_in_at_provider(start(browser, "entra"), "entra-gjentatt")
    assert browser.get(callback).status_code == 302
    replayed = browser.get(callback)
    assert replayed.status_code == 400
    assert "Påloggingen ble ikke fullført" in replayed.get_data(as_text=True)
    assert refusal_reasons(caplog) == ["state_unknown_or_used"]


def test_a_saved_cookie_replayed_with_the_same_state_and_a_fresh_code_is_refused(browser, oidc_app, provider,
                                                                                   caplog):
    """The started sign-in lives in the browser's signed cookie: a copy saved before the callback still holds the
    state, so the service remembers used states itself."""
    provider.set_claims("entra-kopi", {"email": USERS["gp"], "email_verified": True})
    authorize = start(browser, "entra")
    cookie_name = oidc_app.config["SESSION_COOKIE_NAME"]
    saved = browser.get_cookie(cookie_name)
    assert saved is not None
    assert browser.get(sign_in_at_provider(authorize, "entra-kopi")).status_code == 302
    browser.set_cookie(cookie_name, saved.value)  # the pre-callback cookie back
    replayed = browser.get(sign_in_at_provider(authorize, "entra-kopi"))  # a fresh code and ID token
    assert replayed.status_code == 400
    assert "Påloggingen ble ikke fullført" in replayed.get_data(as_text=True)
    assert refusal_reasons(caplog) == ["state_unknown_or_used"]
    assert signed_in_start_page(browser) == "/logg-inn"


def test_only_the_hash_of_a_used_state_is_kept_and_only_for_a_sign_in_s_life(oidc_app, world, clock):
    clock.set(datetime.now(UTC))
    database = oidc_app.extensions["referral_db"]
    within = timedelta(minutes=10)
    use_state(SqlUnitOfWork(database.new_session, close=True), "gammel-tilstand", now=clock(), within=within)
    with pytest.raises(SignInRefused):
        use_state(SqlUnitOfWork(database.new_session, close=True), "gammel-tilstand", now=clock(),
                  within=within)
    clock.advance(timedelta(minutes=11))
    use_state(SqlUnitOfWork(database.new_session, close=True), "ny-tilstand", now=clock(), within=within)
    with database.session() as session:
        kept = [row.state_hash for row in session.exec(select(UsedOidcState))]
    assert kept == [hashlib.sha256(b"ny-tilstand").hexdigest()]


def test_a_callback_in_another_browser_is_refused(browser, oidc_app, provider):
    provider.set_claims("entra-stjalet", {"email": USERS["gp"], "email_verified": True})
    callback = sign_in_at_provider(start(browser, "entra"), "entra-stjalet")
    other = oidc_app.test_client()
    assert other.get(callback).status_code == 400
    assert signed_in_start_page(other) == "/logg-inn"
    assert browser.get(callback).status_code == 302  # the browser that started it still may, once


def test_an_id_token_with_another_nonce_is_refused(browser, provider, caplog):
    provider.set_claims("entra-nonce", {"email": USERS["gp"], "email_verified": True})
    # The provider is asked with this sign-in's state but another nonce: its ID token carries that nonce.
    authorize = with_query(start(browser, "entra"), nonce="en-annen-nonce")
    response = browser.get(sign_in_at_provider(authorize, "entra-nonce"))
    assert response.status_code == 400
    assert refusal_reasons(caplog) == ["id_token_nonce"]
    assert signed_in_start_page(browser) == "/logg-inn"


def test_a_state_of_another_provider_is_refused(browser, provider, caplog):
    provider.set_claims("entra-feil-tilbake", {"email": USERS["gp"], "email_verified": True})
    callback = sign_in_at_provider(start(browser, "entra"), "entra-feil-tilbake")
    assert browser.get(callback.replace("/logg-inn/entra/", "/logg-inn/helseid/")).status_code == 400
    assert refusal_reasons(caplog) == ["state_of_another_provider"]
    assert signed_in_start_page(browser) == "/logg-inn"


def test_a_sign_in_finished_after_its_time_is_refused(browser, provider, clock, caplog):
    clock.set(datetime.now(UTC))
    provider.set_claims("entra-treg", {"email": USERS["gp"], "email_verified": True})
    callback = sign_in_at_provider(start(browser, "entra"), "entra-treg")
    clock.advance(timedelta(minutes=11))
    assert browser.get(callback).status_code == 400
    assert refusal_reasons(caplog) == ["state_expired"]
    assert signed_in_start_page(browser) == "/logg-inn"


def test_a_sign_in_cancelled_at_the_provider_is_refused(browser):
    authorize = start(browser, "entra")
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = browser.get("/logg-inn/entra/tilbake?" + urlencode({"error": "access_denied", "state": state}))
    assert response.status_code == 400
    assert "Påloggingen ble ikke fullført" in response.get_data(as_text=True)


# --- the login page, the settings and the log ---------------------------------------------------------------

def test_the_login_page_has_a_button_per_provider_above_the_password_form(browser):
    page = browser.get("/logg-inn").get_data(as_text=True)
    helseid, entra = page.index("Logg inn med HelseID"), page.index("Logg inn med Kommunens pålogging (Entra ID)")
    assert helseid < entra < page.index('name="password"')


def test_without_providers_the_login_page_has_passwords_only(world):
    page = world.client.get("/logg-inn").get_data(as_text=True)
    assert "Logg inn med" not in page and 'name="password"' in page
    assert world.client.get("/logg-inn/helseid").status_code == 404


def test_an_unconfigured_provider_is_not_found(browser):
    assert browser.get("/logg-inn/idporten").status_code == 404
    assert browser.get("/logg-inn/idporten/tilbake?state=x&code=y").status_code == 404


def test_a_malformed_provider_setting_stops_the_start(tmp_path, database_url):
    for setting in ("[{", '[{"key": "helseid"}]', '[{"key": "x y", "name": "X", "issuer": "http://idp.example",'
                    ' "client_id": "c", "user_field": "fnr", "claims": ["pid"]}]'):
        with pytest.raises(ConfigurationError):
            create_app(load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path),
                                   OIDC_PROVIDERS=setting))


def test_a_provider_without_an_allow_list_stops_the_start(tmp_path, database_url, provider):
    bare = provider.settings(key="entra", name="Entra", user_field="email", claims=["email"])
    with pytest.raises(ConfigurationError, match="organisation_ids .*and/or organisation_kinds"):
        create_app(load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path),
                               OIDC_PROVIDERS=json.dumps([bare])))
    for wrong in ({"organisation_kinds": ["sykehus"]}, {"organisation_ids": "abc"},
                  {"organisation_kinds": ["municipality"], "allow_roles": ["bup_intake"]},
                  {"organisation_kinds": ["municipality"], "verified_claims": "upn"}):
        with pytest.raises(ConfigurationError):
            providers_from_setting([{**bare, **wrong}])


def test_the_setting_can_hold_a_families_provider_that_the_login_page_does_not_offer(provider):
    idporten = provider.settings(key="idporten", name="ID-porten", user_field="national_id", claims=["pid"])
    providers = providers_from_setting([{**idporten, "allowed_for": "families"}])
    assert providers["idporten"].allowed_for == "families"


def test_sign_ins_and_refusals_are_logged_without_claims_or_tokens(browser, provider, caplog):
    caplog.set_level(logging.INFO, logger="referral_service.services.admin.oidc")
    provider.set_claims("entra-logget", {"email": USERS["gp"], "email_verified": True})
    callback = sign_in_at_provider(start(browser, "entra"), "entra-logget")
    browser.get(callback)
    browser.get(callback)
    records = [r for r in caplog.records if r.name == "referral_service.services.admin.oidc"]
    assert [(r.getMessage(), r.provider) for r in records] == [("oidc sign-in", "entra"),
                                                                 ("oidc sign-in refused", "entra")]
    assert records[1].reason == "state_unknown_or_used"
    code = parse_qs(urlsplit(callback).query)["code"][0]
    logged = " ".join(str(vars(r)) for r in records)
    assert USERS["gp"] not in logged and code not in logged and "entra-logget" not in logged


# --- the HPR number on the user ----------------------------------------------------------------------------

def test_an_hpr_number_is_given_to_one_user_only(world):
    _, hpr = staff_with_hpr_number(world)
    response = world.post("admin", "/api/v1/users", json={
        "email": f"andre-{uuid.uuid4().hex[:8]}@askoy.example", "name": "Andre", "password": "et-langt-passord-2026",
        "organisation_id": world.orgs["gp"].id, "roles": ["referrer"], "hpr_number": hpr})
    assert response.status_code == 422 and "hpr_number" in response.json["errors"]


def test_an_hpr_number_is_digits(world):
    response = world.post("admin", "/api/v1/users", json={
        "email": f"tredje-{uuid.uuid4().hex[:8]}@askoy.example", "name": "Tredje",
        "password": "et-langt-passord-2026", "organisation_id": world.orgs["gp"].id, "roles": ["referrer"],
        "hpr_number": "12ab"})
    assert response.status_code == 422 and "hpr_number" in response.json["errors"]


# --- the request to the provider ----------------------------------------------------------------------------

def test_the_provider_is_asked_for_a_code_with_a_pkce_challenge_state_and_nonce(browser):
    query = parse_qs(urlsplit(start(browser, "helseid")).query)
    with browser.session_transaction() as session:
        (started,) = session["oidc_pending"].values()
    assert query["response_type"] == ["code"] and query["client_id"] == ["henvisning-helseid"]
    assert query["state"] == [started["state"]] and query["nonce"] == [started["nonce"]]
    assert query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] == [create_s256_code_challenge(started["code_verifier"])]
    assert query["redirect_uri"] == [f"{PUBLIC}/logg-inn/helseid/tilbake"]


def test_the_page_the_person_was_going_to_opens_after_signing_in(browser, provider):
    provider.set_claims("entra-videre", {"email": USERS["gp"], "email_verified": True})
    page = browser.get("/logg-inn?next=/varsler").get_data(as_text=True)
    assert 'href="/logg-inn/entra?next=/varsler"' in page
    authorize = browser.get("/logg-inn/entra?next=/varsler").headers["Location"]
    response = browser.get(sign_in_at_provider(authorize, "entra-videre"))
    assert urlsplit(response.headers["Location"]).path == "/varsler"


def test_a_next_page_on_another_site_is_not_followed(browser, provider):
    provider.set_claims("entra-borte", {"email": USERS["gp"], "email_verified": True})
    authorize = browser.get("/logg-inn/entra?next=//evil.example/").headers["Location"]
    response = browser.get(sign_in_at_provider(authorize, "entra-borte"))
    assert response.headers["Location"] == "/"


def test_a_provider_that_cannot_be_reached_gets_a_norwegian_page(tmp_path, database_url, provider):
    unreachable = {**provider.settings(key="helseid", name="HelseID", user_field="hpr_number", claims=[HPR_CLAIM],
                                       organisation_kinds=HEALTH_KINDS),
                   "issuer": "http://127.0.0.1:1"}
    app = create_app(load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path),
                                 OIDC_PROVIDERS=json.dumps([unreachable]), OIDC_HTTP_TIMEOUT_SECONDS=2.0))
    client = app.test_client()
    response = client.get("/logg-inn/helseid")
    assert response.status_code == 502
    assert "Vi kunne ikke fullføre påloggingen med HelseID" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert not session.get("oidc_pending")
