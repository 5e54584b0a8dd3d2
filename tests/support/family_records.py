"""Family records made directly in the database for the tests of how the family's data is cared for (key rotation,
retention, the auditor's view, isolation): a guardian recorded on a referral with their identity number, as the
referral's guardians are recorded (encrypted, with a blind index under the service's newest key)."""

from __future__ import annotations

from datetime import date

from flask import Flask

from referral_service.bootstrap import dependencies
from referral_service.domain.family import GuardianIdentity
from referral_service.domain.referral import Referral
from referral_service.services.family.access import FamilyViewer

#: A guardian's birth date: grown up, so their number is never mistaken for a child's.
GUARDIAN_BORN = date(1984, 3, 15)


def record_guardian(app: Flask, referral_id: str, national_id: str, *, name: str = "Mor Testesen",
                    position: int = 0) -> str:
    """Record the guardian with this number on the referral (under the app's keys); answers the row's id."""
    vault = dependencies(app).identity.vault
    with app.extensions["referral_db"].session() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        row = GuardianIdentity(referral_id=referral_id, child_id=referral.child_id, position=position, name=name,
                               national_id_ciphertext=vault.encrypt(national_id),
                               national_id_index=vault.blind_index(national_id))
        session.add(row)
        session.commit()
        return row.id


def viewer_of(app: Flask, national_id: str, person_id: str = "ikke-innlogget") -> FamilyViewer:
    """The family member with this number as the app's keys index them (every configured key's index)."""
    return FamilyViewer(person_id=person_id,
                        national_id_indexes=tuple(dependencies(app).identity.vault.blind_indexes(national_id)))
