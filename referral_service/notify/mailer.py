"""Sending e-mail: SMTP in the service, a fake for unit tests. Alert e-mails carry no health data."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """The mail server could not take the message now; try again later."""


class PermanentDeliveryError(Exception):
    """The mail server refused the message for good."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


#: How the connection to the mail server is secured (the setting SMTP_SECURITY).
SECURITIES = ("starttls", "tls", "none")


@dataclass
class SmtpMailer:
    """SMTP with STARTTLS (the default), implicit TLS or none, and a login when a username is given.

    The server's certificate is verified against the system's CAs, or `ca_file` (a private CA). A refused login
    (535) or a server that cannot secure the connection is a configuration problem: it is logged as an error naming
    the setting to fix and treated as transient, so the e-mails are retried (within their window) once it is fixed.
    """

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.security not in SECURITIES:
            raise ValueError(f"SMTP security must be one of {', '.join(SECURITIES)}, not {self.security!r}")

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            log.error("the mail server refused the login: check REFERRAL_SMTP_USERNAME and REFERRAL_SMTP_PASSWORD",
                      extra={"smtp_code": exc.smtp_code, "smtp_username": self.username})
            raise TransientDeliveryError(f"SMTP {exc.smtp_code} login refused") from None
        except smtplib.SMTPNotSupportedError as exc:
            log.error("the mail server does not offer what REFERRAL_SMTP_SECURITY or REFERRAL_SMTP_USERNAME asks "
                      "for (STARTTLS or AUTH)", extra={"smtp_security": self.security, "error": str(exc)[:200]})
            raise TransientDeliveryError("SMTP extension not supported") from None
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientDeliveryError(f"SMTP {exc.smtp_code}") from None
            raise PermanentDeliveryError(f"SMTP {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:  # RCPT TO refused (an OSError): 4xx try again, 5xx never
            transient = all(400 <= code < 500 for code, _reply in exc.recipients.values())
            raise (TransientDeliveryError if transient else PermanentDeliveryError)("SMTP recipient refused") from None
        except ssl.SSLError as exc:  # a certificate not trusted, a server that speaks no TLS on this port
            log.error("the TLS connection to the mail server failed: check REFERRAL_SMTP_SECURITY, "
                      "REFERRAL_SMTP_PORT and REFERRAL_SMTP_CA_FILE", extra={"error": type(exc).__name__,
                                                                             "reason": getattr(exc, "reason", None)})
            raise TransientDeliveryError(f"TLS {type(exc).__name__}") from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # refused, reset, timed out
            raise TransientDeliveryError(type(exc).__name__) from None

    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self._tls())
            except BaseException:
                smtp.close()
                raise
        return smtp


@dataclass
class FileMailer:
    """The embedded default's mail: each message written as a .eml file in a folder, no server needed."""

    folder: Path

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        (self.folder / f"{name}.eml").write_bytes(bytes(message))


@dataclass
class FakeMailer:
    """Keeps messages in memory; `fail_times` makes the first sends fail transiently."""

    sent: list[EmailMessage] = field(default_factory=list)
    fail_times: int = 0

    def send(self, message: EmailMessage) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise TransientDeliveryError("fake outage")
        self.sent.append(message)


def message_id_domain(*, sender: str, configured: str = "") -> str:
    """The domain of every Message-ID: the one configured, else the sender's own (a real domain the relay knows)."""
    return configured or sender.rpartition("@")[2] or "localhost"


def alert_message_id(alert_id: str, *, domain: str) -> str:
    """The same for every attempt of an alert's e-mail, so a mail system can drop a copy sent twice."""
    return f"<alert-{alert_id}@{domain}>"


def alert_email(*, to: str, sender: str, alert_id: str, base_url: str, domain: str, date: datetime) -> EmailMessage:
    """The e-mail for an alert: that there is something new, and a link. Nothing about the child."""
    message = EmailMessage()
    message["Subject"] = "Nytt varsel i henvisningstjenesten"
    message["From"] = sender
    message["To"] = to
    message["Date"] = format_datetime(date)
    message["Message-ID"] = alert_message_id(alert_id, domain=domain)
    message.set_content(
        "Hei,\n\n"
        "Du har et nytt varsel i BUP-henvisningstjenesten.\n"
        f"Logg inn for å se det: {base_url.rstrip('/')}/varsler\n\n"
        "Denne e-posten inneholder ingen opplysninger om pasienter.\n"
        "Ikke svar på denne e-posten.\n"
    )
    return message
