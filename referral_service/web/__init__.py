"""The Norwegian web interface: server-rendered pages over the same services as the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, abort, send_from_directory

from referral_service.web.blueprint import web


def designsystemet_dist() -> Path:
    """Designsystemet's CSS, installed by npm into node_modules (never committed)."""
    return Path(__file__).resolve().parents[2] / "node_modules" / "@digdir" / "designsystemet-css" / "dist"


def register_web(app: Flask) -> None:
    import referral_service.web.roles  # noqa: F401  (which pages are for which roles)
    import referral_service.web.views  # noqa: F401  (registers the pages on the blueprint)

    # Not setdefault: Flask's own default (31 days) is always there. The cookie lives as long as an idle session
    # (the server's row decides: web/session_auth.py).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=int(app.config.get("SESSION_IDLE_MINUTES", 30)))
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="henvisning_session", SESSION_REFRESH_EACH_REQUEST=True,
                      SESSION_COOKIE_SECURE=app.config.get("ENV") == "production")
    app.register_blueprint(web)

    @app.get("/assets/ds/<path:filename>")
    def designsystemet_asset(filename: str):
        folder = designsystemet_dist()
        if not folder.is_dir():
            abort(404)
        return send_from_directory(folder, filename, max_age=86400)

    @app.get("/favicon.ico")
    def favicon():
        # Browsers and bookmarks ask for /favicon.ico whatever the page links; base.html links the SVG.
        return app.send_static_file("favicon.ico")
