"""make bench: build a large reference dataset, serve it with gunicorn (2 workers), drive
load from separate processes and print, for each endpoint, requests per second, p50, p99
and the ratio to /healthz measured in the same run.

    make bench [BENCH_SECONDS=8] [BENCH_ROUNDS=4] [BENCH_CLIENTS=8] [BENCH_ONLY=/me/,badge.svg]

Runs against a scratch database `roadmap_bench` on the private PostgreSQL (or on
DATABASE_URL's server). Figures are ratios because these machines are shared and noisy:
each endpoint is measured in BENCH_ROUNDS short windows, each right after a window of
/healthz, and its ratio is its requests over /healthz's in those paired windows.
BENCH_ONLY measures just the endpoints it names (comma-separated), and nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.localserver import start_server  # noqa: E402

DATABASE = "roadmap_bench"
SMALL_DATABASE = "roadmap_bench_1k"  # the same, with 1,000 progress rows
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}
PROCESSES = 2
PASSWORD = "bench-Passphrase-42"  # noqa: S105 - the bench's own throwaway learners
BUDGETS = {  # minimum ratio to /healthz
    "anonymous /": 0.60,
    "learner /": 0.25,
    "progress POST (htmx)": 0.50,
    "/me/": 0.40,
    "/p/<token>/": 0.25,
    "badge.svg": 0.60,
}


# --- the dataset ------------------------------------------------------------------------


def database_url() -> str:
    import psycopg
    from psycopg import sql

    parts = urlsplit(os.environ["DATABASE_URL"])
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


def build_dataset(
    *,
    parts: int = 10,
    topics: int = 5,
    resources: int = 10,
    learners: int = 20_000,
    per_learner: int = 50,
) -> None:
    """A published roadmap and its learners, inserted in bulk with SQL."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from roadmap.models import Part, Resource, Roadmap, Topic

    roadmap = Roadmap.objects.create(
        title="Deep Learning Roadmap", introduction="A **bench** roadmap."
    )
    part_rows = Part.objects.bulk_create(
        Part(
            roadmap=roadmap,
            title=f"Part {p}",
            slug=f"part-{p}",
            order=p + 1,
            status="published",
            summary=f"Summary of *part {p}*.",
        )
        for p in range(parts)
    )
    topic_rows = Topic.objects.bulk_create(
        Topic(part=part, title=f"Topic {p.order}.{t}", slug=f"topic-{t}", order=t + 1)
        for p in part_rows
        for part in [p]
        for t in range(topics)
    )
    Resource.objects.bulk_create(
        Resource(
            topic=topic,
            title=f"Resource {topic.pk}.{r}",
            url=f"https://example.com/{topic.pk}/{r}",
            kind="book",
            level="beginner",
            cost="free",
            description=f"A *useful* read about [topic {topic.pk}](https://example.com/{topic.pk}), number {r}.",
            order=r + 1,
            status="published",
        )
        for topic in topic_rows
        for r in range(resources)
    )
    password = make_password(PASSWORD)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,"
            " is_staff, is_active, date_joined, display_name)"
            " SELECT %s, false, 'learner' || n, '', '', 'learner' || n || '@example.com', false, true, now(), ''"
            " FROM generate_series(1, %s) AS n",
            [password, learners],
        )
        cursor.execute(
            "INSERT INTO roadmap_progress (user_id, resource_id, completed_at)"
            " SELECT u.id, r.id, now() FROM accounts_user u"
            " CROSS JOIN generate_series(0, %s - 1) AS k"
            " JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM roadmap_resource) r"
            "   ON r.idx = (u.id * 7 + k * 11) %% (SELECT count(*) FROM roadmap_resource)",
            [per_learner],
        )
    # As autovacuum leaves a settled table: statistics, and the visibility map that lets
    # a learner's rows be read from the covering index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    settle(connection)


