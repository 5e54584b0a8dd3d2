"""A letter to the family as the reader gets it: the answer to "Hvem skal dere snakke med nå?" first, then what
happens next by when, then the rest; in bokmål or nynorsk (notify/family_words.py); in the version for the reader's
role, leaving out what they must not see. HTML (the family's page, the professional's preview) and an A4 PDF.

WeasyPrint needs pango at run time: it is imported only when a PDF is made, so the service starts without it."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from referral_service.domain.family import FamilyLetter
from referral_service.notify import family_words as words
from referral_service.web.formatting import norwegian_date
from referral_service.workflows.family_access import FamilyRole
from referral_service.workflows.family_letters import topics_shown
from referral_service.workflows.responsible_now import Stage

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "letter.css"
#: The order of what each letter tells after who and what next.
TOPIC_ORDER = ("explanation", "summary", "advice", "reasons", "child_view")


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the pango library it needs) is not installed: the letter can still be read as HTML."""


def letter_context(letter: FamilyLetter, *, role: FamilyRole, hidden: frozenset[str],
                   heading_level: int = 1) -> dict[str, Any]:
    """What the letter template shows, worked out from the letter's facts in its language for this reader."""
    lang, facts = letter.language if letter.language in words.LANGUAGES else "nb", dict(letter.facts or {})
    child, you = facts.get("child_name") or "", role is not FamilyRole.GUARDIAN
    contact = facts.get("contact") or None
    names = letter_names(facts)
    kind_words = words.letter_words(lang, letter.kind)
    stage = Stage(facts.get("stage", Stage.BUP_ASSESSES))
    organisation = (contact or {}).get("organisation") or ""
    due = norwegian_date(facts.get("due"))

    def label(name: str, **extra: str) -> str:
        return words.letter_label(lang, name, **{**names, **extra})

    shown = topics_shown(letter.kind, hidden)
    topics = []
    for topic in TOPIC_ORDER:
        if topic not in shown or not facts.get(topic):
            continue
        if topic == "reasons":
            topics.append((label("reasons"), ", ".join(words.letter_reasons(lang, facts["reasons"])).capitalize()))
        elif topic == "child_view":
            topics.append((label("child_view_you" if you else "child_view_guardian"), facts["child_view"]))
        else:
            topics.append((label(topic), facts[topic]))
    return {
        "lang": lang,
        "level": heading_level,
        "kind": letter.kind,
        "role": role.value,
        "label": label,
        "sender": names["sender"],
        "sender_phone": facts.get("sender_phone"),
        "to_line": label("to_guardian") if not you else label("to_child"),
        "date": norwegian_date(_letter_date(letter)),
        "child": child,
        "birth_date": norwegian_date(facts.get("child_birth_date")),
        "heading": kind_words["heading"].format(**names),
        "intro": kind_words["you" if you else "guardian"].format(**names),
        "who_now": label("who_now_you") if you else words.WHO_NOW[lang],
        "contact": contact,
        "hours_label": label("hours" if you else "hours_guardian"),
        "now": words.stage_now(lang, stage, organisation=organisation),
        "next": _sentence(words.stage_next(lang, stage, due=due or None, organisation=organisation)),
        "topics": topics,
        "questions": label("questions_you" if you else "questions_guardian"),
    }


def letter_names(facts: dict[str, Any]) -> dict[str, str]:
    """The names a letter's sentences speak of (notify/family_words.LETTER_KINDS)."""
    contact = facts.get("contact") or {}
    return {"child": facts.get("child_name") or "", "clinic": facts.get("clinic") or "BUP",
            "new_clinic": facts.get("new_clinic") or "", "sender": facts.get("sender") or "",
            "owner": contact.get("organisation") or "Kommunen"}


def letter_heading(letter: FamilyLetter) -> str:
    """The letter's heading in its language (for lists of letters)."""
    lang = letter.language if letter.language in words.LANGUAGES else "nb"
    return words.letter_words(lang, letter.kind)["heading"].format(**letter_names(dict(letter.facts or {})))


def render_letter_body(letter: FamilyLetter, *, role: FamilyRole, hidden: frozenset[str],
                       heading_level: int = 1) -> str:
    """The letter itself, to place in a page (the professional's preview puts it under its own headings); HTML
    escaped by its template, so the page places it as it is."""
    return render_template("letters/_letter.html",
                           **letter_context(letter, role=role, hidden=hidden, heading_level=heading_level))


def render_letter_document(letter: FamilyLetter, *, role: FamilyRole, hidden: frozenset[str],
                           links: dict[str, str] | None = None, stylesheet_url: str | None = None) -> str:
    """The letter as a page of its own: the family's (its stylesheet linked, as the pages' Content-Security-Policy
    wants) or the PDF's source (the print stylesheet inlined)."""
    context = letter_context(letter, role=role, hidden=hidden)
    css = "" if stylesheet_url else STYLESHEET.read_text(encoding="utf-8")
    return render_template("letters/document.html", body=render_template("letters/_letter.html", **context),
                           css=css, stylesheet_url=stylesheet_url, links=links or {}, **context)


def render_letter_pdf(letter: FamilyLetter, *, role: FamilyRole, hidden: frozenset[str]) -> bytes:
    """The letter as an A4 PDF; PdfUnavailable when WeasyPrint cannot run here."""
    try:
        from weasyprint import HTML  # noqa: PLC0415 - needs pango; only the PDF needs it
    except (ImportError, OSError) as exc:
        raise PdfUnavailable("WeasyPrint (and pango) are needed for PDF letters; install them or read the letter "
                             "as HTML.") from exc
    html = render_letter_document(letter, role=role, hidden=hidden)
    pdf: bytes = HTML(string=html, base_url=current_app.root_path).write_pdf()
    return pdf


def _sentence(text: str) -> str:
    """The family page's "… — svar innen 18.12.2026" as a sentence of its own in a letter."""
    return text[:1].upper() + text[1:]


def _letter_date(letter: FamilyLetter) -> date | datetime:
    return letter.sent_at or letter.created_at
