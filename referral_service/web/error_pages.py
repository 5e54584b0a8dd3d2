"""The Norwegian error pages people see; the API answers the same errors as problem+json (api/problems.py)."""

from __future__ import annotations

from flask import Response, render_template

from referral_service.security.csrf import FormExpired
from referral_service.security.input_guard import UnusableText
from referral_service.web.kept_forms import keep_expired_post

PAGE_TITLES = {400: "Noe gikk galt", 403: "Du har ikke tilgang", 404: "Fant ikke siden", 405: "Noe gikk galt",
               409: "Saken er endret", 413: "For mye tekst", 422: "Noe gikk galt", 429: "For mange forsøk",
               500: "Noe gikk galt hos oss"}
PAGE_MESSAGES = {403: "Du har ikke tilgang til dette.",
                 404: "Siden finnes ikke, eller du har ikke tilgang til den.",
                 409: "Noen andre har endret saken samtidig. Last siden på nytt.",
                 413: "Det du sendte var for stort. Kort ned teksten og prøv igjen.",
                 500: "Det oppstod en feil. Prøv igjen om litt."}
DEFAULT_MESSAGE = "Noe gikk galt. Prøv igjen."
FORM_EXPIRED = "Skjemaet er utløpt. Last siden på nytt og prøv igjen."
UNUSABLE_TEXT = ("Noe av teksten du sendte inneholder tegn som ikke kan lagres (for eksempel usynlige kontrolltegn "
                 "eller ødelagte tegn fra en kopi). Ingenting er lagret. Gå tilbake, skriv teksten på nytt "
                 "uten å lime den inn, og prøv igjen.")


def error_page(status: int, error: Exception) -> Response:
    """The page for an error: its title and message by status; an expired form is kept for its user when it can
    be (web/kept_forms.py), else says so."""
    if isinstance(error, FormExpired):
        kept = keep_expired_post()
        if kept is not None:
            return kept
    if isinstance(error, FormExpired):
        message = FORM_EXPIRED
    elif isinstance(error, UnusableText):
        message = UNUSABLE_TEXT
    else:
        message = PAGE_MESSAGES.get(status, DEFAULT_MESSAGE)
    body = render_template("error.html", title=PAGE_TITLES.get(status, "Noe gikk galt"), message=message)
    return Response(body, status=status, mimetype="text/html")
