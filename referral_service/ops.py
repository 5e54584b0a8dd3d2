"""/health, /ready and the offline Swagger UI assets."""

from __future__ import annotations

import logging
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from referral_service.tasks.embedded import broker_answers

log = logging.getLogger(__name__)

blp = Blueprint("ops", __name__)

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


@blp.get("/health")
def health():
    return jsonify(status="ok")


@blp.get("/ready")
def ready():
    """200 only when the database and the broker answer."""
    checks: dict[str, str] = {}
    try:
        with current_app.extensions["referral_db"].session() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unavailable", extra={"error_type": type(exc).__name__})
        checks["database"] = "unavailable"
    checks["broker"] = "ok" if broker_answers(current_app.config["REFERRAL_CONFIG"]) else "unavailable"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ok else "not_ready", checks=checks), 200 if ok else 503


@blp.get("/api/docs-assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(SWAGGER_DIST, filename, max_age=3600)
