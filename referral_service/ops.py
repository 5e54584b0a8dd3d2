"""/health, /ready and the offline Swagger UI assets."""

from __future__ import annotations

import logging
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from sqlalchemy import text

from referral_service.bootstrap import dependencies
from referral_service.domain.heartbeat import Component
from referral_service.services.loop.heartbeats import heartbeat_ages, silent_components
from referral_service.tasks.embedded import broker_answers

log = logging.getLogger(__name__)

blp = Blueprint("ops", __name__)

SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


@blp.get("/health")
def health():
    return jsonify(status="ok")


@blp.get("/ready")
def ready() -> tuple[Response, int]:
    """200 only when the database and the broker answer and, unless READY_HEARTBEAT_MAX_AGE_SECONDS is 0, a worker
    and the scheduler (beat) have beaten their hearts within that many seconds. `checks` names what failed."""
    config = current_app.config["REFERRAL_CONFIG"]
    max_age = float(config.READY_HEARTBEAT_MAX_AGE_SECONDS)
    checks: dict[str, str] = {}
    ages: dict[str, float | None] = {}
    try:
        with current_app.extensions["referral_db"].session() as session:
            session.execute(text("SELECT 1"))
            if max_age > 0:
                ages = {str(c): a for c, a in heartbeat_ages(session, dependencies(current_app).clock.now()).items()}
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unavailable", extra={"error_type": type(exc).__name__})
        checks["database"] = "unavailable"
    checks["broker"] = "ok" if broker_answers(config) else "unavailable"
    if max_age > 0:
        silent = silent_components({Component(c): a for c, a in ages.items()}, max_age=max_age) if ages else {}
        for component in Component:
            # Without the database nobody can tell: the heartbeats are unknown, not ok.
            checks[str(component)] = silent.get(component, "ok") if ages else "unknown"
    ok = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ok else "not_ready", "checks": checks}
    if ages:
        body["heartbeat_age_seconds"] = {c: (round(a, 1) if a is not None else None) for c, a in ages.items()}
    return jsonify(body), 200 if ok else 503


@blp.get("/api/docs-assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(SWAGGER_DIST, filename, max_age=3600)
