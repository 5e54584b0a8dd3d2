# One image for web, worker, beat and the migration step. Three stages:
#   static  the front-end packages from package-lock.json (Designsystemet's CSS), laid out by deploy/build-static.sh
#   python  every Python dependency from requirements.lock, hash-checked, then the service itself without deps
#   runtime Python, Pango for the letters, the venv and the CSS; runs as the user `referral` (uid 10001)

FROM node:20-bookworm-slim AS static
WORKDIR /src
COPY package.json package-lock.json ./
COPY deploy/build-static.sh deploy/
# The site-packages folder of the runtime stage's venv holds the referral_service package; the app reads the CSS
# from node_modules beside it (referral_service/web/__init__.py). Laid out here under /site, copied over below.
RUN bash deploy/build-static.sh /site

FROM python:3.11-slim-bookworm AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The lock first, alone, so that a change to the service's code does not reinstall every dependency.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --no-deps -r /tmp/requirements.lock
COPY pyproject.toml README.md /src/
COPY config /src/config
COPY referral_service /src/referral_service
RUN pip install --no-deps /src && pip check

FROM python:3.11-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus REFERRAL_DATA_DIR=/var/lib/referral
# Pango and a font for WeasyPrint, which makes the family's letters as PDF.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid and gid, so that volumes and the host's files can be given to it.
RUN groupadd --system --gid 10001 referral \
    && useradd --system --uid 10001 --gid referral --home-dir /app --no-create-home --shell /usr/sbin/nologin referral \
    && install -d -o referral -g referral /var/lib/referral /tmp/prometheus
COPY --from=python /opt/venv /opt/venv
COPY --from=static /site/ /opt/venv/lib/python3.11/site-packages/
# Fails the build if the app would not find both stylesheets where the static stage put them.
RUN python -c "from referral_service.web import designsystemet_dist as d; \
    missing = [f for f in ('theme/designsystemet.css', 'src/index.css') if not (d() / f).is_file()]; \
    assert not missing, f'the app reads its CSS from {d()}, which lacks {missing}'"
WORKDIR /app
# gunicorn's settings (config/gunicorn.conf.py) are read from here; `celery -A worker` imports worker.py.
COPY config ./config
COPY worker.py ./
USER 10001:10001
EXPOSE 8080
# python, not curl: the slim image has no curl. Compose gives the worker and beat checks of their own.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]
CMD ["gunicorn", "--config", "config/gunicorn.conf.py", "referral_service.wsgi:app"]
