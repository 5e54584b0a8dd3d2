"""The image's stylesheets (issue 15, must-show 4): the front-end files laid out as the Dockerfile lays them out
(deploy/build-static.sh into the folder that holds the installed referral_service package) are the ones the app
serves. The app runs in a separate Python whose referral_service is a copy in that folder, as in the image's venv,
so nothing of the work tree's own node_modules can stand in for the image's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import unavailable

ROOT = Path(__file__).resolve().parents[2]

#: Runs in the image's layout: signs nobody in, reads the sign-in page's stylesheet links and fetches each of
#: Designsystemet's. Prints where the app was imported from and what each stylesheet answered.
PROBE = r"""
import json, re, sys, tempfile
from pathlib import Path
import referral_service
from config import load_config
from referral_service import create_app
from referral_service.migrations import upgrade

data = Path(tempfile.mkdtemp())
url = f"sqlite:///{data / 'referrals.sqlite'}"
upgrade(url)
client = create_app(load_config("test", DATABASE_URL=url, DATA_DIR=str(data))).test_client()
page = client.get("/logg-inn")
links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.get_data(as_text=True))
answers = {}
for link in links:
    if "/assets/ds/" in link:
        response = client.get(link)
        answers[link] = {"status": response.status_code, "type": response.mimetype, "bytes": len(response.data)}
print(json.dumps({"package": referral_service.__file__, "page": page.status_code, "stylesheets": answers}))
"""


def _stylesheets_in(site: Path) -> dict:
    """What the app imported from `site` answers for the sign-in page's Designsystemet stylesheets."""
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("REFERRAL_ENV", None)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=site.parent, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["package"]).is_relative_to(site), "the probe must run the copy in the image's layout"
    assert result["page"] == 200
    return result["stylesheets"]


@pytest.fixture()
def site(tmp_path) -> Path:
    """A site-packages folder as the image's venv has it: the service's packages, installed (copied) there."""
    folder = tmp_path / "site-packages"
    for package in ("referral_service", "config"):
        shutil.copytree(ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_the_images_layout_serves_both_designsystemet_stylesheets(site):
    if shutil.which("npm") is None:
        unavailable("npm is not installed (.ci/setup-system installs it)")
    # As the issue found the image: without the static build the sign-in page's stylesheets answer 404.
    before = _stylesheets_in(site)
    assert len(before) == 2 and {a["status"] for a in before.values()} == {404}, before

    # The Dockerfile's static stage: `deploy/build-static.sh /site`, whose output goes over the venv's site-packages.
    built = subprocess.run(["bash", str(ROOT / "deploy" / "build-static.sh"), str(site)], capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]

    after = _stylesheets_in(site)
    assert sorted(after) == ["/assets/ds/src/index.css", "/assets/ds/theme/designsystemet.css"]
    for link, answer in after.items():
        assert answer["status"] == 200, (link, answer)
        assert answer["type"] == "text/css", (link, answer)
        assert answer["bytes"] > 1000, (link, answer)  # the real stylesheet, not an empty file


def test_the_static_build_installs_the_locked_version_without_dev_packages(tmp_path):
    if shutil.which("npm") is None:
        unavailable("npm is not installed (.ci/setup-system installs it)")
    built = subprocess.run(["bash", str(ROOT / "deploy" / "build-static.sh"), str(tmp_path)], capture_output=True,
                           text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    laid_out = json.loads((tmp_path / "node_modules/@digdir/designsystemet-css/package.json").read_text())
    assert laid_out["version"] == locked["node_modules/@digdir/designsystemet-css"]["version"]
    # Only what the app serves reaches the image: no development packages (axe-core), no other files.
    assert [p.name for p in (tmp_path / "node_modules").iterdir()] == ["@digdir"]
    assert [p.name for p in (tmp_path / "node_modules/@digdir").iterdir()] == ["designsystemet-css"]
