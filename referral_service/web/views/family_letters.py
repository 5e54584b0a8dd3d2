"""The letters to the family: the professional's preview, language and send (Brev til familien), and the family's
own reading of a sent letter, as HTML and PDF. Thin views over services/family/letters.py."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from referral_service.api.context import db_session, deps, unit_of_work
from referral_service.domain.family import FamilyLetter
from referral_service.errors import Conflict, InvalidData, NotFound
from referral_service.notify.family_words import LANGUAGE_NAMES
from referral_service.services.family.access import FamilyCaseAccess
from referral_service.services.family.letter_rendering import (
    PdfUnavailable,
    letter_heading,
    render_letter_body,
    render_letter_document,
    render_letter_pdf,
)
from referral_service.services.family.letters import (
    LetterOutdated,
    change_letter_language,
    letters_of,
    outdated_drafts,
    preview_letter,
    read_family_letter,
    send_letter,
    sent_letters_for,
)
from referral_service.web.blueprint import web
from referral_service.web.family_session import family_login_required, family_viewer
from referral_service.web.session_auth import login_required, web_actor
from referral_service.workflows.family_access import FamilyRole
from referral_service.workflows.family_letters import topics_shown

KIND_NAMES = {
    "sent": "Henvisningen er sendt",
    "received": "BUP har fått henvisningen",
    "accepted": "Rett til helsehjelp",
    "rejected": "Avslag – kommunen tar over",
    "municipal_level": "Hjelpen gis i kommunen",
    "forwarded": "Videresendt til en annen BUP",
    "handover_acknowledged": "Kommunen har tatt over",
    "first_contact_planned": "Første kontakt er planlagt",
    "discharged": "Ferdig i BUP",
    "transferred": "Flyttet – den nye hjemkommunen har saken",
    "withdrawn": "Trukket tilbake – kommunen følger opp",
}
VERSION_NAMES = {"guardian": "Til foresatte", "child": "Til barnet (12–15 år)",
                 "young_person": "Til ungdommen (16 år og eldre)"}
AUDIENCE_NAMES = {"guardian": "foresatte", "child": "barnet", "young_person": "ungdommen"}
SENT = "Brevet er sendt til familien."
OUTDATED = ("Brevet er utdatert: saken har kommet videre siden det ble laget, så det stemmer ikke lenger. "
            "Send det nyeste brevet i stedet.")
ALREADY_SENT = "Brevet er allerede sendt. Det kan ikke endres."
CHOOSE_LANGUAGE = "Velg bokmål eller nynorsk."
NO_PDF = "Brevet kan ikke lastes ned som PDF akkurat nå. Du kan lese det på nettsiden i stedet."


def _preview(referral_id: str, letter_id: str, *, status: int = 200, error: str = ""):
    try:
        preview = preview_letter(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                                 letter_id=letter_id)
    except NotFound:
        abort(404)
    versions = [(VERSION_NAMES[v.role.value], v.role.value,
                 render_letter_body(preview.letter, role=v.role, hidden=v.hidden, heading_level=3),
                 bool(topics_shown(preview.letter.kind, frozenset()) & v.hidden))
                for v in preview.versions]
    return render_template("letters/preview.html", preview=preview, letter=preview.letter, versions=versions,
                           kind_name=KIND_NAMES.get(preview.letter.kind, ""), languages=LANGUAGE_NAMES,
                           audience_names=AUDIENCE_NAMES, error=error,
                           outdated=preview.letter.id in outdated_drafts(db_session(), [preview.letter])), status


@web.get("/henvisninger/<referral_id>/brev/<letter_id>")
@login_required
def family_letter_preview(referral_id: str, letter_id: str):
    return _preview(referral_id, letter_id)


@web.post("/henvisninger/<referral_id>/brev/<letter_id>/sprak")
@login_required
def family_letter_language(referral_id: str, letter_id: str):
    try:
        change_letter_language(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                               letter_id=letter_id, language=request.form.get("language", ""))
    except NotFound:
        abort(404)
    except InvalidData:
        return _preview(referral_id, letter_id, status=422, error=CHOOSE_LANGUAGE)
    except Conflict:
        return _preview(referral_id, letter_id, status=409, error=ALREADY_SENT)
    return redirect(url_for("web.family_letter_preview", referral_id=referral_id, letter_id=letter_id), code=303)


@web.post("/henvisninger/<referral_id>/brev/<letter_id>/send")
@login_required
def send_family_letter(referral_id: str, letter_id: str):
    try:
        send_letter(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id, letter_id=letter_id)
    except NotFound:
        abort(404)
    except LetterOutdated:
        return _preview(referral_id, letter_id, status=409, error=OUTDATED)
    except Conflict:
        return _preview(referral_id, letter_id, status=409, error=ALREADY_SENT)
    flash(SENT, "ok")
    return redirect(url_for("web.family_letter_preview", referral_id=referral_id, letter_id=letter_id), code=303)


@web.get("/henvisninger/<referral_id>/brev/<letter_id>/<version>.pdf")
@login_required
def family_letter_preview_pdf(referral_id: str, letter_id: str, version: str):
    """One version as the PDF the family gets, to print and post to a family that reads on paper."""
    try:
        preview = preview_letter(unit_of_work(), deps().clock, actor=web_actor(), referral_id=referral_id,
                                 letter_id=letter_id)
    except NotFound:
        abort(404)
    wanted = next((v for v in preview.versions if v.role.value == version), None)
    if wanted is None:
        abort(404)
    return _pdf(preview.letter, role=wanted.role, hidden=wanted.hidden)


@web.get("/familie/brev/<letter_id>.pdf")
@family_login_required
def family_letter_pdf(letter_id: str):
    read = _family_read(letter_id)
    return _pdf(read.letter, role=read.version, hidden=read.case.hidden)


def _pdf(letter: FamilyLetter, *, role: FamilyRole, hidden: frozenset[str]) -> Response:
    try:
        pdf = render_letter_pdf(letter, role=role, hidden=hidden)
    except PdfUnavailable:
        body = render_template("error.html", title="PDF-en kan ikke lages nå", message=NO_PDF)
        return Response(body, status=503, mimetype="text/html")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="brev-{letter.kind}.pdf"',
                             "Cache-Control": "no-store"})


@web.get("/familie/brev/<letter_id>")
@family_login_required
def family_letter(letter_id: str):
    read = _family_read(letter_id)
    links = {"back": f"{request.script_root}/familie/sak/{read.letter.referral_id}",
             "pdf": url_for("web.family_letter_pdf", letter_id=letter_id)}
    html = render_letter_document(read.letter, role=read.version, hidden=read.case.hidden, links=links,
                                  stylesheet_url=url_for("static", filename="letter.css"))
    return Response(html, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _family_read(letter_id: str):
    viewer = family_viewer()
    assert viewer is not None  # family_login_required
    read = read_family_letter(unit_of_work(), viewer=viewer, letter_id=letter_id, today=deps().clock.today())
    if read is None:
        abort(404)
    return read


def family_letters_for(case: FamilyCaseAccess) -> list[dict[str, Any]]:
    """The sent letters of the case for this reader, newest first, with their HTML and PDF addresses (the family
    case page includes templates/family/_letters.html with `case`)."""
    return [{"heading": letter_heading(letter), "sent_at": letter.sent_at,
             "html": url_for("web.family_letter", letter_id=letter.id),
             "pdf": url_for("web.family_letter_pdf", letter_id=letter.id)}
            for letter in sent_letters_for(db_session(), case)]


def staff_family_letters(referral_id: str) -> list[FamilyLetter]:
    """The referral's letters for its staff pages (the page has checked who may see the referral)."""
    return letters_of(db_session(), referral_id)


@web.app_context_processor
def _letters_context() -> dict:
    return {"family_letters_for": family_letters_for, "staff_family_letters": staff_family_letters,
            "outdated_family_letters": lambda letters: outdated_drafts(db_session(), letters),
            "family_letter_kinds": KIND_NAMES}
