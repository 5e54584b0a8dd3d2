"""A real SMTP server for the alert e-mail tests (aiosmtpd): STARTTLS or implicit TLS with a certificate made at
test time (a private CA the service is told about with SMTP_CA_FILE), a login checked against one user and password,
and every message kept by its Message-ID so a test can count copies. It can be stopped and started again on the
same port, as a mail server that is down for a while."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import free_port

USERNAME = "varsler@henvisning.example"
PASSWORD = "riktig-passord-1234"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost: `cert_file` is also the CA file a client trusts."""

    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(folder: Path) -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test mail server")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Certificate(cert_file, key_file)


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message, and the logins tried."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = (login, password) == (USERNAME, PASSWORD)
        with self.lock:
            self.logins.append((login, ok))
        return AuthResult(success=ok, handled=False)

    def copies(self) -> Counter[str]:
        """How many messages arrived with each Message-ID."""
        with self.lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)

    @property
    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(str(m["To"]) for m in self.messages)


@dataclass
class MailServer:
    """One server on a fixed port: `security` is starttls (STARTTLS required before anything) or tls (implicit)."""

    certificate: Certificate
    security: str = "starttls"
    mailbox: Mailbox = field(default_factory=Mailbox)
    port: int = field(default_factory=free_port)
    controller: Controller | None = None

    def start(self) -> MailServer:
        context = self.certificate.server_context()
        common = {"hostname": "127.0.0.1", "port": self.port, "authenticator": self.mailbox.authenticate,
                  "auth_required": True, "auth_require_tls": True}
        if self.security == "tls":
            # The whole connection is TLS; aiosmtpd only knows TLS it upgraded to itself (STARTTLS), so it would
            # hide AUTH behind auth_require_tls here.
            common["auth_require_tls"] = False
            self.controller = Controller(self.mailbox, ssl_context=context, **common)
        else:
            self.controller = Controller(self.mailbox, tls_context=context, require_starttls=True, **common)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
