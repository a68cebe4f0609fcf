"""Render once, fill per request.

A page everyone shares and that takes long to render (a roadmap's page, a tick's
answer, a roadmap's parts on a share page: roadmap/pages.py) is rendered once per
version of its roadmap and kept; each request fills in its own few values. The template
says where those go, with tags that own their markup
(roadmap/templatetags/render_once.py):

- `{% row resource ... %}...{% endrow %}` is one resource's row, made once for every
  page that shows it as it is (`rows`), so that an edit makes one row again.
- `{% state_slot resource %}...{% end_state_slot %}` (and `{% by_state %}`) is rendered,
  when the page is built, once for each of `Progress.State` with `state` set; a request
  picks the branch of each resource's state. A new state is a new branch in the template.
- `{% progress_bar %}`, `{% nav_progress %}` and `{% percent %}` are rendered from the
  request's real figures (`Completion`), each distinct figure drawn once per process.
- `{% from_request "csrf_token" %}` and `{% from_request "messages" %}` are the layout's
  own values (`REQUEST_VALUES`): `fill(request=...)` takes them from the request.
- `{% shown key %}...{% endshown %}` is a piece a filter may hide: `fill(shown=...)`
  keeps only the pieces whose keys it holds (a roadmap page's filters: a resource's row,
  a topic, a part).
- `{% hole "name" %}` takes a value given to `fill`: text is escaped; a SafeString (a
  rendered template) or another filled rendering (`Filled`) goes in as it is.
  `{% hole "name" key %}` is one of many (a learner's note on each resource): `fill`
  takes a mapping for `name`, and a key it does not hold leaves its hole empty (or with
  the text `{% hole "name" key "default" %}` gives), so a fill costs what the mapping
  holds, not what the page holds.

Outside a rendering made here the same tags simply render with the context's values (and
the request's), so one template serves both: a plain `render()` of it shows the same.
While a page is built, the tags leave markers in the text (`\\x00<n>\\x00`); `Rendering`
cuts the text at them once, and `fill` only puts values into the holes and joins the
pieces. Holes do not nest: a branch holds no other hole.

Cost, for a newcomer: what a hole shows must come from `fill`, never from template logic
around it, since that logic ran once for everybody.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Set
from dataclasses import dataclass
from functools import lru_cache

from django.contrib import messages
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from prometheus_client import Counter

from roadmap.content import forget_snapshots
from roadmap.kept import MadeOf, ProcessCache, code_version
from roadmap.progress import EMPTY

# The context variable through which the tags find the rendering being built.
BUILDING = "render_once"
MARKER = re.compile("\x00(\\d+)\x00")


@dataclass(frozen=True, slots=True)
class StateHole:
    """A resource's markup in each state, by state."""

    resource: str  # public id
    branches: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class FigureHole:
    """A figure's markup, rendered from the request's `Completion` for `key`."""

    key: str  # "roadmap-<id>", "part-<id>" or "topic-<id>"
    template: str
    context: tuple[tuple[str, Hashable], ...]
    viewers_own: bool = False  # the viewer's figure (the navigation's), not the page's


@dataclass(frozen=True, slots=True)
class ValueHole:
    name: str
    key: str | None = None  # one of many holes named `name`, by key
    default: str = ""  # a keyed hole's, when `fill` gives none for its key: the
    # template's own text (a literal there is markup)


@dataclass(frozen=True, slots=True)
class ShownHole:
    """Where a piece a filter may hide (`{% shown %}`) starts, or ends."""

    key: str
    start: bool


@dataclass(frozen=True, slots=True)
class RequestHole:
    """A value of the layout's own, taken from the request (`REQUEST_VALUES`)."""

    name: str


def waiting_messages(request) -> str:
    """The messages waiting for this request, rendered; nothing (and no work) if none."""
    waiting = messages.get_messages(request)
    if not len(waiting):
        return ""
    return render_to_string("base.html#messages", {"messages": waiting})  # safe: rendered


def csrf_token(request) -> str:
    """The request's CSRF token, masked once for its response (as Django's `csrf`
    context processor gives a template one): a page of many filled pieces (search's
    results) masks it once, not once a piece."""
    if not hasattr(request, "masked_csrf_token"):
        request.masked_csrf_token = get_token(request)
    return request.masked_csrf_token


