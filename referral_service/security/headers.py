"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
# Swagger UI starts itself from an inline script and styles itself inline; only its page gets that.
DOCS_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


#: Assets that hold no data and may be cached.
STATIC_PATHS = ("/static/", "/assets/", "/api/docs-assets/")


def install_security_headers(app: Flask, *, production: bool) -> None:
    @app.after_request
    def _secure(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", DOCS_CSP if request.path == "/api/docs" else CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if not request.path.startswith(STATIC_PATHS):
            headers.setdefault("Cache-Control", "no-store")  # child data never lands in a browser or shared cache
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
