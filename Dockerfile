# syntax=docker/dockerfile:1
# Deep Learning Roadmap: a multi-stage build on slim Python, from the same lock file as `make`.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes -r /tmp/requirements.lock

FROM python:3.11-slim AS app
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=production \
    PORT=8000
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# Owned by root: the app's user may read its code, never rewrite it.
COPY . /app
# Static files are collected at build time, with placeholders for the secrets that
# production settings insist on; none of them is used to build anything.
RUN DJANGO_SECRET_KEY=collectstatic-only-placeholder-never-used-to-sign-anything-0123456789 DATABASE_URL=postgresql://build@localhost/build \
    DJANGO_ALLOWED_HOSTS=build DJANGO_CSRF_TRUSTED_ORIGINS=https://build EMAIL_HOST=build \
    python manage.py collectstatic --no-input --verbosity 0
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; host = os.environ['DJANGO_ALLOWED_HOSTS'].split(',')[0]; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', headers={'Host': host, 'X-Forwarded-Proto': 'https'}), timeout=4)"]
CMD ["scripts/serve"]
