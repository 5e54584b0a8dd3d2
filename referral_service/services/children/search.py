"""Finding a child on a worklist: by a full identity number, matched exactly through the keyed blind index (the
number itself is never kept, shown back or logged), or by words of the name as the referral gives it.

Every list (the municipality's tasks, BUP's queue, the referrer's referrals) narrows its rows with the same
`ChildSearch`, so the three search alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, true
from sqlmodel import Session, col, select

from referral_service.domain.child import Child
from referral_service.security.identity_crypto import IdentityVault

#: More words than this are not a name; the rest are dropped.
MAX_WORDS = 4
#: A name is searched as typed up to this length.
MAX_WORD_LENGTH = 40
NUMBER_LENGTH = 11


@dataclass(frozen=True)
class ChildSearch:
    """What was searched for. With a full number: the registered child it belongs to (None when no child has it).
    Holds no identity number, so it may be kept in the session and shown back."""

    number_typed: bool = False
    child_id: str | None = None
    words: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.number_typed or bool(self.words)

    @property
    def shown(self) -> str:
        """What the page says was searched for (a number is shown as 'fødselsnummer', never its digits)."""
        return "fødselsnummer" if self.number_typed else " ".join(self.words)

    def to_session(self) -> dict[str, Any]:
        return {"number": self.number_typed, "child": self.child_id, "words": list(self.words)}

    @classmethod
    def from_session(cls, data: Any) -> ChildSearch:
        if not isinstance(data, dict):
            return NO_SEARCH
        words = tuple(str(w)[:MAX_WORD_LENGTH] for w in data.get("words") or [] if str(w))[:MAX_WORDS]
        child = data.get("child")
        return cls(number_typed=bool(data.get("number")), child_id=child if isinstance(child, str) else None,
                   words=words)


NO_SEARCH = ChildSearch()


def looks_like_number(text: str) -> bool:
    digits = "".join(text.split())
    return digits.isdigit() and len(digits) == NUMBER_LENGTH


def child_search(session: Session, vault: IdentityVault, text: str) -> ChildSearch:
    """The search for what a worker typed: eleven digits (spaces allowed) are an identity number, anything else
    words of a name."""
    text = (text or "").strip()
    if looks_like_number(text):
        digits = "".join(text.split())
        # Every key's index: a child indexed under an older key is found until `keys rotate` re-indexes it.
        indexes = vault.blind_indexes(digits)
        child_id = session.exec(select(Child.id).where(col(Child.national_id_index).in_(indexes))).first()
        return ChildSearch(number_typed=True, child_id=child_id)
    words = tuple(word[:MAX_WORD_LENGTH] for word in text.split())[:MAX_WORDS]
    return ChildSearch(words=words)


def _contains(column: Any, word: str) -> ColumnElement[bool]:
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def search_clause(search: ChildSearch, *, child_id: Any, given_name: Any, family_name: Any) -> ColumnElement[bool]:
    """The rows the search keeps: the child's own (by number), or each word found in the given or family name."""
    if search.number_typed:
        return child_id == search.child_id if search.child_id else false()
    if not search.words:
        return true()
    return and_(*(or_(_contains(given_name, word), _contains(family_name, word)) for word in search.words))
