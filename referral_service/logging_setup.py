"""Structured (JSON) logs on standard error. Log calls pass ids, never identity numbers or names.

Every line is one JSON object; a line written while a request id is current (request_context.py) carries it as
`request_id`. The web, the workers, beat and gunicorn (config/gunicorn.conf.py) all write through `JsonFormatter`.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from referral_service.request_context import current_request_id

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        # An explicit `extra={"request_id": ...}` (the relay names each row's own) wins over the current one.
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)
    # Python's warnings (a library's deprecation, Celery's "running as root") as log lines too, not plain text.
    logging.captureWarnings(True)
