"""The worker and scheduler of the embedded default, run beside the web server by `serve`."""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from kombu import Connection

from config import BaseConfig
from referral_service.tasks import broker_settings

log = logging.getLogger(__name__)

#: Set by `serve` in its worker's environment (not settings): serve's pid, which the worker watches.
SERVE_PID = "REFERRAL_SERVE_PID"
#: Set by `serve` for the worker it waits for: the write end of a pipe that the worker answers "ready" on.
READY_FD = "REFERRAL_SERVE_READY_FD"
#: How often the worker looks whether `serve` is still its parent.
PARENT_CHECK_SECONDS = 1.0
#: How long a worker whose `serve` is gone may take over its warm shutdown before it exits hard.
SHUTDOWN_GRACE_SECONDS = 5.0


def _stop_with_parent() -> None:
    """On Linux, the worker gets SIGTERM if the thread of `serve` that started it ends, even by SIGKILL.

    Not enough alone: it is set in the child after fork, so a `serve` killed in between is missed, and it follows
    the thread, not the process. The worker's own watch (exit_with_serve) covers every case.
    """
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the worker's own watch ends it


def exit_with_serve(environ: Mapping[str, str] = os.environ) -> None:
    """In the worker: stop soon after the `serve` that started it is gone, however it went.

    A daemon thread compares the parent's pid with serve's (from the environment, so a serve that died before
    the worker ran is noticed too) every second. When they differ, the worker gets SIGTERM: Celery's warm
    shutdown (before Celery is up: the default action, an immediate exit); if it has not ended after a short
    grace, it exits hard, so no scheduler runs on beside the next serve's.
    """
    given = environ.get(SERVE_PID, "")
    if not given.isdigit():
        return  # started by hand, not by serve
    serve_pid = int(given)

    def watch() -> None:
        while os.getppid() == serve_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        log.warning("serve is gone; the embedded worker stops", extra={"serve_pid": serve_pid})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SHUTDOWN_GRACE_SECONDS)
        log.error("the embedded worker did not stop in time after serve; exiting hard")
        os._exit(1)

    threading.Thread(target=watch, name="embedded-worker-parent-watch", daemon=True).start()


def say_ready_to_serve(environ: Mapping[str, str] = os.environ) -> None:
    """In the worker: answer `serve` on its pipe once the worker consumes, so serve prints its address last."""
    given = environ.get(READY_FD, "")
    if not given.isdigit():
        return
    fd = int(given)
    from celery.signals import worker_ready

    def ready(**_: object) -> None:
        try:
            os.write(fd, b"ready\n")
            os.close(fd)
        except OSError:
            pass  # serve stopped waiting

    worker_ready.connect(ready, weak=False)


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
        self._spawn(ready_fd=None)

    def start_and_wait(self, timeout: float) -> bool:
        """Start the worker and wait until it consumes: True; False after `timeout` seconds or if it exits first."""
        read_end, write_end = os.pipe()
        try:
            self._spawn(ready_fd=write_end)
        finally:
            os.close(write_end)
        try:
            answered, _, _ = select.select([read_end], [], [], timeout)
            return bool(answered) and os.read(read_end, 16).startswith(b"ready")
        finally:
            os.close(read_end)

    def _spawn(self, ready_fd: int | None) -> None:
        env = {**os.environ, SERVE_PID: str(os.getpid())}
        env.pop(READY_FD, None)
        if ready_fd is not None:
            env[READY_FD] = str(ready_fd)
        self.process = subprocess.Popen(  # noqa: S603, PLW1509
            self.command(), env=env, pass_fds=() if ready_fd is None else (ready_fd,), preexec_fn=_stop_with_parent)
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
