"""The request id's rules and the JSON lines, without Flask, a database or a broker."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from referral_service.logging_setup import JsonFormatter
from referral_service.request_context import (
    bind_request_id,
    carried_request_id,
    current_request_id,
    request_id_from_header,
    unbind_request_id,
)
from referral_service.tasks.task_logging import RoutineAtDebug, request_id_of_task


def line(message: str, *args: object, level: int = logging.INFO, name: str = "x", **extra: object) -> dict:
    record = logging.LogRecord(name, level, __file__, 1, message, args or None, None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter().format(record))


def test_a_sane_callers_id_is_kept_and_anything_else_is_replaced_by_a_new_one():
    assert request_id_from_header("abc.DEF_1-2") == "abc.DEF_1-2"
    for bad in (None, "", "has space", "a" * 65, "æøå", "x\ny", "<script>", "task:123"):
        made = request_id_from_header(bad)
        assert made != bad and len(made) == 32 and int(made, 16) >= 0
    assert request_id_from_header(None) != request_id_from_header(None)


def test_a_line_carries_the_current_request_id_while_it_is_bound_and_none_after():
    token = bind_request_id("req-1")
    try:
        assert line("hello")["request_id"] == "req-1"
        assert line("relayed", request_id="other")["request_id"] == "other"  # the row's own id wins
    finally:
        unbind_request_id(token)
    assert current_request_id() is None
    assert "request_id" not in line("hello")


def test_a_task_runs_with_the_id_its_message_carries_or_its_own():
    assert request_id_of_task(SimpleNamespace(request=SimpleNamespace(request_id="req-9")), "t1") == "req-9"
    headers = SimpleNamespace(request=SimpleNamespace(headers={"request_id": "req-8"}))
    assert request_id_of_task(headers, "t1") == "req-8"
    assert request_id_of_task(SimpleNamespace(request=SimpleNamespace(request_id=None)), "t2") == "task:t2"
    assert request_id_of_task(SimpleNamespace(request=SimpleNamespace(request_id="a b")), "t3") == "task:t3"
    assert carried_request_id("task:abc-1") == "task:abc-1" and carried_request_id(7) is None


def test_the_scheduled_tasks_routine_lines_go_to_debug_and_others_stay_at_info():
    routine = RoutineAtDebug({"outbox.relay"})
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.INFO)
        sent = logging.LogRecord("celery.beat", logging.INFO, __file__, 1, "Scheduler: Sending due task %s (%s)",
                                 ("relay-outbox", "outbox.relay"), None)
        assert routine.filter(sent) is False and sent.levelname == "DEBUG"
        done = logging.LogRecord("celery.app.trace", logging.INFO, __file__, 1, "Task %(name)s succeeded", None, None)
        done.args = {"name": "outbox.relay", "id": "1"}
        assert routine.filter(done) is False
        email = logging.LogRecord("celery.app.trace", logging.INFO, __file__, 1, "Task %(name)s succeeded", None, None)
        email.args = {"name": "alerts.deliver_email", "id": "2"}
        assert routine.filter(email) is True and email.levelname == "INFO"
        root.setLevel(logging.DEBUG)
        again = logging.LogRecord("celery.beat", logging.INFO, __file__, 1, "Scheduler: Sending due task %s (%s)",
                                  ("relay-outbox", "outbox.relay"), None)
        assert routine.filter(again) is True and again.levelname == "DEBUG"
    finally:
        root.setLevel(level)
