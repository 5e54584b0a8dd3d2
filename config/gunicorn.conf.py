"""gunicorn's settings for the web service: `gunicorn --config config/gunicorn.conf.py referral_service.wsgi:app`.

A plain gunicorn configuration file, read from the environment:
- REFERRAL_BIND (default 0.0.0.0:8080): the address to listen on;
- REFERRAL_WEB_WORKERS (default 2): worker processes; REFERRAL_WEB_THREADS (default 4): threads in each;
- REFERRAL_WEB_TIMEOUT (default 30): seconds before a silent worker is restarted.
Logs are JSON lines (referral_service/gunicorn_logger.py): the access log on standard output, one line per
request with its request id and its path without the query string; gunicorn's own messages on standard error.
The app's settings (REFERRAL_*) are read by the app itself (referral_service.wsgi).
"""

import os

bind = os.environ.get("REFERRAL_BIND", "0.0.0.0:8080")
workers = int(os.environ.get("REFERRAL_WEB_WORKERS", "2"))
threads = int(os.environ.get("REFERRAL_WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("REFERRAL_WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Behind a proxy that keeps connections open: keep them a little longer than the proxy's own idle timeout.
keepalive = 5

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("REFERRAL_LOG_LEVEL", "INFO").lower()
logger_class = "referral_service.gunicorn_logger.JsonLogger"

# --- Prometheus multiprocess hooks (issue 15, part A: metrics) ---------------------------------------------------
# Part A's `child_exit` / `when_ready` hooks (prometheus_client.multiprocess) go here.
