"""FHIR search (`GET /fhir/{type}?…`): the parameters a search takes, its page and the cursor to the next one.

Each searchable type registers a `Search` (`@searches`): the parameters it takes (they also go in the
CapabilityStatement through the registry), the `_include` values it serves, and the function that reads one page of
what the caller may see. This module reads the query string the same way for every type:

- Strict handling by default: a parameter this server does not know is 400 (FHIR R4 §3.1.1.5.3); with
  `Prefer: handling=lenient` it is ignored, and the `self` link shows only the parameters that were used. A modifier
  (`status:not`) is never ignored: it would change the meaning of what is answered.
- `Patient?identifier=` is refused, whatever the handling: identity numbers are never searchable by URL
  (FHIR.md §1). So is any value that looks like an identity number, on every type and under every name. No message
  repeats a value that was sent.
- Paging: newest first, `_count` (default 20, at most 100), and a `next` link with an opaque `_cursor` (a keyset
  cursor, services/cursors.py) bound to the type, the reader and the filters; `total` is counted on the first page
  (each part of the need-to-know read through its index, as the /api/v1 lists count) and omitted after a cursor.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from referral_service.errors import DomainError, NotFound
from referral_service.fhir.bundle import searchset
from referral_service.fhir.search_values import looks_like_identity_number
from referral_service.services.cursors import decode_cursor, encode_cursor
from referral_service.services.fhir.registry import (
    INCLUDES,
    READERS,
    REVINCLUDES,
    SEARCH_PARAMETERS,
    FhirRequest,
    Resource,
    SearchParameter,
)
from referral_service.services.pagination import Page

DEFAULT_COUNT = 20
MAX_COUNT = 100
CURSOR = "_cursor"
#: Parameters about the answer rather than the rows: taken by every search.
_RESULT_PARAMETERS = ("_count", "_include", "_revinclude", CURSOR, "_format", "_pretty")
#: Taken and of no effect: the format was negotiated before the route ran (http.py: JSON only); the JSON is compact.
_NO_EFFECT = ("_format", "_pretty")
#: A parameter name that may be repeated in a message (letters, '_', '-', '.', ':' only: never a number).
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z_\-.:]{0,40}$")
#: `_count`: ASCII digits only (str.isdigit() also takes '²' and '١', which int() then refuses or reads).
_COUNT = re.compile(r"[0-9]{1,4}")
#: What services/cursors.py makes: base64url, a dot, base64url. Anything else is refused before it is decoded.
_CURSOR_SHAPE = re.compile(r"[A-Za-z0-9_\-]{1,2000}\.[A-Za-z0-9_\-]{1,100}")

IDENTIFIER_REFUSED = ("Identity numbers are never searchable by URL: search by our id (_id, patient) instead, or "
                      "read the Patient from a referral you may see.")
IDENTITY_NUMBER_REFUSED = "A search value may not be an identity number: identity numbers never travel in a URL."

ID = SearchParameter("_id", "token", "Our id of the resource; several separated by commas.")
LAST_UPDATED = SearchParameter("_lastUpdated", "date",
                               "When the resource last changed (meta.lastUpdated), with the prefixes eq, gt, lt, ge "
                               "and le; repeat the parameter for a range (ge… and lt…).")


class SearchRefused(DomainError, status=400, title="Bad search"):
    """The search cannot be run as asked (FHIR answers these with 400 and an OperationOutcome)."""


@dataclass(frozen=True)
class SearchQuery:
    """One search as the type's page function sees it: each parameter's occurrences (AND-ed), each a list of
    alternatives (OR-ed, the comma-separated values), the page size, where the page starts, and the includes."""

    criteria: dict[str, list[str]]
    count: int
    after: tuple[Any, ...] | None = None
    includes: frozenset[str] = frozenset()
    revincludes: frozenset[str] = frozenset()

    @property
    def first_page(self) -> bool:
        return self.after is None

    def occurrences(self, name: str) -> list[str]:
        return self.criteria.get(name, [])


@dataclass(frozen=True)
class Found:
    """One page: the matching resources in order, those they include, the sort key of the last match when more follow,
    and the number of matches when it was counted."""

    matches: list[Resource]
    included: list[Resource] = field(default_factory=list)
    next_after: tuple[Any, ...] | None = None
    total: int | None = None


PageOf = Callable[[FhirRequest, SearchQuery], Found]


@dataclass(frozen=True)
class Search:
    resource_type: str
    parameters: tuple[SearchParameter, ...]
    includes: tuple[str, ...]
    page_of: PageOf
    revincludes: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.parameters)


#: resource type -> its search.
SEARCHES: dict[str, Search] = {}


def searches(resource_type: str, *, parameters: Sequence[SearchParameter], includes: Sequence[str] = (),
             revincludes: Sequence[str] = ()) -> Callable[[PageOf], PageOf]:
    """Register `resource_type`'s search: its page function, parameters and (rev)includes (in the
    CapabilityStatement)."""

    def register(page_of: PageOf) -> PageOf:
        assert resource_type not in SEARCHES, f"two searches of {resource_type}"
        SEARCHES[resource_type] = Search(resource_type, tuple(parameters), tuple(includes), page_of,
                                         tuple(revincludes))
        SEARCH_PARAMETERS[resource_type] = tuple(parameters)
        if includes:
            INCLUDES[resource_type] = tuple(includes)
        if revincludes:
            REVINCLUDES[resource_type] = tuple(revincludes)
        return page_of

    return register


def newest_first(pages: Sequence[Page[Any]], *, count: int, when: str) -> tuple[list[Any], tuple[Any, ...] | None]:
    """One page from pages of several lists, each read in the order (`when` newest first, then the id) after the same
    cursor and one row longer than the page: the first `count` rows of them all, and the sort key of the last one
    shown when more follow (a cursor that continues every list there: no row twice, none skipped)."""
    rows = sorted(sorted((row for page in pages for row in page.items), key=lambda row: row.id),
                  key=lambda row: getattr(row, when), reverse=True)
    shown = rows[:count]
    more = len(rows) > count or any(page.next_after is not None for page in pages)
    return shown, ((getattr(shown[-1], when), shown[-1].id) if more and shown else None)


def _refuse(detail: str, parameter: str | None = None) -> SearchRefused:
    named = parameter if parameter is not None and _SAFE_NAME.match(parameter) else "_query"
    return SearchRefused(detail, errors={named: [detail]})


@dataclass(frozen=True)
class _Parsed:
    criteria: dict[str, list[str]]
    count: int | None
    cursor: str | None
    #: (_include or _revinclude, value)
    includes: tuple[tuple[str, str], ...]
    #: The query string as used: the filters and includes, in a stable order (for the links and the cursor's scope).
    used: list[tuple[str, str]]


def _count_of(value: str) -> int:
    """`_count`, capped at 100; a value that is not one to four ASCII digits is refused (and never given to int())."""
    if not _COUNT.fullmatch(value):
        raise _refuse("_count is a whole number of entries per page (at most 100).", "_count")
    return min(int(value), MAX_COUNT)


def _cursor_of(value: str) -> str:
    """`_cursor` as the `next` link gave it; an empty or misshapen one is refused (400) rather than read as none."""
    if not _CURSOR_SHAPE.fullmatch(value):
        raise _refuse("_cursor is taken only as the next link gives it; start again from the first page.", CURSOR)
    return value


def _refuse_identity_numbers(resource_type: str, name: str, value: str) -> None:
    """Patient.identifier holds the identity number: never a search parameter. Nor is a value that looks like one,
    on any type, under any name."""
    if resource_type == "Patient" and name.partition(":")[0] == "identifier":
        raise _refuse(IDENTIFIER_REFUSED, "identifier")
    parts = [value, *value.split(",")]
    if any(looks_like_identity_number(last) for part in parts for last in (part, re.split(r"[/|]", part)[-1])):
        raise _refuse(IDENTITY_NUMBER_REFUSED, name.partition(":")[0])


def _include(search: Search, name: str, value: str, *, lenient: bool) -> list[tuple[str, str]]:
    served = search.includes if name == "_include" else search.revincludes
    if value in served:
        return [(name, value)]
    if lenient:
        return []
    raise _refuse(f"{search.resource_type} searches take {name} {', '.join(served) or 'with no value'} only.", name)


def _criterion(search: Search, name: str, value: str, *, lenient: bool) -> tuple[str, str] | None:
    """A filter, as (parameter, value); None for an empty value or an unknown parameter ignored (lenient)."""
    base, _, modifier = name.partition(":")
    if base in search.names and modifier:
        raise _refuse(f"This server takes no modifiers on {base}.", base)
    if base in search.names:
        return (base, value) if value.strip() else None
    if lenient:
        return None
    raise _refuse(f"{search.resource_type} searches take the parameters "
                  f"{', '.join(sorted(search.names | set(_RESULT_PARAMETERS)))}; one sent is not among them "
                  "(send Prefer: handling=lenient to have unknown parameters ignored).", base)


def _parse(search: Search, args: Iterable[tuple[str, str]], *, lenient: bool) -> _Parsed:
    criteria: dict[str, list[str]] = {}
    count: int | None = None
    cursor: str | None = None
    includes: list[tuple[str, str]] = []
    for name, value in args:
        if name == "_count":
            count = _count_of(value)
        elif name == CURSOR:
            cursor = _cursor_of(value)
        elif name in ("_include", "_revinclude"):
            includes += _include(search, name, value, lenient=lenient)
        elif name not in _NO_EFFECT:
            criterion = _criterion(search, name, value, lenient=lenient)
            if criterion is not None:
                criteria.setdefault(criterion[0], []).append(criterion[1])
    used = sorted((name, value) for name, values in criteria.items() for value in values)
    used += sorted(set(includes))
    return _Parsed(criteria, count, cursor, tuple(sorted(set(includes))), used)


def _secret(req: FhirRequest) -> bytes:
    return hashlib.sha256(b"fhir-search-cursor\x00" + str(req.deps.config.SECRET_KEY).encode()).digest()


def _scope(req: FhirRequest, resource_type: str, used: list[tuple[str, str]]) -> str:
    """A cursor is good only for the type, the reader and the filters it was made for."""
    return "\x00".join([resource_type, req.actor.user_id, urlencode(used)])


def search_for(resource_type: str) -> Search:
    """The type's search; 404 for a type this server does not serve, 400 for one it reads by id only."""
    search = SEARCHES.get(resource_type)
    if search is not None:
        return search
    if resource_type in READERS:
        raise SearchRefused(f"{resource_type} resources are read by id only on this server; they are not searched.")
    raise NotFound(f"This server serves no {resource_type} resources." if resource_type.isalpha()
                   else "This server serves no such resource type.")


