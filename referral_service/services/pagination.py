"""Pages of a query: page numbers for old clients, and keyset pages for everyone.

A page asked for by number counts its rows and skips the pages before it (the shape API.md fixes). A page asked for
by cursor skips nothing and counts nothing: it continues the list's order after the last row the reader was shown,
through the index that serves that order, so page 1 000 costs what page 1 costs (services/cursors.py makes the
opaque cursor from that row's sort key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, true, union, union_all
from sqlmodel import Session, select

T = TypeVar("T")

MAX_PER_PAGE = 200

#: Where a page shown with page numbers stops counting: the web says "more than" beyond it.
COUNT_CAP = 1000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: The rows the list holds; None when the page was asked for by cursor (nothing is counted then).
    total: int | None
    #: The page number; None for a page asked for by cursor.
    page: int | None
    per_page: int
    #: The sort key of the last row shown when there are more rows after it: where the next page starts.
    next_after: tuple[Any, ...] | None = None
    #: `total` stopped at COUNT_CAP: there are at least that many (pages shown with a bounded count).
    total_capped: bool = False


class Counting(Enum):
    """How far a page asked for by number counts the list's rows."""

    #: Every row: the API's `total`.
    EXACT = "exact"
    #: Up to COUNT_CAP rows past the page's start: the web's page numbers ("mer enn 1000").
    BOUNDED = "bounded"
    #: Not at all: a reader that walks the whole list by its next pages (BUP's queue).
    NONE = "none"


@dataclass(frozen=True)
class PageRequest:
    """Which page: by number (`page`), or by cursor (`page` None): the first, or the one after a row's sort key
    (`after`, from a decoded cursor). A page by cursor is never counted."""

    per_page: int
    page: int | None = 1
    after: tuple[Any, ...] | None = None
    count: Counting = Counting.EXACT

    @classmethod
    def by_cursor(cls, *, per_page: int, after: tuple[Any, ...] | None = None) -> PageRequest:
        return cls(per_page=per_page, page=None, after=after, count=Counting.NONE)

    @property
    def offset(self) -> int:
        return 0 if self.page is None else (self.page - 1) * self.per_page


@dataclass(frozen=True)
class SortKey:
    """One column of a list's order."""

    column: Any
    descending: bool = False
    nulls_last: bool = False

    def order(self) -> Any:
        ordered = self.column.desc() if self.descending else self.column.asc()
        return ordered.nulls_last() if self.nulls_last else ordered


@dataclass(frozen=True)
class Order:
    """A list's order: its sort keys, the last of which is unique (the row's id), so every row has one place."""

    keys: tuple[SortKey, ...] = field(default_factory=tuple)

    def order_by(self) -> list[Any]:
        return [key.order() for key in self.keys]

    def after(self, values: Sequence[Any]) -> ColumnElement[bool]:
        """The rows after the one with these sort-key values, written so that the first key bounds an index range."""
        return _after(self.keys, tuple(values))


def _after(keys: tuple[SortKey, ...], values: tuple[Any, ...]) -> ColumnElement[bool]:
    key, value = keys[0], values[0]
    column = key.column
    rest = _after(keys[1:], values[1:]) if len(keys) > 1 else None
    if value is None:  # only a nulls-last key holds None (never the last key): after it come the other nulls
        assert rest is not None
        return and_(column.is_(None), rest)
    beyond = column < value if key.descending else column > value
    if key.nulls_last:
        beyond = or_(beyond, column.is_(None))
    if rest is None:
        return beyond
    tie = and_(column == value, rest)
    if key.nulls_last:
        return or_(beyond, tie)
    # The bound repeats what `beyond` and `tie` say together, so the planner starts the index range at the value.
    bound = column <= value if key.descending else column >= value
    return and_(bound, or_(beyond, tie))


def counted(wanted: PageRequest, count: Callable[[int | None], tuple[int, bool]]) -> tuple[int | None, bool]:
    """The page's total as `wanted` asks for it: `count(cap)` runs the count; a page after a cursor counts nothing."""
    if wanted.page is None or wanted.count is Counting.NONE:
        return None, False
    return count(wanted.offset + COUNT_CAP if wanted.count is Counting.BOUNDED else None)


