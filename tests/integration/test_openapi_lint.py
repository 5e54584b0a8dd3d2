"""The served OpenAPI document passes the redocly linter's recommended ruleset (redocly.yaml) with no error.

redocly is an npm devDependency (package.json), installed by `make setup` with the other front-end packages;
it runs offline (no telemetry, no update check). The warnings are counted and reported, and held at zero too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from config import load_config
from referral_service import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
REDOCLY = REPO_ROOT / "node_modules" / ".bin" / "redocly"
OFFLINE = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_UPDATE_NOTIFIER": "1"}


@pytest.fixture(scope="module")
def served_document(tmp_path_factory) -> Path:
    """The document exactly as /api/v1/openapi.json serves it, in a file for the linter."""
    data_dir = tmp_path_factory.mktemp("lint")
    app = create_app(load_config("test", DATABASE_URL=f"sqlite:///{data_dir / 'doc.sqlite'}", DATA_DIR=str(data_dir)))
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    path = data_dir / "openapi.json"
    path.write_text(json.dumps(response.json, indent=1))
    return path


def lint(document: Path) -> dict:
    assert REDOCLY.exists(), "redocly is missing: run `make setup` (npm ci installs the devDependencies)"
    result = subprocess.run(
        [str(REDOCLY), "lint", str(document), "--config", str(REPO_ROOT / "redocly.yaml"), "--format=json"],
        capture_output=True, text=True, timeout=120, cwd=REPO_ROOT, env={**os.environ, **OFFLINE})
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_redocly_finds_no_error_and_no_warning_in_the_served_document(served_document):
    report = lint(served_document)

    totals = report["totals"]
    problems = [f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
                for p in report["problems"]]
    print(f"redocly: {totals['errors']} errors, {totals['warnings']} warnings")
    assert totals["errors"] == 0, problems
    assert totals["warnings"] == 0, problems


def test_the_linter_would_catch_an_operation_without_a_summary(served_document, tmp_path):
    document = json.loads(served_document.read_text())
    del document["paths"]["/api/v1/referrals"]["post"]["summary"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))

    report = lint(broken)

    assert report["totals"]["errors"] >= 1
    assert {p["ruleId"] for p in report["problems"]} >= {"operation-summary"}
