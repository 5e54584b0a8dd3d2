"""Lists on pages: which page was asked for (?side=N), and how many rows a page shows."""

from __future__ import annotations

from flask import request

from referral_service.services.pagination import Counting, PageRequest

#: Rows per page in the web's lists; the API's clients choose their own (at most MAX_PER_PAGE).
PER_PAGE = 50


def requested_page(param: str = "side") -> int:
    """The page asked for (a page with several lists names each list's page by its own `param`); anything that is
    not a positive number is the first page."""
    raw = request.args.get(param, "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def numbered_page(per_page: int, *, param: str = "side") -> PageRequest:
    """The page asked for, counted only as far as a bounded distance past it (the page says "mer enn" beyond)."""
    return PageRequest(per_page=per_page, page=requested_page(param), count=Counting.BOUNDED)
