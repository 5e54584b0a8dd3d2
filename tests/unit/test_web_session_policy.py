"""The rules of a web session's life (domain/web_session.py): idle time from the last request, a cap from signing in,
an ended session stays ended, and the last request is written down at most once a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral_service.domain.web_session import IDLE, LOGGED_OUT, TOO_OLD, SessionPolicy, WebSession

SIGNED_IN = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(minutes=30), max_age=timedelta(hours=10))


def session(*, last_seen: timedelta = timedelta(0), ended: str | None = None) -> WebSession:
    return WebSession(id_hash="x" * 64, user_id="u", created_at=SIGNED_IN, last_seen_at=SIGNED_IN + last_seen,
                      ended_at=SIGNED_IN if ended else None, ended_reason=ended)


def test_twenty_nine_idle_minutes_hold_and_thirty_end_it():
    assert POLICY.why_over(session(), SIGNED_IN + timedelta(minutes=29)) is None
    assert POLICY.why_over(session(), SIGNED_IN + timedelta(minutes=30)) == IDLE


def test_idle_time_counts_from_the_last_request():
    active = session(last_seen=timedelta(hours=2))
    assert POLICY.why_over(active, SIGNED_IN + timedelta(hours=2, minutes=29)) is None
    assert POLICY.ends_at(active) == SIGNED_IN + timedelta(hours=2, minutes=30)


def test_ten_hours_after_signing_in_it_ends_however_active():
    active = session(last_seen=timedelta(hours=9, minutes=50))
    assert POLICY.ends_at(active) == SIGNED_IN + timedelta(hours=10)
    assert POLICY.why_over(active, SIGNED_IN + timedelta(hours=10)) == TOO_OLD


def test_an_ended_session_stays_ended_with_its_reason():
    assert POLICY.why_over(session(ended=LOGGED_OUT), SIGNED_IN) == LOGGED_OUT


def test_the_last_request_is_written_down_at_most_once_a_minute():
    assert not POLICY.needs_refresh(session(), SIGNED_IN + timedelta(seconds=59))
    assert POLICY.needs_refresh(session(), SIGNED_IN + timedelta(minutes=1))
