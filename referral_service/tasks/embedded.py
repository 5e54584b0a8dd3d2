"""The worker and scheduler of the embedded default, run beside the web server by `serve`."""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading

from kombu import Connection

from config import BaseConfig
from referral_service.tasks import broker_settings

log = logging.getLogger(__name__)


def _stop_with_parent() -> None:
    """On Linux, the worker gets SIGTERM if `serve` dies, even by SIGKILL, so it is never left behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: stop() still ends the worker on a normal shutdown


#: glibc's mallopt() parameter for the number of malloc arenas.
_M_ARENA_MAX = -8
#: Arenas for `serve`'s processes. glibc gives each thread that finds the others' arenas busy one of its own, up to
#: eight per core, and freed memory stays in each: after an 8-client load the web held 7 MB more without the cap.
MALLOC_ARENAS = 2


def limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas for this process (web or worker), before it starts its threads."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):
        pass  # not glibc: its allocator has its own policy


def broker_answers(config: BaseConfig, timeout: float = 2.0) -> bool:
    """Whether the broker accepts a connection now."""
    settings = broker_settings(config)
    try:
        with Connection(settings["broker_url"], transport=settings.get("broker_transport"),
                        transport_options=settings["broker_transport_options"],
                        connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - any failure means the broker does not answer
        return False


class EmbeddedWorker:
    """A Celery worker with its beat scheduler in a child process, restarted if it dies."""

    def __init__(self, config: BaseConfig) -> None:
        self.config = config
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="embedded-worker-watch", daemon=True)

    def command(self) -> list[str]:
        """The worker's process (tasks/embedded_worker.py: its options, from the same REFERRAL_* settings)."""
        return [sys.executable, "-m", "referral_service.tasks.embedded_worker"]

    def start(self) -> None:
        self.process = subprocess.Popen(self.command(), preexec_fn=_stop_with_parent)  # noqa: S603, PLW1509
        if not self._watcher.is_alive():
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(2.0):
            if self.process is not None and self.process.poll() is not None:
                log.error("embedded worker exited; restarting", extra={"returncode": self.process.returncode})
                self.start()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
