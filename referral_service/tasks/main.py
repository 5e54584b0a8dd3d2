"""The Celery app built from the REFERRAL_* settings; `worker.py` and `serve` point Celery here."""

from config import load_config
from referral_service.tasks import create_celery

celery = create_celery(load_config())
