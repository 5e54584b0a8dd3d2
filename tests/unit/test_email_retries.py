"""The retry schedule of a transiently failed alert e-mail (workflows/email_retries.py), and the one public
address every link reads (REFERRAL_BASE_URL, with REFERRAL_PUBLIC_BASE_URL as its old name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.settings import TestConfig as Settings
from referral_service.workflows.email_retries import EmailRetryPolicy

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def policy(draw: float = 0.5, jitter: float = 0.2) -> EmailRetryPolicy:
    return EmailRetryPolicy(base_seconds=30, max_seconds=3600, window=timedelta(hours=24), jitter=jitter,
                            draw=lambda: draw)


def test_the_wait_doubles_after_each_failure_up_to_the_maximum():
    waits = [policy().delay(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert policy().delay(10_000) == timedelta(hours=1)  # no overflow however many failures


@pytest.mark.parametrize("draw, seconds", [(0.0, 24), (0.5, 30), (1.0, 36)])
def test_the_jitter_spreads_each_wait_by_its_fraction(draw, seconds):
    until = NOW + timedelta(hours=24)
    assert policy(draw).next_attempt(failures=1, now=NOW, until=until) == NOW + timedelta(seconds=seconds)


def test_the_last_attempt_falls_at_the_end_of_the_window_and_then_it_is_given_up():
    until = policy().retry_until(NOW)
    assert until == NOW + timedelta(hours=24)
    late = until - timedelta(minutes=10)
    assert policy().next_attempt(failures=20, now=late, until=until) == until
    assert policy().next_attempt(failures=21, now=until, until=until) is None


def test_over_a_day_of_failures_there_are_a_few_dozen_attempts_not_thousands():
    now, until, attempts = NOW, policy().retry_until(NOW), 1
    while (now := policy(draw=0.0).next_attempt(failures=attempts, now=now, until=until)) is not None:
        attempts += 1
    assert 25 <= attempts <= 45


def test_the_settings_make_the_policy():
    made = EmailRetryPolicy.from_settings(Settings({"EMAIL_RETRY_BASE_SECONDS": 10, "EMAIL_RETRY_WINDOW_HOURS": 2,
                                                      "EMAIL_RETRY_JITTER": 5}))
    assert (made.base_seconds, made.max_seconds, made.window, made.jitter) == (10, 3600, timedelta(hours=2), 1.0)


def test_the_public_address_is_one_setting_with_the_old_name_still_read(monkeypatch):
    monkeypatch.delenv("REFERRAL_BASE_URL", raising=False)
    monkeypatch.delenv("REFERRAL_PUBLIC_BASE_URL", raising=False)
    assert Settings().BASE_URL == "http://127.0.0.1:8080"
    monkeypatch.setenv("REFERRAL_PUBLIC_BASE_URL", "https://gammel.example/")
    assert Settings().BASE_URL == "https://gammel.example"
    monkeypatch.setenv("REFERRAL_BASE_URL", "https://henvisning.helse-bergen.example")
    assert Settings().BASE_URL == "https://henvisning.helse-bergen.example"  # the new name wins
