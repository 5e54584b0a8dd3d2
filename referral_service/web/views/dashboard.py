"""Oversikt: the figures Barneombudet and Ukom ask for, as a page and as CSV for Excel.

Aggregates only, so neither view writes to the access log (no child's data is read or shown).
"""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, render_template, request

from referral_service.api.context import db_session, deps
from referral_service.errors import InvalidData
from referral_service.security.statistics_scope import NATIONAL
from referral_service.services import dashboard as dashboard_service
from referral_service.services.dashboard import Dashboard, Durations
from referral_service.services.equity import CHILD_WELFARE_PARTNER, INTERPRETER, PARENT_ILLNESS, EquityRow
from referral_service.web import labels
from referral_service.web.blueprint import web
from referral_service.web.formatting import norwegian_date
from referral_service.web.forms.period import asked_period
from referral_service.web.session_auth import login_required, web_actor
from referral_service.workflows.statistics import Figure

#: The waits measured, as the page and the CSV name them: BUP's, and then the municipality's.
WAITS = (("assessment", "Fra mottatt til vurdert i BUP"),
         ("to_acknowledged", "Fra avslag eller utskriving til bekreftet mottatt i kommunen"),
         ("to_first_contact", "Fra avslag eller utskriving til planlagt første kontakt"))
BREACHES = {"assessment_breach": "Vurderingsfrist", "care_start_breach": "Frist for start av helsehjelp"}


def scope_label(d: Dashboard) -> str:
    """Whose figures, in words: the organisation's name, or the whole country."""
    return "Hele landet" if d.scope_kind == NATIONAL else d.scope_name


#: The equity table's groups in words; a language's row says the language.
EQUITY_GROUPS = {INTERPRETER: "Behov for tolk, alle språk",
                 PARENT_ILLNESS: labels.REASON["parent_mental_illness_or_substance_use"],
                 CHILD_WELFARE_PARTNER: "Barnevernet er samarbeidspart"}


def equity_group(row: EquityRow) -> str:
    if row.language:
        return f"Tolk: {labels.INTERPRETER_LANGUAGE.get(row.language, row.language)}"
    return EQUITY_GROUPS.get(row.code, row.code)


def _figures(period):
    return dashboard_service.build_dashboard(db_session(), clock=deps().clock, calendar=deps().calendar,
                                             actor=web_actor(), period=period,
                                             equity_threshold=int(current_app.config["EQUITY_SUPPRESSION_THRESHOLD"]))


def _asked_period() -> dict[str, str]:
    return {"fra": request.args.get("fra", ""), "til": request.args.get("til", "")}


@web.get("/oversikt")
@login_required
def dashboard():
    today, asked = deps().clock.today(), _asked_period()
    errors: dict[str, list[str]] = {}
    try:
        period = asked_period(asked, today=today)
    except InvalidData as invalid:
        errors, period = invalid.errors or {}, dashboard_service.default_period(today)
    figures = _figures(period)
    form = asked if errors else {"fra": period.first.isoformat(), "til": period.last.isoformat()}
    return render_template("dashboard.html", d=figures, scope=scope_label(figures), errors=errors, form=form,
                           waits=WAITS, breaches=BREACHES, equity_group=equity_group)


