"""A rest-hook receiver on loopback for FHIR subscription tests: a real HTTP server in a thread that keeps every
notification it is sent and answers 200, or 503 while it is told to be down."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class RestHookReceiver:
    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self.refused = 0
        self.down = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    if receiver.down:
                        receiver.refused += 1
                        status = 503
                    else:
                        receiver.notifications.append(json.loads(body))
                        receiver.content_types.append(self.headers.get("Content-Type", ""))
                        status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notify"

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.notifications)

    def events(self) -> Counter:
        """The multiset of (Task id, event number) received."""
        return Counter(event_of(bundle) for bundle in self.received())

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def event_of(bundle: dict[str, Any]) -> tuple[str, int]:
    """(the Task's id, the event number) of one id-only notification."""
    status = bundle["entry"][0]["resource"]
    event = next(p for p in status["parameter"] if p["name"] == "notification-event")
    parts = {p["name"]: p for p in event["part"]}
    return parts["focus"]["valueReference"]["reference"].rsplit("/", 1)[1], int(parts["event-number"]["valueString"])


def subscription_of(bundle: dict[str, Any]) -> str:
    """The id of the subscription one notification was sent for."""
    status = bundle["entry"][0]["resource"]
    reference = next(p for p in status["parameter"] if p["name"] == "subscription")["valueReference"]["reference"]
    return reference.rsplit("/", 1)[1]
