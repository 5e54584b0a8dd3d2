"""FHIR R4 Subscriptions after the Subscriptions R5 Backport IG (hl7.fhir.uv.subscriptions-backport): the
Subscription resource we keep, the one a client sends, and the id-only notification Bundle we post.

One topic: a Task changed (`{CANON}/SubscriptionTopic/task-changed`), filtered by `Task?owner=Organization/{id}`,
`Task?_id={id}` or not at all; channel rest-hook, payload `application/fhir+json` with content `id-only`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from referral_service.errors import InvalidData
from referral_service.fhir.codes import CANON

TASK_CHANGED_TOPIC = f"{CANON}/SubscriptionTopic/task-changed"
_BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition"
FILTER_CRITERIA = f"{_BACKPORT}/backport-filter-criteria"
PAYLOAD_CONTENT = f"{_BACKPORT}/backport-payload-content"
FHIR_JSON = "application/fhir+json"
ID_ONLY = "id-only"

#: Said to a client whose endpoint is not on the public internet (the address it resolves to is never echoed).
NOT_PUBLIC = "The endpoint must resolve to public internet addresses only."

_ID = r"[A-Za-z0-9\-.]{1,64}"
_FILTERS = {"owner": re.compile(rf"Task\?owner=Organization/({_ID})"), "id": re.compile(rf"Task\?_id=({_ID})")}


@dataclass(frozen=True)
class SubscriptionRequest:
    """What a client asked for, checked."""

    endpoint: str
    filter_kind: str | None
    filter_value: str | None
    reason: str


def criteria_of(filter_kind: str | None, filter_value: str | None) -> str | None:
    """The filter as the backport writes it."""
    if filter_kind == "owner":
        return f"Task?owner=Organization/{filter_value}"
    if filter_kind == "id":
        return f"Task?_id={filter_value}"
    return None


def is_public_address(address: str) -> bool:
    """An address on the public internet: not loopback, private, link-local (cloud metadata), shared, reserved or
    multicast; an IPv4 address written as IPv6 (::ffff:10.0.0.5) is judged as the IPv4 address it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def subscription_resource(*, subscription_id: str, status: str, endpoint: str, filter_kind: str | None,
                          filter_value: str | None, reason: str | None, error: str | None,
                          version: int, updated_at: datetime) -> dict[str, Any]:
    """Our Subscription as R4: the topic in `criteria`, the filter in its backport extension, and the error when
    the subscription gave up."""
    resource: dict[str, Any] = {
        "resourceType": "Subscription",
        "id": subscription_id,
        "meta": {"versionId": str(version), "lastUpdated": _instant(updated_at)},
        "status": status,
        "reason": reason or "Task changes",
        "criteria": TASK_CHANGED_TOPIC,
        "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": FHIR_JSON,
                    "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": ID_ONLY}]}},
    }
    criteria = criteria_of(filter_kind, filter_value)
    if criteria:
        resource["_criteria"] = {"extension": [{"url": FILTER_CRITERIA, "valueString": criteria}]}
    if error:
        resource["error"] = error
    return resource


