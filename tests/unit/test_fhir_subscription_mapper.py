"""The Subscription mapper, without a database: what a client may ask for, and the id-only notification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fhir.resources.R4B import get_fhir_model_class

from referral_service.errors import InvalidData
from referral_service.fhir.subscription import (
    FILTER_CRITERIA,
    TASK_CHANGED_TOPIC,
    is_public_address,
    notification_bundle,
    parse_subscription,
    subscription_resource,
)


def asked(endpoint: str = "https://journal.example/hook", criteria: str | None = None) -> dict:
    resource = {"resourceType": "Subscription", "status": "requested", "reason": "Oppgaver",
                "criteria": TASK_CHANGED_TOPIC, "channel": {"type": "rest-hook", "endpoint": endpoint}}
    if criteria is not None:
        resource["_criteria"] = {"extension": [{"url": FILTER_CRITERIA, "valueString": criteria}]}
    return resource


@pytest.mark.parametrize("criteria, kind, value", [
    (None, None, None),
    ("Task?owner=Organization/abc-1", "owner", "abc-1"),
    ("Task?_id=0f6c", "id", "0f6c"),
])
def test_the_filters_a_client_may_give(criteria, kind, value):
    request = parse_subscription(asked(criteria=criteria), allow_http=False)
    assert (request.filter_kind, request.filter_value, request.endpoint) == (kind, value,
                                                                             "https://journal.example/hook")


@pytest.mark.parametrize("criteria", ["Task?status=rejected", "Task?owner=Organization/a&_id=b", "Task?_id=",
                                      "Patient?identifier=12345678901"])
def test_other_filters_are_refused(criteria):
    with pytest.raises(InvalidData) as refused:
        parse_subscription(asked(criteria=criteria), allow_http=True)
    assert "criteria" in refused.value.errors
    assert "12345678901" not in repr(refused.value.errors)


@pytest.mark.parametrize("endpoint", ["http://journal.example/hook", "ftp://journal.example/", "/relative",
                                      "https://u:p@journal.example/"])
def test_an_endpoint_must_be_an_https_address_without_credentials(endpoint):
    with pytest.raises(InvalidData) as refused:
        parse_subscription(asked(endpoint), allow_http=False)
    assert list(refused.value.errors) == ["channel.endpoint"]


def test_plain_http_when_allowed():
    assert parse_subscription(asked("http://127.0.0.1:8000/hook"), allow_http=True).endpoint.startswith("http:")


def test_the_subscription_and_its_notification_are_r4_resources():
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    resource = subscription_resource(subscription_id="s1", status="error", endpoint="https://journal.example/hook",
                                     filter_kind="owner", filter_value="o1", reason="Oppgaver",
                                     error="Notification 4 was given up", version=3, updated_at=at)
    get_fhir_model_class("Subscription").model_validate(resource)
    assert (resource["status"], resource["error"], resource["meta"]["versionId"]) == (
        "error", "Notification 4 was given up", "3")
    bundle = notification_bundle(notification_id="9b0f8c1e-7a53-4c50-9d0e-3f1f6b7a2c11", subscription_id="s1",
                                 status="active", event_number=4, occurred_at=at, sent_at=at, task_id="t1",
                                 base_url="https://bup.example/fhir")
    get_fhir_model_class("Bundle").model_validate(bundle)
    assert bundle["type"] == "history"
    params = {p["name"]: p for p in bundle["entry"][0]["resource"]["parameter"]}
    assert params["type"]["valueCode"] == "event-notification"
    assert params["events-since-subscription-start"]["valueString"] == "4"
    event = {p["name"]: p for p in params["notification-event"]["part"]}
    assert event["event-number"]["valueString"] == "4"
    assert event["focus"]["valueReference"]["reference"] == "https://bup.example/fhir/Task/t1"
    assert bundle["entry"][1] == {"fullUrl": "https://bup.example/fhir/Task/t1",
                                  "request": {"method": "PUT", "url": "Task/t1"}, "response": {"status": "200"}}


@pytest.mark.parametrize("address, public", [
    ("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
    ("127.0.0.1", False), ("::1", False), ("10.0.0.5", False), ("172.16.3.4", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("fe80::1%eth0", False), ("100.64.0.1", False), ("0.0.0.0", False),
    ("224.0.0.1", False), ("::ffff:10.0.0.5", False), ("::ffff:127.0.0.1", False), ("fc00::1", False),
    ("not an address", False),
])
def test_only_public_internet_addresses_are_public(address, public):
    assert is_public_address(address) is public


def test_an_endpoint_is_refused_when_any_address_of_its_host_is_not_public_or_it_does_not_resolve():
    from referral_service.services.fhir.subscription_delivery import endpoint_addresses_refused

    def resolver(answers: dict[str, list[str]]):
        def resolve(host: str, port: int) -> list[str]:
            if host not in answers:
                raise OSError("no such host")
            return answers[host]
        return resolve

    dns = resolver({"journal.example": ["93.184.215.14"], "split.example": ["93.184.215.14", "10.0.0.5"],
                    "empty.example": []})
    assert endpoint_addresses_refused("https://journal.example/hook", dns) is None
    assert "not public" in (endpoint_addresses_refused("https://split.example/hook", dns) or "")
    assert "does not resolve" in (endpoint_addresses_refused("https://nowhere.example/hook", dns) or "")
    assert "does not resolve" in (endpoint_addresses_refused("https://empty.example/hook", dns) or "")
    assert "does not resolve" in (endpoint_addresses_refused("https://journal.example:99999/hook", dns) or "")
