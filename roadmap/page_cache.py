"""The roadmap's rendered content, cached in each process per content version, with
slots for what differs per request (a learner's ticks and bars, the CSRF token).

The content version is bumped by a database trigger on every write to the content
tables (migration 0006), so a cached rendering can never outlive the content it shows.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

MAX_ENTRIES = 16  # a few content versions by variants; a rendering is ~1 MB at 500 resources
SLOT = re.compile("\x00(\\w+):([^\x00]*)\x00")
TICK_OUTPUT = {
    "class": " is-done",
    "checked": " checked",
    "badge": '<li class="badge badge-done">Done</li>',
    "readonly": " tick-done",
}

_entries: OrderedDict = OrderedDict()
_lock = threading.Lock()


def content_version() -> int:
    """The current content version: one primary-key read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM roadmap_content_version WHERE id = 1")
        return cursor.fetchone()[0]


_building: dict[tuple, threading.Lock] = {}


def cached(key: tuple, build: Callable):
    """`build()` once per key in this process; keys carry the content version. Threads
    asking for a key that is being built wait for it rather than build it again."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
        building = _building.setdefault(key, threading.Lock())
    with building:
        with _lock:
            if key in _entries:
                return _entries[key]
        value = build()
        with _lock:
            _entries[key] = value
            _building.pop(key, None)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    return value


def slot(kind: str, key: object = "") -> SafeString:
    return mark_safe(f"\x00{kind}:{key}\x00")  # noqa: S308 - a marker, filled before output


class CompletionSlots:
    """Stands in for a Completion while the shared rendering is made."""

    def __init__(self, key: str) -> None:
        self.percent = slot("percent", key)
        self.done = slot("done", key)
        self.total = slot("total", key)


def split(html: str) -> tuple[str, ...]:
    """A rendering cut at its slots: text, kind, key, text, kind, key, ..., text."""
    return tuple(SLOT.split(html))


def unsplit(pieces: tuple[str, ...]) -> SafeString:
    """A split rendering back in one piece, slots still in place."""
    out = [pieces[0]]
    for index in range(1, len(pieces), 3):
        out += [f"\x00{pieces[index]}:{pieces[index + 1]}\x00", pieces[index + 2]]
    return mark_safe("".join(out))  # noqa: S308 - our own rendering


def fill(
    pieces: tuple[str, ...], *, done_ids: set[str], progress, csrf_token: str = ""
) -> SafeString:
    """Put one request's ticks, bars and CSRF token into a shared rendering."""

    def completion(key: str):
        if key == "overall":
            return progress.overall
        scope, _, pk = key.partition("-")
        return progress.part(int(pk)) if scope == "part" else progress.topic(int(pk))

    out = [pieces[0]]
    for index in range(1, len(pieces), 3):
        kind, key, text = pieces[index], pieces[index + 1], pieces[index + 2]
        if kind in TICK_OUTPUT:
            out.append(TICK_OUTPUT[kind] if key in done_ids else "")
        elif kind == "csrf":
            out.append(csrf_token)
        else:
            out.append(str(getattr(completion(key), kind)))
        out.append(text)
    return mark_safe("".join(out))  # noqa: S308 - our own rendering, with our own values
