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

    def _matching(self, listing: Listing, states: Mapping[str, str]) -> list[bool]:
        """Whether each resource of `listing` matches, in order."""
        kinds, levels, costs, wanted = self.chosen
        return [
            (not kinds or kind in kinds)
            and (not levels or level in levels)
            and (not costs or cost in costs)
            and (not wanted or states.get(key, NOT_STARTED) in wanted)
            for key, (kind, level, cost) in zip(listing.ids, listing.rows, strict=True)
        ]

    def shown(self, listed: RoadmapContent, states: Mapping[str, str], *, staff: bool) -> set[str]:
        """What the page shows of the roadmap `listed` for a viewer whose resources are
        in `states`: each matching resource's public id, and the anchor of each topic
        and part that has one (`{% shown %}` in the template names them so)."""
        listing = visible(listed, staff=staff)
        matches = self._matching(listing, states)
        shown = {key for key, match in zip(listing.ids, matches, strict=True) if match}
        for part, topics in listing.outline:
            for topic, first, end in topics:
                if any(matches[first:end]):
                    shown.add(topic)
                    shown.add(part)
        return shown

    def counts(
        self, listed: RoadmapContent, states: Mapping[str, str], *, staff: bool
    ) -> tuple[dict[str, str], int, int]:
        """How many resources each option would show, the other filters as they are (as
        the form's holes take them); how many the page shows unfiltered, and how many
        these filters show."""
        listing = visible(listed, staff=staff)
        if not self.active:  # each option's count is how many have its value
            counts = Counter(listing.values)
            started = Counter(state for key, state in states.items() if key in listing.keys)
            started[NOT_STARTED] = len(listing.keys) - started.total()
            counts.update({f"state-{state}": n for state, n in started.items()})
            total = len(listing.keys)
            return {key: str(counts[key]) for key in OPTION_KEYS}, total, total
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
        matching = sum(all(fit) for fit in zip(*fits.values(), strict=True))
        return counts, len(listing.keys), matching


OPTION_KEYS = [key for facet in FACETS for key, _value, _label in facet.options]


@dataclass(frozen=True)
class Listing:
    ids: list[str]  # public ids, in order
    keys: frozenset[str]  # the same, to look up
    outline: list[tuple[str, list[tuple[str, int, int]]]]  # each part's anchor, and each of
    # its topics' anchor with where its resources are in `ids` (first, and after the last)
    rows: list[tuple[str, str, str]]  # each resource's kind, level and cost, in order
    columns: list[list[str]]  # the same by column: the kinds, the levels, the costs
    values: Counter  # how many resources have each kind, level and cost, by option key


@lru_cache(maxsize=64)  # some roadmaps' listings, as the page's two kinds of visibility show them
def visible(listed: RoadmapContent, *, staff: bool) -> Listing:
    """What the filters see of the roadmap `listed`: its resources as the page shows them."""
    resources, outline = [], []
    for part in listed.parts_for(staff=staff):
        if part.is_coming_soon:  # (shown without its resources)
            continue
        topics = []
        for topic in part.topics.all():
            first = len(resources)
            resources += topic.resources.all()
            topics.append((topic.anchor, first, len(resources)))
        outline.append((part.anchor, topics))
    rows = [(resource.kind, resource.level, resource.cost) for resource in resources]
    values = Counter(
        f"{facet.name}-{value}" for row in rows for facet, value in zip(FACETS, row, strict=False)
    )
    ids = [str(resource.public_id) for resource in resources]
    columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], []]
    return Listing(ids, frozenset(ids), outline, rows, columns, values)
