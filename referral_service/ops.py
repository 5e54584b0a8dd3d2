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
    ages: dict[Component, float | None] | None = None
    try:
        with current_app.extensions["referral_db"].session() as session:
            session.execute(text("SELECT 1"))
            if max_age > 0:
                ages = heartbeat_ages(session, dependencies(current_app).clock.now())
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: database unavailable", extra={"error_type": type(exc).__name__})
        checks["database"] = "unavailable"
    checks["broker"] = "ok" if broker_answers(config) else "unavailable"
    body: dict[str, object] = {"checks": checks}
    if max_age > 0:
        # Without the database nobody can tell: the heartbeats are unknown then, not ok.
        silent = silent_components(ages, max_age=max_age) if ages is not None else dict.fromkeys(Component, "unknown")
        checks.update({str(component): silent.get(component, "ok") for component in Component})
        if ages is not None:
            body["heartbeat_age_seconds"] = {str(c): None if a is None else round(a, 1) for c, a in ages.items()}
    ok = all(state == "ok" for state in checks.values())
    body["status"] = "ready" if ok else "not_ready"
    return jsonify(body), 200 if ok else 503


@blp.get("/api/docs-assets/<path:filename>")
def swagger_assets(filename: str):
    return send_from_directory(SWAGGER_DIST, filename, max_age=3600)
