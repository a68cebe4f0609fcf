"""A roadmap page's filters: which of its resources a viewer asked to see, from the GET
parameters `kind`, `level`, `cost` and `state` (each repeatable), so that a filtered page
survives a reload and a shared link. A filter changes what is shown, never what counts:
the progress bars still count the whole roadmap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.http import QueryDict

from roadmap.content import RoadmapContent
from roadmap.models import Progress, Resource


@dataclass(frozen=True)
class Facet:
    """One filter: its GET parameter, its fieldset's legend and its options."""

    name: str
    legend: str
    choices: tuple[tuple[str, str], ...]  # (value, display value)

    def value_of(self, resource: Resource, state: str) -> str:
        return state if self.name == "state" else getattr(resource, self.name)


FACETS = (
    Facet("kind", "Kind", tuple(Resource.Kind.choices)),
    Facet("level", "Level", tuple(Resource.Level.choices)),
    Facet("cost", "Cost", tuple(Resource.Cost.choices)),
    Facet("state", "Status", tuple(Progress.State.choices)),
)


class BadFilter(ValueError):
    """A filter's value that is not one of its options."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    matches: int  # resources it would show, with the other filters as they are


@dataclass(frozen=True)
class Filters:
    chosen: Mapping[str, frozenset[str]]  # facet name: the values asked for (none: all)

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        """The filters in a page's GET parameters; BadFilter names a value no option has."""
        chosen = {}
        for facet in FACETS:
            values = frozenset(query.getlist(facet.name))
            unknown = values - {value for value, _label in facet.choices}
            if unknown:
                allowed = ", ".join(value for value, _label in facet.choices)
                raise BadFilter(f"{facet.name} must be one of {allowed}; not {sorted(unknown)[0]}.")
            chosen[facet.name] = values
        return cls(chosen)

    @property
    def active(self) -> bool:
        return any(self.chosen.values())

    def _matches(self, resource: Resource, state: str) -> bool:
        return all(
            facet.value_of(resource, state) in self.chosen[facet.name]
            for facet in FACETS
            if self.chosen[facet.name]
        )

    def shown(
        self, listed: RoadmapContent, states: Mapping[str, str], *, staff: bool
    ) -> Iterator[str]:
        """What the page shows of the roadmap `listed` for a viewer whose resources are
        in `states`: each matching resource's public id, and the anchor of each topic
        and part that has one (`{% shown %}` in the template names them so)."""
        for part in listed.parts_for(staff=staff):
            part_shown = False
            for topic in part.topics.all():
                topic_shown = False
                for resource in topic.resources.all():
                    key = str(resource.public_id)
                    if self._matches(resource, states.get(key, Progress.State.NOT_STARTED)):
                        topic_shown = part_shown = True
                        yield key
                if topic_shown:
                    yield topic.anchor
            if part_shown:
                yield part.anchor

    def form(self, listed: RoadmapContent, states: Mapping[str, str], *, staff: bool) -> FilterForm:
        """The filter form for the roadmap `listed` and a viewer whose resources are in
        `states`: each option with how many resources it would show, the other filters
        as they are."""
        listing = visible(listed, staff=staff)
        chosen = [self.chosen[facet.name] for facet in FACETS]
        counts = [Counter() for _facet in FACETS]
        matching = 0
        for key, values in listing:
            state = states.get(key, Progress.State.NOT_STARTED)
            row = (*values, state)
            fits = [
                not wanted or value in wanted for value, wanted in zip(row, chosen, strict=True)
            ]
            misses = fits.count(False)
            matching += not misses
            for index, value in enumerate(row):
                # An option's count: the resources it would show with the others as they are.
                if misses == 0 or (misses == 1 and not fits[index]):
                    counts[index][value] += 1
        facets = [
            (
                facet,
                [
                    Option(value, label, value in wanted, count[value])
                    for value, label in facet.choices
                ],
            )
            for facet, wanted, count in zip(FACETS, chosen, counts, strict=True)
        ]
        return FilterForm(self, facets, len(listing), matching)


@dataclass(frozen=True)
class FilterForm:
    filters: Filters
    facets: list[tuple[Facet, list[Option]]]
    total: int  # the resources the page shows unfiltered
    matching: int  # those the filters show

    @property
    def hidden(self) -> int:
        return self.total - self.matching


@lru_cache(maxsize=64)  # a few roadmaps' listings, for the page's two kinds of visibility
def visible(listed: RoadmapContent, *, staff: bool) -> list[tuple[str, tuple[str, str, str]]]:
    """Each resource the roadmap `listed` shows: its public id, kind, level and cost."""
    return [
        (str(resource.public_id), (resource.kind, resource.level, resource.cost))
        for part in listed.parts_for(staff=staff)
        for topic in part.topics.all()
        for resource in topic.resources.all()
    ]
