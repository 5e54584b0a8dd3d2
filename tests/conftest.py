"""Shared test settings. In CI (CI=true) a skipped test fails the run: every test must really run."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Property tests check rules, not speed: on a small, loaded machine an example may take longer than
# hypothesis's default 200 ms deadline, which is a timing assertion the tests must not make.
settings.register_profile("referral-service", deadline=None)
settings.load_profile("referral-service")

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if IN_CI and skipped:
        terminalreporter.write_line(f"CI=true: {len(skipped)} test(s) were skipped; every test must run in CI.",
                                    red=True)


def pytest_sessionfinish(session, exitstatus) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if IN_CI and reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
