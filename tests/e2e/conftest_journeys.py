"""Fixtures for the browser journeys, loaded by test_journeys.py through `pytest_plugins`.

tests/e2e/conftest.py stays as it is. The journeys run on the shared session app (`e2e_app`) with the demo
organisations and users seeded once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import select

from referral_service.demo import seed_demo
from referral_service.domain.organisation import User
from referral_service.services.unit_of_work import SqlUnitOfWork
from tests.e2e.helpers import CONTEXT_OPTIONS, NURSE, A11yAudit
from tests.support.loop import InProcessWorker


@pytest.fixture(scope="session")
def demo_data(e2e_app) -> None:
    """The demo organisations and users, seeded once however many modules ask for them."""
    with e2e_app.extensions["referral_db"].session() as session:
        if session.exec(select(User).where(User.email == NURSE)).first() is None:
            seed_demo(SqlUnitOfWork.on(session))
            session.commit()


@pytest.fixture(scope="module")
def worker(e2e_app) -> InProcessWorker:
    """Does the background work (handovers, alerts, e-mails into a FakeMailer) when a test calls run()."""
    return InProcessWorker(e2e_app)


@pytest.fixture(scope="module")
def story() -> dict[str, str]:
    """What one journey leaves for the next (referral and handover addresses), in file order."""
    return {}


@pytest.fixture
def open_page(browser) -> Iterator[Callable]:
    """A new page in its own browser context (its own session cookie), so each person logs in alone."""
    contexts = []

    def new_page():
        context = browser.new_context(**CONTEXT_OPTIONS)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def audit(request) -> A11yAudit:
    return A11yAudit(journey=request.node.name)
