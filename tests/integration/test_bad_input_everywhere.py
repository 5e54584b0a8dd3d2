"""The hand-made list of bad input, sent to every write operation of the API and to every form of the web's main
pages, on both databases: whatever it is, the answer is never a 500 (a refusal, 4xx, or the request done).

The API's bodies are built from the OpenAPI document (every property of the operation's request schema, nested
objects and lists included, holds the bad value); the web's forms are found by following the links of each
person's pages, so that a new form is swept without being listed here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest

from referral_service.demo import DEMO_PASSWORD
from tests.support.loop import InProcessWorker
from tests.support.world import USERS, World

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
#: Replaced, after json.dumps, by a JSON literal that json.dumps cannot write (NaN) or would not (a huge number).
SLOT = "\u2063slot\u2063"


# --- the list -----------------------------------------------------------------------------------------------

#: Values put into every field of a body: JSON text, so that literals such as NaN can be given as they are sent.
BAD_VALUES: dict[str, str] = {
    "lone surrogate": json.dumps("Ola \ud800 Nordmann"),
    "NUL": json.dumps("a\x00b"),
    "NaN": "NaN",
    "Infinity": "Infinity",
    "1e999": "1e999",
    "huge integer": "9" * 4000,
    "too many digits": "9" * 5000,  # beyond Python's limit for turning text into an int
    "9999-12-31": json.dumps("9999-12-31"),
    "0001-01-01": json.dumps("0001-01-01"),
    "typed 31.12.9999": json.dumps("31.12.9999"),
    "far datetime": json.dumps("9999-12-31T23:59:59-12:00"),
    "early datetime": json.dumps("0001-01-01T00:00:00+14:00"),
    "long text": json.dumps("x" * 5_000),
    "markup": json.dumps("<script>alert(1)</script>{{ 7*7 }}"),
    "null": "null",
    "list": "[]",
    "object": "{}",
    "negative": "-1",
}

#: Whole bodies, as bytes with their content type.
BAD_BODIES: dict[str, tuple[bytes, str | None]] = {
    "arrays 100 000 deep": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "objects 33 deep": (b'{"a":' * 33 + b"1" + b"}" * 33, JSON),
    "unclosed 100 000 deep": (b'{"a":[' * 100_000, JSON),
    "surrogate key": (b'{"\\ud800": 1, "child": {"\\udc00x": "y"}}', JSON),
    "not UTF-8": (b'{"given_name": "\xff\xfe\xc3\x28"}', JSON),
    "latin-1 said": ('{"given_name": "Åse"}'.encode("latin-1"), JSON + "; charset=latin-1"),
    "UTF-16": ('{"given_name": "Åse"}'.encode("utf-16"), JSON),
    "malformed": (b'{"child": {"given_name": ', JSON),
    "empty JSON": (b"", JSON),
    "a string": (b'"just text"', JSON),
    "a list": (b"[1, 2, 3]", JSON),
    "null body": (b"null", JSON),
    "a number": (b"1e999", JSON),
    "text/plain": (b'{"given_name": "Ola"}', "text/plain"),
    "xml": (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "application/xml"),
    "form": (b"given_name=Ola%00&child.birth_date=9999-12-31", FORM),
    "form not UTF-8": (b"given_name=Ola%ED%A0%80", FORM),
    "multipart": (b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\x00\xff\r\n--b--\r\n",
                  "multipart/form-data; boundary=b"),
    "no content type": (b'{"given_name": "Ola"}', None),
}

#: Form values for the web's fields.
BAD_FORM_VALUES: dict[str, str] = {
    "NUL": "a\x00b",
    "typed 31.12.9999": "31.12.9999",
    "9999-12-31": "9999-12-31",
    "01.01.0001": "01.01.0001",
    "0001-01-01": "0001-01-01",
    "huge number": "9" * 5000,
    "long text": "x" * 20_000,
}

#: Whole form bodies: bytes a browser would never send.
BAD_FORM_BODIES: dict[str, tuple[bytes, str]] = {
    "form not UTF-8": (b"x=%ED%A0%80&y=%FF%FE", FORM),
    "deep JSON": (b"[" * 100_000 + b"]" * 100_000, JSON),
}


# --- the API ------------------------------------------------------------------------------------------------

@dataclass
class Operation:
    method: str
    template: str
    schema: dict[str, Any] | None


def operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation that writes, with its request body's schema (None: it takes none)."""
    found = []
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"post", "put", "patch", "delete"} or template.endswith("/auth/revoke"):
                continue  # revoking would sign the sweep out
            content = operation.get("requestBody", {}).get("content", {}).get(JSON, {})
            found.append(Operation(method, template, content.get("schema")))
    return found


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        return resolve(spec, schema["allOf"][0])
    return schema


