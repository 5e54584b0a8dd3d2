"""The search parameters as WHERE clauses on our rows: one occurrence of a parameter is one clause (its
comma-separated values OR-ed in it), the occurrences are AND-ed.

FHIR status codes become our statuses through the mappers' own tables (inverted here, never copied), so the status
mapping stays in one place."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from referral_service.errors import DomainError
from referral_service.fhir.search_values import BadSearchValue, alternatives, date_range, plain_id, reference_id
from referral_service.services.fhir.search import SearchQuery, SearchRefused

Clause = ColumnElement[bool]


def _refused(name: str, error: BadSearchValue) -> DomainError:
    return SearchRefused(f"{name}: {error}", errors={name: [str(error)]})


def statuses_for(codes: Iterable[str], table: Mapping[str, str]) -> list[str]:
    """Our statuses that the FHIR status `codes` stand for, by the mapper's table (our status -> FHIR code)."""
    wanted = set(codes)
    return [ours for ours, fhir in table.items() if fhir in wanted]


def status_clauses(query: SearchQuery, column: Any, table: Mapping[str, str]) -> list[Clause]:
    """`status=<FHIR code>[,…]`: the rows whose status maps to any of them (a code no row maps to matches nothing)."""
    clauses: list[Clause] = []
    for occurrence in query.occurrences("status"):
        ours = statuses_for(alternatives(occurrence), table)
        clauses.append(column.in_(ours) if ours else false())
    return clauses


def id_clauses(query: SearchQuery, column: Any, name: str = "_id") -> list[Clause]:
    clauses: list[Clause] = []
    for occurrence in query.occurrences(name):
        try:
            ids = [plain_id(v) for v in alternatives(occurrence)]
        except BadSearchValue as error:
            raise _refused(name, error) from error
        clauses.append(column.in_(ids))
    return clauses


def reference_clauses(query: SearchQuery, name: str, *,
                      by_type: Mapping[str, Callable[[list[str]], Clause]]) -> list[Clause]:
    """`name=Type/id[,…]` (or bare ids: any of the types): each type's clause on the ids given for it."""
    clauses: list[Clause] = []
    for occurrence in query.occurrences(name):
        wanted: dict[str, list[str]] = {}
        try:
            for value in alternatives(occurrence):
                kind, found = reference_id(value, types=tuple(by_type))
                for each in ([kind] if kind is not None else list(by_type)):
                    wanted.setdefault(each, []).append(found)
        except BadSearchValue as error:
            raise _refused(name, error) from error
        clauses.append(or_(*(by_type[kind](ids) for kind, ids in wanted.items())) if wanted else false())
    return clauses


def last_updated_clauses(query: SearchQuery, column: Any, *, zone: tzinfo) -> list[Clause]:
    """`_lastUpdated=[prefix]date`, repeated for a range: each occurrence a bound (or a span, with eq)."""
    clauses: list[Clause] = []
    for occurrence in query.occurrences("_lastUpdated"):
        try:
            spans = [date_range(value, zone=zone) for value in alternatives(occurrence)]
        except BadSearchValue as error:
            raise _refused("_lastUpdated", error) from error
        clauses.append(or_(*(and_(column >= span.start if span.start is not None else true(),
                                  column < span.end if span.end is not None else true()) for span in spans)))
    return clauses
