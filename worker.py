"""Builds the Celery app from the REFERRAL_* settings: `celery -A worker worker` / `celery -A worker beat`."""

from referral_service.tasks.main import celery

__all__ = ["celery"]