def count_rows(session: Session, entity: Any, where: ColumnElement[bool], *,
               cap: int | None = None) -> tuple[int, bool]:
    """How many rows of `entity` match `where`, stopping at `cap` when given; and whether it stopped there.

    Nothing but the WHERE clause is read, so an index that holds its columns answers alone (an index-only count)."""
    if cap is None:
        return session.execute(select(func.count()).select_from(entity).where(where)).scalar_one(), False
    found = session.execute(select(func.count()).select_from(
        select(literal(1)).select_from(entity).where(where).limit(cap + 1).subquery())).scalar_one()
    return (cap, True) if found > cap else (found, False)


@dataclass(frozen=True)
class Branch:
    """One part of a list: the rows matching `where`, read in `order` (when the part has a shorter order of its own
    than the list, e.g. when its first sort key is the same for every row of it); `after` gives the rows of this part
    after a row of the list (default: the list's order after it)."""

    where: ColumnElement[bool]
    order: Order | None = None
    after: Callable[[tuple[Any, ...]], ColumnElement[bool] | None] | None = None


def first_rows(entity: Any, *, branches: Sequence[Branch], order: Order, wanted: PageRequest,
               also: Sequence[Any] = ()) -> Select[Any]:
    """The select of one page (and one row more) from the rows that match any of the branches (with the columns
    `also`, e.g. a computed sort key, beside each row).

    Each branch is a WHERE clause that an index can serve in its order; with several, each branch gives only its own
    first rows (as many as the page needs) and only those are sorted together, so no branch is read in full.
    """
    def reading(branch: Branch) -> Select[Any]:
        query = select(entity, *also).where(branch.where)
        if wanted.after is not None:
            after = branch.after(wanted.after) if branch.after is not None else order.after(wanted.after)
            if after is not None:
                query = query.where(after)
        return query

    if len(branches) == 1 and branches[0].order is None:
        return reading(branches[0]).order_by(*order.order_by()).offset(wanted.offset).limit(wanted.per_page + 1)
    parts = []
    for branch in branches:
        part = reading(branch).with_only_columns(entity.id).order_by(*(branch.order or order).order_by())
        parts.append(select(part.limit(wanted.offset + wanted.per_page + 1).subquery().c.id))
    return (select(entity, *also).where(entity.id.in_(union_all(*parts))).order_by(*order.order_by())
            .offset(wanted.offset).limit(wanted.per_page + 1))


def count_parts(session: Session, entity: Any, *, parts: Sequence[ColumnElement[bool]],
                cap: int | None) -> tuple[int, bool]:
    """How many distinct rows match any of the parts of a reader's need-to-know (each counted through its own
    index; one part, the usual case, is an index-only count)."""
    if not parts:
        return 0, False
    if len(parts) == 1:
        return count_rows(session, entity, parts[0], cap=cap)
    ids = [select(entity.id).where(part) for part in parts]
    if cap is not None:
        ids = [select(found.limit(cap + 1).subquery().c.id) for found in ids]
    matching = union(*ids).subquery()
    return count_rows(session, matching, true(), cap=cap)


def read_page(session: Session, entity: Any, *, counting: Sequence[ColumnElement[bool]], branches: Sequence[Branch],
              order: Order, wanted: PageRequest, key_of: Any, also: Sequence[Any] = ()) -> Page[Any]:
    """One page of a list read by the parts of a reader's need-to-know: counted over `counting` as `wanted` asks,
    its rows read through `branches` (the entities; rows with the columns `also` beside them when given)."""
    total, capped = counted(wanted, lambda cap: count_parts(session, entity, parts=counting, cap=cap))
    rows: list[Any] = []
    if branches:
        result = session.execute(first_rows(entity, branches=branches, order=order, wanted=wanted, also=also))
        rows = list(result.all() if also else result.scalars().all())
    return page_of(rows, wanted=wanted, total=total, total_capped=capped, key_of=key_of)


def page_of(rows: list[Any], *, wanted: PageRequest, key_of: Any, total: int | None = None,
            total_capped: bool = False) -> Page[Any]:
    """The page from the rows read (one more than the page, to know whether another follows)."""
    more = len(rows) > wanted.per_page
    items = rows[:wanted.per_page]
    return Page(items=items, total=total, page=wanted.page,
                per_page=wanted.per_page, next_after=key_of(items[-1]) if more and items else None,
                total_capped=total_capped)


def paginate(session: Session, query: Any, *, page: int, per_page: int) -> Page[Any]:
    """Run `query` for one page, with the total count of rows it matches (the lists not yet read by keyset)."""
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    items = list(session.exec(query.offset((page - 1) * per_page).limit(per_page)).all())
    return Page(items=items, total=total, page=page, per_page=per_page)
