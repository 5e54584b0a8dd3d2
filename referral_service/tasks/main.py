"""The Celery app of the service built from the REFERRAL_* settings; `worker.py` and `serve` point Celery here."""

from celery import Celery

from referral_service import create_worker

celery: Celery = create_worker()
