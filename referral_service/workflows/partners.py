"""Partners and needs on a referral: when the child welfare service (barnevern) is told, and what a
child welfare partner and an interpreter need must say to be valid. Pure rules: codes in, codes out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from referral_service.domain.enums import ChildWelfareBasis, ShareWith
from referral_service.domain.languages import is_interpreter_language


def child_welfare_may_be_told(*, basis: str | None, share_with: Iterable[str]) -> bool:
    """Whether the child welfare partner hears BUP's decisions: always on the duty to inform (it needs no
    consent), and on consent only while the consent in force shares with the child welfare service."""
    if basis == ChildWelfareBasis.LEGAL_DUTY:
        return True
    return basis == ChildWelfareBasis.CONSENT and ShareWith.CHILD_WELFARE in set(share_with)


def interpreter_problems(interpreter: dict[str, Any]) -> dict[str, str]:
    """What is wrong with an interpreter need, by field, as English sentences (empty when it is valid)."""
    language = interpreter.get("language")
    if interpreter.get("needed"):
        if not language:
            return {"interpreter.language": "Say which language the interpreter must speak."}
        if not is_interpreter_language(language):
            return {"interpreter.language": "Not a language on the interpreter list (ISO 639-1 code)."}
    elif language:
        return {"interpreter.language": "A language is given only when an interpreter is needed."}
    return {}


def child_welfare_basis_problems(*, basis: str, share_with: Iterable[str]) -> dict[str, str]:
    """A partner by consent needs a consent that shares with the child welfare service; the duty to inform
    needs none."""
    if basis == ChildWelfareBasis.CONSENT and ShareWith.CHILD_WELFARE not in set(share_with):
        return {"child_welfare.basis": "The consent does not include sharing with the child welfare service; "
                                       "record that consent, or name the duty to inform as the basis."}
    return {}
