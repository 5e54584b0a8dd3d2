"""What `referral-service serve` checks before it starts and says once it runs.

Before anything starts or prints: the address must be free (one clear line otherwise, no traceback, no worker).
Once the web socket is bound and the worker consumes: the address, the API docs, the demo logins when the demo
data is there, and where the keys are kept, as the last lines a developer sees above the log.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable

from config import BaseConfig
from referral_service.demo import DEMO_PASSWORD, DemoLogin


class CannotListen(Exception):
    """The address cannot be listened on; the message is one line for the operator."""


def check_address_free(host: str, port: int) -> None:
    """Bind every address `host` names on `port`, as the web server will (SO_REUSEADDR), and let go at once."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CannotListen(f"Cannot listen on {host}: the name does not resolve ({exc.strerror}); "
                           "choose another address with --host.") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise cannot_listen(host, port, exc) from None


def cannot_listen(host: str, port: int, exc: OSError) -> CannotListen:
    """The one line for an address the web server could not bind."""
    if exc.errno == errno.EADDRINUSE:
        return CannotListen(f"Port {port} on {host} is in use; stop the other program or choose another port "
                            "with --port (make run PORT=…).")
    return CannotListen(f"Cannot listen on {host} port {port}: {exc.strerror or exc}; choose another address "
                        "with --host or --port (make run HOST=… PORT=…).")


def demo_login_lines(logins: Iterable[DemoLogin]) -> list[str]:
    """The demo logins as `seed-demo` and `serve` print them."""
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    lines += [f"  {login.email:34} {', '.join(login.roles):24} {login.organisation}" for login in logins]
    return lines


def key_lines(config: BaseConfig) -> list[str]:
    """Where each secret is kept (never its value), so an operator knows what to back up and guard."""
    lines = []
    for name, source in sorted(config.secret_sources.items()):
        where = "from the environment" if source == "environment" else f"kept in {source} (mode 0600; back it up)"
        lines.append(f"{name}: {where}")
    return lines


def closing_block(host: str, port: int, logins: list[DemoLogin], config: BaseConfig) -> str:
    """What `serve` prints last: where the service answers, who can sign in, where the keys are."""
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    rule = "-" * 78
    lines = [rule, f"Serving on {base}  (API docs: {base}/api/docs)"]
    if logins:
        lines += ["", *demo_login_lines(logins)]
    lines += ["", *key_lines(config), "Stop with Ctrl-C.", rule]
    return "\n".join(lines)