def run_search(req: FhirRequest, resource_type: str, args: Iterable[tuple[str, str]], *,
               lenient: bool = False) -> dict[str, Any]:
    """One page of `resource_type`'s search as a searchset Bundle, with its `self` and `next` links."""
    args = list(args)
    for name, value in args:  # before anything else, on every type, whatever the handling
        _refuse_identity_numbers(resource_type, name, value)
    search = search_for(resource_type)
    parsed = _parse(search, args, lenient=lenient)
    secret, scope = _secret(req), _scope(req, resource_type, parsed.used)
    after = decode_cursor(parsed.cursor, secret=secret, scope=scope) if parsed.cursor is not None else None
    count = DEFAULT_COUNT if parsed.count is None else parsed.count
    found = search.page_of(req, SearchQuery(
        criteria=parsed.criteria, count=count, after=after,
        includes=frozenset(value for name, value in parsed.includes if name == "_include"),
        revincludes=frozenset(value for name, value in parsed.includes if name == "_revinclude")))
    address = f"{req.base_url}/{resource_type}"
    paging = [("_count", str(count))] if parsed.count is not None else []
    self_link = _link(address, [*parsed.used, *paging, *([(CURSOR, parsed.cursor)] if parsed.cursor else [])])
    next_link = None
    if found.next_after is not None:
        next_link = _link(address, [*parsed.used, ("_count", str(count)),
                                    (CURSOR, encode_cursor(found.next_after, secret=secret, scope=scope))])
    return searchset(base_url=req.base_url, matches=found.matches, included=found.included, self_link=self_link,
                     next_link=next_link, total=found.total)


def refuse_parameters(resource_type: str, operation: str, args: Iterable[tuple[str, str]], *,
                      lenient: bool = False) -> None:
    """An operation that takes no parameters: identity numbers are refused as in any search, `_format` and `_pretty`
    taken (of no effect), any other parameter 400 (ignored under `Prefer: handling=lenient`)."""
    for name, value in args:
        _refuse_identity_numbers(resource_type, name, value)
        if name not in _NO_EFFECT and not lenient:
            raise _refuse(f"{resource_type}/${operation} takes no parameters (send Prefer: handling=lenient to have "
                          "them ignored).", name)


def _link(address: str, query: list[tuple[str, str]]) -> str:
    return f"{address}?{urlencode(query)}" if query else address
