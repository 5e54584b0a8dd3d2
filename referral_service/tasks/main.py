"""The Celery app of the service built from the REFERRAL_* settings, for `celery -A worker` (worker.py points here;
`serve`'s worker is built by tasks/embedded_worker.py)."""

from celery import Celery

from referral_service import create_worker

celery: Celery = create_worker()
