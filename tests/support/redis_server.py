"""A throwaway redis-server on a free loopback port, for tests with a real broker.

The server runs in the foreground as our own child process (not daemonised), so a test can stop it
(an outage), start it again on the same port, and be sure it is gone afterwards. It keeps nothing on
disk (`--save '' --appendonly no`): a restarted server is empty, like a broker that lost its data.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.servers import free_port, unavailable

#: How long a start or stop may take before the test gives up.
STARTUP_SECONDS = 10.0


@dataclass
class RedisServer:
    binary: str
    directory: Path
    port: int
    process: subprocess.Popen | None = field(default=None, repr=False)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, db: int = 0):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_connect_timeout=1, socket_timeout=2)

    def ping(self) -> bool:
        import redis

        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self) -> RedisServer:
        """Start (or start again) on this server's port; returns when it answers PING."""
        if self.running:
            return self
        log = open(self.directory / "redis.log", "ab")  # handed to the child process
        try:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no",
                 "--dir", str(self.directory), "--save", "", "--appendonly", "no",
                 "--protected-mode", "yes", "--loglevel", "warning"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.ping():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer within {STARTUP_SECONDS}s: {self.log_tail()}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); its data is gone with it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STARTUP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def flush(self) -> None:
        """FLUSHALL: every queued message, unacknowledged delivery and binding is lost."""
        with self.client() as client:
            client.flushall()

    def queue_length(self, queue: str = "celery", db: int = 0) -> int:
        with self.client(db) as client:
            return int(client.llen(queue))

    def log_tail(self, chars: int = 2000) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def close(self) -> None:
        """Stop it and remove its directory."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/local/bin/redis-server") if Path(p).exists()), None)


def start_redis() -> RedisServer:
    """A started throwaway Redis; skips the test (fails it in CI) when redis-server is not installed."""
    binary = find_redis_server()
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(binary=binary, directory=Path(tempfile.mkdtemp(prefix="referral-redis-")),
                         port=free_port())
    try:
        return server.start()
    except Exception:
        server.close()
        raise
