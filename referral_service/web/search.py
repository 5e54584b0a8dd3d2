"""A worklist's search, held in the session: the form is posted (so an identity number is never in a URL or the
server's request log) and the page is read again with the search it left behind. The session keeps the child's
id, never the number."""

from __future__ import annotations

from flask import request, session

from referral_service.api.context import db_session, deps
from referral_service.services.children.search import NO_SEARCH, ChildSearch, child_search

SEARCH_FIELD = "sok"
_KEY = "search"


def remembered_search(worklist: str) -> ChildSearch:
    """The search last posted on this worklist (each list keeps its own), or none."""
    return ChildSearch.from_session((session.get(_KEY) or {}).get(worklist))


def remember_posted_search(worklist: str) -> ChildSearch:
    """Keep what the posted form asks for: a new search, or none when it was cleared or left empty."""
    text = "" if "fjern_sok" in request.form else request.form.get(SEARCH_FIELD, "")
    search = child_search(db_session(), deps().identity.vault, text) if text.strip() else NO_SEARCH
    kept = dict(session.get(_KEY) or {})
    if search.active:
        kept[worklist] = search.to_session()
    else:
        kept.pop(worklist, None)
    session[_KEY] = kept
    return search
