"""`make backup` and `make restore` (scripts/backup.py): a backup of a database with
content, learners, ticks and share links restores into a new database row for row."""

import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from roadmap.models import Progress, Resource, ShareLink
from roadmap.services import progress_set, share_link_enable
from tests.factories import UserFactory

REPO = Path(__file__).resolve().parent.parent


def url_of(name: str) -> str:
    return urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))


def backup(command: str, path: Path, database: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/backup.py", command, str(path)],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": url_of(database)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def new_database(transactional_db):
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    statement = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
    with psycopg.connect(url_of("postgres"), autocommit=True) as server:
        server.execute(sql.SQL(statement).format(sql.Identifier(name)))
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(url_of("postgres"), autocommit=True) as server:
        server.execute(sql.SQL(statement).format(sql.Identifier(name)))


def everything(database: str) -> dict:
    """Every table's rows (in a stable order) and every sequence's position."""
    with psycopg.connect(url_of(database)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT schemaname || '.' || tablename FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
        ]
        found = {
            table: sorted(
                db.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(*table.split(".")))),
                key=repr,
            )
            for table in tables
        }
        found["sequences"] = db.execute(
            "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"
        ).fetchall()
    return found


def test_a_backup_restores_into_a_new_database_row_for_row(client, seed, new_database, tmp_path):
    ada, bob = UserFactory(display_name="Ada"), UserFactory()
    for resource in Resource.objects.order_by("pk")[:3]:
        progress_set(user=ada, resource=resource, done=True)
    progress_set(user=bob, resource=Resource.objects.order_by("pk").last(), done=True)
    share_link_enable(user=ada)
    client.force_login(ada)  # a session too
    assert Progress.objects.count() == 4 and ShareLink.objects.count() == 1

    path = tmp_path / "backups" / "roadmap.dump"
    source = connection.settings_dict["NAME"]
    dumped = backup("dump", path, source)
    assert dumped.returncode == 0, dumped.stderr
    assert path.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    # Password hashes and live session keys: its owner's alone, and the folder made for it.
    assert (stat.S_IMODE(path.stat().st_mode), stat.S_IMODE(path.parent.stat().st_mode)) == (
        0o600,
        0o700,
    )

    restored = backup("restore", path, new_database)
    assert restored.returncode == 0, restored.stderr
    before, after = everything(source), everything(new_database)
    assert before == after
    assert len(after["public.roadmap_progress"]) == 4
    assert len(after["public.roadmap_sharelink"]) == 1
    assert len(after["public.accounts_session"]) == 1


def test_a_restore_into_a_database_in_use_is_refused_and_changes_nothing(seed, tmp_path):
    path = tmp_path / "roadmap.dump"
    source = connection.settings_dict["NAME"]
    assert backup("dump", path, source).returncode == 0
    progress_set(user=UserFactory(), resource=Resource.objects.first(), done=True)
    before = everything(source)
    refused = backup("restore", path, source)
    assert refused.returncode == 1
    assert "restore only into an empty database" in refused.stderr
    assert everything(source) == before


def test_a_file_that_is_not_a_backup_is_a_clear_error(new_database, tmp_path):
    path = tmp_path / "not-a-backup.dump"
    path.write_text("hello")
    failed = backup("restore", path, new_database)
    assert failed.returncode == 1 and "pg_restore failed" in failed.stderr
    assert everything(new_database) == {"sequences": []}
    missing = backup("restore", tmp_path / "missing.dump", new_database)
    assert missing.returncode == 1 and "no such backup file" in missing.stderr


def test_a_failed_backup_leaves_no_file_under_a_backups_name(tmp_path):
    """A dump that fails (here: the server cannot be reached) leaves nothing that a
    retention rule would count as a backup, and an older backup of that name stands."""
    path = tmp_path / "roadmap-new.dump"

    def dump_unreachable() -> subprocess.CompletedProcess:
        unreachable = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
        return subprocess.run(
            [sys.executable, "scripts/backup.py", "dump", str(path)],
            cwd=REPO,
            env=unreachable,
            capture_output=True,
            text=True,
            timeout=120,
        )

    failed = dump_unreachable()
    assert failed.returncode == 1 and "pg_dump failed" in failed.stderr
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"an older backup")
    assert dump_unreachable().returncode == 1
    assert [p.name for p in tmp_path.iterdir()] == ["roadmap-new.dump"]
    assert path.read_bytes() == b"an older backup"


def test_backups_made_in_the_checkout_stay_out_of_the_image():
    """`make backup` writes into backups/ of the checkout, the Docker build's context: the
    image (COPY . /app) must not take them along."""
    assert "backups/roadmap-" in (REPO / "Makefile").read_text()  # where they go
    assert "backups" in (REPO / ".dockerignore").read_text().split()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:s3cret@db.internal:5432/roadmap?sslmode=require",
        "postgresql://app@db.internal:5432/roadmap?password=s3cret&sslmode=require",
    ],
)
def test_the_password_goes_by_the_environment_never_on_the_command_line(url):
    """`ps` shows a command line to every user of the machine: pg_dump's and pg_restore's
    carry the URL without its password, which they read from PGPASSWORD."""
    from scripts.backup import libpq

    command_line, env = libpq(url)
    assert "s3cret" not in command_line and env["PGPASSWORD"] == "s3cret"
    assert command_line == "postgresql://app@db.internal:5432/roadmap?sslmode=require"
