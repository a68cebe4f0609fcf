"""Values built once per key and kept for everyone: the content snapshots
(roadmap/content.py) and the renderings made from them (roadmap/render_once.py)."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache
from pathlib import Path

from django.core.cache import cache


class ProcessCache:
    """Values built once per key, for everyone: renderings and the content snapshots
    they are made from, kept in this process; renderings also in Django's cache, shared
    by every process (`shared`), so that what one worker renders the others fetch
    instead of rendering it again (the database cache by default, Redis with
    REDIS_URL). Cost: one cache read when this process first needs a key (a page of a
    few hundred kilobytes to a few megabytes, pickled); gain: a page rendered once per
    deployment, not once per worker (docs/performance.md).

    Every key starts with the version its value was built from: the site's content
    version, `("site", version)`, for what shows every roadmap, or one roadmap's,
    `("roadmap", id, version)`, for what shows only that roadmap (RoadmapContent.scope), so
    that an edit in one roadmap leaves what is kept of the others in place. Once a newer
    version of a scope is seen, the values of all but its two newest are dropped (a
    request may still be finishing on the older): what one version holds is bounded by
    the content (a page per kind of viewer, an answer per resource, a badge per
    percentage), so nothing here grows with the number of learners or requests.

    One lock, one rule: a key is built by one thread at a time, and a thread asking for
    a key being built waits for it; if the build fails, the next asker builds it again.
    Shared keys are named with `code_version()` too: a process running another release
    never takes what this one rendered.
    """

    def __init__(self, versions: int = 2) -> None:
        self.versions = versions
        self._entries: dict[tuple, object] = {}
        self._held: dict[tuple, list] = {}  # each scope's versions held, newest last
        self._building: set[tuple] = set()
        self._changed = threading.Condition()

    @staticmethod
    def scope(key: tuple) -> tuple[tuple, int]:
        """A key's scope and version: its first item, ("roadmap", id, version), or a
        bare version (the site's)."""
        head = key[0]
        return (head[:-1], head[-1]) if isinstance(head, tuple) else ((), head)

    def get(self, key: tuple, build: Callable[[], object], *, shared: bool = False):
        with self._changed:
            while key in self._building:
                self._changed.wait()
            if key in self._entries:
                return self._entries[key]
            self._building.add(key)
        try:
            name = shared_key(key) if shared else ""
            value = cache.get(name) if shared else None
            if value is None:
                value = build()
                if shared:
                    cache.set(name, value, SHARED_SECONDS)
        except BaseException:
            with self._changed:
                self._building.discard(key)
                self._changed.notify_all()
            raise
        with self._changed:
            self._entries[key] = value
            self._building.discard(key)
            scope, version = self.scope(key)
            held = self._held.get(scope, [])
            if version not in held:
                self._held[scope] = kept = sorted({*held, version})[-self.versions :]
                self._entries = {
                    k: v
                    for k, v in self._entries.items()
                    if (where := self.scope(k))[0] != scope or where[1] in kept
                }
            self._changed.notify_all()
        return value

    def clear(self) -> None:
        with self._changed:
            self._entries.clear()
            self._held.clear()


# Kept renderings are named by the versions they show: none ever goes stale, so the shared
# cache keeps them a day, for workers started meanwhile.
SHARED_SECONDS = 24 * 60 * 60


@lru_cache(maxsize=1)
def code_version() -> str:
    """What the renderings' markup is made by, as a digest, so that two releases running
    side by side keep theirs apart, and a new one shows none of the last one's: the
    project's code (any of it may change what a page says: a label, a choice's name, an
    anchor), its templates, its static files (a page names them by their content's
    digest: one of the last release's would be missing) and its pinned dependencies
    (their templates and static files, htmx among them). About 200 files, 0.8 MB, read
    once a process: 10 ms."""
    from django.apps import apps
    from django.conf import settings

    base = Path(settings.BASE_DIR).resolve()
    roots = [base / "templates", base / "static", base / "config", base / "requirements.lock"]
    installed = Path(sys.prefix).resolve()  # (a virtualenv in the project's folder is
    # the dependencies': named by requirements.lock)
    roots += [
        path
        for app in apps.get_app_configs()
        if (path := Path(app.path).resolve()).is_relative_to(base)
        and not path.is_relative_to(installed)
    ]
    files = {
        path
        for root in roots
        for path in ([root] if root.is_file() else root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def shared_key(key: tuple) -> str:
    """A rendering's name in the shared cache: its key, as a digest (keys are long)."""
    return f"rendering:{code_version()}:{hashlib.sha256(repr(key).encode()).hexdigest()}"


class MadeOf:
    """Values kept by what they are made of (their key says all of it), not by a version:
    one never goes stale, so the least recently used go once `size` are kept. For a page's
    rows: an edit in a roadmap makes its page again from the rows it had, but the one
    edited (roadmap/templatetags/render_once.py, `{% row %}`).

    A process that took a page from the shared cache has none of its rows: so that the
    next edit does not make it render the page whole, the rows a page was first made of
    are shared under the page's name (`share`), and a process about to make that page
    takes them once (`fetch`). In-process, the first page after an edit: 70-80 ms with
    its rows, 200-280 ms without. Cost: a page made when none of its rows were shared
    writes them too (a second value of about its size; one statement on the database
    cache, config/cache.py), and a process's first making of a page reads them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._fetched: set[tuple] = set()

    def get(self, key: Hashable, build: Callable[[], object]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()  # (two threads may both build one: the same value)
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def share(self, name: tuple, values: dict) -> None:
        """`values` (by key), which a page named `name` was made of, for every process."""
        cache.set(shared_key(("made of", name)), values, SHARED_SECONDS)

    def fetch(self, name: tuple) -> bool:
        """What some process made the page `name` of (`share`), into this one's values:
        once a process, before it first makes that page. False the first time if none
        were shared: this process makes them and shares them (once for the deployment,
        but for workers that start together; an edit then costs one page's write, and a
        row older than its page's is only one to make again)."""
        with self._lock:
            if name in self._fetched:
                return True
        shared = cache.get(shared_key(("made of", name)))
        with self._lock:
            self._fetched.add(name)
            if shared is None:
                return False
            for key, value in shared.items():
                self._entries.setdefault(key, value)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return True

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._fetched.clear()
