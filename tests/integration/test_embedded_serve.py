"""The `make run` promise: `referral-service db upgrade`, `seed-demo` and `serve` on an empty DATA_DIR give
a working service with no outside server (SQLite, the filesystem broker, e-mails as .eml files), whose
background worker closes the loop within seconds, and which takes its worker down with it on SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest

from referral_service.demo import DEMO_PASSWORD
from referral_service.domain.national_id import make_synthetic_national_id
from tests.support.clock import norway_today
from tests.support.servers import free_port
from tests.support.waiting import wait_until
from tests.support.world import USERS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: The promise: a decision's handover and its alert are there within this many seconds.
LOOP_SECONDS = 5.0
#: A child's name that appears nowhere else, to look for in e-mails.
GIVEN_NAME, FAMILY_NAME = "Sigrunnhild", "Vetlesvingen"


def cli() -> list[str]:
    script = Path(sys.executable).parent / "referral-service"
    if script.exists():
        return [str(script)]
    found = shutil.which("referral-service")
    if found:
        return [found]
    return [sys.executable, "-c", "from referral_service.cli import main; main()"]



def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, from /proc."""
    found, frontier = set(), [pid]
    while frontier:
        parent = frontier.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    frontier.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that never reaps counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@dataclass
class Http:
    base: str
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: object = None, *, who: str | None = None,
             expect: int | None = 200) -> tuple[int, object]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if who is not None:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        payload = json.loads(raw) if raw else None
        if expect is not None:
            assert status == expect, (method, path, status, payload)
        return status, payload

    def token(self, who: str) -> str:
        if who not in self.tokens:
            _, payload = self.call("POST", "/api/v1/auth/token", {"email": USERS[who], "password": DEMO_PASSWORD})
            self.tokens[who] = payload["access_token"]
        return self.tokens[who]

    def get(self, who: str, path: str) -> object:
        return self.call("GET", path, who=who)[1]

    def post(self, who: str, path: str, body: object = None) -> object:
        return self.call("POST", path, body, who=who)[1]


@dataclass
class Served:
    process: subprocess.Popen
    data_dir: Path
    http: Http
    log: Path


