"""What a secret must be before production accepts it. The messages name the setting and the fault, never the value
(they end up in logs and on terminals)."""

from __future__ import annotations

import base64
import binascii
import math
import secrets
from collections import Counter

#: Signing secrets (session cookies, CSRF, the access log's chain) are at least this long...
MIN_SECRET_LENGTH = 32
#: ...and, counted by the Shannon entropy of their characters, hold at least this many bits: a random 32-byte
#: secret written as hex or base64 has well over 150; `aaaa…` has none and `changemechangeme…` under 90.
MIN_SECRET_BITS = 128
#: Words a person types in place of a secret; a random value holds none of them by chance.
PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "secret", "password", "example", "development",
                     "production", "placeholder")
#: A Fernet key is 32 random bytes, URL-safe base64 encoded.
FERNET_KEY_BYTES = 32


class WeakSecret(ValueError):
    """A secret that must not be used (the message says why, never what it was)."""


def shannon_bits(value: str) -> float:
    """The value's length times the Shannon entropy of its characters: a generous estimate of its randomness."""
    if not value:
        return 0.0
    counts = Counter(value)
    per_char = sum(n / len(value) * math.log2(len(value) / n) for n in counts.values())
    return per_char * len(value)


def check_signing_secret(value: str) -> None:
    """Raise WeakSecret unless the value is long and random enough to sign with."""
    if len(value) < MIN_SECRET_LENGTH:
        raise WeakSecret(f"is shorter than {MIN_SECRET_LENGTH} characters")
    lowered = value.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        raise WeakSecret("looks like a placeholder, not a random value")
    trigrams = [value[i:i + 3] for i in range(len(value) - 2)]
    if len(set(trigrams)) < 0.75 * len(trigrams):  # a random value of this length hardly repeats any
        raise WeakSecret("repeats itself, so it is not random")
    if shannon_bits(value) < MIN_SECRET_BITS:
        raise WeakSecret(f"is too regular to be random (under {MIN_SECRET_BITS} bits of entropy)")


def parse_fernet_keys(setting: str) -> tuple[str, ...]:
    """The Fernet keys of a comma-separated setting, newest first; raises WeakSecret for anything else."""
    keys = tuple(part.strip() for part in setting.split(",") if part.strip())
    if not keys:
        raise WeakSecret("it holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.b64decode(key.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != FERNET_KEY_BYTES:
            raise WeakSecret(f"its key {position} of {len(keys)} is not a Fernet key (32 bytes, URL-safe base64)")
    if len(set(keys)) != len(keys):
        raise WeakSecret("it names the same key twice")
    return keys


def new_fernet_key() -> str:
    """A new random Fernet key."""
    return base64.urlsafe_b64encode(secrets.token_bytes(FERNET_KEY_BYTES)).decode("ascii")


def new_signing_secret() -> str:
    """A new random signing secret (48 random bytes, URL-safe base64: 64 characters)."""
    return secrets.token_urlsafe(48)
