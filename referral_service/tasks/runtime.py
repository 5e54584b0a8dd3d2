"""What the tasks run with: the dependencies `create_app` built, handed over by `create_celery`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from referral_service.bootstrap import Dependencies

_dependencies: Dependencies | None = None


def install(dependencies: Dependencies) -> None:
    global _dependencies
    _dependencies = dependencies


def current() -> Dependencies:
    if _dependencies is None:
        raise RuntimeError("the task runtime is not configured; start workers through worker.py")
    return _dependencies
