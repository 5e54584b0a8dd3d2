"""Signing in on the family page with ID-porten, without a browser: the family callback against a real provider on
this machine (tests/support/oidc_provider.py), on SQLite and PostgreSQL. Whoever proves who they are gets in (the
access rules decide what they see); a token without a valid `pid` is refused with a Norwegian page; staff and
family providers never mix; the identity number is never logged or stored."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest
import requests
from sqlmodel import select

from config import ConfigurationError, load_config
from referral_service import create_app
from referral_service.domain.family import FamilyPerson, FamilySession
from referral_service.security.oidc import providers_from_setting
from tests.support.oidc_provider import PID_CLAIM, helseid_and_entra, idporten, local_provider, with_idporten
from tests.support.world import USERS

PUBLIC = "http://localhost"


@pytest.fixture(scope="module")
def provider():
    with local_provider() as started:
        yield started


@pytest.fixture(scope="module")
def oidc_app(database_url, seeded_world, provider, tmp_path_factory, test_clock):
    staff = helseid_and_entra(provider, entra_organisation_ids=[seeded_world.orgs["bergen"].id])
    config = load_config("test", DATABASE_URL=database_url, DATA_DIR=str(tmp_path_factory.mktemp("family-oidc")),
                         CLOCK=test_clock, PUBLIC_BASE_URL=PUBLIC, OIDC_PROVIDERS=with_idporten(provider, staff))
    return create_app(config)


@pytest.fixture
def browser(oidc_app, world):
    return oidc_app.test_client()


def start(browser, path: str) -> str:
    response = browser.get(path)
    assert response.status_code == 302, response.status_code
    return response.headers["Location"]


def at_provider(authorize_url: str, subject: str) -> str:
    """The person signs in at the provider as `subject`: the callback (path and query) it sends them back to."""
    response = requests.post(authorize_url, data={"sub": subject}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"][len(PUBLIC):]


def refusal_reasons(caplog) -> list[str]:
    return [r.reason for r in caplog.records if r.getMessage() == "family sign-in refused"]


def test_the_family_sign_in_page_offers_id_porten_and_no_staff_provider(browser):
    page = browser.get("/familie/logg-inn").get_data(as_text=True)
    assert "Logg inn med ID-porten" in page and 'href="/familie/logg-inn/idporten"' in page
    assert "HelseID" not in page and "Entra" not in page
    staff_page = browser.get("/logg-inn").get_data(as_text=True)
    assert "ID-porten" not in staff_page


def test_a_guardian_signs_in_with_id_porten_and_sees_their_page(browser, world, provider):
    number = world.national_id()
    provider.set_claims("idporten-forelder", {PID_CLAIM: number})
    response = browser.get(at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-forelder"))
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/familie"
    page = browser.get("/familie")
    assert page.status_code == 200 and "Vi fant ingen henvisninger for deg" in page.get_data(as_text=True)
    with world.app.extensions["referral_db"].session() as session:
        person = session.exec(select(FamilyPerson)).one()
        assert number not in json.dumps(person.model_dump(mode="json"))
        assert all(number not in json.dumps(row.model_dump(mode="json"))
                   for row in session.exec(select(FamilySession)))


def test_signing_out_ends_the_family_session(browser, world, provider):
    provider.set_claims("idporten-ut", {PID_CLAIM: world.national_id()})
    browser.get(at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-ut"))
    page = browser.get("/familie").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert browser.post("/familie/logg-ut", data={"csrf_token": token}).status_code == 302
    assert urlsplit(browser.get("/familie").headers["Location"]).path == "/familie/logg-inn"


@pytest.mark.parametrize("claims", [{}, {PID_CLAIM: "1234"}, {PID_CLAIM: "ikke-et-nummer"},
                                    {"email": "forelder@example.no"}])
def test_an_id_token_without_a_valid_pid_is_refused_with_a_norwegian_page(browser, provider, caplog, claims):
    provider.set_claims("idporten-uten-pid", claims)
    response = browser.get(at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-uten-pid"))
    assert response.status_code == 400
    assert "Innloggingen ble ikke fullført" in response.get_data(as_text=True)
    assert refusal_reasons(caplog) == ["pid_invalid"]
    assert urlsplit(browser.get("/familie").headers["Location"]).path == "/familie/logg-inn"


def test_the_family_callback_opened_again_is_refused(browser, world, provider, caplog):
    provider.set_claims("idporten-igjen", {PID_CLAIM: world.national_id()})
    callback = at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-igjen")
    assert browser.get(callback).status_code == 302
    assert browser.get(callback).status_code == 400
    assert refusal_reasons(caplog) == ["state_unknown_or_used"]


def test_a_staff_provider_never_signs_anyone_in_on_the_family_page(browser, provider):
    assert browser.get("/familie/logg-inn/entra").status_code == 404
    assert browser.get("/familie/logg-inn/helseid").status_code == 404
    provider.set_claims("entra-stab", {"email": USERS["coordinator_bergen"], "email_verified": True})
    callback = at_provider(start(browser, "/logg-inn/entra"), "entra-stab")
    assert browser.get(callback.replace("/logg-inn/entra/", "/familie/logg-inn/entra/")).status_code == 404
    assert urlsplit(browser.get("/familie").headers["Location"]).path == "/familie/logg-inn"


def test_a_family_provider_never_signs_in_staff(browser, world, provider):
    assert browser.get("/logg-inn/idporten").status_code == 404
    provider.set_claims("idporten-stab", {PID_CLAIM: world.national_id(), "email": USERS["coordinator_bergen"],
                                          "email_verified": True})
    callback = at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-stab")
    assert browser.get(callback.replace("/familie/logg-inn/idporten/", "/logg-inn/idporten/")).status_code == 404
    assert urlsplit(browser.get("/").headers["Location"]).path == "/logg-inn"  # not signed in as staff


def test_sign_ins_and_refusals_are_logged_without_the_identity_number(browser, world, provider, caplog):
    caplog.set_level(logging.INFO, logger="referral_service.services.family.sign_in")
    number = world.national_id()
    provider.set_claims("idporten-logget", {PID_CLAIM: number})
    callback = at_provider(start(browser, "/familie/logg-inn/idporten"), "idporten-logget")
    browser.get(callback)
    browser.get(callback)
    records = [r for r in caplog.records if r.name == "referral_service.services.family.sign_in"]
    assert [r.getMessage() for r in records] == ["family sign-in", "family sign-in refused"]
    assert number not in " ".join(str(vars(r)) for r in records)


def test_a_families_provider_is_known_by_the_identity_number_and_needs_no_allow_list(provider):
    assert providers_from_setting([idporten(provider)])["idporten"].for_families
    for wrong in ({"user_field": "email"}, {"organisation_kinds": ["municipality"]}, {"allow_roles": ["admin"]}):
        with pytest.raises(ConfigurationError):
            providers_from_setting([{**idporten(provider), **wrong}])
    staff = provider.settings(key="entra", name="Entra", user_field="national_id", claims=["pid"],
                              organisation_kinds=["municipality"])
    with pytest.raises(ConfigurationError):
        providers_from_setting([staff])


def test_without_a_families_provider_the_family_sign_in_page_says_so(world):
    page = world.app.test_client().get("/familie/logg-inn").get_data(as_text=True)
    assert "Innlogging for familier er ikke slått på ennå" in page


