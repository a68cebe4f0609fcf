"""Reading what a learner sees: progress bars and ticks, as the page shows them."""

import re
import threading
from collections.abc import Callable

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roadmap.render_once import forget_everything

BAR = re.compile(
    r'id="progress-([\w-]+)"[^>]*>\s*<progress[^>]*aria-valuenow="(\d+)"[^>]*aria-label="([^"]*)"'
)
# The roadmap page, as a learner of the seed (or of a factory's roadmap) finds it.
ROADMAP = "/roadmaps/deep-learning/"


# What htmx sends with each of its requests.
HTMX = {"HX-Request": "true"}


def bars(html: str) -> dict[str, int]:
    """Every progress bar on the page: {"overall": 40, "part-1": 40, "topic-2": 50, ...};
    "overall" is the one named "Overall progress" (a roadmap page's), and the bars of
    roadmaps named otherwise (on the home page, the dashboard) are "roadmap-<id>"."""
    return {
        "overall" if label == "Overall progress" else name: int(value)
        for name, value, label in BAR.findall(html)
    }


def csp_directives(response) -> dict[str, str]:
    """A response's Content-Security-Policy, by directive (in whatever order it came)."""
    policy = response["Content-Security-Policy"]
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


def ticked(html: str) -> set[str]:
    """public ids of the resources whose checkbox is checked."""
    return set(re.findall(r'id="done-([0-9a-f-]{36})" checked', html))


# A rendering every process shares, not kept yet: its read from Django's cache, and its
# write (one statement: config/cache.py); the same for the rows it is made of
# (roadmap/kept.py, MadeOf.share).
SHARED_MISS = 2 * 2


def tick(client, resource, *, done: bool, htmx: bool = False):
    data = {"done": ["0", "1"] if done else ["0"]}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/resources/{resource.public_id}/progress", data, headers=headers)


def count_queries(callable_) -> int:
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def queries_cold_and_warm(first, then=None) -> tuple[int, int]:
    """Queries of `first` with nothing kept anywhere (as after a content change), then of
    `then` (by default `first` again) with it all kept."""
    forget_everything()
    for kept in caches.all():  # the renderings every process shares, and each process's
        kept.clear()
    return count_queries(first), count_queries(then or first)


def at_once(work: Callable[[], object], count: int) -> list[object]:
    """What `work` returns in each of `count` threads started together (each with its own
    database connection, closed after); an error in one is raised here."""
    start = threading.Barrier(count, timeout=30)
    answers: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            answers.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return answers