@web.get("/oversikt.csv")
@login_required
def dashboard_csv():
    asked = _asked_period()
    period = asked_period(asked, today=deps().clock.today())
    figures = _figures(period)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Tabell", "Gruppe", "Mål", "Verdi"])
    writer.writerows([[_inert(cell) for cell in row] for row in csv_rows(figures)])
    filename = f"oversikt-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    # The byte-order mark tells Excel in Norway that the file is UTF-8, so that æøå survive.
    return Response(out.getvalue().encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def csv_rows(d: Dashboard) -> list[list[str]]:
    """The dashboard as (table, group, measure, value) rows, with the page's words and the page's figures."""
    rows = [["Utvalg", "", "Gjelder", scope_label(d)], ["Utvalg", "", "Fra og med", norwegian_date(d.period.first)],
            ["Utvalg", "", "Til og med", norwegian_date(d.period.last)],
            ["Utvalg", "", "Tilbakehenvisninger nå per", norwegian_date(d.as_of)],
            ["Utvalg", "", "Tegnforklaring", "<3: 1 eller 2 barn; ':' vises ikke fordi færre enn 3 barn; tom: "
                                                     "ingenting å regne ut"]]
    r, h = d.referrals, d.handovers
    henvisninger = [("Mottatt", r.received), ("Sendt fra henviser", r.submitted),
                    ("Videresendt fra annen BUP", r.forwarded_in), ("Avslått", r.rejection.rejected),
                    ("Andel avslått (%)", r.rejection.share), ("Venter på vurdering", r.awaiting_assessment),
                    ("Sendt med mangler", r.sent_with_gaps),
                    ("Hjelp i kommunen etter vurderingssamtale", r.municipal_level)]
    rows += [["Henvisninger", "Alle", measure, f.csv_text] for measure, f in henvisninger]
    for row in r.by_referrer_kind:
        group = labels.ORGANISATION_KIND.get(row.code, row.code)
        rows += [["Avslag etter henviser", group, measure, f.csv_text] for measure, f in
                 (("Mottatt", row.received), ("Avslått", row.rejected), ("Andel avslått (%)", row.share))]
    for reason in r.by_reason:
        group = labels.REJECTION_REASON.get(reason.code, reason.code)
        rows += [["Avslag etter grunn", group, "Avslag", reason.rejected.csv_text],
                 ["Avslag etter grunn", group, "Andel av avslagene (%)", reason.share.csv_text]]
    for name, title in WAITS:
        rows += [["Ventetid", title, measure, f.csv_text] for measure, f in _wait_cells(d.waits[name])]
    handovers = [("Opprettet i perioden", h.created), ("Fra perioden, ikke bekreftet mottatt", h.unacknowledged),
                 ("Åpne nå", h.open), ("Over frist nå", h.overdue),
                 ("Over frist nå: ikke bekreftet mottatt", h.overdue_unacknowledged),
                 ("Over frist nå: første kontakt ikke planlagt", h.overdue_no_first_contact),
                 ("Skrevet ut uten epikrise", h.discharged_without_epikrise)]
    rows += [["Tilbakehenvisninger", "Alle", measure, f.csv_text] for measure, f in handovers]
    moves = [("Flyttet hit i perioden", h.moved_in), ("Flyttet herfra i perioden", h.moved_out),
             ("Overført ved flytting", h.transferred)]
    rows += [["Flytting", "Alle", measure, f.csv_text] for measure, f in moves]
    rows += [["Fristbrudd", BREACHES[kind], "Antall", f.csv_text] for kind, f in d.breaches.items()]
    for equity in d.equity.rows if d.equity else []:
        rows += [["Likeverd", equity_group(equity), measure, f.csv_text] for measure, f in
                 (("Mottatt", equity.received), ("Avslått", equity.rejected),
                  ("Andel avslått (%)", equity.rejected_share), ("Rett til helsehjelp", equity.accepted),
                  ("Andel med rett til helsehjelp (%)", equity.accepted_share))]
    c = d.contacts
    contacts = [("Barn som hadde en kontaktperson", c.children), ("Skifter av kontaktperson", c.changes),
                ("Skifter per barn", c.per_child), ("Barn med 2 eller flere skifter", c.two_or_more),
                ("Andel barn med 2 eller flere skifter (%)", c.two_or_more_share)]
    rows += [["Kontaktperson", "Alle", measure, f.csv_text] for measure, f in contacts]
    return rows


def _inert(cell: str) -> str:
    """A cell Excel will not run as a formula (an organisation's name is typed by people)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def _wait_cells(durations: Durations) -> list[tuple[str, Figure]]:
    return [("Antall barn", durations.count),
            ("Median, kalenderdager", durations.calendar_median),
            ("90-persentil, kalenderdager", durations.calendar_p90),
            ("Median, virkedager", durations.working_median),
            ("90-persentil, virkedager", durations.working_p90)]
