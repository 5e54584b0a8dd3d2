"""Each web request: its request id (taken or made, answered in `X-Request-ID`) and one log line when it ends.

The line names the method, the endpoint, the path without its query string (search terms could hold a name; paths
carry only opaque ids), the status and the duration. Installed first in create_app, so its id is current in
every other hook and its line is written last, with the status the client really gets.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from referral_service.log_paths import path_for_log
from referral_service.request_context import HEADER, bind_request_id, request_id_from_header, unbind_request_id

log = logging.getLogger("referral_service.request")

#: Endpoints that probes and scrapers call every few seconds (healthchecks, Prometheus): answered well, their
#: line is at DEBUG, so they do not bury the requests people made (gunicorn's access log still has every one).
PROBE_ENDPOINTS = {"ops.health", "ops.ready", "metrics.metrics"}


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from_header(request.headers.get(HEADER))
    g.request_id_token = bind_request_id(g.request_id)


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a hook before ours answered: still give the request an id
        _start()
        request_id = g.request_id
    response.headers[HEADER] = request_id
    started = g.get("request_started", time.perf_counter())
    routine = request.endpoint in PROBE_ENDPOINTS and response.status_code < 400
    log.log(logging.DEBUG if routine else logging.INFO, "request", extra={
        "method": request.method, "endpoint": request.endpoint, "path": path_for_log(request.path),
        "status": response.status_code, "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
    return response


def _teardown(_exc: BaseException | None) -> None:
    unbind_request_id(g.pop("request_id_token", None))


def install_request_log(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
