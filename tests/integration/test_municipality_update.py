"""`referral-service municipalities update` renews the register from a KLASS API over real HTTP: a
renumbered municipality is retired with its successor, a renamed one takes its new name."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from referral_service.cli import main as cli
from referral_service.domain.municipalities import load_register

REGISTER = """# Source: a test register
number,name,county_number,county_name,valid_from,valid_to
4627,Askøy,46,Vestland,2020-01-01,
4601,Bergen,46,Vestland,2020-01-01,
0301,Oslo,03,Oslo,1838-01-01,
"""
CHANGES = """# Source: a test register
old_number,old_name,new_number,new_name,changed_on
"""
#: KLASS on 2027-01-01, in the API's own shape: Askøy has a new number, Oslo a new name.
ANSWERS = {
    "/api/klass/v1/classifications/131/codesAt": {"codes": [
        {"code": "4628", "parentCode": None, "level": "1", "name": "Askøy", "shortName": "", "presentationName": "",
         "validFrom": None, "validTo": None, "notes": ""},
        {"code": "4601", "name": "Bergen"}, {"code": "0301", "name": "Oslo - Oslove"},
        {"code": "9999", "name": "Uoppgitt"}]},
    "/api/klass/v1/classifications/104/codesAt": {"codes": [
        {"code": "46", "name": "Vestland"}, {"code": "03", "name": "Oslo - Oslove"}]},
    "/api/klass/v1/classifications/131/changes": {"codeChanges": [
        {"oldCode": "4627", "oldName": "Askøy", "oldShortName": "", "newCode": "4628", "newName": "Askøy",
         "newShortName": "", "changeOccurred": "2027-01-01"},
        {"oldCode": "0301", "oldName": "Oslo", "newCode": "0301", "newName": "Oslo - Oslove",
         "changeOccurred": "2027-01-01"}]},
}


@pytest.fixture
def klass():
    asked: list[tuple[str, dict, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            asked.append((url.path, parse_qs(url.query), self.headers.get("Accept", "")))
            body = json.dumps(ANSWERS[url.path]).encode() if url.path in ANSWERS else b"{}"
            self.send_response(200 if url.path in ANSWERS else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/klass/v1", asked
    server.shutdown()


def test_the_update_retires_a_renumbered_municipality_and_maps_it_to_its_successor(tmp_path, klass):
    base_url, asked = klass
    (tmp_path / "municipalities.csv").write_text(REGISTER, encoding="utf-8")
    (tmp_path / "municipality_changes.csv").write_text(CHANGES, encoding="utf-8")
    out = tmp_path / "renewed"

    result = CliRunner().invoke(cli, ["municipalities", "update", "--source", base_url, "--to", str(out),
                                      "--on", "2027-01-01"], env={"REFERRAL_MUNICIPALITY_REGISTER_DIR": str(tmp_path)})

    assert result.exit_code == 0, result.output
    assert "3 municipalities in force on 2027-01-01" in result.output
    assert all(accept == "application/json" for _path, _query, accept in asked)
    changes_asked = next(query for path, query, _ in asked if path.endswith("/changes"))
    assert changes_asked["to"] == ["2027-01-02"]  # KLASS's `to` is exclusive
    renewed = load_register(str(out))
    assert renewed.current("4627", date(2027, 1, 1)).number == "4628"
    assert renewed.current("4627", date(2026, 12, 31)).number == "4627"
    assert renewed.current("0301", date(2027, 1, 1)).name == "Oslo - Oslove"
    assert not renewed.holds("9999", date(2027, 1, 1))
    assert (out / "municipalities.csv").read_text(encoding="utf-8").startswith("# Source: Statistics Norway")


def test_an_update_that_cannot_reach_klass_changes_nothing(tmp_path):
    (tmp_path / "municipalities.csv").write_text(REGISTER, encoding="utf-8")
    (tmp_path / "municipality_changes.csv").write_text(CHANGES, encoding="utf-8")
    result = CliRunner().invoke(cli, ["municipalities", "update", "--source", "http://127.0.0.1:9/klass",
                                      "--on", "2027-01-01"], env={"REFERRAL_MUNICIPALITY_REGISTER_DIR": str(tmp_path)})
    assert result.exit_code != 0 and "the register is unchanged" in result.output
    assert (tmp_path / "municipalities.csv").read_text(encoding="utf-8") == REGISTER
