"""The settings classes. Every value can be set with an environment variable REFERRAL_<NAME>."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """The settings are incomplete or unsafe for this environment."""


def _env(name: str, default: Any) -> Any:
    raw = os.environ.get(f"REFERRAL_{name}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


class BaseConfig:
    """Defaults shared by every environment."""

    ENV = "development"
    DATA_DIR = "var"
    DATABASE_URL = ""  # empty: SQLite in DATA_DIR
    BROKER_URL = ""  # empty: the embedded transport in DATA_DIR
    SECRET_KEY = ""
    ID_ENCRYPTION_KEY = ""  # base64 urlsafe 32 bytes; derived from SECRET_KEY outside production
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 8025
    SMTP_SENDER = "ikke-svar@henvisning.example"
    PUBLIC_BASE_URL = "http://127.0.0.1:8080"
    ALLOW_SYNTHETIC_IDS = True
    ALLOW_SWEEP_AT = True
    TOKEN_LIFETIME_MINUTES = 480
    # Load balancers in front of the web processes; their X-Forwarded-For gives the client's address.
    TRUSTED_PROXY_HOPS = 0
    MAX_FAILED_LOGINS = 10
    LOCKOUT_MINUTES = 15
    MAX_CONTENT_LENGTH = 1_000_000
    # Deadlines in working days; law changes move these numbers, so they are settings.
    ASSESSMENT_WORKING_DAYS = 10
    ASSESSMENT_WARNING_WORKING_DAYS = 2
    HANDOVER_ACKNOWLEDGE_WORKING_DAYS = 2
    HANDOVER_FIRST_CONTACT_WORKING_DAYS = 10
    # A planned discharge opens the handover this many working days before the date, so the municipality is ready.
    DISCHARGE_HANDOVER_LEAD_WORKING_DAYS = 10
    # A child waiting for BUP this long with nobody named in the municipality: the municipality is alerted.
    WAITING_WITHOUT_MUNICIPAL_CONTACT_WORKING_DAYS = 15
    # Repeat referrals: earlier referrals and rejections of the child are counted this many months back.
    REPEAT_REFERRAL_WINDOW_MONTHS = 24
    SATURDAY_IS_WORKING_DAY = False
    # A handover closed because the municipal help ended: the coordinator checks in with the family this many
    # calendar months later, and the lead is told when it is still not recorded this many working days after.
    CHECK_IN_AFTER_MONTHS = 3
    CHECK_IN_ESCALATE_AFTER_WORKING_DAYS = 5
    # The dashboard's equity table shows counts below this as "<5" (and hides what would give them back).
    EQUITY_SUPPRESSION_THRESHOLD = 5
    # Who may refer (henvisningsrett): professions that always may, and those that may only
    # where their municipality has been given the right for a period.
    ALWAYS_REFERRING_PROFESSIONS = ("doctor", "psychologist", "child_welfare_leader")
    CONDITIONALLY_REFERRING_PROFESSIONS = ("ppt_adviser", "school_nurse")
    # Background work: the relay's tick, the sweeps, and how long the reconciler leaves the normal path.
    RELAY_INTERVAL_SECONDS = 1.0
    SWEEP_INTERVAL_SECONDS = 60.0
    RECONCILE_INTERVAL_SECONDS = 30.0
    # The worker verifies the access log from its newest checkpoint and seals new ones this often.
    AUDIT_CHECKPOINT_INTERVAL_SECONDS = 3600.0
    RECONCILE_GRACE_SECONDS = 60
    EMAIL_MAX_RETRIES = 5
    EMAIL_RETRY_BASE_SECONDS = 5
    TIMEZONE = "Europe/Oslo"
    # The municipality register's folder (municipalities.csv, municipality_changes.csv); empty: the one that
    # ships with the service. `referral-service municipalities update --to DIR` writes a newer one.
    MUNICIPALITY_REGISTER_DIR = ""
    LOG_LEVEL = "INFO"
    # Part E, the access log: the key of its HMAC chain (a secret kept apart from the database; empty outside
    # production: derived from SECRET_KEY), the folder its checkpoints outside the database are appended to
    # (empty: DATA_DIR/audit-checkpoints; may be a write-once mount), and how many years its rows are kept.
    AUDIT_KEY = ""
    AUDIT_CHECKPOINT_DIR = ""
    AUDIT_RETENTION_YEARS = 10
    #: The service's clock: None is real time. Tests pass a settable clock here; never read from the environment.
    CLOCK: Callable[[], datetime] | None = None

    def __init__(self, overrides: dict[str, object] | None = None) -> None:
        for name in dir(type(self)):
            if name.isupper() and name != "CLOCK":
                setattr(self, name, _env(name, getattr(type(self), name)))
        for name, value in (overrides or {}).items():
            setattr(self, name.upper(), value)
        data_dir = Path(self.DATA_DIR).resolve()
        self.DATA_DIR = str(data_dir)
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{data_dir / 'referrals.sqlite'}"

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def validate(self) -> None:
        """Refuse settings that are unsafe for this environment."""
        if not self.SECRET_KEY:
            raise ConfigurationError("REFERRAL_SECRET_KEY must be set")

    def as_flask_config(self) -> dict[str, object]:
        values = {name: getattr(self, name) for name in dir(self) if name.isupper()}
        values["TESTING"] = self.ENV == "test"
        return values


class DevelopmentConfig(BaseConfig):
    """The embedded default: SQLite and the embedded broker in DATA_DIR."""

    ENV = "development"
    SECRET_KEY = "development-only-secret-not-for-production"
    SMTP_HOST = ""  # no server needed: alert e-mails are written to DATA_DIR/mail as .eml files


class TestConfig(BaseConfig):
    """Tests: anything that must not be reached points at an address that fails loudly."""

    ENV = "test"
    SECRET_KEY = "test-only-secret"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 1  # nothing listens there: a test that sends mail must start its own server
    LOG_LEVEL = "WARNING"


class ProductionConfig(BaseConfig):
    """Production: PostgreSQL, Redis, real secrets; no synthetic identity numbers."""

    ENV = "production"
    ALLOW_SYNTHETIC_IDS = False
    ALLOW_SWEEP_AT = False

    def validate(self) -> None:
        missing = [
            f"REFERRAL_{name}"
            for name in ("SECRET_KEY", "ID_ENCRYPTION_KEY", "BROKER_URL", "SMTP_HOST")
            if not getattr(self, name)
        ]
        if self.DATABASE_URL.startswith("sqlite"):
            missing.append("REFERRAL_DATABASE_URL (PostgreSQL)")
        if missing:
            raise ConfigurationError("production refuses to start without " + ", ".join(missing))
        if self.ALLOW_SYNTHETIC_IDS:
            raise ConfigurationError("synthetic identity numbers are never allowed in production")
        if self.ALLOW_SWEEP_AT:
            raise ConfigurationError("sweeps as of another time (--at) are never allowed in production")
