"""A roadmap page's filters: which of its resources a viewer asked to see, from the GET
parameters `kind`, `level`, `cost` and `state` (each repeatable: values of one filter
are either, filters are all), so that a filtered page survives a reload and a shared
link. A filter changes what is shown, never what counts: the bars count the whole
roadmap.

The form is part of the page made once (templates/roadmap/filters.html): each request
fills in which options are checked and how many resources each would show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.http import QueryDict

from roadmap.content import RoadmapContent
from roadmap.models import Progress, Resource

NOT_STARTED = Progress.State.NOT_STARTED


@dataclass(frozen=True)
class Facet:
    """One filter: its GET parameter, its fieldset's legend and its options."""

    name: str
    legend: str
    choices: tuple[tuple[str, str], ...]  # (value, display value)

    @property
    def options(self) -> list[tuple[str, str, str]]:
        """Each option's key (as the form's holes name it), value and display value."""
        return [(f"{self.name}-{value}", value, label) for value, label in self.choices]


FACETS = (
    Facet("kind", "Kind", tuple(Resource.Kind.choices)),
    Facet("level", "Level", tuple(Resource.Level.choices)),
    Facet("cost", "Cost", tuple(Resource.Cost.choices)),
    Facet("state", "Status", tuple(Progress.State.choices)),
)
STATE = len(FACETS) - 1  # a resource's values are (kind, level, cost, the viewer's state)


class BadFilter(ValueError):
    """A filter's value that is not one of its options."""


@dataclass(frozen=True)
class Filters:
    chosen: tuple[frozenset[str], ...]  # by facet, the values asked for (none: any)

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        """The filters in a page's GET parameters; BadFilter names a value no option has."""
        chosen = []
        for facet in FACETS:
            values = frozenset(query.getlist(facet.name))
            unknown = values - {value for value, _label in facet.choices}
            if unknown:
                allowed = ", ".join(value for value, _label in facet.choices)
                raise BadFilter(f"{facet.name} must be one of {allowed}; not {sorted(unknown)[0]}.")
            chosen.append(values)
        return cls(tuple(chosen))

    @property
    def active(self) -> bool:
        return any(self.chosen)

    @property
    def checked(self) -> dict[str, str]:
        """The form's checked options, as its holes take them."""
        return {
            f"{facet.name}-{value}": " checked"
            for facet, values in zip(FACETS, self.chosen, strict=True)
            for value in values
        }

    def apply(self, listed: RoadmapContent, states: Mapping[str, str], *, staff: bool) -> Filtered:
        """These filters on the roadmap `listed` for a viewer whose resources are in
        `states`: how many resources each option would show, the other filters as they
        are (as the form's holes take them), and what the page shows."""
        listing = visible(listed, staff=staff)
        total = len(listing.ids)
        if not self.active:  # each option's count is how many have its value
            counts = Counter(listing.values)
            started = Counter(state for key, state in states.items() if key in listing.keys)
            started[NOT_STARTED] = total - started.total()
            counts.update({f"state-{state}": n for state, n in started.items()})
            return Filtered({key: str(counts[key]) for key in OPTION_KEYS}, total, total, None)
        # By columns: each filter's values, and whether each resource fits it.
        columns = [*listing.columns, [states.get(key, NOT_STARTED) for key in listing.ids]]
        fits = {
            index: [value in wanted for value in column]
            for index, (column, wanted) in enumerate(zip(columns, self.chosen, strict=True))
            if wanted
        }
        counts: dict[str, str] = {}
        for index, (facet, column) in enumerate(zip(FACETS, columns, strict=True)):
            # An option's count: the resources it would show with the others as they are.
            others = [fit for other, fit in fits.items() if other != index]
            shown = Counter(value for value, *fit in zip(column, *others, strict=True) if all(fit))
            counts |= {key: str(shown[value]) for key, value, _label in facet.options}
        matches = [all(fit) for fit in zip(*fits.values(), strict=True)]
        # What the page shows: each matching resource's public id, and the anchor of each
        # topic and part that has one (`{% shown %}` in the template names them so).
        shown = {key for key, match in zip(listing.ids, matches, strict=True) if match}
        for part, topics in listing.outline:
            for topic, first, end in topics:
                if any(matches[first:end]):
                    shown |= {topic, part}
        return Filtered(counts, total, sum(matches), shown)


@dataclass(frozen=True)
class Filtered:
    counts: dict[str, str]  # by option key, as the form's holes take them
    total: int  # resources the page shows unfiltered
    matching: int  # those the filters show
    shown: set[str] | None  # what `fill(shown=...)` keeps; None: everything

    @property
    def hidden(self) -> int:
        return self.total - self.matching


OPTION_KEYS = [key for facet in FACETS for key, _value, _label in facet.options]


@dataclass(frozen=True)
class Listing:
    ids: list[str]  # public ids, in order
    keys: frozenset[str]  # the same, to look up
    outline: list[tuple[str, list[tuple[str, int, int]]]]  # each part's anchor, and each of
    # its topics' anchor with where its resources are in `ids` (first, and after the last)
    columns: list[list[str]]  # its resources' kinds, levels and costs, in order
    values: Counter  # how many resources have each kind, level and cost, by option key


@lru_cache(maxsize=64)  # some roadmaps' listings, as the page's two kinds of visibility show them
def visible(listed: RoadmapContent, *, staff: bool) -> Listing:
    """What the filters see of the roadmap `listed`: its resources as its page shows
    them (`RoadmapContent.shown`)."""
    resources, outline = [], []
    for part, topics in listed.shown(staff=staff):
        where = []
        for topic, listing in topics:
            where.append((topic.anchor, len(resources), len(resources) + len(listing)))
            resources += listing
        outline.append((part.anchor, where))
    rows = [(resource.kind, resource.level, resource.cost) for resource in resources]
    values = Counter(
        f"{facet.name}-{value}" for row in rows for facet, value in zip(FACETS, row, strict=False)
    )
    ids = [str(resource.public_id) for resource in resources]
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], []]
    return Listing(ids, frozenset(ids), outline, columns, values)
