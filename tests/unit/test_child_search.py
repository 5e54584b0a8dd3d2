"""The worklists' child search: a full identity number finds exactly its child through the blind index, words find
names, and what is kept in the session holds no number."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, SQLModel, create_engine, select

from config.secret_strength import new_fernet_key
from referral_service.domain.child import Child
from referral_service.domain.national_id import make_synthetic_national_id
from referral_service.security.identity_crypto import IdentityVault
from referral_service.services.children.search import NO_SEARCH, ChildSearch, child_search, search_clause

VAULT = IdentityVault(new_fernet_key())


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[Child.__table__])  # type: ignore[list-item]
    with Session(engine) as session:
        yield session


def register(session: Session, given: str, family: str, number: str) -> Child:
    child = Child(national_id_ciphertext=VAULT.encrypt(number), national_id_index=VAULT.blind_index(number),
                  national_id_kind="fnr", given_name=given, family_name=family, birth_date=date(2014, 3, 2),
                  home_municipality="4601")
    session.add(child)
    session.commit()
    return child


def found(session: Session, search: ChildSearch) -> set[str]:
    clause = search_clause(search, child_id=Child.id, given_name=Child.given_name, family_name=Child.family_name)
    return {f"{c.given_name} {c.family_name}" for c in session.exec(select(Child).where(clause))}


def test_a_full_number_finds_exactly_its_child_and_spaces_do_not_matter(session):
    sara = make_synthetic_national_id(date(2014, 3, 2), seed=1)
    register(session, "Sara", "Nordmann", sara)
    register(session, "Sarah", "Nordli", make_synthetic_national_id(date(2013, 5, 4), seed=2))
    spaced = f"{sara[:6]} {sara[6:]}"
    search = child_search(session, VAULT, spaced)
    assert search.number_typed and found(session, search) == {"Sara Nordmann"}


def test_a_number_nobody_has_finds_no_one_rather_than_everyone(session):
    register(session, "Sara", "Nordmann", make_synthetic_national_id(date(2014, 3, 2), seed=1))
    search = child_search(session, VAULT, make_synthetic_national_id(date(2015, 1, 1), seed=9))
    assert search.active and search.child_id is None
    assert found(session, search) == set()


def test_words_of_a_name_match_given_or_family_name_in_any_case(session):
    register(session, "Sara", "Nordmann", make_synthetic_national_id(date(2014, 3, 2), seed=1))
    register(session, "Ola", "Nordli", make_synthetic_national_id(date(2013, 5, 4), seed=2))
    register(session, "Kari", "Berg", make_synthetic_national_id(date(2012, 7, 6), seed=3))
    assert found(session, child_search(session, VAULT, "nord")) == {"Sara Nordmann", "Ola Nordli"}
    assert found(session, child_search(session, VAULT, "  SARA nord ")) == {"Sara Nordmann"}
    assert found(session, child_search(session, VAULT, "100%_")) == set()  # wildcards are searched as typed
    assert found(session, NO_SEARCH) == {"Sara Nordmann", "Ola Nordli", "Kari Berg"}


def test_what_the_session_keeps_holds_no_identity_number(session):
    number = make_synthetic_national_id(date(2014, 3, 2), seed=1)
    register(session, "Sara", "Nordmann", number)
    search = child_search(session, VAULT, number)
    kept = json.dumps(search.to_session())
    assert number not in kept and number[:6] not in kept
    assert ChildSearch.from_session(json.loads(kept)) == search
    assert "fødselsnummer" == search.shown
    assert ChildSearch.from_session("not a search") == NO_SEARCH
