"""The settings classes. Every value can be set with an environment variable REFERRAL_<NAME>."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from config.secret_files import fill_from_data_dir
from config.secret_strength import WeakSecret, check_signing_secret, parse_fernet_keys

#: The secrets every environment needs (production from its environment, the others from DATA_DIR/keys if unset).
SECRET_NAMES = ("SECRET_KEY", "ID_ENCRYPTION_KEY", "AUDIT_KEY")
#: The public address when neither BASE_URL nor its old name PUBLIC_BASE_URL is set (`serve`'s own).
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
#: How the SMTP connection may be secured (SMTP_SECURITY).
SMTP_SECURITIES = ("starttls", "tls", "none")


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
    SECRET_KEY = ""  # session cookies, CSRF tokens, list cursors; outside production made in DATA_DIR/keys
    ID_ENCRYPTION_KEY = ""  # one or more Fernet keys, comma-separated, newest first; outside production as above
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 587  # submission (STARTTLS); 465 with SMTP_SECURITY=tls
    SMTP_SENDER = "ikke-svar@henvisning.example"
    # The old name of BASE_URL (issue 15), still read: BASE_URL wins when both are set (see __init__).
    PUBLIC_BASE_URL = ""
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
    TIMEZONE = "Europe/Oslo"
    # The municipality register's folder (municipalities.csv, municipality_changes.csv); empty: the one that
    # ships with the service. `referral-service municipalities update --to DIR` writes a newer one.
    MUNICIPALITY_REGISTER_DIR = ""
    LOG_LEVEL = "INFO"
    # OIDC: sign-in through OpenID Connect providers (HelseID, the municipality's Entra ID; ID-porten later).
    # A JSON list with one object per provider (README "Sign-in with HelseID / Entra ID"); empty: passwords only.
    OIDC_PROVIDERS = ""
    # A started sign-in (its state, nonce and PKCE verifier) is accepted back from the provider this long.
    OIDC_SIGN_IN_MINUTES = 10
    # Seconds an ID token's times may differ from the service's clock.
    OIDC_CLOCK_LEEWAY_SECONDS = 60
    # How long to wait for the provider's discovery document, keys and token endpoint.
    OIDC_HTTP_TIMEOUT_SECONDS = 10.0
    # Retention (issue 13, part F; README "Retention" says which rule leads to each default). Counted from the day
    # a child's case ended: every referral closed and every handover and check-in done.
    #: A child's ended case (referrals, events, handovers, check-ins, the child): then anonymised, statistics kept.
    RETENTION_CASE_YEARS = 5
    #: Alerts, read or not, of any case.
    RETENTION_ALERT_MONTHS = 12
    #: Outbox messages delivered and processed (their payload names only ids, but they are the service's traffic).
    RETENTION_OUTBOX_DAYS = 30
    #: Forms kept after a session ended, counted from when they expired (they expire after two hours anyway).
    RETENTION_KEPT_FORM_DAYS = 1
    #: Failed-login counters of addresses not locked now, counted from the last failure.
    RETENTION_LOGIN_THROTTLE_DAYS = 30
    #: Web sessions (when someone signed in, from where it ended), counted from when they began.
    RETENTION_WEB_SESSION_DAYS = 30
    #: The access log's own rows (services/admin/audit_retention.py prunes them from the start of the chain).
    RETENTION_ACCESS_LOG_YEARS = 10
    #: Records handled in one transaction, so the sweep never holds SQLite's write lock for long.
    RETENTION_BATCH = 200
    #: The daily retention sweep's interval (the beat schedule).
    RETENTION_INTERVAL_SECONDS = 86400.0
    # Part B, sessions (issue 13): a web session kept on the server ends after this many idle minutes, and this
    # many hours after signing in however active.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 10
    # The access log: the key of its HMAC chain and checkpoints (a secret kept apart from the database, >= 32
    # random characters; outside production made on first start in DATA_DIR/keys like the other secrets:
    # config/secret_files.py), and the folder its checkpoints outside the database are appended to (empty:
    # DATA_DIR/audit-checkpoints; may be a write-once mount). How long its rows are kept: RETENTION_ACCESS_LOG_YEARS.
    AUDIT_KEY = ""
    AUDIT_CHECKPOINT_DIR = ""
    # Issue 14, the family's data cared for (retention): someone who signed in on the family page and has not for
    # this many days, and who said nothing the service keeps ("Vi har ikke hørt noe", their own words), is
    # forgotten (their FamilyPerson row: the blind index of their number). Their sessions go after
    # RETENTION_WEB_SESSION_DAYS, as the staff's do.
    RETENTION_FAMILY_PERSON_DAYS = 365
    # Issue 14, "Vi har ikke hørt noe" (the family asks the owner of the child's case to get in touch): unanswered
    # this many working days after the family pressed it, the owner's lead is alerted (once).
    FAMILY_NUDGE_ANSWER_WORKING_DAYS = 2
    # Issue 15 — alert e-mail (README "Alert e-mail"). How the SMTP connection is secured: starttls (port 587),
    # tls (implicit TLS, port 465) or none (a local catcher; no login over it outside development and test).
    SMTP_SECURITY = "starttls"
    SMTP_USERNAME = ""  # login when set
    SMTP_PASSWORD = ""
    SMTP_CA_FILE = ""  # a private CA's certificate (PEM); empty: the system's trusted CAs
    SMTP_TIMEOUT_SECONDS = 10.0
    SMTP_MESSAGE_ID_DOMAIN = ""  # empty: the domain of SMTP_SENDER
    # The public address of the service (e-mail links, sign-in callbacks); empty: PUBLIC_BASE_URL, then the default.
    BASE_URL = ""
    # A transiently failed e-mail is tried again after base*2^n seconds (at most max), +- the jitter fraction, for
    # the window counted from its first failure; then it is failed and the administrators are alerted.
    EMAIL_RETRY_BASE_SECONDS = 30.0
    EMAIL_RETRY_MAX_SECONDS = 3600.0
    EMAIL_RETRY_WINDOW_HOURS = 24.0
    EMAIL_RETRY_JITTER = 0.2
    #: The service's clock: None is real time. Tests pass a settable clock here; never read from the environment.
    CLOCK: Callable[[], datetime] | None = None
    # Issue 15 — metrics, heartbeats and /ready (README "Metrics and readiness").
    #: /metrics wants `Authorization: Bearer <token>` when set; empty: open (it carries no personal data, but keep it
    #: on the internal network).
    METRICS_TOKEN = ""
    #: The port each Celery worker serves its own metrics on (0: not served), and the address it listens on.
    WORKER_METRICS_PORT = 0
    WORKER_METRICS_ADDRESS = "0.0.0.0"  # noqa: S104 - Prometheus scrapes it from another host or container
    #: How often each worker and the scheduler (beat) stamp their heartbeat in the database.
    HEARTBEAT_INTERVAL_SECONDS = 10.0
    #: /ready answers 503 when the newest worker or beat heartbeat is older than this; 0: heartbeats not checked.
    READY_HEARTBEAT_MAX_AGE_SECONDS = 60.0
    # Issue 15 — the OpenAPI document: who answers for the API and under what licence (its `info.contact` and
    # `info.license`); the defaults are placeholders on the project's example domain, for an operator to set.
    API_CONTACT_NAME = "BUP referral coordination service, operations"
    API_CONTACT_EMAIL = ""  # empty: not named
    API_CONTACT_URL = "https://bup-henvisning.example/kontakt"
    API_LICENSE_NAME = "Proprietary"
    API_LICENSE_URL = "https://bup-henvisning.example/lisens"
    # Issue 15 — bad input: a JSON body nested deeper than this is refused before it is parsed (the deepest real
    # body is a handful of levels); every date a person enters lies within a range around today in Norway: deadlines
    # and planned days up to DATE_HORIZON_DAYS ahead, recorded and planned days no more than DATE_LOOKBACK_DAYS back
    # (workflows/date_ranges.py).
    MAX_JSON_DEPTH = 32
    DATE_HORIZON_DAYS = 730
    DATE_LOOKBACK_DAYS = 3650
    # Issue 15 — logs: the web under gunicorn (config/gunicorn.conf.py reads these; its logs are JSON lines)
    #: The address gunicorn listens on.
    WEB_BIND = "0.0.0.0:8080"
    #: gunicorn's worker processes, and the threads in each.
    WEB_WORKERS = 2
    WEB_THREADS = 4
    #: Seconds a gunicorn worker may stay silent (a request running) before gunicorn restarts it.
    WEB_TIMEOUT_SECONDS = 30
    # Issue 16 — FHIR subscriptions (rest-hook notifications of Task changes).
    #: Endpoints may be plain http (not https): outside production only, e.g. a receiver on loopback.
    FHIR_SUBSCRIPTION_ALLOW_HTTP = True
    #: Seconds one POST of a notification may take before it counts as failed.
    FHIR_SUBSCRIPTION_TIMEOUT_SECONDS = 5.0
    #: A failed notification is tried again after base*2^n seconds (at most max), +- 20 %, for the window counted
    #: from its first failure; then it is failed and its subscription goes to `error`.
    FHIR_SUBSCRIPTION_RETRY_BASE_SECONDS = 30.0
    FHIR_SUBSCRIPTION_RETRY_MAX_SECONDS = 3600.0
    FHIR_SUBSCRIPTION_RETRY_WINDOW_HOURS = 24.0
    # Issue 16 — FHIR subscription delivery
    #: Endpoints must resolve (and connect) to public internet addresses only: no loopback, private, link-local
    #: (cloud metadata) or reserved ones; checked when a subscription is made and at each delivery. Off in tests.
    FHIR_SUBSCRIPTION_PUBLIC_ONLY = True
    #: Seconds a worker holds a claimed notification while it POSTs (at least the timeout + 5 s): a worker killed
    #: meanwhile leaves it to the reconciler, which hands it back to the relay once this and its grace are over.
    FHIR_SUBSCRIPTION_CLAIM_SECONDS = 60.0

    def __init__(self, overrides: dict[str, object] | None = None) -> None:
        for name in dir(type(self)):
            if name.isupper() and name != "CLOCK":
                setattr(self, name, _env(name, getattr(type(self), name)))
        for name, value in (overrides or {}).items():
            setattr(self, name.upper(), value)
        #: Where each secret came from ('environment' or its file), for `serve` to say; set by keep_secrets.
        self.secret_sources: dict[str, str] = {}
        data_dir = Path(self.DATA_DIR).resolve()
        self.DATA_DIR = str(data_dir)
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{data_dir / 'referrals.sqlite'}"
        # The one place the public address is decided; everything reads BASE_URL.
        self.BASE_URL = (self.BASE_URL or self.PUBLIC_BASE_URL or DEFAULT_BASE_URL).rstrip("/")

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def keep_secrets(self) -> None:
        """Fill the secrets left empty from DATA_DIR/keys, making them on first start (not in production)."""
        self.secret_sources = fill_from_data_dir(self, self.DATA_DIR)

    def validate(self) -> None:
        """Refuse settings that are unsafe for this environment."""
        for name in SECRET_NAMES:
            if not getattr(self, name):
                raise ConfigurationError(f"REFERRAL_{name} must be set")
        self._check_identity_keys()
        self._check_smtp()

    def _check_smtp(self) -> None:
        """A known security; a password never crosses the network in clear text outside development and test."""
        if self.SMTP_SECURITY not in SMTP_SECURITIES:
            raise ConfigurationError(f"REFERRAL_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITIES)}")
        if self.SMTP_SECURITY == "none" and self.SMTP_USERNAME and self.ENV not in ("development", "test"):
            raise ConfigurationError("REFERRAL_SMTP_USERNAME is refused with REFERRAL_SMTP_SECURITY=none: the "
                                     "password would cross the network in clear text; use starttls or tls")
        # A retry schedule that cannot wait would hand the same e-mail to the relay at every tick for a whole day.
        if not (self.EMAIL_RETRY_BASE_SECONDS > 0 and self.EMAIL_RETRY_MAX_SECONDS >= self.EMAIL_RETRY_BASE_SECONDS
                and self.EMAIL_RETRY_WINDOW_HOURS >= 0 and 0 <= self.EMAIL_RETRY_JITTER < 1):
            raise ConfigurationError("REFERRAL_EMAIL_RETRY_* must give a wait: BASE_SECONDS above 0, MAX_SECONDS at "
                                     "least BASE_SECONDS, WINDOW_HOURS 0 or more, JITTER from 0 up to (not) 1")

    def _check_identity_keys(self) -> None:
        """Malformed identity keys are refused everywhere: no environment can encrypt with them."""
        try:
            parse_fernet_keys(self.ID_ENCRYPTION_KEY)
        except WeakSecret as exc:
            raise ConfigurationError(f"REFERRAL_ID_ENCRYPTION_KEY is refused: {exc}; "
                                     "`referral-service keys new` makes a key") from None

    def as_flask_config(self) -> dict[str, object]:
        values = {name: getattr(self, name) for name in dir(self) if name.isupper()}
        values["TESTING"] = self.ENV == "test"
        return values


class DevelopmentConfig(BaseConfig):
    """The embedded default: SQLite and the embedded broker in DATA_DIR."""

    ENV = "development"
    SMTP_HOST = ""  # no server needed: alert e-mails are written to DATA_DIR/mail as .eml files


class TestConfig(BaseConfig):
    """Tests: anything that must not be reached points at an address that fails loudly."""

    ENV = "test"
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 1  # nothing listens there: a test that sends mail must start its own server
    LOG_LEVEL = "WARNING"
    # Issue 15 — metrics, heartbeats and /ready: most tests run no worker, so /ready does not ask for heartbeats.
    READY_HEARTBEAT_MAX_AGE_SECONDS = 0.0
    # Issue 16 — FHIR subscription delivery: the tests' receivers listen on loopback.
    FHIR_SUBSCRIPTION_PUBLIC_ONLY = False


class ProductionConfig(BaseConfig):
    """Production: PostgreSQL, Redis, real secrets; no synthetic identity numbers."""

    ENV = "production"
    ALLOW_SYNTHETIC_IDS = False
    ALLOW_SWEEP_AT = False

    def keep_secrets(self) -> None:
        """Production's secrets come from its environment only, never from files it made itself."""
        self.secret_sources = {name: "environment" for name in SECRET_NAMES if getattr(self, name)}

    def validate(self) -> None:
        missing = [
            f"REFERRAL_{name}"
            for name in (*SECRET_NAMES, "BROKER_URL", "SMTP_HOST")
            if not getattr(self, name)
        ]
        if self.DATABASE_URL.startswith("sqlite"):
            missing.append("REFERRAL_DATABASE_URL (PostgreSQL)")
        if missing:
            raise ConfigurationError("production refuses to start without " + ", ".join(missing))
        for name in ("SECRET_KEY", "AUDIT_KEY"):
            try:
                check_signing_secret(getattr(self, name))
            except WeakSecret as exc:
                raise ConfigurationError(f"production refuses REFERRAL_{name}: it {exc}; "
                                         "`referral-service keys new --signing` makes a random one") from None
        if self.AUDIT_KEY == self.SECRET_KEY:
            raise ConfigurationError("production refuses REFERRAL_AUDIT_KEY equal to REFERRAL_SECRET_KEY: the access "
                                     "log's key must be a secret of its own")
        self._check_identity_keys()
        if self.ALLOW_SYNTHETIC_IDS:
            raise ConfigurationError("synthetic identity numbers are never allowed in production")
        if self.ALLOW_SWEEP_AT:
            raise ConfigurationError("sweeps as of another time (--at) are never allowed in production")
        self._check_smtp()
        if self.BASE_URL == DEFAULT_BASE_URL:
            raise ConfigurationError("production refuses to start without REFERRAL_BASE_URL (the address users reach "
                                     "the service at: e-mail links and sign-in callbacks point there)")

    # Issue 16 — FHIR subscriptions: notifications leave over https only.
    FHIR_SUBSCRIPTION_ALLOW_HTTP = False
    # Issue 16 — FHIR subscription delivery: endpoints on public addresses only.
    FHIR_SUBSCRIPTION_PUBLIC_ONLY = True
