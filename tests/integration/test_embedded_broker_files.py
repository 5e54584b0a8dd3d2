"""A malformed message file in the embedded broker's queue folder never stops `serve`'s worker (issue 15, must-show
5): the file is moved aside to DATA_DIR/broker/malformed under its own name, a warning names it (never its content),
and the worker goes on with the next message: a rejection made afterwards still gets its handover."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from tests.integration import test_embedded_serve
from tests.integration.test_embedded_serve import (
    LOOP_SECONDS,
    alive,
    descendants,
    new_referral,
    organisation_ids,
)
from tests.support.waiting import wait_until

#: `serve` after `db upgrade` and `seed-demo` on an empty DATA_DIR, as `make run` does.
served = test_embedded_serve.served

pytestmark = pytest.mark.slow

#: Text that must never reach the log: a malformed file's content is unknown and could hold anything.
CONTENT_MARKER = "INNHOLD-SOM-IKKE-SKAL-LOGGES"

#: name -> the bytes of a file no consumer can take as a message.
MALFORMED = {
    "bad-json": f'{{"body": "{CONTENT_MARKER}", "properties": '.encode(),
    "empty": b"",
    "not-an-object": json.dumps([CONTENT_MARKER, 1, 2]).encode(),
    "latin-1": f'{{"body": "bl\xe5b\xe6r {CONTENT_MARKER}"}}'.encode("latin-1"),
    "no-properties": json.dumps({"body": CONTENT_MARKER, "content-type": "application/json"}).encode(),
    "no-delivery-tag": json.dumps({"body": "", "properties": {"body_encoding": "base64"}}).encode(),
    "body-not-base64": json.dumps({"body": "x", "content-type": "application/json",
                                   "properties": {"body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
                                                  "delivery_info": {"exchange": "", "routing_key": "celery"}},
                                   "headers": {}}).encode(),
    "headers-not-a-mapping": json.dumps({"body": "", "headers": [CONTENT_MARKER],
                                         "properties": {"delivery_tag": str(uuid.uuid4())}}).encode(),
}


def not_a_task() -> bytes:
    """A whole message whose body is no task: Celery's own to reject; the worker goes on (nothing to set aside)."""
    body = base64.b64encode(json.dumps({"hello": "verden"}).encode()).decode()
    return json.dumps({"body": body, "content-type": "application/json", "content-encoding": "utf-8",
                       "headers": {}, "properties": {"body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
                                                     "delivery_info": {"exchange": "", "routing_key": "celery"},
                                                     "priority": 0, "delivery_mode": 2}}).encode()


def worker_of(process) -> int:
    [worker] = wait_until(lambda: [pid for pid in descendants(process.pid) if alive(pid)], timeout=30,
                          what="serve's worker process")
    return worker


@pytest.mark.timeout(150)
def test_malformed_broker_files_are_set_aside_and_the_worker_goes_on(served):
    http, broker = served.http, served.data_dir / "broker"
    worker = worker_of(served.process)

    # Named to sort before every real message, so the worker meets them first.
    names = {kind: f"0000000000000_{uuid.uuid4()}.celery.msg" for kind in MALFORMED}
    stray = f"0000000000001_{uuid.uuid4()}.celery.msg"
    for kind, content in MALFORMED.items():
        temporary = broker / "queue" / f".{names[kind]}.tmp"  # dropped whole, as a copy would arrive
        temporary.write_bytes(content)
        temporary.rename(broker / "queue" / names[kind])
    (broker / "queue" / stray).write_bytes(not_a_task())

    wait_until(lambda: all((broker / "malformed" / name).exists() for name in names.values()), timeout=30,
               what="every malformed file in broker/malformed")
    for kind, name in names.items():
        assert (broker / "malformed" / name).read_bytes() == MALFORMED[kind], f"{kind}: moved whole, unchanged"
        assert not (broker / "queue" / name).exists()
    wait_until(lambda: not (broker / "queue" / stray).exists(), timeout=30, what="the stray message to be taken")
    assert not (broker / "malformed" / stray).exists(), "a whole message is Celery's to reject, not set aside"

    # The same worker, still consuming: a rejection made now gets its handover.
    orgs = organisation_ids(http)
    referral = new_referral(http, orgs, seq=41)
    path = f"/api/v1/referrals/{referral['id']}"
    http.post("bup", f"{path}/reject", {"reason_code": "not_specialist_need", "explanation": "Ikke behov.",
                                         "municipal_advice": "Tilbud hos kommunepsykolog."})
    decided = time.monotonic()
    wait_until(lambda: http.get("gp", path).get("handover_id"), timeout=LOOP_SECONDS + 5,
               what="the handover of a rejection made after the malformed files")
    assert time.monotonic() - decided <= LOOP_SECONDS + 5
    assert alive(worker) and worker_of(served.process) == worker, "the worker never stopped or restarted"

    log = served.log.read_text(errors="replace")
    warnings = [json.loads(line) for line in log.splitlines()
                if line.startswith("{") and "malformed broker message moved aside" in line]
    assert sorted(w["file"] for w in warnings) == sorted(names.values())
    assert {w["level"] for w in warnings} == {"warning"}
    assert CONTENT_MARKER not in log, "a malformed file's content never reaches the log"
    assert "Unrecoverable error" not in log and "JSONDecodeError" not in log