def _channel_errors(channel: dict[str, Any], *, allow_http: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    fail = lambda field, message: errors.setdefault(field, []).append(message)  # noqa: E731
    if channel.get("type") != "rest-hook":
        fail("channel.type", "Only rest-hook channels are served.")
    if channel.get("payload") not in (None, FHIR_JSON, "application/json"):
        fail("channel.payload", f"Notifications are sent as {FHIR_JSON}.")
    if _payload_content(channel) not in (None, ID_ONLY):
        fail("channel.payload", "Only id-only notifications are sent (no resource content).")
    if channel.get("header"):
        fail("channel.header", "Extra headers are not supported; the endpoint must accept the notification as is.")
    endpoint = channel.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or not parts.hostname or parts.username or parts.password:
        fail("channel.endpoint", "Give the endpoint as an absolute URL without credentials.")
    elif parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        fail("channel.endpoint", "The endpoint must use https.")
    return errors


def _field_errors(resource: Any, *, allow_http: bool) -> dict[str, list[str]]:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Subscription":
        return {"resourceType": ["Send a Subscription resource."]}
    channel = resource.get("channel")
    errors = _channel_errors(channel if isinstance(channel, dict) else {}, allow_http=allow_http)
    fail = lambda field, message: errors.setdefault(field, []).append(message)  # noqa: E731
    if resource.get("criteria") != TASK_CHANGED_TOPIC:
        fail("criteria", f"The only topic is {TASK_CHANGED_TOPIC}.")
    criteria = _filter_criteria(resource)
    if criteria is not None and not any(rule.fullmatch(criteria) for rule in _FILTERS.values()):
        fail("criteria", "The filter must be Task?owner=Organization/{id} or Task?_id={id}.")
    if resource.get("status") not in (None, "requested", "active"):
        fail("status", "A new subscription is requested (or active).")
    return errors


def parse_subscription(resource: Any, *, allow_http: bool) -> SubscriptionRequest:
    """The client's Subscription, checked; InvalidData (422) naming each wrong field, never echoing a value."""
    errors = _field_errors(resource, allow_http=allow_http)
    if errors:
        raise InvalidData("The Subscription cannot be served.", errors=errors)
    criteria = _filter_criteria(resource)
    kind, value = None, None
    for name, rule in _FILTERS.items():
        found = rule.fullmatch(criteria or "")
        if found:
            kind, value = name, found.group(1)
    reason = resource.get("reason") if isinstance(resource.get("reason"), str) else None
    return SubscriptionRequest(endpoint=resource["channel"]["endpoint"], filter_kind=kind, filter_value=value,
                               reason=(reason or "Task changes")[:500])


def _payload_content(channel: dict[str, Any]) -> Any:
    for ext in (channel.get("_payload") or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == PAYLOAD_CONTENT:
            return ext.get("valueCode")
    return None


def _filter_criteria(resource: dict[str, Any]) -> str | None:
    for ext in (resource.get("_criteria") or {}).get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == FILTER_CRITERIA:
            value = ext.get("valueString")
            return value if isinstance(value, str) else ""
    return None


def _instant(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def notification_bundle(*, notification_id: str, subscription_id: str, status: str, event_number: int,
                        occurred_at: datetime, sent_at: datetime, task_id: str, base_url: str) -> dict[str, Any]:
    """The id-only event notification: a `history` Bundle whose first entry is the subscription's status
    (Parameters shaped as backport-subscription-status-r4; no meta.profile until the HL7 validator passes, as
    FHIR.md §1 says) naming this event, then the changed Task by its address only.
    The event number lets a receiver drop a repeat."""
    status_parameters = {
        "resourceType": "Parameters",
        "id": notification_id,
        "parameter": [
            {"name": "subscription", "valueReference": {"reference": f"{base_url}/Subscription/{subscription_id}"}},
            {"name": "topic", "valueCanonical": TASK_CHANGED_TOPIC},
            {"name": "status", "valueCode": status},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": str(event_number)},
            {"name": "notification-event", "part": [
                {"name": "event-number", "valueString": str(event_number)},
                {"name": "timestamp", "valueInstant": _instant(occurred_at)},
                {"name": "focus", "valueReference": {"reference": f"{base_url}/Task/{task_id}"}},
            ]},
        ],
    }
    return {
        "resourceType": "Bundle",
        "id": notification_id,
        "type": "history",
        "timestamp": _instant(sent_at),
        "entry": [
            {"fullUrl": f"urn:uuid:{notification_id}", "resource": status_parameters,
             "request": {"method": "GET", "url": f"Subscription/{subscription_id}/$status"},
             "response": {"status": "200"}},
            {"fullUrl": f"{base_url}/Task/{task_id}",
             "request": {"method": "PUT", "url": f"Task/{task_id}"}, "response": {"status": "200"}},
        ],
    }
