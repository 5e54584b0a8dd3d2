"""Pages of a query: the list shape of the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session

T = TypeVar("T")

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(session: Session, query: Any, *, page: int, per_page: int) -> Page[Any]:
    """Run `query` for one page, with the total count of rows it matches."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.exec(query.offset((page - 1) * per_page).limit(per_page)).all())
    return Page(items=items, total=total, page=page, per_page=per_page)
