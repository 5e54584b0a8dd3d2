"""The parts of the benchmark table, each a ratio against a baseline measured in the same run (A/B alternating).

(a) create + submit pairs through the API vs the bare app inserting one row per POST, at 1 and 8 clients;
(b) GET one referral and a list of 50 vs the bare app reading one row by primary key;
(c) every list, inbox, single page and Oversikt on the N-year database vs the small one;
(e) a request's latency while the sweep (with the reconciler) and `audit verify` run vs idle;
(f) serve's resident memory, all its processes, idle and under load.
(d), the decision -> handover loop, is bench/loop_latency.py.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import create_engine, text

from bench.harness import Baseline, Client, Run, alternate, group_rss_mb, merged, ms_summary, port_of, timed
from bench.loop_latency import ROOT, Served, cli, wait_for
from referral_service.domain.national_id import make_synthetic_national_id

#: Bergen's coordinator holds a full page of check-ins in one national year (Askøy's holds 16): with the page as
#: full on both databases, the ratio is what the years of history cost, not how many rows the page shows.
BUSY_COORDINATOR = "koordinator@bergen.example"
GP, BUP, COORDINATOR, ADMIN = ("fastlege@askoy.example", "inntak@bup.example", "koordinator@askoy.example",
                               "admin@demo.example")
AUDITOR = "revisor@demo.example"
Row = dict[str, Any]


@dataclass
class Effort:
    """How much to measure: rounds of A/B and requests per round (CI uses the least)."""

    rounds: int = 5
    pairs: int = 20  # create + submit pairs per client per round
    reads: int = 20
    pages: int = 4
    background_timeout: float = 900.0
    idle_seconds: float = 10.0


def ratio(measured: float | None, baseline: float | None) -> float | None:
    return round(measured / baseline, 2) if measured and baseline else None


def row(part: str, what: str, measured: Any, baseline: Any, unit: str, *, better: str = "lower",
        **details: Any) -> Row:
    return {"part": part, "what": what, "measured": measured, "baseline": baseline, "unit": unit,
            "ratio": ratio(measured, baseline), "better": better, **details}


# --- (a) and (b): the write and read paths vs the bare app ---------------------------------------------------------

def referral_body(clinic_id: str, seq: int) -> dict:
    return {
        "child": {"national_id": make_synthetic_national_id(date(2012, 5, 10), seed=seq * 7 + 3),
                  "given_name": "Bench", "family_name": "Testesen", "home_municipality": "4627",
                  "guardians": [{"name": "Mor Testesen", "phone": "40000000"}]},
        "clinic_id": clinic_id, "reasons": ["anxiety"],
        "description": "Økende angst og skolefravær siden høsten, sover dårlig og trekker seg unna.",
        "urgency": "normal", "measures_tried": "Samtaler med helsesykepleier i åtte uker.",
        "child_view": "Jeg vil gjerne snakke med noen.",
        "consent": {"given_by": ["guardian"], "share_with": ["bup", "municipality"], "recorded_on": "2026-11-02"},
        "municipal_contacts": [],
    }


def _clinic_id(served: Served) -> str:
    admin = Client(port_of(served)).api_login(ADMIN)
    items = admin.request("GET", "/api/v1/organisations?per_page=100").json()["items"]
    return next(o["id"] for o in items if o["name"] == "BUP Bergen sentrum")


#: The clients of the write path's runs: one, then eight at once.
CLIENTS = (1, 8)


def write_path(served: Served, baseline: Baseline, effort: Effort, *, memory: list[float]) -> list[Row]:
    clinic = _clinic_id(served)
    rows: list[Row] = []
    # The bodies are made before the clock runs: a synthetic identity number costs the client milliseconds, and the
    # baseline's body is ready-made too. (The next() of a list iterator is atomic under the GIL: no lock needed.)
    bodies = iter([referral_body(clinic, seq) for seq in range(sum(CLIENTS) * effort.rounds * effort.pairs)])

    def pair(client: Client, _n: int) -> list[int]:
        created = client.request("POST", "/api/v1/referrals", next(bodies))
        if created.status != 201:
            return [created.status]
        submitted = client.request("POST", f"/api/v1/referrals/{created.json()['id']}/submit")
        return [created.status, submitted.status]

    def insert(client: Client, n: int) -> list[int]:
        return [client.request("POST", "/rows", {"n": n, "text": "x" * 300}).status]

    for clients in CLIENTS:
        api = [Client(port_of(served)).api_login(GP) for _ in range(clients)]
        bare = [Client(baseline.port) for _ in range(clients)]
        sampler = _MemorySampler(served.process.pid) if clients == 8 else None
        runs_a, runs_b = alternate(lambda api=api: timed(api, pair, per_client=effort.pairs),
                                   lambda bare=bare: timed(bare, insert, per_client=effort.pairs),
                                   rounds=effort.rounds)
        if sampler:
            memory.append(sampler.stop())
        a, b = merged(runs_a), merged(runs_b)
        rows.append(row("a", f"create+submit pairs/s, {clients} client(s)", a["per_s"], b["per_s"], "/s",
                        better="higher", statuses=a["statuses"]))
        rows.append(row("a", f"create+submit p50, {clients} client(s)", a["p50"], b["p50"], "ms"))
        rows.append(row("a", f"create+submit p99, {clients} client(s)", a["p99"], b["p99"], "ms"))
    return rows


def read_path(served: Served, baseline: Baseline, effort: Effort) -> list[Row]:
    gp = Client(port_of(served)).api_login(GP)
    listed = gp.request("GET", "/api/v1/referrals?per_page=50").json()
    referral_id = listed["items"][0]["id"]
    bare = Client(baseline.port)
    row_id = bare.request("POST", "/rows", {"text": "x" * 300}).json()["id"]
    rows = []
    for what, path in (("GET one referral", f"/api/v1/referrals/{referral_id}"),
                       ("GET a list of 50 referrals", "/api/v1/referrals?per_page=50")):
        runs_a, runs_b = alternate(
            lambda path=path: timed([gp], lambda c, _n: [c.request("GET", path).status], per_client=effort.reads),
            lambda: timed([bare], lambda c, _n: [c.request("GET", f"/rows/{row_id}").status],
                          per_client=effort.reads), rounds=effort.rounds)
        a, b = merged(runs_a), merged(runs_b)
        rows.append(row("b", f"{what} p50 (vs PK read)", a["p50"], b["p50"], "ms", statuses=a["statuses"]))
    return rows


# --- (c): every page at N years vs small --------------------------------------------------------------------------

def demo_case(served: Served, database_url: str, *, seq: int) -> dict[str, str]:
    """A referral of the demo GP that BUP rejected, and its handover at the demo coordinator's municipality,
    made through the API now: the single pages read the same kind of row on both databases."""
    port = port_of(served)
    clinic = _clinic_id(served)
    gp, bup = Client(port).api_login(GP), Client(port).api_login(BUP)
    created = gp.request("POST", "/api/v1/referrals", referral_body(clinic, 9_000_000 + seq))
    referral_id = created.json()["id"]
    gp.request("POST", f"/api/v1/referrals/{referral_id}/submit")
    bup.request("POST", f"/api/v1/referrals/{referral_id}/reject",
                {"reason_code": "not_specialist_need", "explanation": "Ikke behov for spesialist.",
                 "municipal_advice": "Tilbud hos kommunepsykolog."})
    engine = create_engine(database_url)
    found: list[str] = []

    def handover() -> bool:
        with engine.connect() as conn:
            found[:] = conn.execute(text("SELECT id FROM handover WHERE referral_id = :r"), {"r": referral_id}
                                    ).scalars().all()
        return bool(found)

    try:
        wait_for(handover, timeout=300, interval=0.5, what="the worker to open the handover")
    finally:
        engine.dispose()
    return {"referral": referral_id, "handover": found[0]}


PAGES = [  # (what, API or web, login, path)
    ("referrals list (GP)", "api", GP, "/api/v1/referrals?per_page=50"),
    ("intake queue (BUP)", "api", BUP, "/api/v1/referrals?status=submitted&per_page=50"),
    ("handover list (coordinator)", "api", COORDINATOR, "/api/v1/handovers?per_page=50"),
    ("one handover", "api", COORDINATOR, "/api/v1/handovers/{handover}"),
    ("one referral", "api", GP, "/api/v1/referrals/{referral}"),
    ("alerts inbox", "api", COORDINATOR, "/api/v1/alerts?per_page=50"),
    ("operations view", "api", ADMIN, "/api/v1/admin/operations"),
    ("a referral's events", "api", GP, "/api/v1/referrals/{referral}/events"),
    ("the child's case (BUP)", "api", BUP, "/api/v1/referrals/{referral}/case"),
    ("check-ins (coordinator)", "api", COORDINATOR, "/api/v1/check-ins?per_page=50"),
    ("check-ins (Bergen, a full page at 1 y)", "api", BUSY_COORDINATOR, "/api/v1/check-ins?per_page=50"),
    ("access log, newest (auditor)", "api", AUDITOR, "/api/v1/audit?per_page=50"),
    ("referrals list (GP)", "web", GP, "/henvisninger"),
    ("intake queue (BUP)", "web", BUP, "/inntak"),
    ("handover list (coordinator)", "web", COORDINATOR, "/tilbakehenvisninger"),
    ("one handover", "web", COORDINATOR, "/tilbakehenvisninger/{handover}"),
    ("one referral", "web", GP, "/henvisninger/{referral}"),
    ("assess one referral (BUP)", "web", BUP, "/inntak/{referral}"),
    ("alerts inbox", "web", COORDINATOR, "/varsler"),
    ("Oversikt, national", "web", ADMIN, "/oversikt"),
    ("Oversikt CSV, national", "web", ADMIN, "/oversikt.csv"),
]


def pages(big: Served, small: Served, ids: dict[str, dict[str, str]], effort: Effort, *, label: str) -> list[Row]:
    clients: dict[tuple[str, str, str], Client] = {}

    def client(which: str, served: Served, kind: str, email: str) -> Client:
        key = (which, kind, email)
        if key not in clients:
            fresh = Client(port_of(served))
            clients[key] = fresh.api_login(email) if kind == "api" else fresh.web_login(email)
        return clients[key]

    rows = []
    for what, kind, email, template in PAGES:
        def measure(which: str, served: Served, kind: str = kind, email: str = email,
                    template: str = template) -> Run:
            path = template.format(**ids[which])
            return timed([client(which, served, kind, email)], lambda c, _n: [c.request("GET", path).status],
                         per_client=effort.pages)

        runs_big, runs_small = alternate(lambda: measure("big", big), lambda: measure("small", small),
                                         rounds=effort.rounds)
        a, b = merged(runs_big), merged(runs_small)
        rows.append(row("c", f"{what} ({kind}), {label}", a["p50"], b["p50"], "ms",
                        statuses={"big": a["statuses"], "small": b["statuses"]}))
    return rows


# --- (e): requests while background work runs ---------------------------------------------------------------------

def _probe(client: Client, referral_path: str, *, stop: threading.Event, pace: float) -> dict[str, Any]:
    """GET one referral and a login, alternately, until told to stop."""
    latencies: dict[str, list[float]] = {"read": [], "login": []}
    failures = {"5xx": 0, "database_is_locked": 0}
    n = 0
    while not stop.is_set() or n < 2:  # at least one of each, however short the job
        kind = "login" if n % 2 else "read"
        started = time.perf_counter()
        if kind == "login":
            answer = client.request("POST", "/api/v1/auth/token", {"email": GP, "password": "demo-passord-2026"})
        else:
            answer = client.request("GET", referral_path)
        latencies[kind].append((time.perf_counter() - started) * 1000)
        failures["5xx"] += answer.status >= 500
        failures["database_is_locked"] += b"database is locked" in answer.body
        n += 1
        time.sleep(pace)  # the shape of the load, not synchronisation
    return {"latencies": latencies, **failures}


def background(served: Served, env: dict[str, str], effort: Effort, *, label: str, referral_id: str) -> list[Row]:
    """A GP reading one referral and logging in, idle and while each background job runs."""
    client = Client(port_of(served)).api_login(GP)
    path = f"/api/v1/referrals/{referral_id}"
    rows: list[Row] = []
    idle = _during(client, path, seconds=effort.idle_seconds)
    for what, command in (("deadline sweep + reconciler (`sweep`)", ["sweep"]),
                          ("`audit verify`", ["audit", "verify"])):
        started = time.perf_counter()
        job = subprocess.Popen([*cli(), *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
        busy = _during(client, path, until=job, timeout=effort.background_timeout)
        seconds = round(time.perf_counter() - started, 2)
        output = job.stdout.read().decode(errors="replace") if job.stdout else ""
        rows.append(row("e", f"{what} duration with start-up, {label}", seconds, None, "s",
                        background_exit=job.returncode, background_output=output[-300:]))
        rows += [row("e", f"{name} own time, {label}", float(ms) / 1000, 1.0 if name != "`audit verify`" else 5.0,
                     "s") for name, ms in _own_times(output)]
        for kind, name in (("read", "GET one referral"), ("login", "API login")):
            busy_ms, idle_ms = ms_summary(busy["latencies"][kind]), ms_summary(idle["latencies"][kind])
            rows.append(row("e", f"{name} p99 during {what} vs idle, {label}", busy_ms.get("p99"),
                            idle_ms.get("p99"), "ms", p50=busy_ms.get("p50"), idle_p50=idle_ms.get("p50"),
                            requests=busy_ms.get("n"), failures_5xx=busy["5xx"],
                            database_is_locked=busy["database_is_locked"]))
    return rows


#: The times the command line prints for each pass (cli.py `_ms`), against the issue's bounds (1 s, 5 s).
_OWN_TIMES = (("deadline sweep", re.compile(r"^Sweep as of .*\((\d+) ms\):$", re.M)),
              ("reconciler", re.compile(r"^Reconciler repaired .*\((\d+) ms\)\.$", re.M)),
              ("`audit verify`", re.compile(r"^The access log is intact: .*, (\d+) ms\.$", re.M)))


def _own_times(output: str) -> list[tuple[str, str]]:
    return [(name, found.group(1)) for name, pattern in _OWN_TIMES if (found := pattern.search(output))]


def _during(client: Client, path: str, *, seconds: float | None = None, until: subprocess.Popen | None = None,
            timeout: float = 900.0) -> dict[str, Any]:
    stop = threading.Event()
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(_probe(client, path, stop=stop, pace=0.05)))
    thread.start()
    try:
        if until is not None:
            try:
                until.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                until.kill()
                until.wait()
        else:
            time.sleep(seconds or 0)  # an idle period of fixed length: the baseline's sample window
    finally:
        stop.set()
        thread.join(timeout=300)
    return result


# --- (f): memory ----------------------------------------------------------------------------------------------------

class _MemorySampler:
    """The largest resident size of the serve process group while a load runs."""

    def __init__(self, pgid: int) -> None:
        self.pgid, self.samples = pgid, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.samples.append(group_rss_mb(self.pgid)[0])
            if self._stop.wait(0.5):
                return

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return max(self.samples, default=0.0)


def memory(served: Served, under_load: list[float], *, idle: float | None = None) -> list[Row]:
    """Idle (`idle`: measured before any load, when given) and the peak under the 8-client load."""
    now, processes = group_rss_mb(served.process.pid)
    idle = now if idle is None else idle
    rows = [row("f", f"serve resident memory idle ({processes} processes)", idle, 200.0, "MB",
                note="baseline: the issue's 200 MB target")]
    if under_load:
        rows.append(row("f", "serve resident memory under load (8 clients, peak)", max(under_load), idle, "MB",
                        note="baseline: idle"))
    return rows
