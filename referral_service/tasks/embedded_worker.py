"""The process of the embedded worker that `serve` starts: `python -m referral_service.tasks.embedded_worker`.

It runs the same Celery worker as `celery -A worker worker --beat-thread --pool=threads`, built with Celery's
own `Worker` class instead of through Celery's command line: the command line imports click-repl,
prompt-toolkit and pygments, some 9 MB of resident memory in a process that never reads a prompt.
"""

from __future__ import annotations

from pathlib import Path

from config import BaseConfig, load_config

#: Threads that run tasks. The relay, the sweeps and the handover and alert work share SQLite's one writer, so
#: more threads would only wait; four keep an e-mail to a slow SMTP server from holding up the rest.
CONCURRENCY = 4


def worker_options(config: BaseConfig) -> dict[str, object]:
    """What `serve`'s worker is started with: threads, the scheduler as a thread, no cluster chatter."""
    data_dir = Path(config.DATA_DIR)
    return {
        "hostname": f"embedded@{data_dir.name}",
        "pool_cls": "threads",
        "concurrency": CONCURRENCY,
        # One worker and no other nodes: nothing to synchronise with, gossip to or send heartbeats to.
        "without_mingle": True, "without_gossip": True, "without_heartbeat": True,
        "loglevel": config.LOG_LEVEL,
        "schedule_filename": str(data_dir / "celerybeat-schedule"),
        "beat_thread": True,  # tasks/threaded_beat.py
    }


def main() -> int:
    from referral_service import create_worker
    from referral_service.tasks.embedded import exit_with_serve, limit_malloc_arenas, say_ready_to_serve

    exit_with_serve()  # first: a serve gone already, or while the worker starts, ends it too
    limit_malloc_arenas()
    say_ready_to_serve()
    config = load_config()
    worker = create_worker(config).Worker(**worker_options(config))
    worker.start()
    return int(worker.exitcode or 0)


if __name__ == "__main__":
    raise SystemExit(main())