def filled(spec: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """The schema's shape with SLOT in every leaf: each property of each object, one item of each list."""
    schema = resolve(spec, schema)
    if depth > 6:
        return SLOT
    if schema.get("type") == "object" or "properties" in schema:
        return {name: filled(spec, inner, depth + 1) for name, inner in schema.get("properties", {}).items()}
    if schema.get("type") == "array":
        return [filled(spec, schema.get("items", {}), depth + 1)]
    return SLOT


def who_for(template: str) -> str:
    """Someone who may call the operation (so that the body is read past the authorisation where it can be)."""
    if re.search(r"/referrals/\{referral_id\}/(accept|reject|request-information|municipal-outcome|forward|"
                 r"start-treatment|discharge|plan-discharge|record-epikrise|transfer-to-dps|merge|national-id)$",
                 template):
        return "bup"
    for prefix, who in (("/api/v1/referrals", "gp"), ("/api/v1/handovers", "coordinator_askoy"),
                        ("/api/v1/check-ins", "coordinator_askoy"), ("/api/v1/alerts", "coordinator_askoy"),
                        ("/api/v1/audit", "auditor"), ("/api/v1/auth", "gp")):
        if template.startswith(prefix):
            return who
    return "admin"


@dataclass
class Targets:
    """Real records for the path's ids: a draft for the referrer, a submitted referral for BUP, a handover."""

    draft: str
    submitted: str
    handover: str

    def path(self, template: str, who: str) -> str:
        referral = self.submitted if who == "bup" else self.draft
        ids = {"referral_id": referral, "record_id": referral, "handover_id": self.handover}
        return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), UNKNOWN_ID), template)


def make_targets(world: World) -> Targets:
    draft = world.create_referral()["id"]
    submitted = world.referral_in("submitted")["id"]
    rejected = world.referral_in("rejected")["id"]
    InProcessWorker(world.app).run()
    handover = world.get("gp", f"/api/v1/referrals/{rejected}").json["handover_id"]
    # Acknowledged: its page offers the plan (a date) and the closing.
    assert world.post("coordinator_askoy", f"/api/v1/handovers/{handover}/acknowledge").status_code == 200
    return Targets(draft=draft, submitted=submitted, handover=handover)


@pytest.fixture
def spec(app) -> dict[str, Any]:
    return app.test_client().get("/api/v1/openapi.json").json


@pytest.fixture
def targets(world) -> Targets:
    return make_targets(world)


@dataclass
class Failures:
    seen: list[str] = field(default_factory=list)

    def check(self, what: str, response) -> None:
        """A 5xx is a failure; the report names the request, never the body sent (it may be megabytes)."""
        if response.status_code >= 500:
            self.seen.append(f"{what}: {response.status_code}")


def sweep_api(world: World, spec: dict[str, Any], targets: Targets,
              bodies: Callable[[Operation], Iterator[tuple[str, bytes, str | None]]]) -> list[str]:
    failures = Failures()
    assert len(operations(spec)) >= 40  # every write operation of API.md, read from the document
    for operation in operations(spec):
        who = who_for(operation.template)
        path = targets.path(operation.template, who)
        for name, body, content_type in bodies(operation):
            headers = world.headers(who) | ({"Content-Type": content_type} if content_type else {})
            response = world.client.open(path, method=operation.method.upper(), data=body, headers=headers)
            failures.check(f"{operation.method.upper()} {operation.template} with {name}", response)
            if response.status_code >= 400 and response.status_code != 500:
                assert response.headers["Content-Type"].startswith("application/problem+json"), \
                    (operation.template, name, response.status_code)
    return failures.seen


def test_each_bad_value_in_every_field_of_every_write_operation_is_never_a_500(world, spec, targets):
    def bodies(operation: Operation) -> Iterator[tuple[str, bytes, str | None]]:
        shape = json.dumps(filled(spec, operation.schema) if operation.schema else {"x": SLOT})
        for value_name, literal in BAD_VALUES.items():
            yield value_name, shape.replace(json.dumps(SLOT), literal).encode(), JSON

    assert sweep_api(world, spec, targets, bodies) == []


def test_every_bad_body_to_every_write_operation_is_never_a_500(world, spec, targets):
    def bodies(_operation: Operation) -> Iterator[tuple[str, bytes, str | None]]:
        for name, (body, content_type) in BAD_BODIES.items():
            yield name, body, content_type

    assert sweep_api(world, spec, targets, bodies) == []


def test_bad_query_arguments_to_every_list_are_never_a_500(world, spec):
    failures = Failures()
    for template, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None or "{" in template:
            continue
        names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        for value_name, literal in BAD_VALUES.items():
            value = json.loads(literal) if literal.startswith('"') else literal
            if not isinstance(value, str):
                value = literal
            query = "&".join(f"{n}={_quoted(value)}" for n in names)
            response = world.get(who_for(template), f"{template}?{query}")
            failures.check(f"GET {template} with {value_name}", response)
    assert failures.seen == []


