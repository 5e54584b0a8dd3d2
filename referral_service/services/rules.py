"""The settings-derived rules and outside systems (clock, calendar, key vault) services need."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from config import BaseConfig
from referral_service.domain.types import utcnow
from referral_service.security.identity_crypto import IdentityVault, master_key_from
from referral_service.workflows.calendar import WorkingDayCalendar


@dataclass(frozen=True)
class ServiceRules:
    calendar: WorkingDayCalendar
    vault: IdentityVault
    allow_synthetic_ids: bool
    assessment_working_days: int
    always_referring: tuple[str, ...]
    conditionally_referring: tuple[str, ...]
    token_lifetime_minutes: int
    assessment_warning_working_days: int = 2
    handover_acknowledge_days: int = 2
    handover_first_contact_days: int = 10
    max_failed_logins: int = 10
    lockout_minutes: int = 15
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Oslo"))
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today's date in Norway."""
        return self.clock().astimezone(self.timezone).date()


def rules_from_config(config: BaseConfig) -> ServiceRules:
    """The rules for these settings; the clock is the setting CLOCK when given (tests set it), else real time."""
    get = lambda name: getattr(config, name)  # noqa: E731
    clock: Callable[[], datetime] = getattr(config, "CLOCK", None) or utcnow
    return ServiceRules(
        calendar=WorkingDayCalendar(saturday_is_working_day=get("SATURDAY_IS_WORKING_DAY")),
        vault=IdentityVault(master_key_from(config)),
        allow_synthetic_ids=get("ALLOW_SYNTHETIC_IDS"),
        assessment_working_days=get("ASSESSMENT_WORKING_DAYS"),
        always_referring=tuple(get("ALWAYS_REFERRING_PROFESSIONS")),
        conditionally_referring=tuple(get("CONDITIONALLY_REFERRING_PROFESSIONS")),
        token_lifetime_minutes=get("TOKEN_LIFETIME_MINUTES"),
        assessment_warning_working_days=get("ASSESSMENT_WARNING_WORKING_DAYS"),
        handover_acknowledge_days=get("HANDOVER_ACKNOWLEDGE_WORKING_DAYS"),
        handover_first_contact_days=get("HANDOVER_FIRST_CONTACT_WORKING_DAYS"),
        max_failed_logins=get("MAX_FAILED_LOGINS"),
        lockout_minutes=get("LOCKOUT_MINUTES"),
        timezone=ZoneInfo(get("TIMEZONE")),
        clock=clock,
    )