# What other apps show on a page of roadmap's, each from the request (its markup, or
# text): on a share page below its headline (activity adds its owner's rhythm), on /me/
# below the learner's roadmaps (curation adds their suggestions). roadmap names none.
Section = Callable[[HttpRequest], str]
SHARE_PAGE_SECTIONS: list[Section] = []
DASHBOARD_SECTIONS: list[Section] = []


def sections_of(registry: list[Section]) -> Callable[[HttpRequest], SafeString]:
    def sections(request) -> SafeString:
        return mark_safe(  # noqa: S308 - each piece escaped unless it is markup already
            "".join(conditional_escape(section(request)) for section in registry)
        )

    return sections


# What the layout shows of each request, whether the page is rendered for it or filled.
REQUEST_VALUES = {
    "csrf_token": csrf_token,
    "messages": waiting_messages,
    "share_page_sections": sections_of(SHARE_PAGE_SECTIONS),
    "dashboard_sections": sections_of(DASHBOARD_SECTIONS),
}


class Holes:
    """The holes a rendering declares while it is built."""

    def __init__(self) -> None:
        self.found: list[StateHole | FigureHole | ValueHole | RequestHole | ShownHole] = []
        self.rows: dict = {}  # the kept rows (`{% row %}`) it was made of, by key

    def add(self, hole: StateHole | FigureHole | ValueHole | RequestHole | ShownHole) -> SafeString:
        self.found.append(hole)
        return mark_safe(f"\x00{len(self.found) - 1}\x00")  # noqa: S308 - a marker, cut out below

    def take(self, text: str, found: list) -> SafeString:
        """A piece made with holes of its own (`found`, its markers counted from 0), as
        a piece of this rendering: its markers renumbered after this one's holes."""
        offset = len(self.found)
        self.found.extend(found)
        renumbered = MARKER.sub(lambda marker: f"\x00{int(marker[1]) + offset}\x00", text)
        return mark_safe(renumbered)  # noqa: S308 - made by a template, markers cut out below


# Every rendering made once, by template: the figure that shows what an edit costs (an
# edit in one roadmap renders again what shows that roadmap, and nothing of the others).
RENDERINGS = Counter(
    "roadmap_renderings", "Pages and fragments rendered once for everybody.", ["template"]
)
ROWS = Counter(
    "roadmap_rows_rendered", "Pieces of rows ({% row %}) made anew (the rest were kept)."
)


def render_once(template: str, context: dict, holes: Holes | None = None) -> Rendering:
    """`template` rendered with `context` for everybody, cut at its holes (`holes`, to
    learn what else it was made of)."""
    RENDERINGS.labels(template).inc()
    holes = holes or Holes()
    return Rendering(render_to_string(template, {**context, BUILDING: holes}), holes.found)


# Each distinct figure of each bar is drawn once, for every rendering in the process (a
# tick's answer is a rendering of its own per resource): the hole says all the markup
# depends on but the figures, and a few thousand of them are a few megabytes.
@lru_cache(maxsize=8192)
def render_figure(hole: FigureHole, completion) -> bytes:
    return render_to_string(
        hole.template, {**dict(hole.context), "completion": completion}
    ).encode()


class Filled:
    """A filled rendering as a value for another rendering's hole: markup, which goes in
    as it is (plain bytes do not: where they came from is not known). A wrapper, not a
    bytes subclass, so that a page is never copied to be one."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    @classmethod
    def joined(cls, pieces: list[Filled]) -> Filled:
        if not all(isinstance(piece, Filled) for piece in pieces):
            raise TypeError("Only filled renderings can be joined as markup.")
        return cls(b"".join(piece.data for piece in pieces))


def markup(name: str, value: str | Filled) -> bytes:
    """A hole's value as it goes in: text escaped, markup as it is."""
    if isinstance(value, str):
        return (value if isinstance(value, SafeData) else escape(value)).encode()
    if isinstance(value, Filled):
        return value.data
    raise TypeError(f"{name}: give text, a SafeString or a filled rendering.")