@pytest.fixture
def served(tmp_path) -> Iterator[Served]:
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_")}
    env.update(REFERRAL_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")  # everything else: the defaults
    for step in (["db", "upgrade"], ["seed-demo"]):
        done = subprocess.run([*cli(), *step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (step, done.stdout[-2000:], done.stderr[-2000:])
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([*cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    http = Http(f"http://127.0.0.1:{port}")
    try:
        def ready() -> bool:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                return http.call("GET", "/ready", expect=None)[0] == 200
            except OSError:
                return False

        wait_until(ready, timeout=60, what="/ready", interval=0.1)
        yield Served(process, data_dir, http, log)
    finally:
        if process.poll() is None:  # the test failed before its own shutdown: take everything down
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def organisation_ids(http: Http) -> dict[str, str]:
    _, page = http.call("GET", "/api/v1/organisations?per_page=100", who="admin")
    return {o["name"]: o["id"] for o in page["items"]}


def new_referral(http: Http, orgs: dict[str, str], seq: int) -> dict:
    body = {
        "child": {"national_id": make_synthetic_national_id(date(2012, 5, 10), seed=seq * 7),
                  "given_name": GIVEN_NAME, "family_name": FAMILY_NAME, "home_municipality": "4627",
                  "guardians": [{"name": f"Mor {FAMILY_NAME}", "phone": "40000000"}]},
        "clinic_id": orgs["BUP Bergen sentrum"],
        "reasons": ["anxiety", "school_refusal"],
        "description": "Økende angst og skolefravær siden høsten, sover dårlig og trekker seg unna.",
        "urgency": "normal",
        "measures_tried": "Samtaler med helsesykepleier i åtte uker; tilrettelegging på skolen.",
        "child_view": "Jeg vil gjerne snakke med noen som kan hjelpe.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"},
        "municipal_contacts": [{"role": "Helsesykepleier", "name": "Heidi Helsesykepleier",
                                "organisation_id": orgs["Skolehelsetjenesten på Askøy"]}],
    }
    _, referral = http.call("POST", "/api/v1/referrals", body, who="gp", expect=201)
    http.post("gp", f"/api/v1/referrals/{referral['id']}/submit")
    return {**referral, "national_id": body["child"]["national_id"]}


@pytest.mark.timeout(240)
def test_make_run_serves_and_closes_every_loop_within_seconds(served):
    http = served.http
    orgs = organisation_ids(http)
    today, later = norway_today().isoformat(), (norway_today() + timedelta(days=30)).isoformat()
    accept = {"care_start_due": later}
    decisions = {
        "rejected": [("reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                                 "municipal_advice": "Tilbud hos kommunepsykolog."})],
        "discharged": [("accept", accept), ("start-treatment", {"first_appointment_on": today}),
                       ("discharge", {"summary": "Bedre.", "follow_up_recommendations": "Samtaler.",
                                      "epikrise_sent": True})],
        "withdrawn": [("accept", accept), ("withdraw", {"reason": "Familien ønsker det."})],
    }
    national_ids, handover_alerts = [], []
    for seq, (trigger, steps) in enumerate(decisions.items(), start=1):
        referral = new_referral(http, orgs, seq)
        national_ids.append(referral["national_id"])
        path = f"/api/v1/referrals/{referral['id']}"
        for action, body in steps:
            decided = http.post("bup", f"{path}/{action}", body)
        assert decided["status"] == trigger
        decided_at = time.monotonic()

        handover_id = wait_until(lambda p=path: http.get("gp", p).get("handover_id"), timeout=LOOP_SECONDS,
                                 what=f"the handover after the {trigger} decision")

        def coordinator_alert(h=handover_id):
            return [a for a in http.get("coordinator_askoy", "/api/v1/alerts")["items"] if a["handover_id"] == h]

        [alert] = wait_until(coordinator_alert, timeout=LOOP_SECONDS - (time.monotonic() - decided_at),
                             what=f"the coordinator's alert after the {trigger} decision")
        assert time.monotonic() - decided_at <= LOOP_SECONDS
        handover = http.get("coordinator_askoy", f"/api/v1/handovers/{handover_id}")
        assert handover["trigger"] == trigger and handover["municipality_number"] == "4627"
        assert GIVEN_NAME not in alert["message"] and FAMILY_NAME not in alert["message"]
        handover_alerts.append(alert["id"])

    # Exactly one handover per decision, one alert each in the coordinator's inbox.
    handovers = http.get("coordinator_askoy", "/api/v1/handovers?per_page=100")["items"]
    assert sorted(h["trigger"] for h in handovers) == sorted(decisions)
    alerts = http.get("coordinator_askoy", "/api/v1/alerts")["items"]
    assert sorted(a["id"] for a in alerts) == sorted(handover_alerts)
    assert {a["kind"] for a in alerts} == {"handover_created"}

    # The e-mails are .eml files in DATA_DIR/mail, one per alert, saying nothing about the child.
    mail = served.data_dir / "mail"
    wait_until(lambda: all((mail / f"alert-{a}_henvisning.example.eml").exists() for a in handover_alerts),
               timeout=LOOP_SECONDS, what="the coordinator's alert e-mails")
    for message in mail.glob("*.eml"):
        text = message.read_text(errors="replace")
        assert GIVEN_NAME not in text and FAMILY_NAME not in text
        assert not any(nid in text for nid in national_ids)
    for alert_id in handover_alerts:
        assert "To: koordinator@askoy.example" in (mail / f"alert-{alert_id}_henvisning.example.eml").read_text()

    # SIGTERM stops the web server and, with it, the worker it started.
    workers = descendants(served.process.pid)
    assert workers, "serve runs its worker as a child process"
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=60) is not None
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=30, what="the worker to exit with serve")
    log = served.log.read_text(errors="replace")
    assert not any(nid in log for nid in national_ids), "identity numbers never appear in logs"
