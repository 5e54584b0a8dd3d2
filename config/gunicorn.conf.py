"""gunicorn's settings for the web service: `gunicorn --config config/gunicorn.conf.py referral_service.wsgi:app`.

A plain gunicorn configuration file. Its values are the service's settings (config/settings.py), so they are set
like every other one: REFERRAL_WEB_BIND (0.0.0.0:8080), REFERRAL_WEB_WORKERS (2), REFERRAL_WEB_THREADS (4),
REFERRAL_WEB_TIMEOUT_SECONDS (30), REFERRAL_LOG_LEVEL (INFO). Only these are read here: nothing is checked or
made (secrets, keys); the app does that when each worker builds it (referral_service.wsgi).

Logs are JSON lines (referral_service/gunicorn_logger.py): the access log on standard output, one line per request
with its status, its path without the query string and the request id the client was answered (`X-Request-ID`);
gunicorn's own messages and the app's lines on standard error.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project, for `config` (any working directory)

from config import CONFIGS  # noqa: E402

_settings = CONFIGS[(os.environ.get("REFERRAL_ENV") or "development").lower()]()

bind = _settings.WEB_BIND
workers = int(_settings.WEB_WORKERS)
threads = int(_settings.WEB_THREADS)
worker_class = "gthread"
timeout = int(_settings.WEB_TIMEOUT_SECONDS)
graceful_timeout = 20
# gunicorn's control socket (`gunicornc`) would live in the home directory, which the image's user may not have;
# the service is managed by its container, not through that socket.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = str(_settings.LOG_LEVEL).lower()
logger_class = "referral_service.gunicorn_logger.JsonLogger"

# --- Prometheus multiprocess hooks (issue 15, part A: metrics) ---------------------------------------------------
# With PROMETHEUS_MULTIPROC_DIR set, `on_starting` empties that folder and `child_exit` marks a finished worker's
# figures dead, so /metrics sums the live processes' (README "Metrics and readiness").
from referral_service.metrics.gunicorn_hooks import child_exit, on_starting  # noqa: E402, F401
