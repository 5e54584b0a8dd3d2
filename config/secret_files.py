"""The embedded default's and the tests' secrets: random values made on first start in DATA_DIR/keys, one file each
(mode 0600), and reused on every later start, so no secret is a constant in code and two installations never share
one. A value set in the environment (or passed as an override) always wins; production never uses these files.

A file is created whole or not at all: the value is written to a private temporary file and then hard-linked to
its name, which fails if the name exists. Two processes starting at once on one data dir therefore agree: the
one that loses the race reads what the winner wrote."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from config.secret_strength import new_fernet_key, new_signing_secret

KEYS_FOLDER = "keys"
#: The secrets kept in the data dir, and how a new one is made.
GENERATED: dict[str, Callable[[], str]] = {
    "SECRET_KEY": new_signing_secret,  # session cookies, CSRF tokens, list cursors
    "ID_ENCRYPTION_KEY": new_fernet_key,  # identity numbers (Fernet) and their blind index
    "AUDIT_KEY": new_signing_secret,  # the access log's HMAC chain and its checkpoints
}


def keys_folder(data_dir: str | Path) -> Path:
    return Path(data_dir) / KEYS_FOLDER


def kept_secret(folder: Path, name: str, make: Callable[[], str]) -> str:
    """The secret in folder/name, made with `make` and stored there first if there is none."""
    path = folder / name
    existing = _read(path)
    if existing:
        if path.stat().st_mode & 0o077:  # copied or restored from a backup with looser rights: only the owner reads
            path.chmod(0o600)
        return existing
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = folder / f".{name}.{os.getpid()}.{os.urandom(4).hex()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(make() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: its value is the installation's
    finally:
        temporary.unlink(missing_ok=True)
    value = _read(path)
    if not value:
        raise OSError(f"the secret file {path} is empty")
    return value


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""


def fill_from_data_dir(settings: object, data_dir: str | Path) -> dict[str, str]:
    """Give every secret the settings leave empty its value from the data dir; returns where each secret
    comes from ('environment' or the file's path), for `serve` to say (never the values)."""
    folder = keys_folder(data_dir)
    sources = {}
    for name, make in GENERATED.items():
        if getattr(settings, name, ""):
            sources[name] = "environment"
            continue
        setattr(settings, name, kept_secret(folder, name, make))
        sources[name] = str(folder / name)
    return sources
