"""The image and the lock files (issue 15, must-show 4): read from the Dockerfile as written, since no Docker engine
runs here. The image takes its CSS from the Node stage, installs every Python dependency from the hash-checked lock,
runs as a user other than root; the lock files hold every pin of pyproject.toml at its version."""

from __future__ import annotations

import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, instruction: str) -> list[str]:
        return [args for name, args in self.instructions if name == instruction]


def dockerfile_stages(path: Path) -> list[Stage]:
    """The Dockerfile's stages in order, each with its instructions (continuation lines joined, comments dropped)."""
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        if raw.lstrip().startswith("#") or not raw.strip():
            continue
        pending += raw.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        lines.append(pending.strip())
        pending = ""
    stages: list[Stage] = []
    for line in lines:
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(base=words[0], name=name))
        else:
            stages[-1].instructions.append((instruction, " ".join(args.split())))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    found = dockerfile_stages(ROOT / "Dockerfile")
    return {stage.name: stage for stage in found} | {"final": found[-1]}


def test_the_image_runs_as_a_fixed_user_other_than_root(stages):
    users = stages["final"].args("USER")
    assert users, "the runtime stage names no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit(), "a fixed uid, so that volumes and host files can be given to it"
    assert any(f"--uid {user}" in run for run in stages["final"].args("RUN")), "the user is made with that uid"


def test_the_node_stages_css_is_copied_to_where_the_installed_app_reads_it(stages):
    node = next(stage for stage in stages.values() if stage.base.startswith("node:"))
    assert "npm ci --omit=dev" in (ROOT / "deploy/build-static.sh").read_text()
    assert any("deploy/build-static.sh /site" in run for run in node.args("RUN")), node.instructions
    copies = [args for args in stages["final"].args("COPY") if args.startswith(f"--from={node.name} ")]
    assert copies, "the runtime stage copies nothing from the Node stage"
    source, target = copies[0].split()[1:]
    assert source.rstrip("/") == "/site"
    # build-static.sh puts the CSS in SITE/node_modules/...; the app reads node_modules beside its package
    # (referral_service/web/__init__.py): SITE must be the runtime venv's site-packages for the base image's Python.
    version = re.match(r"python:(\d+\.\d+)", stages["final"].base)
    assert version, stages["final"].base
    assert target.rstrip("/") == f"/opt/venv/lib/python{version.group(1)}/site-packages"
    assert any("designsystemet_dist" in run for run in stages["final"].args("RUN")), \
        "the build checks that the app finds both stylesheets"


def test_python_dependencies_come_from_the_lock_with_hashes_and_the_service_without_deps(stages):
    runs = [shlex.split(run) for stage in stages.values() for run in stage.args("RUN")]
    installs = [words for words in runs if words[:2] == ["pip", "install"]]
    from_lock = [words for words in installs if "-r" in words]
    assert from_lock, "no pip install from a requirements file"
    assert all("--require-hashes" in words for words in from_lock)
    locks = {Path(words[words.index("-r") + 1]).name for words in from_lock}
    assert locks == {"requirements.lock"}
    copied = " ".join(args for stage in stages.values() for args in stage.args("COPY"))
    assert "requirements.lock" in copied
    others = [words for words in installs if "-r" not in words]
    assert others and all("--no-deps" in words for words in others), "the service itself must not pull in deps"


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_local_state(stages):
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules[0] == "*", "everything is left out unless named"
    let_in = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    sources = [path.rstrip("/") for stage in stages.values() for args in stage.args("COPY")
               if not args.startswith("--from=") for path in args.split()[:-1]]
    assert sources and all(source in let_in for source in sources), (sources, let_in)
    assert not let_in & {".venv", "node_modules", "var", ".git", ".env"}


def test_the_runtime_stage_serves_gunicorn_with_a_python_healthcheck_and_multiprocess_metrics(stages):
    final = stages["final"]
    assert final.args("CMD") == ['["gunicorn", "--config", "config/gunicorn.conf.py", "referral_service.wsgi:app"]']
    healthcheck = " ".join(final.args("HEALTHCHECK"))
    assert '"python"' in healthcheck and "/health" in healthcheck and "curl" not in healthcheck
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in " ".join(final.args("ENV"))
    assert any("libpango" in run for run in final.args("RUN")), "WeasyPrint's Pango is in the runtime stage"


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """Each package of a lock file: its version and how many hashes it has."""
    text = path.read_text()
    found: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s\\;]+)", block)
        if match:
            found[canonicalize_name(match.group(1))] = (match.group(2), block.count("--hash=sha256:"))
    return found


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # pyproject pins every direct dependency with ==
        assert specifier.operator == "==", line
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize(("lock", "extras"), [("requirements.lock", []), ("requirements-test.lock", ["test"])])
def test_each_pin_of_pyproject_is_in_the_lock_at_that_version_with_hashes(project, lock, extras):
    optional = project["optional-dependencies"]
    wanted = _pins(project["dependencies"] + [line for extra in extras for line in optional[extra]])
    locked = _locked(ROOT / lock)
    disagreeing = {name: (version, locked.get(name, ("missing", 0))[0])
                   for name, version in wanted.items() if locked.get(name, ("", 0))[0] != version}
    assert not disagreeing, f"pyproject.toml and {lock} disagree (pyproject, lock); run `make lock`: {disagreeing}"
    assert all(hashes for _, hashes in locked.values()), f"{lock} has packages without hashes"
    assert len(locked) > len(wanted), "the lock holds the transitive dependencies too"


def test_the_two_locks_agree_on_every_shared_package():
    runtime, test = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-test.lock")
    assert set(runtime) <= set(test)
    assert {name: runtime[name][0] for name in runtime} == {name: test[name][0] for name in runtime}


def test_setup_and_ci_install_from_the_test_lock():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-test.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    assert re.search(r"^lock:\n\t.*deploy/lock\.sh", makefile, re.M), "`make lock` remakes the lock files"
    assert re.search(r"^test: .*\bsetup\b", makefile, re.M)
    assert "make test" in (ROOT / ".ci/run").read_text(), "CI runs make test, which sets up from the lock"
