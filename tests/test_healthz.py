"""`/healthz`: 200 with the database, the shared cache and the static files there, 503
saying which is not; never a session."""

import os
import socket
import subprocess
import sys
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

REPO = Path(__file__).resolve().parent.parent


def test_healthy_database_answers_200_without_a_session(client, db):
    client.cookies["sessionid"] = "anything"
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "Set-Cookie" not in response.headers
    assert [q["sql"] for q in queries] == ['SELECT 1 FROM "django_cache" LIMIT 0']
    assert "no-store" in response["Cache-Control"]


def test_a_missing_cache_table_answers_503(client, transactional_db):
    """Without the shared cache's table (`createcachetable` not run) every log-in is a 500
    (allauth's limits are counted there): the process is not fit to serve."""
    from django.conf import settings
    from django.test import override_settings

    default = {**settings.CACHES["default"], "LOCATION": "no_such_cache_table"}
    with override_settings(CACHES={**settings.CACHES, "default": default}):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"shared cache unavailable\n")


def test_static_files_not_collected_answer_503(client, db, settings, tmp_path):
    """The production settings without `collectstatic`: every page is a 500 (each names
    its stylesheet by the manifest), the 500 page too."""
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (503, b"static files not collected\n")


def test_healthz_only_answers_get(client, db):
    assert client.post("/healthz").status_code == 405


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_database_answers_503():
    """A real process pointed at a port where no database listens."""
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(response.status_code, response.content.decode().strip())\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/roadmap",
        "DATABASE_POOL_TIMEOUT": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "503 database unavailable", result.stderr