def settle(connection) -> None:
    """Write out what building the data left behind, as a server would have long since
    done: otherwise a checkpoint of the build's WAL runs through the measurements."""
    from django.db import DatabaseError

    # Not allowed on a server we do not own: then measure it as it is.
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def copy_with_1k_rows(url: str) -> str:
    """A copy of the bench database whose progress table keeps only its first 1,000 rows
    (the first 20 learners'): the same roadmap and learners, for the POST's comparison of
    1,000,000 rows against 1,000."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(SMALL_DATABASE)
            )
        )
        # A template must have no other sessions (an autovacuum worker, a pooled one).
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [DATABASE],
        )
        # Copied as files: copied through the WAL, it would set off a checkpoint later on.
        # (Before PostgreSQL 15, file copy was the only way, and had no keyword.)
        copy = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(SMALL_DATABASE), sql.Identifier(DATABASE)
        )
        if conn.info.server_version >= 150000:
            copy += sql.SQL(" STRATEGY file_copy")
        conn.execute(copy)
    small = urlunsplit(parts._replace(path=f"/{SMALL_DATABASE}"))
    with psycopg.connect(small, autocommit=True) as conn:
        conn.execute(
            "DELETE FROM roadmap_progress"
            " WHERE id NOT IN (SELECT id FROM roadmap_progress ORDER BY id LIMIT 1000)"
        )
        conn.execute("VACUUM ANALYZE roadmap_progress")
        with contextlib.suppress(psycopg.Error):  # see settle()
            conn.execute("CHECKPOINT")
    return small


def resize(total: int) -> None:
    """Publish exactly `total` resources (adding more if needed), archive the rest."""
    from django.db import connection

    from roadmap.models import Resource, Topic

    topics = list(Topic.objects.order_by("pk"))
    have = Resource.objects.count()
    if have < total:
        per_topic = -(-(total - have) // len(topics))
        Resource.objects.bulk_create(
            Resource(
                topic=t,
                title=f"Extra {t.pk}.{n}",
                url=f"https://example.com/x/{t.pk}/{n}",
                kind="video",
                description="More *reading*.",
                order=1000 + n,
                status="published",
            )
            for t in topics
            for n in range(per_topic)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE roadmap_resource SET status = CASE WHEN id IN"
            " (SELECT id FROM roadmap_resource ORDER BY id LIMIT %s) THEN 'published' ELSE 'archived' END",
            [total],
        )
        cursor.execute("ANALYZE roadmap_resource")


# --- the load ---------------------------------------------------------------------------


def log_in(base: str, username: str) -> tuple[str, str]:
    """Log in through the site's own form; return the cookie header and a CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=30).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{base}/accounts/login/",
        data=urlencode({"login": username, "password": PASSWORD}).encode(),
        headers={"X-CSRFToken": csrf, "Referer": f"{base}/accounts/login/"},
    )
    opener.open(request, timeout=30).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"could not log in as {username}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["csrftoken"]


