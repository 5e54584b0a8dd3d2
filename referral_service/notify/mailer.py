"""Sending e-mail: SMTP in the service, a fake for unit tests. Alert e-mails carry no health data."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class TransientDeliveryError(Exception):
    """The mail server could not take the message now; try again later."""


class PermanentDeliveryError(Exception):
    """The mail server refused the message for good."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass
class SmtpMailer:
    host: str
    port: int
    timeout: float = 10.0

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TransientDeliveryError(f"SMTP {exc.smtp_code}") from None
            raise PermanentDeliveryError(f"SMTP {exc.smtp_code}") from None
        except smtplib.SMTPRecipientsRefused as exc:  # RCPT TO refused (an OSError): 4xx try again, 5xx never
            transient = all(400 <= code < 500 for code, _reply in exc.recipients.values())
            raise (TransientDeliveryError if transient else PermanentDeliveryError)("SMTP recipient refused") from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:  # refused, reset, timed out
            raise TransientDeliveryError(type(exc).__name__) from None


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


def alert_email(*, to: str, sender: str, alert_id: str, base_url: str) -> EmailMessage:
    """The e-mail for an alert: that there is something new, and a link. Nothing about the child."""
    message = EmailMessage()
    message["Subject"] = "Nytt varsel i henvisningstjenesten"
    message["From"] = sender
    message["To"] = to
    # A stable Message-ID lets mail systems drop a copy if a crash makes us send it twice.
    message["Message-ID"] = f"<alert-{alert_id}@henvisningstjenesten>"
    message.set_content(
        "Hei,\n\n"
        "Du har et nytt varsel i BUP-henvisningstjenesten.\n"
        f"Logg inn for å se det: {base_url.rstrip('/')}/varsler\n\n"
        "Denne e-posten inneholder ingen opplysninger om pasienter.\n"
        "Ikke svar på denne e-posten.\n"
    )
    return message
