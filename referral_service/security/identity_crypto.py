"""Identity numbers at rest: encrypted with Fernet, found through a keyed blind index (HMAC)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


class IdentityVault:
    """Encrypts, decrypts and indexes identity numbers with keys derived from one master key."""

    def __init__(self, master_key: str) -> None:
        if not master_key:
            raise ValueError("an identity encryption key is required")
        secret = master_key.encode()
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"national-id-encryption")))
        self._index_key = _derive(secret, b"national-id-blind-index")

    def encrypt(self, national_id: str) -> str:
        return self._fernet.encrypt(national_id.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
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
