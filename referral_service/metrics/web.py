"""The web's metrics: how long each request took, by endpoint and status, and the /metrics page.

Requests are labelled with Flask's endpoint name (e.g. 'referral_actions.reject_referral'), never the path: a path
carries ids, and a label per id would grow without end. /metrics carries no personal data (counts and timings only);
it is open unless METRICS_TOKEN is set, then it wants `Authorization: Bearer <token>` (README "Metrics and
readiness").
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import Histogram
from prometheus_client.core import Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from referral_service.bootstrap import dependencies
from referral_service.errors import Unauthenticated
from referral_service.metrics import process_metrics
from referral_service.metrics.collector import DatabaseCollector

REQUEST_DURATION = Histogram(
    "referral_http_request_duration_seconds", "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
#: The label of a request no route matched (a 404 or 405 before routing): one label, whatever the path was.
UNMATCHED = "unmatched"
_STARTED = "metrics_request_started"
_COLLECTOR = "referral_metrics_collector"

blp = Blueprint("metrics", __name__)


class _Scrape:
    """One scrape: what the processes counted, then what the database holds now."""

    def __init__(self, *parts: Collector) -> None:
        self.parts = parts

    def collect(self) -> Iterator[Metric]:
        for part in self.parts:
            yield from part.collect()


@blp.get("/metrics")
def metrics() -> Response:
    token = current_app.config["REFERRAL_CONFIG"].METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Unauthenticated("The metrics want the bearer token set in REFERRAL_METRICS_TOKEN.",
                                  headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    # The text format Prometheus asks for (its Accept header), as prometheus_client's own server answers.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(_Scrape(process_metrics(), current_app.extensions[_COLLECTOR]))
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _start_timer() -> None:
    g.setdefault(_STARTED, time.perf_counter())


def _observe(response: Response) -> Response:
    started = g.pop(_STARTED, None)
    if started is not None:
        endpoint = request.endpoint if request.url_rule is not None and request.endpoint else UNMATCHED
        REQUEST_DURATION.labels(endpoint=endpoint, method=request.method,
                                status=str(response.status_code)).observe(time.perf_counter() - started)
    return response


def install_metrics(app: Flask) -> None:
    """Time every request and serve /metrics (with the database's figures for this app's database and clock)."""
    deps = dependencies(app)
    app.extensions[_COLLECTOR] = DatabaseCollector(deps.database, deps.clock)
    # First of the before-request hooks, so a request another hook refuses is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_observe)
    app.register_blueprint(blp)
