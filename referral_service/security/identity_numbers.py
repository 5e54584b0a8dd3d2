"""Identity numbers as the service takes them in: checked against today's date, synthetic numbers only where
the settings allow them (never in production), and kept encrypted in the vault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from referral_service.clock import Clock
from referral_service.domain.national_id import NationalId, parse_national_id
from referral_service.security.identity_crypto import IdentityVault


@dataclass(frozen=True)
class IdentityNumbers:
    vault: IdentityVault
    allow_synthetic_ids: bool
    clock: Clock

    def parse(self, number: str, *, birth_date: date | None = None) -> NationalId:
        """The validated number, with the registered birth date given with it (required where the number cannot
        tell it); raises InvalidNationalId (whose message never holds the number)."""
        return parse_national_id(number, allow_synthetic=self.allow_synthetic_ids, today=self.clock.today(),
                                 birth_date=birth_date)