def test_the_transport_sets_each_malformed_file_aside_and_hands_out_the_good_message_after_it(tmp_path, caplog):
    """The transport alone (no worker): a consumer asking for the next message gets the good one behind the bad."""
    from kombu import Connection, Exchange, Queue

    from config import load_config
    from referral_service.tasks import broker_settings

    config = load_config()
    config.DATA_DIR = str(tmp_path / "var")
    settings = broker_settings(config)
    broker = tmp_path / "var" / "broker"
    for kind, content in MALFORMED.items():
        (broker / "queue" / f"0000000000000_{kind}.work.msg").write_bytes(content)
    queue = Queue("work", Exchange("work", type="direct"), routing_key="work")
    with Connection(settings["broker_url"], transport_options=settings["broker_transport_options"]) as connection:
        queue(connection.default_channel).declare()
        connection.Producer().publish({"referral": "good"}, exchange=queue.exchange, routing_key="work",
                                      declare=[queue])
        with caplog.at_level("WARNING", logger="referral_service.tasks.fs_transport"):
            message = queue(connection.default_channel).get(no_ack=True)

    assert message is not None and message.decode() == {"referral": "good"}
    assert sorted(p.name for p in (broker / "malformed").iterdir()) == sorted(
        f"0000000000000_{kind}.work.msg" for kind in MALFORMED)
    assert list((broker / "queue").glob("*.work.msg")) == []
    assert sorted(r.file for r in caplog.records) == sorted(f"0000000000000_{kind}.work.msg" for kind in MALFORMED)
    assert CONTENT_MARKER not in caplog.text


def test_a_good_message_that_cannot_be_read_now_goes_back_to_the_queue_not_aside(tmp_path, monkeypatch):
    """A read that fails for the machine's sake (too many open files, a disk error) is not the message's fault: it
    stays in the queue for the next poll, and is handed out once the file can be read."""
    import builtins

    from kombu import Connection, Exchange, Queue
    from kombu.exceptions import ChannelError

    from config import load_config
    from referral_service.tasks import broker_settings

    config = load_config()
    config.DATA_DIR = str(tmp_path / "var")
    settings = broker_settings(config)
    broker = tmp_path / "var" / "broker"
    queue = Queue("work", Exchange("work", type="direct"), routing_key="work")
    real_open = builtins.open

    def failing_open(path, *args, **kwargs):
        if "/broker/processed/" in str(path):
            raise OSError(24, "Too many open files")
        return real_open(path, *args, **kwargs)

    with Connection(settings["broker_url"], transport_options=settings["broker_transport_options"]) as connection:
        channel = connection.default_channel
        queue(channel).declare()
        # Put straight into the queue: kombu's in-process routing state is shared with the test above.
        message = channel.prepare_message(b'{"referral": "good"}', content_type="application/json",
                                          content_encoding="utf-8")
        message["properties"].update(delivery_info={"exchange": "", "routing_key": "work"},
                                     delivery_tag=channel._next_delivery_tag())
        channel._put("work", message)
        monkeypatch.setattr(builtins, "open", failing_open)
        with pytest.raises(ChannelError):
            queue(connection.default_channel).get(no_ack=True)
        monkeypatch.setattr(builtins, "open", real_open)
        assert len(list((broker / "queue").glob("*.work.msg"))) == 1
        assert not (broker / "malformed").exists() or list((broker / "malformed").iterdir()) == []
        payload = connection.channel()._get("work")
    assert payload["body"] == b'{"referral": "good"}'
