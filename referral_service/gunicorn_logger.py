"""gunicorn's logs as JSON (config/gunicorn.conf.py names this class as its `logger_class`).

The access log gets one JSON line per request with the request id the app answered (`X-Request-ID`) and the path
without its query string (search terms could hold a name); gunicorn's own messages (error log) are JSON lines too,
through the service's formatter.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from referral_service.log_paths import path_for_log
from referral_service.logging_setup import JsonFormatter
from referral_service.request_context import HEADER

_RESPONSE_HEADER = HEADER.lower()


def _status_code(status: object) -> int | None:
    try:
        return int(str(status).split(None, 1)[0])
    except (TypeError, ValueError):
        return None


class JsonLogger(Logger):
    """gunicorn's logger with JSON lines: the access log's fields named, and its error log through JsonFormatter."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == _RESPONSE_HEADER), None)
        try:
            self.access_log.info("access", extra={
                "method": environ.get("REQUEST_METHOD"),
                "path": path_for_log(environ.get("PATH_INFO")),  # never the query string, no identity number
                "status": _status_code(resp.status),
                "duration_ms": round(request_time.total_seconds() * 1000, 1),
                "bytes": getattr(resp, "sent", None),
                "protocol": environ.get("SERVER_PROTOCOL"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "request_id": request_id,
            })
        except Exception:  # noqa: BLE001 - a log line must never break a response
            self.error_log.exception("could not write the access log line")

