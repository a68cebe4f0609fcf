"""Back the database up, and restore a backup, with PostgreSQL's own tools.

    python scripts/backup.py dump FILE      (make backup [FILE=...])
    python scripts/backup.py restore FILE   (make restore FILE=...)

`dump` writes a pg_dump custom-format file of the database DATABASE_URL names.
`restore` restores one into the database DATABASE_URL names, which must be empty (no
tables): a restore never mixes into, or overwrites, a database in use. It runs in one
transaction: if anything fails, the database is left as empty as it was.

pg_dump and pg_restore come from DEVDB_PG_BIN (the private server's own, set by
scripts/devdb.py) or the PATH; they must be of the server's major version or newer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit


class BackupError(Exception):
    pass


def tool(name: str) -> str:
    folder = os.environ.get("DEVDB_PG_BIN")
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools.")
    return found


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise BackupError("Set DATABASE_URL (make backup and make restore set it for you).")
    return url


def libpq(url: str) -> tuple[str, dict]:
    """The URL as libpq takes it, without its password (which `ps` would show on a
    command line), and the environment that carries the password instead."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in {"postgres", "postgresql", "pgsql"} else parts.scheme
    netloc = parts.netloc
    env = dict(os.environ)
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}@{host}"
        env["PGPASSWORD"] = unquote(parts.password)
    # (libpq takes it as a parameter too: `?password=...`.)
    options = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in options:
        if name == "password":
            env["PGPASSWORD"] = value
    query = urlencode([(name, value) for name, value in options if name != "password"])
    return urlunsplit(parts._replace(scheme=scheme, netloc=netloc, query=query)), env


def tables_in(url: str) -> int:
    import psycopg

    url, env = libpq(url)
    with psycopg.connect(url, password=env.get("PGPASSWORD")) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()[0]


def dump(path: Path) -> None:
    """A backup readable by its owner only: it holds password hashes, addresses and live
    session keys (a folder made for it is its owner's alone too). Written beside it under
    another name and renamed once pg_dump has finished, so a dump that failed part-way
    never stands under a backup's name (nor replaces an older one of that name)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)
    url, env = libpq(database_url())
    try:
        run([tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={url}"], env)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    print(f"Backed up to {path} ({path.stat().st_size:,} bytes).")


def restore(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    if count := tables_in(database_url()):
        raise BackupError(
            f"The database already has {count} tables: restore only into an empty database "
            "(create one and point DATABASE_URL at it). Nothing was changed."
        )
    url, env = libpq(database_url())
    run(
        [
            tool("pg_restore"),
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={url}",
            str(path),
        ],
        env,
    )
    print(f"Restored {path}.")


def run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"dump", "restore"}:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        (dump if argv[0] == "dump" else restore)(Path(argv[1]))
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
