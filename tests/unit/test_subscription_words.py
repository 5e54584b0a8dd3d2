"""What people see of a stopped FHIR subscription: the Drift page's Norwegian words and an endpoint without the
query string a subscriber may have put a secret in."""

from __future__ import annotations

import pytest

from referral_service.services.admin.operations import shown_endpoint
from referral_service.web.labels import subscription_error


@pytest.mark.parametrize("endpoint, shown", [
    ("https://ehr.example/fhir/hook?token=s3cret", "https://ehr.example/fhir/hook?…"),
    ("https://user:pw@ehr.example:8443/hook", "https://ehr.example:8443/hook"),
    ("https://[::1]:9/hook#part", "https://[::1]:9/hook"),
    ("http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook"),
])
def test_an_endpoint_is_shown_without_its_query_string_or_user_part(endpoint, shown):
    assert shown_endpoint(endpoint) == shown


@pytest.mark.parametrize("error, words", [
    ("Notification 3 was given up after 9 attempts: the endpoint answered HTTP 404. No later Task changes are "
     "written for this subscription until it is set active again.", "Varsling 3 ble gitt opp etter 9 forsøk"),
    ("The user who created the subscription was deactivated. No later ...", "bruker ikke lenger tjenesten"),
    ("The user who created the subscription no longer uses the service. No later ...", "bruker ikke lenger"),
    ("Something new.", "får ikke lenger varslinger"),
    (None, "–"),
])
def test_the_reason_is_worded_in_norwegian(error, words):
    assert words in subscription_error(error)
