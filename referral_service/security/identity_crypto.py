"""Identity numbers at rest: encrypted with Fernet, found through a keyed blind index (HMAC).

The key setting (ID_ENCRYPTION_KEY) holds one or more Fernet keys, newest first, so keys can be rotated: the
newest encrypts and indexes, every key decrypts, and a look-up tries the index of every key until
`referral-service keys rotate` has re-encrypted and re-indexed everything under the newest."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property
from typing import TYPE_CHECKING

from config.secret_strength import WeakSecret, parse_fernet_keys

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet


class InvalidKey(ValueError):
    """The identity encryption key setting holds something that is not a list of Fernet keys (never says what)."""


def parse_keys(setting: str) -> tuple[str, ...]:
    """The Fernet keys of the setting, newest first; raises InvalidKey for anything else."""
    try:
        return parse_fernet_keys(setting)
    except WeakSecret as exc:
        raise InvalidKey(f"REFERRAL_ID_ENCRYPTION_KEY is refused: {exc}") from None


def _index_key(fernet_key: str) -> bytes:
    """The blind index's HMAC key, derived from a Fernet key (never the encryption key itself)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"national-id-blind-index").derive(base64.urlsafe_b64decode(fernet_key))


class IdentityVault:
    """Encrypts, decrypts and indexes identity numbers with the configured keys (newest first).

    The keys, and the cryptography library, are loaded on first use (or by `prepare`): the worker builds a vault
    with the rest of the service but never reads an identity number, and the library is some 7 MB of a
    process's resident memory."""

    def __init__(self, keys: str) -> None:
        self._keys = parse_keys(keys)

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def prepare(self) -> None:
        """Derive the keys now rather than in the first request that needs them."""
        _ = self._fernet, self._index_keys

    @cached_property
    def _fernet(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(key) for key in self._keys])

    @cached_property
    def _index_keys(self) -> tuple[bytes, ...]:
        return tuple(_index_key(key) for key in self._keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("the identity number cannot be decrypted with these keys") from exc

    def is_current(self, ciphertext: str) -> bool:
        """Whether the ciphertext was made with the newest key (so rotation leaves it alone)."""
        from cryptography.fernet import Fernet, InvalidToken

        try:
            Fernet(self._keys[0]).decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def reencrypt(self, ciphertext: str) -> str:
        """The same plaintext encrypted with the newest key (decrypted with whichever key made it)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("the ciphertext cannot be decrypted with these keys") from exc

    def blind_index(self, national_id: str) -> str:
        """The index under the newest key: the one new and re-indexed rows are stored with."""
        return self._index_with(self._index_keys[0], national_id)

    def blind_indexes(self, national_id: str) -> tuple[str, ...]:
        """The index under every key, newest first: a look-up matches any, so children indexed under an older
        key are found until they are re-indexed."""
        return tuple(self._index_with(key, national_id) for key in self._index_keys)

    @staticmethod
    def _index_with(key: bytes, national_id: str) -> str:
        return hmac.new(key, national_id.encode(), hashlib.sha256).hexdigest()
