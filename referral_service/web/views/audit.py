"""Revisjon: the access log for auditors (filtered by child, user, organisation and time), the chain's verification
and the retention sweep's runs, and a child's access history for a family's request for insight (innsyn).

A child is searched for by a posted form (web/search.py): the session keeps the child's id, never the number, so
the number is in no address. The filters that name no child (user, organisation, dates, page) are in the address.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Response, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.services.admin import audit, insight
from referral_service.web.blueprint import web
from referral_service.web.forms.period import EARLIEST, LATEST
from referral_service.web.paging import requested_page
from referral_service.web.search import remember_posted_search, remembered_search
from referral_service.web.session_auth import login_required, web_actor
from referral_service.web.views import audit_labels

LOG_PER_PAGE = 50
LOG_SEARCH, INSIGHT_SEARCH = "revisjon", "innsyn"
#: The filters kept in the address (none of them names a child).
FILTERS = ("bruker", "virksomhet", "fra", "til")


@web.get("/revisjon")
@login_required
def audit_log():
    asked, errors = _asked_filters()
    search = remembered_search(LOG_SEARCH)
    if search.child_id:  # the child's history is read: logged as the insight page's reading is
        insight.record_history_read(unit_of_work(), actor=web_actor(), child_id=search.child_id)
    wanted = insight.AuditFilter(child=search, user_id=asked.get("bruker") or None,
                                 organisation_id=asked.get("virksomhet") or None,
                                 since=_start_of(asked.get("fra")), until=_start_of(asked.get("til"), days=1))
    page = insight.list_access_log(db_session(), actor=web_actor(), wanted=wanted, page=requested_page(),
                                   per_page=LOG_PER_PAGE)
    users, organisations = insight.users_and_organisations(db_session(), actor=web_actor())
    return render_template("audit/log.html", page=page, search=search, asked=asked, errors=errors, users=users,
                           organisations=organisations, words=audit_labels, filters=_kept(asked))


@web.post("/revisjon")
@login_required
def search_audit_log():
    """The child is posted (an identity number never goes in a URL) and kept as an id; back to the log."""
    remember_posted_search(LOG_SEARCH)
    return redirect(url_for("web.audit_log", **_kept(_asked_filters()[0])), code=303)


@web.get("/revisjon/kontroll")
@login_required
def audit_verification():
    """Runs the chain's verification now and shows its result, with the retention sweep's recent runs."""
    result = audit.verify_access_log(deps().database, actor=web_actor(), config=deps().config)
    runs = insight.recent_retention_runs(db_session(), actor=web_actor())
    return render_template("audit/verification.html", result=result, runs=runs, words=audit_labels)


@web.get("/revisjon/innsyn")
@login_required
def insight_request():
    search = remembered_search(INSIGHT_SEARCH)
    rows = _history(search) if search.number_typed else None
    return render_template("audit/insight.html", search=search, rows=rows, words=audit_labels)


@web.post("/revisjon/innsyn")
@login_required
def search_insight():
    remember_posted_search(INSIGHT_SEARCH)
    return redirect(url_for("web.insight_request"), code=303)


@web.get("/revisjon/innsyn/utskrift")
@login_required
def insight_print():
    rows = _history(remembered_search(INSIGHT_SEARCH))
    return render_template("audit/insight_print.html", rows=rows or [], words=audit_labels,
                           made=deps().clock.now())


@web.get("/revisjon/innsyn.csv")
@login_required
def insight_csv():
    rows = _history(remembered_search(INSIGHT_SEARCH)) or []
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Tidspunkt", "Person", "Virksomhet", "Rolle", "Handling", "Grunnlag"])
    for row in rows:
        writer.writerow([_inert(cell) for cell in (
            row.at.astimezone(deps().clock.timezone).strftime("%d.%m.%Y %H:%M"), row.user_name, row.organisation_name,
            audit_labels.role_words(row.role), audit_labels.action_words(row.action),
            audit_labels.basis_words(row.basis))])
    filename = f"innsyn-tilgangslogg-{deps().clock.today().isoformat()}.csv"
    # The byte-order mark tells Excel in Norway that the file is UTF-8, so that æøå survive.
    return Response(out.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _history(search: Any) -> list[insight.AuditRow] | None:
    """The child's history (logged as an insight request); None when no registered child has the number."""
    from referral_service.errors import NotFound

    if not search.number_typed or not search.child_id:
        return None
    try:
        return insight.insight_history(unit_of_work(), actor=web_actor(), child_id=search.child_id)
    except NotFound:
        return None


def _asked_filters() -> tuple[dict[str, str], list[str]]:
    """The filters in the address; a date that is not one is dropped with a Norwegian message."""
    asked = {name: (request.values.get(name) or "").strip()[:40] for name in FILTERS}
    errors = []
    for name, label in (("fra", "Fra og med"), ("til", "Til og med")):
        if asked[name] and _day(asked[name]) is None:
            errors.append(f"{label}: skriv datoen som åååå-mm-dd.")
            asked[name] = ""
    return asked, errors


def _kept(asked: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in asked.items() if value}


def _day(text: str | None) -> date | None:
    """The day asked for; None when it is no date, or one outside the years anyone searches (9999-12-31 has no
    day after it to end the search at)."""
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        return None
    return day if day is not None and EARLIEST <= day <= LATEST else None


def _start_of(text: str | None, *, days: int = 0) -> datetime | None:
    """The start of the day in Norway (for "til", the start of the day after: the day is included)."""
    day = _day(text)
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days), time(0), tzinfo=deps().clock.timezone)


def _inert(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell
