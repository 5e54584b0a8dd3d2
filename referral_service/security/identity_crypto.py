"""Identity numbers at rest: encrypted with Fernet, found through a keyed blind index (HMAC)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cryptography.fernet import Fernet


def _derive(secret: bytes, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class IdentityVault:
    """Encrypts, decrypts and indexes identity numbers with keys derived from one master key.

    The keys, and the cryptography library, are loaded on first use (or by `prepare`): the worker builds a vault
    with the rest of the service but never reads an identity number, and the library is some 7 MB of a
    process's resident memory."""

    def __init__(self, master_key: str) -> None:
        if not master_key:
            raise ValueError("an identity encryption key is required")
        self._secret = master_key.encode()

    def prepare(self) -> None:
        """Derive the keys now rather than in the first request that needs them."""
        _ = self._fernet, self._index_key

    @cached_property
    def _fernet(self) -> Fernet:
        from cryptography.fernet import Fernet

        return Fernet(base64.urlsafe_b64encode(_derive(self._secret, b"national-id-encryption")))

    @cached_property
    def _index_key(self) -> bytes:
        return _derive(self._secret, b"national-id-blind-index")

    def encrypt(self, national_id: str) -> str:
        return self._fernet.encrypt(national_id.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("the identity number cannot be decrypted with this key") from exc

    def blind_index(self, national_id: str) -> str:
        return hmac.new(self._index_key, national_id.encode(), hashlib.sha256).hexdigest()


class KeySettings(Protocol):
    """The settings the key comes from (ID_ENCRYPTION_KEY is optional)."""

    SECRET_KEY: str


def master_key_from(config: KeySettings) -> str:
    """The configured key, or outside production one derived from the secret key."""
    key = getattr(config, "ID_ENCRYPTION_KEY", "")
    return key or f"derived:{config.SECRET_KEY}"
