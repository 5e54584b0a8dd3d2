"""The composition root: everything the service is made of, built once from the settings.

`create_app` calls `build`; the worker, the command line and the tests take what they need from the
app it returns (`dependencies(app)`), so there is one way to put the service together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from config import BaseConfig
from referral_service.db import Database
from referral_service.notify.mailer import FileMailer, Mailer, SmtpMailer
from referral_service.services.alerts.delivery import EmailSettings
from referral_service.services.rules import ServiceRules, rules_from_config
from referral_service.services.unit_of_work import SqlUnitOfWork

if TYPE_CHECKING:
    from flask import Flask

EXTENSION = "referral"


@dataclass
class Dependencies:
    config: BaseConfig
    database: Database
    rules: ServiceRules
    mailer: Mailer
    email: EmailSettings

    def unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work with a session of its own (the worker's and the command line's)."""
        return SqlUnitOfWork(self.database.new_session, close=True)


def mailer_for(config: BaseConfig) -> Mailer:
    """SMTP when a host is set; otherwise .eml files in DATA_DIR/mail (the embedded default)."""
    if config.SMTP_HOST:
        return SmtpMailer(config.SMTP_HOST, int(config.SMTP_PORT))
    return FileMailer(Path(config.DATA_DIR) / "mail")


def build(config: BaseConfig) -> Dependencies:
    """The database, the rules with their clock (the setting CLOCK, for tests), and the mailer."""
    Path(config.DATA_DIR).mkdir(parents=True, exist_ok=True)
    database = Database()
    database.configure(config.DATABASE_URL)
    return Dependencies(
        config=config,
        database=database,
        rules=rules_from_config(config),
        mailer=mailer_for(config),
        email=EmailSettings(sender=config.SMTP_SENDER, base_url=config.PUBLIC_BASE_URL),
    )


def dependencies(app: Flask) -> Dependencies:
    deps: Dependencies = app.extensions[EXTENSION]
    return deps
