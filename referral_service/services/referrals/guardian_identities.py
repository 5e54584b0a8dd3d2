"""The guardians recorded on a referral with their identity number, so that they can sign in on the family page
(services/family/access.py finds them by its blind index). The number is checked as the child's is, kept encrypted
in its own row (GuardianIdentity), and never put in the referral's `child_guardians`, an answer or a log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, delete, select

from referral_service.domain.family import GuardianIdentity
from referral_service.domain.national_id import InvalidNationalId
from referral_service.domain.referral import Referral
from referral_service.security.identity_numbers import IdentityNumbers

#: The guardian's field that holds the number in a request (schemas/referrals.GuardianIn).
NUMBER = "national_id"


def guardian_number_errors(identity: IdentityNumbers, guardians: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The refusal of each guardian's number that is not a valid one, by field (the reason, never the number)."""
    errors: dict[str, list[Any]] = {}
    for position, guardian in enumerate(guardians):
        if guardian.get(NUMBER):
            try:
                identity.parse(guardian[NUMBER])
            except InvalidNationalId as exc:
                errors[f"child.guardians.{position}.{NUMBER}"] = [exc.reason]
    return errors


def without_numbers(guardians: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The guardians as the referral keeps and shows them: name, phone and e-mail, no identity number."""
    return [{name: value for name, value in guardian.items() if name != NUMBER} for guardian in guardians]


def replace_guardian_identities(session: Session, identity: IdentityNumbers, *, referral: Referral,
                                guardians: list[dict[str, Any]], new: bool = False) -> None:
    """The referral's guardians who may sign in are these: each given with a number (checked with
    guardian_number_errors), and each given without one under the name of a guardian recorded with a number before
    (a draft edited again keeps it, as it keeps the child's number left empty). A guardian left out can no longer
    sign in to see the referral. A `new` referral has none yet: nothing to read or replace (a referral's creation
    stays within its statements, bench/ and tests/integration/test_write_path_statements.py)."""
    kept: dict[str, GuardianIdentity] = {}
    if not new:
        kept = {row.name: row for row in session.exec(
            select(GuardianIdentity).where(GuardianIdentity.referral_id == referral.id))}
        session.execute(delete(GuardianIdentity).where(GuardianIdentity.referral_id == referral.id))
    for position, guardian in enumerate(guardians):
        name = str(guardian.get("name") or "")
        if guardian.get(NUMBER):
            number = identity.parse(guardian[NUMBER]).value
            ciphertext, index = identity.vault.encrypt(number), identity.vault.blind_indexes(number)[0]
        elif name in kept:
            ciphertext, index = kept[name].national_id_ciphertext, kept[name].national_id_index
        else:
            continue
        session.add(GuardianIdentity(referral_id=referral.id, child_id=referral.child_id, position=position,
                                     name=name, national_id_ciphertext=ciphertext, national_id_index=index))


def copy_guardian_identities(session: Session, *, source: Referral, target: Referral) -> None:
    """A referral that goes on as another (forwarded to another clinic) keeps its guardians who may sign in."""
    rows = session.exec(select(GuardianIdentity).where(GuardianIdentity.referral_id == source.id)).all()
    for row in rows:
        session.add(GuardianIdentity(referral_id=target.id, child_id=target.child_id, position=row.position,
                                     name=row.name, national_id_ciphertext=row.national_id_ciphertext,
                                     national_id_index=row.national_id_index))

