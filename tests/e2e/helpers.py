"""Helpers for the browser journeys: log in by label, run axe-core on a page, save screenshots.

axe-core comes from npm (node_modules/axe-core/axe.min.js, installed during set-up); nothing is downloaded.
Screenshots go to artifacts/screenshots/ (gitignored); the few README images go to docs/screenshots/ only
when UPDATE_DOC_SCREENSHOTS=1, so an ordinary test run never changes tracked files.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from referral_service.demo import DEMO_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = REPO_ROOT / "artifacts" / "screenshots"
AXE_REPORT_DIR = REPO_ROOT / "artifacts" / "axe"
DOC_SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"
UPDATE_DOC_SCREENSHOTS = os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1"

#: The demo users of the journeys (referral_service.demo).
NURSE = "helsesykepleier@bergen.example"
INTAKE = "inntak@bup.example"
COORDINATOR = "koordinator@bergen.example"
PASSWORD = DEMO_PASSWORD

#: WCAG 2.1 A and AA, the level the Norwegian rules for ICT require.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Impacts that fail a journey; "moderate" and "minor" are only reported.
BLOCKING_IMPACTS = ("serious", "critical")

#: The browser as a busy professional's office PC would have it.
CONTEXT_OPTIONS = {"viewport": {"width": 1200, "height": 900}, "locale": "nb-NO", "timezone_id": "Europe/Oslo"}

OSLO = ZoneInfo("Europe/Oslo")


def today_in_oslo() -> date:
    return datetime.now(OSLO).date()


def iso_days_from_today(days: int) -> str:
    """A date for an <input type=date>, which Playwright fills with ISO text."""
    return (today_in_oslo() + timedelta(days=days)).isoformat()


# ---- logging in -------------------------------------------------------------------------------------

def log_in(page: Page, base_url: str, email: str, password: str, *, keyboard: bool = False) -> None:
    """Log in on /logg-inn by the fields' labels. With keyboard=True only Tab, typing and Enter are used."""
    page.goto(f"{base_url}/logg-inn")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
    if keyboard:
        email_field = page.get_by_label("E-post", exact=True)
        tab_until_focused(page, email_field)
        page.keyboard.type(email)
        page.keyboard.press("Tab")
        expect(page.get_by_label("Passord", exact=True)).to_be_focused()
        page.keyboard.type(password)
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Logg inn")).to_be_focused()
        page.keyboard.press("Enter")
    else:
        page.get_by_label("E-post", exact=True).fill(email)
        page.get_by_label("Passord", exact=True).fill(password)
        page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()


def tab_until_focused(page: Page, locator, *, limit: int = 60) -> None:
    """Press Tab until the locator has the focus: the control is reachable by keyboard alone."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} was not reached with {limit} presses of Tab")


def unread_alert_count(page: Page) -> int:
    """The number in the header's alert bell, read from its accessible name ("Uleste varsler: 2")."""
    bell = page.get_by_role("link", name=re.compile(r"^Uleste varsler: \d+$"))
    expect(bell).to_be_visible()
    return int(re.search(r"\d+", bell.inner_text()).group())


# ---- axe-core ---------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict]:
    """All WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # The app's Content-Security-Policy (script-src 'self') rightly refuses the inline <script> that
        # page.add_script_tag() would add, so the script is evaluated through the DevTools protocol instead;
        # the page keeps its CSP while axe runs.
        page.evaluate("source => { (0, eval)(source); }", _axe_source())
    result = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
              .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                 nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300),
                                           summary: n.failureSummary}))})))""",
        WCAG_TAGS)
    return result


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"      {' '.join(map(str, node['target']))}  {node['html'][:160]}")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page, name: str = "") -> list[dict]:
    """Fail when axe finds serious or critical violations; returns the lesser ones."""
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (f"axe: serious/critical WCAG violations on {name or page.url}:\n"
                          f"{describe_violations(blocking)}")
    return violations


@dataclass
class A11yAudit:
    """axe on every page of a journey. Findings are collected so a journey shows all of them at once,
    and `assert_clean()` at the end of the journey fails on any serious or critical one."""

    journey: str
    write_report: bool = True  # artifacts/axe/<journey>.json, every finding of every impact
    pages: list[str] = field(default_factory=list)
    findings: dict[str, list[dict]] = field(default_factory=dict)

    def check(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        label = f"{name} ({page.url})"
        self.pages.append(label)
        if violations:
            self.findings[label] = violations
        if self.write_report:
            self._write_report()

    def blocking(self) -> dict[str, list[dict]]:
        return {label: [v for v in found if v["impact"] in BLOCKING_IMPACTS]
                for label, found in self.findings.items()
                if any(v["impact"] in BLOCKING_IMPACTS for v in found)}

    def assert_clean(self) -> None:
        blocking = self.blocking()
        assert self.pages, "axe was not run on any page"
        assert not blocking, "axe: serious/critical WCAG 2.1 A/AA violations\n" + "\n".join(
            f"- {label}:\n{describe_violations(found)}" for label, found in blocking.items())

    def _write_report(self) -> None:
        AXE_REPORT_DIR.mkdir(parents=True, exist_ok=True)
        report = {"journey": self.journey, "pages": self.pages, "violations": self.findings}
        (AXE_REPORT_DIR / f"{self.journey}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                                              encoding="utf-8")


# ---- screenshots ------------------------------------------------------------------------------------

def screenshot(page: Page, name: str) -> Path:
    """A full-page PNG in artifacts/screenshots/<name>.png."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def doc_screenshot(page: Page, name: str) -> Path | None:
    """The visible 1200×900 viewport as docs/screenshots/<name>.png, for the README, when asked for."""
    if not UPDATE_DOC_SCREENSHOTS:
        return None
    assert page.viewport_size and page.viewport_size["width"] <= 1200
    DOC_SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = DOC_SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
