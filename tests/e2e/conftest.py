"""Browser tests: the app on SQLite in a live server thread, seen through Debian's Chromium."""

from __future__ import annotations

import pytest

from config import load_config
from referral_service import create_app
from referral_service.migrations import upgrade
from tests.support.browser import chromium, live_server


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{data_dir / 'referrals.sqlite'}"
    upgrade(url)
    return create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data_dir)))


@pytest.fixture(scope="session")
def base_url(e2e_app):
    with live_server(e2e_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with chromium() as launched:
        yield launched
