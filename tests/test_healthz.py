"""`/healthz`: 200 with the database answering, 503 without it; never a session."""

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
    assert [q["sql"] for q in queries] == ["SELECT 1"]
    assert "no-store" in response["Cache-Control"]


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
