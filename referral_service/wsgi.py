"""The WSGI entry point for production servers: `gunicorn referral_service.wsgi:app`."""

from referral_service import create_app

app = create_app()