class Rendering:
    """A page cut at its holes, filled in for one request with `fill`."""

    def __init__(self, html: str, holes: list) -> None:
        pieces = MARKER.split(html)
        self._parts: list[bytes] = []
        # (Plain dicts and lists of bytes: a rendering is pickled into the shared cache.)
        self._states: dict[str, list[tuple[int, dict[str, bytes]]]] = {}
        self._values: dict[str, list[int]] = {}
        self._keyed: dict[str, dict[str, list[int]]] = {}
        self._figures: list[tuple[int, FigureHole]] = []
        self._request: dict[str, list[int]] = {}
        self._spans: list[tuple[str, int, int]] = []  # (key, first part, part after)
        opened: list[tuple[str, int]] = []
        # A slot's branches, encoded once: most are the same few in every row
        # (`{% state_slot %}`), and one dict for each of 500 rows was a megabyte a page.
        encoded: dict[tuple, dict[str, bytes]] = {}
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                self._parts.append(piece.encode())
                continue
            hole, position = holes[int(piece)], len(self._parts)
            if isinstance(hole, StateHole):
                branches = encoded.get(hole.branches)
                if branches is None:
                    if any(MARKER.search(text) for _state, text in hole.branches):
                        raise ValueError("A {% by_state %} branch may not hold another hole.")
                    branches = {state: text.encode() for state, text in hole.branches}
                    encoded[hole.branches] = branches
                self._parts.append(branches[hole.branches[0][0]])  # the first state's
                self._states.setdefault(hole.resource, []).append((position, branches))
            elif isinstance(hole, FigureHole):
                self._parts.append(b"")
                self._figures.append((position, hole))
            elif isinstance(hole, ShownHole):  # a place, not a part: the parts between
                if hole.start:
                    opened.append((hole.key, position))
                else:
                    key, start = opened.pop()
                    self._spans.append((key, start, position))
            elif isinstance(hole, RequestHole):
                self._parts.append(b"")
                self._request.setdefault(hole.name, []).append(position)
            elif hole.key is not None:
                self._parts.append(markup(hole.name, hole.default))
                self._keyed.setdefault(hole.name, {}).setdefault(hole.key, []).append(position)
            else:
                self._parts.append(b"")
                self._values.setdefault(hole.name, []).append(position)

    def fill(
        self,
        *,
        request=None,
        states: Mapping[str, str] = {},
        progress=None,
        viewer_progress=None,
        shown: Set[str] | None = None,
        **values: str | Filled | Mapping[str, str | Filled],
    ) -> bytes:
        """The page for a learner whose resources are in `states` (public id: state; the
        rest in the first state), with `progress`'s figures (the navigation's from
        `viewer_progress` when the page shows someone else's), the layout's values from
        `request`, and a value for every `{% hole %}` (a missing one is a KeyError: no
        page goes out half filled; for keyed holes, a mapping). With `shown`, of the
        pieces `{% shown %}` names, only those it holds (roadmap/filters.py)."""
        parts = self._parts.copy()
        if self._request and request is None:
            raise KeyError("request: this rendering shows the layout's values of one.")
        for name, positions in self._request.items():
            value = markup(name, REQUEST_VALUES[name](request))
            for position in positions:
                parts[position] = value
        for public_id, state in states.items():
            for position, branches in self._states.get(public_id, ()):
                parts[position] = branches[state]
        for name, positions in self._values.items():
            value = markup(name, values[name])
            for position in positions:
                parts[position] = value
        for name, by_key in self._keyed.items():
            for key, value in values[name].items():
                for position in by_key.get(key, ()):
                    parts[position] = markup(name, value)
        pages = progress or EMPTY
        viewers = viewer_progress if viewer_progress is not None else pages
        for position, hole in self._figures:
            completion = (viewers if hole.viewers_own else pages).get(hole.key)
            parts[position] = render_figure(hole, completion)
        if shown is not None:
            for key, start, end in self._spans:
                if key not in shown:
                    parts[start:end] = [b""] * (end - start)
        return b"".join(parts)

    def fill_value(self, **filling) -> Filled:
        """`fill`, as a value for a hole of another rendering."""
        return Filled(self.fill(**filling))


renderings = ProcessCache()
# The rows renderings are made of, by what each shows (`{% row %}`): for some 20 roadmaps
# of 500 rows, each row's resource, its tail for visitors and for learners, and its share
# page's row; and the rows of pages a little older.
rows = MadeOf(size=50_000)


def forget_everything() -> None:
    """Forget every rendering and snapshot this process keeps, as a new worker starts."""
    renderings.clear()
    rows.clear()
    forget_snapshots()
    for kept in ("pages", "shares"):  # (each process's own: /me/'s pieces, share pages')
        caches[kept].clear()


@receiver(file_changed)
def code_changed(sender, file_path, **kwargs) -> None:
    """Under the development server, a template edited is new code (its reloader sends
    this, and Django reads the template again without restarting): what this process
    kept was made by the old one, pages and rows alike, and is forgotten."""
    code_version.cache_clear()
    forget_everything()
