"""What the tasks need, built once per worker process from the settings: database, rules, mailer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config import BaseConfig
from referral_service.db import Database
from referral_service.logging_setup import configure_logging
from referral_service.notify.mailer import FileMailer, Mailer, SmtpMailer
from referral_service.services.alert_delivery import EmailSettings
from referral_service.services.rules import ServiceRules, rules_from_config


@dataclass
class Runtime:
    config: BaseConfig
    database: Database
    rules: ServiceRules
    mailer: Mailer
    email: EmailSettings


_runtime: Runtime | None = None


def configure(config: BaseConfig, *, mailer: Mailer | None = None, rules: ServiceRules | None = None) -> Runtime:
    global _runtime
    configure_logging(config.LOG_LEVEL)
    database = Database()
    database.configure(config.DATABASE_URL)
    _runtime = Runtime(
        config=config,
        database=database,
        rules=rules or rules_from_config(config),
        mailer=mailer or mailer_for(config),
        email=EmailSettings(sender=config.SMTP_SENDER, base_url=config.PUBLIC_BASE_URL),
    )
    return _runtime


def mailer_for(config: BaseConfig) -> Mailer:
    """SMTP when a host is set; otherwise .eml files in DATA_DIR/mail (the embedded default)."""
    if config.SMTP_HOST:
        return SmtpMailer(config.SMTP_HOST, int(config.SMTP_PORT))
    return FileMailer(Path(config.DATA_DIR) / "mail")


def current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the task runtime is not configured; start workers through worker.py")
    return _runtime
