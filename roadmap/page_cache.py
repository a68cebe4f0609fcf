"""Pages rendered once per content version and kept in each process, with slots for
what differs from one request to the next: a learner's ticks and figures, the CSRF
token, any messages waiting.

The content version is bumped by a database trigger on every write to the content
tables (migration 0006), so a cached rendering can never outlive the content it shows.
A rendering is cut at its slots when it is made; a request only puts its own values
into the holes and joins the pieces, without scanning the page.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

SLOT = re.compile("\x00(\\w+):([^\x00]*)\x00")
# What a tick slot becomes for a resource: (not done, done).
TICKS = {
    "class": ("", " is-done"),
    "checked": ("", " checked"),
    "badge": ("", '<li class="badge badge-done">Done</li>'),
    "readonly": ("", " tick-done"),
    "state": ("not done", "done"),
}
FIGURES = ("percent", "done", "total")


def content_version() -> int:
    """The current content version: one primary-key read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM roadmap_content_version WHERE id = 1")
        return cursor.fetchone()[0]


class ProcessCache:
    """Values built once per key in this process, the least recently used dropped past
    `size`. Keys carry the content version. Threads asking for a key that is being built
    wait for it rather than build it again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._building: dict = {}
        self._lock = threading.Lock()

    def get(self, key, build: Callable):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._entries:
                    return self._entries[key]
            try:
                value = build()
            finally:  # built or failed, nobody waits on this key any more
                with self._lock:
                    self._building.pop(key, None)
            with self._lock:
                self._entries[key] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# Whole pages and the content they come from: a few versions by a few variants; a page
# is about 0.5 MB at 500 resources.
pages = ProcessCache(16)
# Small renderings, per content version: the htmx answer to a tick (one per resource,
# about 2.5 KB), the dashboard's "next up" and "recently completed" items (one per
# resource each, a few hundred bytes) and badges (one per percent and theme). Room for
# all of them at 2,000 resources, so that no kind pushes the tick answers out: about
# 8 MB at most.
fragments = ProcessCache(10_000)


def slot(kind: str, key: object = "") -> SafeString:
    return mark_safe(f"\x00{kind}:{key}\x00")  # noqa: S308 - a marker, filled before output


class CompletionSlots:
    """Stands in for a Completion while a shared rendering is made."""

    def __init__(self, key: str) -> None:
        self.percent = slot("percent", key)
        self.done = slot("done", key)
        self.total = slot("total", key)


class ProgressSlots:
    """Stands in for a learner's ProgressSummary while a shared rendering is made."""

    overall = CompletionSlots("overall")

    def part(self, part_id: int) -> CompletionSlots:
        return CompletionSlots(f"part-{part_id}")

    def topic(self, topic_id: int) -> CompletionSlots:
        return CompletionSlots(f"topic-{topic_id}")


class Rendering:
    """A rendering cut at its slots, filled in for one request with `fill`."""

    def __init__(self, html: str) -> None:
        pieces = SLOT.split(html)
        self._parts: list[bytes] = [pieces[0].encode()]
        self._ticks: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        # By bar, then by figure: a figure shows in several places (a bar's value, its
        # aria-valuenow, its text), and is worked out once for all of them.
        self._figures: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._named: dict[str, list[int]] = defaultdict(list)
        for index in range(1, len(pieces), 3):
            kind, key, text = pieces[index : index + 3]
            hole = len(self._parts)
            if kind in TICKS:
                not_done, done = TICKS[kind]
                self._parts.append(not_done.encode())
                self._ticks[key].append((hole, done.encode()))
            elif kind in FIGURES:
                self._parts.append(b"")
                self._figures[key][kind].append(hole)
            else:
                self._parts.append(b"")
                self._named[kind].append(hole)
            self._parts.append(text.encode())

    def fill(self, *, done: Collection[str] = (), progress=None, **named: str | bytes) -> bytes:
        """The page for a learner who has done the resources `done` (public ids), with
        `progress`'s figures and a value for each named slot (`csrf`, `messages`...): text,
        or bytes another rendering filled."""
        parts = self._parts.copy()
        for public_id in done:
            for hole, text in self._ticks.get(public_id, ()):
                parts[hole] = text
        for key, figures in self._figures.items():
            completion = progress.get(key)
            for figure, holes in figures.items():
                text = str(getattr(completion, figure)).encode()
                for hole in holes:
                    parts[hole] = text
        for name, holes in self._named.items():
            value = named[name]
            if isinstance(value, str):
                value = value.encode()
            for hole in holes:
                parts[hole] = value
        return b"".join(parts)
