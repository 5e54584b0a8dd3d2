"""Throwaway PostgreSQL (and later Redis) servers on free loopback ports, for integration tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> None:
    """Skip locally; in CI a missing server is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; run the server as the postgres system user then.
    if os.geteuid() == 0:
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in args)]
    return args


@dataclass
class PostgresServer:
    directory: Path
    port: int
    bin_dir: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        subprocess.run(
            [str(self.bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
             "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
        return self.url_for(name)

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory), "-m", "fast",
                                     "-w", "stop"]), capture_output=True)
        shutil.rmtree(self.directory, ignore_errors=True)


def find_postgres_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def start_postgres() -> PostgresServer:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        unavailable("PostgreSQL (initdb) is not installed")
    directory = Path(tempfile.mkdtemp(prefix="referral-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    port = free_port()
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(directory), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                   check=True, capture_output=True)
    options = (f"-p {port} -c listen_addresses=127.0.0.1 -k {directory} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(directory), "-l",
                                 str(directory / "server.log"), "-w", "-o", options, "start"]),
                   check=True, capture_output=True)
    return PostgresServer(directory=directory, port=port, bin_dir=bin_dir)
