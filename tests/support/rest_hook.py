"""A rest-hook receiver on loopback for FHIR subscription tests: a real HTTP server in a thread that keeps every
notification it is sent and answers 200, or 503 while it is told to be down.

It is the subscriber the FHIR backport describes: it counts the raw POSTs, and it takes each notification once by
(subscription, event number), dropping a repeat — the channel is at-least-once, so a notification whose answer was
lost (the sender killed while it waited) comes again with the same event number. It can hold its answer to one
notification until the test releases it, so that a test can kill the sender while that notification is in flight."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The longest a held answer waits for its release, so that a failing test never leaves a thread behind for good.
HOLD_LIMIT_SECONDS = 60.0


@dataclass(frozen=True)
class Post:
    """One POST the receiver took (not one it refused while down)."""
    subscription: str
    event_number: int
    task: str
    bundle: dict[str, Any]

    @property
    def key(self) -> tuple[str, int]:
        return self.subscription, self.event_number


class RestHookReceiver:
    def __init__(self) -> None:
        self.notifications: list[dict[str, Any]] = []
        self.posts: list[Post] = []
        self.content_types: list[str] = []
        self.refused = 0
        self.down = False
        self._accepted: dict[tuple[str, int], Post] = {}
        self._repeats: list[Post] = []
        self._lock = threading.Lock()
        self._hold_armed = False
        self._held: Post | None = None
        self.held_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hold = False
                with receiver._lock:
                    if receiver.down:
                        receiver.refused += 1
                        status = 503
                    else:
                        bundle = json.loads(body)
                        receiver._take(bundle, self.headers.get("Content-Type", ""))
                        status = 200
                        if receiver._hold_armed:  # this one is held: its sender waits for the answer
                            receiver._hold_armed = False
                            receiver._held = receiver.posts[-1]
                            hold = True
                if hold:
                    receiver.held_arrived.set()
                    receiver.release.wait(HOLD_LIMIT_SECONDS)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender is gone (killed while it waited): nobody hears the answer
                    pass

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _take(self, bundle: dict[str, Any], content_type: str) -> None:
        task, number = event_of(bundle)
        post = Post(subscription_of(bundle), number, task, bundle)
        self.notifications.append(bundle)
        self.content_types.append(content_type)
        self.posts.append(post)
        if post.key in self._accepted:
            self._repeats.append(post)  # dropped: the subscriber has it already
        else:
            self._accepted[post.key] = post

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/notify"

    # holding one answer
    def hold_next(self) -> None:
        """Hold the answer to the next notification taken until `release` is set."""
        with self._lock:
            self._hold_armed = True

    @property
    def held(self) -> Post | None:
        with self._lock:
            return self._held

    # what it was sent
    def received(self) -> list[dict[str, Any]]:
        """Every notification taken, repeats included (the raw POSTs, less those refused while down)."""
        with self._lock:
            return list(self.notifications)

    def raw_posts(self) -> list[Post]:
        with self._lock:
            return list(self.posts)

    def accepted(self) -> list[Post]:
        """Each (subscription, event number) once, as first taken: what the subscriber acts on."""
        with self._lock:
            return list(self._accepted.values())

    def repeats(self) -> list[Post]:
        """The POSTs dropped because their (subscription, event number) had been taken before."""
        with self._lock:
            return list(self._repeats)

    def events(self) -> Counter:
        """The multiset of (Task id, event number) received."""
        return Counter(event_of(bundle) for bundle in self.received())

    def close(self) -> None:
        self.release.set()  # a held answer goes out (to nobody) rather than keep its thread
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