def _quoted(value: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate goes as the bytes a careless client would send (WTF-8)."""
    return urlencode({"": value.encode("utf-8", "surrogatepass")})[1:]


# --- the web ------------------------------------------------------------------------------------------------

class Forms(HTMLParser):
    """The forms on a page (action, method, the names of their fields, hidden values) and its links."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower(),
                               "fields": set(), "hidden": {}})
        elif tag in {"input", "textarea", "select"} and self.forms and attrs.get("name"):
            if attrs.get("type") == "hidden":
                self.forms[-1]["hidden"][attrs["name"]] = attrs.get("value", "")
            else:
                self.forms[-1]["fields"].add(attrs["name"])
        elif tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"].split("#")[0])


#: Links not followed: signing out ends the sweep's session, and files (letters as PDF, CSV) are no forms.
NOT_FOLLOWED = re.compile(r"/logg-ut|/static/|\.csv|\.pdf|/eksport|/api/")
#: The people whose pages are swept, and where each starts (the record pages hold the decision forms).
PEOPLE = {"nurse_bergen": ("/henvisninger", "/henvisninger/ny", "/min-kontaktinfo", "/passord"),
          "bup": ("/inntak",), "coordinator_askoy": ("/tilbakehenvisninger", "/varsler"),
          "auditor": ("/revisjon",), "admin": ("/admin",)}
PAGES_PER_PERSON = 15


def signed_in(app, who: str):
    client = app.test_client()
    page = Forms(client.get("/logg-inn").get_data(as_text=True))
    token = next(f["hidden"]["csrf_token"] for f in page.forms if "csrf_token" in f["hidden"])
    response = client.post("/logg-inn", data={"email": USERS[who], "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def posted_forms(client, starts: tuple[str, ...], extra: tuple[str, ...]) -> dict[tuple[str, frozenset], dict]:
    """The forms that post, on the pages reachable from `starts` (breadth first, a few dozen pages)."""
    queue, seen, forms = [*starts, *extra], set(), {}
    while queue and len(seen) < PAGES_PER_PERSON:
        path = queue.pop(0)
        if path in seen or NOT_FOLLOWED.search(path):
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        page = Forms(response.get_data(as_text=True))
        for form in page.forms:
            if form["method"] == "post" and not NOT_FOLLOWED.search(form["action"] or path):
                action = form["action"] or path
                forms.setdefault((action, frozenset(form["fields"])), form | {"action": action})
        queue += [link for link in page.links if link not in seen]
    return forms


def test_bad_values_in_every_field_of_every_web_form_are_never_a_500(app, world, targets):
    failures = Failures()
    nurses_draft = _nurses_draft(world)
    swept = [action for who in PEOPLE for action in sweep_forms(app, targets, who, failures, nurses_draft=nurses_draft)]
    assert failures.seen == []
    # The sweep reached the main forms: the referral's steps, BUP's decisions, the handover's, the searches.
    for form in (f"/henvisninger/{nurses_draft}/steg/4", "/henvisninger/ny", "/gi-rett", "/planlegg", "/revisjon"):
        assert any(action.endswith(form) for action in swept), form


def sweep_forms(app, targets: Targets, who: str, failures: Failures, *, nurses_draft: str) -> list[str]:
    client = signed_in(app, who)
    records = {"nurse_bergen": (f"/henvisninger/{targets.draft}",
                                *(f"/henvisninger/{targets.draft}/steg/{n}" for n in range(1, 7))),
               "bup": (f"/inntak/{targets.submitted}",),
               "coordinator_askoy": (f"/tilbakehenvisninger/{targets.handover}",)}
    if who == "nurse_bergen":  # the draft of the sweep is the gp's: the nurse makes her own
        records = {who: tuple(p.replace(targets.draft, nurses_draft) for p in records[who])}
    forms = posted_forms(client, PEOPLE[who], records.get(who, ()))
    assert forms, f"no forms found for {who}"
    for (action, names), form in forms.items():
        for value_name, value in BAD_FORM_VALUES.items():
            data = {**form["hidden"], **{name: value for name in names}}
            failures.check(f"POST {action} ({who}) with {value_name}", client.post(action, data=data))
        for body_name, (body, content_type) in BAD_FORM_BODIES.items():
            response = client.post(action, data=body, content_type=content_type)
            failures.check(f"POST {action} ({who}) with {body_name}", response)
    return [action for action, _names in forms]


def _nurses_draft(world: World) -> str:
    return world.create_referral("nurse_bergen", home_municipality="4601")["id"]