def drive(args) -> list[float]:
    """One load process: `threads` keep-alive connections for `seconds`; latencies in ms."""
    import threading

    port, requests, seconds, threads = args
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, n = [], offset
        while time.monotonic() < deadline:
            method, path, body, headers = requests[n % len(requests)]
            n += 1
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(i * 7,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies


def run_window(pool, port: int, requests: list, seconds: float) -> tuple[list[float], float]:
    """Latencies of every request in one window, and how long the window took."""
    per_process = max(1, CLIENTS // PROCESSES)
    started = time.monotonic()
    results = pool.map(drive, [(port, requests, seconds, per_process)] * PROCESSES)
    return [ms for chunk in results for ms in chunk], time.monotonic() - started


def paired_windows(first: tuple, second: tuple, seconds: float = SECONDS) -> list[dict]:
    """ROUNDS windows of `first`, each followed at once by a window of `second` (each a
    (port, requests) pair), so that the machine's drift falls on both: the figures of
    each side over all its windows."""
    window = seconds / ROUNDS
    sides = [([], 0.0), ([], 0.0)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        for port, requests in (first, second):
            run_window(pool, port, requests, 0.5)  # warm up
        for _ in range(ROUNDS):
            for side, (port, requests) in enumerate((first, second)):
                done, took = run_window(pool, port, requests, window)
                sides[side] = (sides[side][0] + done, sides[side][1] + took)
    figures = []
    for latencies, elapsed in sides:
        latencies.sort()
        figures.append(
            {
                "rps": len(latencies) / elapsed,
                "p50": statistics.median(latencies),
                "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            }
        )
    return figures


def measure(port: int, requests: list, healthz: list) -> dict:
    """`requests` in ROUNDS windows, each right after a window of /healthz: throughput,
    latency, and the ratio to /healthz over the paired windows."""
    healthz_figures, figures = paired_windows((port, healthz), (port, requests))
    return figures | {
        "healthz": healthz_figures["rps"],
        "ratio": figures["rps"] / healthz_figures["rps"],
    }


def worker_peak_memory_mb(master: int) -> float:
    import psutil

    peaks = []
    for child in psutil.Process(master).children():
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except FileNotFoundError:
            continue  # a worker on its way out
        if found := re.search(r"VmHWM:\s+(\d+) kB", status):
            peaks.append(int(found.group(1)) / 1024)
    return max(peaks)


def main() -> int:
    url = database_url()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "DJANGO_LOG_LEVEL": "WARNING"}
    python = sys.executable
    for command in (["migrate", "-v0"], ["createcachetable"]):
        subprocess.run([python, "manage.py", *command], cwd=REPO, env=env, check=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    from roadmap.models import Progress, Resource
    from roadmap.services import share_link_enable

    started = time.monotonic()
    build_dataset()
    from accounts.models import User

    print(
        f"dataset: {Resource.objects.count()} resources in 10 parts, {User.objects.count()} learners, "
        f"{Progress.objects.count():,} progress rows ({time.monotonic() - started:.0f} s to build)"
    )
    token = share_link_enable(user=User.objects.get(username="learner1")).token
    resource_ids = [
        str(r) for r in Resource.objects.order_by("pk").values_list("public_id", flat=True)
    ]
    connection.close_pool()
    small_url = None if ONLY else copy_with_1k_rows(url)

    server, base = start_server(env, workers=2)
    port = int(base.rsplit(":", 1)[1])
    try:
        sessions = [log_in(base, f"learner{n}") for n in range(1, CLIENTS + 1)]

        def as_learner(
            method: str, path: str, body: str | None = None, htmx: bool = False, sessions=sessions
        ) -> list:
            out = []
            for cookie, csrf in sessions:
                headers = {"Cookie": cookie}
                if method == "POST":
                    headers |= {
                        "X-CSRFToken": csrf,
                        "Content-Type": "application/x-www-form-urlencoded",
                    }
                if htmx:
                    headers["HX-Request"] = "true"
                out.append((method, path, body, headers))
            return out

        def progress_posts(sessions=sessions) -> list:
            posts = []
            for n, public_id in enumerate(resource_ids[:40]):
                for done in ("1", "0"):
                    posts += as_learner(
                        "POST",
                        f"/resources/{public_id}/progress",
                        f"done={done}",
                        htmx=True,
                        sessions=sessions,
                    )[n % CLIENTS :][:1]
            return posts

        endpoints = {
            "/healthz": [("GET", "/healthz", None, {})],
            "anonymous /": [("GET", "/", None, {})],
            "learner /": as_learner("GET", "/"),
            "progress POST (htmx)": progress_posts(),
            "/me/": as_learner("GET", "/me/"),
            "/p/<token>/": [("GET", f"/p/{token}/", None, {})],
            "badge.svg": [("GET", f"/p/{token}/badge.svg", None, {})],
        }
        healthz = endpoints.pop("/healthz")
        # First, while both tables are as built, so that only their size differs: the POST
        # against a second server on the copy with 1,000 rows, in alternating windows.
        if not ONLY:
            small_server, small_base = start_server(env | {"DATABASE_URL": small_url}, workers=2)
            try:
                small_sessions = [log_in(small_base, f"learner{n}") for n in range(1, CLIENTS + 1)]
                post_1m, post_1k = paired_windows(
                    (port, endpoints["progress POST (htmx)"]),
                    (int(small_base.rsplit(":", 1)[1]), progress_posts(small_sessions)),
                )
            finally:
                small_server.terminate()
                small_server.wait(timeout=30)

        print(
            f"\n{'endpoint':24} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'/healthz':>9} {'ratio':>6}  budget"
        )
        met = True
        for name, requests in endpoints.items():
            if ONLY and name not in ONLY:
                continue
            figures = measure(port, requests, healthz)
            budget = BUDGETS[name]
            ok = figures["ratio"] >= budget
            met &= ok
            print(
                f"{name:24} {figures['rps']:7.0f} {figures['p50']:7.1f} {figures['p99']:7.1f}"
                f" {figures['healthz']:9.0f} {figures['ratio']:6.2f}"
                f"  {'>=' if ok else '<'} {budget:.2f} {'ok' if ok else 'MISSED'}",
                flush=True,
            )

        if ONLY:
            return 0 if met else 1
        print("\nlearner / by roadmap size:")
        for size in (50, 500, 2000):
            django.db.connections.close_all()
            resize(size)
            figures = measure(port, endpoints["learner /"], healthz)
            print(
                f"  {size:5} resources {figures['rps']:7.0f} req/s  p50 {figures['p50']:6.1f} ms"
                f"  ratio {figures['ratio']:.2f}",
                flush=True,
            )
        resize(500)

        slowdown = post_1m["p50"] / post_1k["p50"]
        ok = slowdown <= 1.2
        met &= ok
        print(
            f"\nprogress POST p50: {post_1m['p50']:.1f} ms with 1,000,000 rows, {post_1k['p50']:.1f} ms"
            f" with 1,000 (req/s {post_1m['rps']:.0f} and {post_1k['rps']:.0f}): "
            f"{slowdown:.2f}x {'<= 1.2 ok' if ok else '> 1.2 MISSED'}"
        )
        peak = worker_peak_memory_mb(server.pid)
        ok = peak < 200
        met &= ok
        print(f"peak memory of a web worker: {peak:.0f} MB {'< 200 ok' if ok else '>= 200 MISSED'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\nbench: every budget met" if met else "\nbench: some budgets missed")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
