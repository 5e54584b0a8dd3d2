"""Waiting for something another process does: poll a condition with a deadline, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05,
               diagnostics: Callable[[], str] = lambda: "") -> object:
    """Poll `condition` until it is truthy and return its value; fail naming `what` (and the diagnostics) after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{diagnostics()}")
        time.sleep(interval)
