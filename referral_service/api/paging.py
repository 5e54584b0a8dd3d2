"""Lists in the API: which page was asked for (a number, or a cursor), and the answer with its `Link` header.

A page asked for by number answers `{"items", "total", "page", "per_page"}` (API.md). Every page that has rows after
it also answers `Link: <…?cursor=…>; rel="next"` (RFC 8288); a page asked for with `cursor` (empty: the first page)
answers `{"items", "per_page"}`, counts nothing and skips nothing, so it costs the same deep in a long list as at its
start.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import current_app, request

from referral_service.security.actor import Actor
from referral_service.services.cursors import decode_cursor, encode_cursor
from referral_service.services.pagination import Page, PageRequest

#: The query parameters that choose a page; every other one is a filter the cursor is bound to.
_PAGING = ("cursor", "page", "per_page")


def _secret() -> bytes:
    return hashlib.sha256(b"list-cursor\x00" + str(current_app.config["SECRET_KEY"]).encode()).digest()


def _filters() -> list[tuple[str, str]]:
    return sorted((key, value) for key, values in request.args.lists() if key not in _PAGING for value in values)


def _scope(actor: Actor) -> str:
    """A cursor is good only for the list, the reader and the filters it was made for."""
    return "\x00".join([request.path, actor.user_id, urlencode(_filters())])


def page_request(args: dict[str, Any], *, actor: Actor) -> PageRequest:
    """Takes the paging arguments out of `args` (the rest are the list's filters)."""
    cursor = args.pop("cursor", None)
    page, per_page = args.pop("page"), args.pop("per_page")
    if cursor is None:
        return PageRequest(per_page=per_page, page=page)
    after = decode_cursor(cursor, secret=_secret(), scope=_scope(actor)) if cursor else None
    return PageRequest.by_cursor(per_page=per_page, after=after)


def list_answer(page: Page[Any], *, actor: Actor,
                present: Callable[[Any], Any] = lambda item: item) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The list's body, and its `Link` to the next page when there is one."""
    body: dict[str, Any] = {"items": [present(item) for item in page.items], "per_page": page.per_page}
    if page.page is not None:
        body.update(total=page.total, page=page.page)
    headers = {}
    if page.next_after is not None:
        cursor = encode_cursor(page.next_after, secret=_secret(), scope=_scope(actor))
        query = urlencode([*_filters(), ("per_page", str(page.per_page)), ("cursor", cursor)])
        headers["Link"] = f'<{request.path}?{query}>; rel="next"'
    return body, 200, headers
