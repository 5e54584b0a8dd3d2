"""BUP referral coordination service: create_app builds the web application, create_worker the workers' Celery."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from config import BaseConfig, load_config
from referral_service.bootstrap import EXTENSION, build
from referral_service.logging_setup import configure_logging

if TYPE_CHECKING:
    # Each builder imports its own framework: the worker imports this package too, and Flask and werkzeug
    # are some 7 MB of a worker's resident memory that it never uses; Celery is not used by the web.
    from celery import Celery
    from flask import Flask

try:
    __version__ = version("referral-service")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"


def _openapi_settings() -> dict[str, object]:
    return {
        "API_TITLE": "BUP referral coordination service",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Served from the flask-swagger-ui wheel by our own route: no outside network.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs-assets/",
        "API_SPEC_OPTIONS": {"security": [{"bearerAuth": []}]},
    }


def create_worker(config: BaseConfig | None = None) -> Celery:
    """The Celery app of the workers and the scheduler: the service's dependencies and its tasks, without the
    web application (whose routes, schemas and OpenAPI document a worker never uses)."""
    from referral_service.tasks import create_celery

    config = config or load_config()
    configure_logging(config.LOG_LEVEL)
    return create_celery(build(config))


def create_app(config: BaseConfig | None = None) -> Flask:
    """Build the web application for `config` (default: from REFERRAL_* variables)."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    config = config or load_config()
    configure_logging(config.LOG_LEVEL)
    app = Flask(__name__)
    from referral_service.request_log import install_request_log

    install_request_log(app)  # first: its request id is current in every later hook, its log line comes last
    app.config.update(config.as_flask_config())
    app.config.update(_openapi_settings())
    app.config["REFERRAL_CONFIG"] = config
    deps = build(config)
    # The web encrypts and indexes identity numbers: load the keys now, not in the first request that needs them
    # (the vault loads them lazily because the worker, which never reads one, builds a vault too).
    deps.identity.vault.prepare()
    app.extensions[EXTENSION] = deps
    app.extensions["referral_db"] = deps.database
    # No Celery app here: a request never sends a task (its side effects leave through the outbox, which the
    # worker relays), and Celery's app is some 5 MB of the web's resident memory. /ready asks the broker with
    # kombu alone (tasks/embedded.py).

    from referral_service.api import register_api
    from referral_service.api.context import close_db_session
    from referral_service.api.fhir import register_fhir
    from referral_service.api.problems import register_problem_handlers
    from referral_service.api.spec import ProblemApi
    from referral_service.metrics.web import install_metrics
    from referral_service.ops import blp as ops_blp
    from referral_service.security.headers import install_security_headers
    from referral_service.security.input_guard import install_input_guard
    from referral_service.web import register_web
    from referral_service.web.error_pages import error_page

    api = ProblemApi(app)
    register_api(api)
    app.register_blueprint(ops_blp)
    register_fhir(app)
    register_web(app)
    # After Api(app), so that our problem+json handlers replace flask-smorest's own.
    register_problem_handlers(app, render_page=error_page)
    install_security_headers(app, production=config.is_production)
    install_input_guard(app)
    install_metrics(app)  # after the other hooks: it times them too
    app.teardown_appcontext(close_db_session)
    if config.TRUSTED_PROXY_HOPS:
        hops = int(config.TRUSTED_PROXY_HOPS)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
