"""The composition root: everything the service is made of, built once from the settings.

`create_app` calls `build`; the worker, the command line and the tests take what they need from the
app it returns (`dependencies(app)`), so there is one way to put the service together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from config import BaseConfig
from referral_service.clock import Clock
from referral_service.db import Database
from referral_service.domain.municipalities import MunicipalityRegister, load_register
from referral_service.domain.types import utcnow
from referral_service.notify.mailer import FileMailer, Mailer, SmtpMailer, message_id_domain
from referral_service.outbox_bell import OutboxBell
from referral_service.security.access_log import audit_key, configure_access_log
from referral_service.security.access_log_checkpoints import checkpoint_dir
from referral_service.security.identity_crypto import IdentityVault
from referral_service.security.identity_numbers import IdentityNumbers
from referral_service.services.admin.auth import LoginPolicy
from referral_service.services.alerts.delivery import EmailSettings
from referral_service.services.dashboard_counts import keep_counts
from referral_service.services.dashboard_facts import CountingRules
from referral_service.services.unit_of_work import SqlUnitOfWork
from referral_service.workflows.calendar import WorkingDayCalendar
from referral_service.workflows.deadlines import DeadlinePolicy
from referral_service.workflows.email_retries import EmailRetryPolicy
from referral_service.workflows.referral_rights import ReferrerPolicy

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "referral"


@dataclass
class Dependencies:
    """Each part is handed on by itself to the services that use it; no service takes this whole."""

    config: BaseConfig
    database: Database
    clock: Clock
    calendar: WorkingDayCalendar
    deadlines: DeadlinePolicy
    identity: IdentityNumbers
    referrers: ReferrerPolicy
    logins: LoginPolicy
    municipalities: MunicipalityRegister
    mailer: Mailer
    email: EmailSettings
    outbox_bell: OutboxBell

    def unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work with a session of its own (the worker's and the command line's)."""
        return SqlUnitOfWork(self.database.new_session, close=True, bell=self.outbox_bell)


def mailer_for(config: BaseConfig) -> Mailer:
    """SMTP when a host is set; otherwise .eml files in DATA_DIR/mail (the embedded default)."""
    if config.SMTP_HOST:
        return SmtpMailer(config.SMTP_HOST, int(config.SMTP_PORT), security=config.SMTP_SECURITY,
                          username=config.SMTP_USERNAME, password=config.SMTP_PASSWORD, ca_file=config.SMTP_CA_FILE,
                          timeout=float(config.SMTP_TIMEOUT_SECONDS))
    return FileMailer(Path(config.DATA_DIR) / "mail")


def build(config: BaseConfig) -> Dependencies:
    """The database, the clock (the setting CLOCK when given, as tests do; else real time), the calendar,
    the policies from the settings, the identity vault and the mailer."""
    Path(config.DATA_DIR).mkdir(parents=True, exist_ok=True)
    database = Database()
    database.configure(config.DATABASE_URL)
    clock = Clock(source=config.CLOCK or utcnow, timezone=ZoneInfo(config.TIMEZONE))
    calendar = WorkingDayCalendar(saturday_is_working_day=config.SATURDAY_IS_WORKING_DAY)
    keep_counts(database.engine, CountingRules(calendar=calendar, timezone=clock.timezone))  # Oversikt's counts
    configure_access_log(database.engine, key=audit_key(config), checkpoint_dir=checkpoint_dir(config))
    return Dependencies(
        config=config,
        database=database,
        clock=clock,
        calendar=calendar,
        deadlines=DeadlinePolicy(
            calendar=calendar,
            assessment_working_days=config.ASSESSMENT_WORKING_DAYS,
            assessment_warning_working_days=config.ASSESSMENT_WARNING_WORKING_DAYS,
            handover_acknowledge_days=config.HANDOVER_ACKNOWLEDGE_WORKING_DAYS,
            handover_first_contact_days=config.HANDOVER_FIRST_CONTACT_WORKING_DAYS,
            discharge_handover_lead_days=config.DISCHARGE_HANDOVER_LEAD_WORKING_DAYS,
            waiting_without_municipal_contact_days=config.WAITING_WITHOUT_MUNICIPAL_CONTACT_WORKING_DAYS,
            repeat_window_months=config.REPEAT_REFERRAL_WINDOW_MONTHS,
            check_in_after_months=config.CHECK_IN_AFTER_MONTHS,
            check_in_escalate_after_working_days=config.CHECK_IN_ESCALATE_AFTER_WORKING_DAYS,
            family_nudge_answer_working_days=config.FAMILY_NUDGE_ANSWER_WORKING_DAYS,
        ),
        identity=IdentityNumbers(vault=IdentityVault(config.ID_ENCRYPTION_KEY),
                                 allow_synthetic_ids=config.ALLOW_SYNTHETIC_IDS, clock=clock),
        referrers=ReferrerPolicy(always=tuple(config.ALWAYS_REFERRING_PROFESSIONS),
                                 conditional=tuple(config.CONDITIONALLY_REFERRING_PROFESSIONS)),
        logins=LoginPolicy(max_failed_logins=config.MAX_FAILED_LOGINS, lockout_minutes=config.LOCKOUT_MINUTES,
                           token_lifetime_minutes=config.TOKEN_LIFETIME_MINUTES),
        municipalities=load_register(config.MUNICIPALITY_REGISTER_DIR or None),
        mailer=mailer_for(config),
        email=EmailSettings(sender=config.SMTP_SENDER, base_url=config.BASE_URL,
                            message_id_domain=message_id_domain(sender=config.SMTP_SENDER,
                                                                configured=config.SMTP_MESSAGE_ID_DOMAIN),
                            retries=EmailRetryPolicy.from_settings(config)),
        outbox_bell=OutboxBell(database_url=config.DATABASE_URL, data_dir=config.DATA_DIR),
    )


def dependencies(app: Flask) -> Dependencies:
    deps: Dependencies = app.extensions[EXTENSION]
    return deps
