"""How long each kind of record is kept after its case ended, from the settings (README "Retention")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from referral_service.workflows.repeat_referrals import months_before

#: The kinds of record a sweep handles, in the order it handles them (each is one `retention_run` row per run).
CASE, ALERT, OUTBOX, KEPT_FORM, LOGIN_THROTTLE, SIGN_IN_ADDRESS, WEB_SESSION, ACCESS_LOG = (
    "case", "alert", "outbox", "kept_form", "login_throttle", "sign_in_address", "web_session", "access_log")
#: The family page's (issue 14): its sign-in sessions, and the people who signed in.
FAMILY_SESSION, FAMILY_PERSON = "family_session", "family_person"
KINDS = (CASE, ALERT, OUTBOX, KEPT_FORM, LOGIN_THROTTLE, SIGN_IN_ADDRESS, WEB_SESSION, FAMILY_SESSION, FAMILY_PERSON,
         ACCESS_LOG)


class RetentionSettings(Protocol):
    RETENTION_CASE_YEARS: int
    RETENTION_ALERT_MONTHS: int
    RETENTION_OUTBOX_DAYS: int
    RETENTION_KEPT_FORM_DAYS: int
    RETENTION_LOGIN_THROTTLE_DAYS: int
    RETENTION_WEB_SESSION_DAYS: int
    RETENTION_ACCESS_LOG_YEARS: int
    RETENTION_BATCH: int
    RETENTION_FAMILY_PERSON_DAYS: int


@dataclass(frozen=True)
class RetentionPolicy:
    case_years: int = 5
    alert_months: int = 12
    outbox_days: int = 30
    kept_form_days: int = 1
    login_throttle_days: int = 30
    web_session_days: int = 30
    access_log_years: int = 10
    batch: int = 200
    family_person_days: int = 365

    @classmethod
    def from_settings(cls, config: RetentionSettings) -> RetentionPolicy:
        return cls(case_years=int(config.RETENTION_CASE_YEARS), alert_months=int(config.RETENTION_ALERT_MONTHS),
                   outbox_days=int(config.RETENTION_OUTBOX_DAYS), kept_form_days=int(config.RETENTION_KEPT_FORM_DAYS),
                   login_throttle_days=int(config.RETENTION_LOGIN_THROTTLE_DAYS),
                   web_session_days=int(config.RETENTION_WEB_SESSION_DAYS),
                   access_log_years=int(config.RETENTION_ACCESS_LOG_YEARS), batch=max(1, int(config.RETENTION_BATCH)),
                   family_person_days=int(config.RETENTION_FAMILY_PERSON_DAYS))

    def cut_offs(self, now: datetime) -> dict[str, datetime]:
        """Per kind, the moment before which a record (its case's end, its delivery, its expiry) is due."""
        return {
            CASE: _months_back(now, 12 * self.case_years),
            ALERT: _months_back(now, self.alert_months),
            OUTBOX: now - timedelta(days=self.outbox_days),
            KEPT_FORM: now - timedelta(days=self.kept_form_days),
            LOGIN_THROTTLE: now - timedelta(days=self.login_throttle_days),
            # Where an account signed in from: kept as long as the failed-login counters it is weighed against.
            SIGN_IN_ADDRESS: now - timedelta(days=self.login_throttle_days),
            WEB_SESSION: now - timedelta(days=self.web_session_days),
            # A family member's session lives as long as a staff member's (web/family_session.py), and is kept as long.
            FAMILY_SESSION: now - timedelta(days=self.web_session_days),
            FAMILY_PERSON: now - timedelta(days=self.family_person_days),
            ACCESS_LOG: _months_back(now, 12 * self.access_log_years),
        }


def _months_back(moment: datetime, months: int) -> datetime:
    """The same time of day, `months` calendar months earlier (the month's last day when that month is shorter)."""
    return datetime.combine(months_before(moment.date(), months), moment.timetz())
