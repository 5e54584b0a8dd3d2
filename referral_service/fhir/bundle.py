"""The searchset Bundle: a page of matches, the resources they include, and the links to this page and the next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Resource = dict[str, Any]


def full_url(base_url: str, resource: Resource) -> str:
    """A resource's absolute address on this server: `{base_url}/{type}/{id}`."""
    return f"{base_url}/{resource['resourceType']}/{resource['id']}"


def _key(resource: Resource) -> tuple[str, str]:
    return resource["resourceType"], resource["id"]


def _entry(base_url: str, resource: Resource, mode: str) -> dict[str, Any]:
    return {"fullUrl": full_url(base_url, resource), "resource": resource, "search": {"mode": mode}}


def searchset(*, base_url: str, matches: Sequence[Resource], included: Sequence[Resource] = (), self_link: str,
              next_link: str | None = None, total: int | None = None) -> dict[str, Any]:
    """One page of a search: the matches (`search.mode` match) in their order, then each included resource once
    (`include`; one that is also a match on this page is not repeated); `total` only when it was counted."""
    seen = {_key(resource) for resource in matches}
    entries = [_entry(base_url, resource, "match") for resource in matches]
    for resource in included:
        if _key(resource) not in seen:
            seen.add(_key(resource))
            entries.append(_entry(base_url, resource, "include"))
    links = [{"relation": "self", "url": self_link}]
    if next_link is not None:
        links.append({"relation": "next", "url": next_link})
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    bundle["entry"] = entries
    return bundle
