"""The README's FHIR examples work as written: the transaction Bundle of "FHIR R4 for journal systems", with its
placeholders filled in, creates a draft, and the searches it shows answer searchset Bundles."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.fhir import fhir_get, validated

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## FHIR R4 for journal systems"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    return text[start:text.index("\n## ", start + 1)]


def test_the_readmes_transaction_bundle_creates_a_draft(world):
    [heredoc] = re.findall(r"<<'JSON'\n(.*?)\n    JSON\n", section(), re.S)
    body = world.referral_body()
    filled = (heredoc.replace("<fødselsnummer>", body["child"]["national_id"])
              .replace("<BUP clinic id>", world.orgs["bup"].id)
              .replace("urn:oid:<your EPJ's referral numbers>", "urn:oid:2.16.578.1.12.4.1.7.9999.1")
              .replace("2026-12-01", body["consent"]["recorded_on"]))
    bundle = validated(json.loads(filled), "Bundle")
    response = world.client.post("/fhir", json=bundle, headers=world.headers("gp"))
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = validated(response.get_json(), "Bundle")
    request_id = answer["entry"][1]["response"]["location"].split("/")[1]
    assert fhir_get(world, "gp", f"ServiceRequest/{request_id}")["status"] == "draft"


def test_the_readmes_searches_answer_searchset_bundles(world):
    referral = world.referral_in("submitted")
    values = {"$REFERRAL_ID": referral["id"], "$ASKOY_ID": world.orgs["askoy"].id}
    searches = re.findall(r'\$BASE/(\w+\?[^"\s]+)"', section())
    assert len(searches) >= 3
    for search in searches:
        for name, value in values.items():
            search = search.replace(name, value)
        bundle = fhir_get(world, "bup", search)
        assert bundle["type"] == "searchset", search
