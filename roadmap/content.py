"""The content snapshot: the roadmaps as they are at one content version, read once per
process and shared by every request (read it, never change it).

Everything a page shows of the content (every roadmap's) and every total a figure is
counted against come from one snapshot, read in one REPEATABLE READ transaction together
with its version, and cached under that version only. Each roadmap in it is at its own
version too (migration 0014): a snapshot reads again only the roadmaps whose version
moved, and what is rendered of one roadmap is kept under that roadmap's version
(`RoadmapContent.scope`), so an edit in one roadmap leaves the others'
renderings in place.
Renderings are made from the snapshot they are cached with (roadmap/pages.py), so a
rendering kept for version N shows version N.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import chain

from django.db import connection, transaction
from django.http import Http404

from roadmap.kept import ProcessCache
from roadmap.models import Part, Resource, Roadmap, Topic


def content_version() -> int:
    """The current content version (see roadmap/models.py): one primary-key read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM roadmap_content_version WHERE id = 1")
        return cursor.fetchone()[0]


def versions() -> tuple[int, dict[int, int]]:
    """The current content version and each roadmap's own (migration 0014), in one read."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.version, r.roadmap_id, r.version FROM roadmap_content_version v"
            " LEFT JOIN roadmap_version r ON true WHERE v.id = 1"
        )
        rows = cursor.fetchall()
    return rows[0][0], {roadmap: version for _site, roadmap, version in rows if roadmap}


# Where a figure is counted: a scope and an id, (ROADMAP, roadmap id), (PART, part id) or
# (TOPIC, topic id); a progress bar's key names one ("roadmap-<id>", ProgressSummary.get).
ROADMAP, PART, TOPIC = "roadmap", "part", "topic"


@dataclass(frozen=True, eq=False)
class _Piece:
    """One roadmap's parts and what counts in it, at the roadmap's own version, with what
    is worked out of them: one object in every snapshot until the roadmap changes, so
    that an edit elsewhere works out nothing of it again (a snapshot's own indexes are
    these, merged: in-process, 60-100 ms less for the first request after an edit in one
    of 20 roadmaps of 500)."""

    version: int
    parts: list[Part]
    public_parts: list[Part]
    counted: dict[int, Resource]

    @cached_property
    def listings(self) -> dict[int, list[str]]:
        listings: dict[int, list[str]] = defaultdict(list)
        for part in self.parts:
            for topic in part.topics.all():
                for resource in topic.resources.all():
                    listings[resource.work_id].append(str(resource.public_id))
        return dict(listings)

    @cached_property
    def by_public_id(self) -> dict[str, Resource]:
        return {str(resource.public_id): resource for resource in self.counted.values()}

    @cached_property
    def counted_in(self) -> dict[int, tuple[tuple[str, int], ...]]:
        where: dict[int, dict] = defaultdict(dict)
        for resource in self.counted.values():
            scopes = where[resource.work_id]
            scopes[ROADMAP, resource.topic.part.roadmap_id] = None
            scopes[PART, resource.topic.part_id] = None
            scopes[TOPIC, resource.topic_id] = None
        return {work: tuple(scopes) for work, scopes in where.items()}

    @cached_property
    def totals(self) -> Counter:
        return Counter(chain.from_iterable(self.counted_in.values()))


@dataclass(frozen=True, eq=False)  # one per roadmap and snapshot: compared as itself
class RoadmapContent:
    """One roadmap, as it is at the snapshot's version."""

    roadmap: Roadmap
    piece: _Piece  # its parts and what counts, at its own version
    prerequisites: list[Roadmap]  # the published ones, in order

    @property
    def version(self) -> int:
        """The roadmap's own content version."""
        return self.piece.version

    @property
    def parts(self) -> list[Part]:
        """As staff see them: every part and resource, in order."""
        return self.piece.parts

    @property
    def public_parts(self) -> list[Part]:
        """As everyone else does: no draft parts, published resources."""
        return self.piece.public_parts

    @property
    def counted(self) -> dict[int, Resource]:
        """What counts toward progress (Resource.objects.counted()), by id, in reading
        order, with their topic and part."""
        return self.piece.counted

    def parts_for(self, *, staff: bool) -> list[Part]:
        return self.parts if staff else self.public_parts

    def visible_to(self, *, staff: bool) -> bool:
        """Whether a viewer may see it: a draft is for staff only."""
        return staff or self.roadmap.is_published

    def shown(self, *, staff: bool) -> list[tuple[Part, list[tuple[Topic, list[Resource]]]]]:
        """What its page shows a viewer, in order: each part, and its topics with their
        resources (a coming-soon part shows none). The one rule of what is on a roadmap's
        page: its filters and search read it."""
        return self._shown_to_staff if staff else self._shown_to_everyone

    @cached_property
    def _shown_to_staff(self) -> list:
        return _outline(self.parts)

    @cached_property
    def _shown_to_everyone(self) -> list:
        return _outline(self.public_parts)

    @property
    def scope(self) -> tuple:
        """What a rendering that shows this roadmap alone is kept under
        (roadmap/pages.py): its own version, which an edit elsewhere leaves as it is."""
        return ("roadmap", self.roadmap.pk, self.version)

    @property
    def key(self) -> str:
        """Its figure's key, as a page's progress bar has it (ProgressSummary.get)."""
        return f"roadmap-{self.roadmap.pk}"

    @cached_property
    def works(self) -> frozenset[int]:
        """The works that count in it (a URL listed twice is one)."""
        return frozenset(resource.work_id for resource in self.counted.values())

    @cached_property
    def works_counted(self) -> int:
        """How many resources count in it: its works."""
        return len(self.works)

    @cached_property
    def hours(self) -> dict[int, Decimal] | None:
        """Each work that counts in it: its estimated hours (the first listing's that has
        some); None unless every one has an estimate."""
        hours: dict[int, Decimal] = {}
        for resource in self.counted.values():
            if resource.hours is not None:
                hours.setdefault(resource.work_id, resource.hours)
        return hours if self.works and hours.keys() == self.works else None

    @cached_property
    def total_hours(self) -> Decimal | None:
        """How long it takes, by its curators' estimates; None unless each says."""
        return sum(self.hours.values(), Decimal(0)) if self.hours is not None else None

    @property
    def listings(self) -> dict[int, list[str]]:
        """Each work it lists: the public ids of its resources listing it (staff see
        them all)."""
        return self.piece.listings


def _outline(parts: list[Part]) -> list:
    return [
        (
            part,
            []
            if part.is_coming_soon
            else [(t, list(t.resources.all())) for t in part.topics.all()],
        )
        for part in parts
    ]


@dataclass(frozen=True)
class Content:
    version: int
    roadmaps: list[RoadmapContent]  # every roadmap, drafts too, in order

    @cached_property
    def by_slug(self) -> dict[str, RoadmapContent]:
        return {listed.roadmap.slug: listed for listed in self.roadmaps}

    @cached_property
    def published(self) -> list[RoadmapContent]:
        """The roadmaps everyone may see, in order."""
        return self.visible(staff=False)

    def visible(self, *, staff: bool) -> list[RoadmapContent]:
        """The roadmaps a viewer may see (`RoadmapContent.visible_to`), in order."""
        return [listed for listed in self.roadmaps if listed.visible_to(staff=staff)]

    @property
    def first(self) -> RoadmapContent | None:
        """The first published roadmap: the navigation's off a roadmap's page, and the
        old badge's."""
        return self.published[0] if self.published else None

    def roadmap_of(self, resource: Resource) -> RoadmapContent:
        return self.by_id[resource.topic.part.roadmap_id]

    @cached_property
    def by_id(self) -> dict[int, RoadmapContent]:
        return {listed.roadmap.pk: listed for listed in self.roadmaps}

    @cached_property
    def by_public_id(self) -> dict[str, Resource]:
        """What counts, in every roadmap, by public id: what can be ticked."""
        return {
            key: resource
            for listed in self.roadmaps
            for key, resource in listed.piece.by_public_id.items()
        }

    @cached_property
    def listings(self) -> dict[int, list[str]]:
        """Each work: the public ids of every resource listing it (staff see them all),
        in every roadmap. A learner's state of a work shows on each of them."""
        listings: dict[int, list[str]] = defaultdict(list)
        for listed in self.roadmaps:
            for work, keys in listed.listings.items():
                listings[work] += keys
        return dict(listings)

    def shown_to(self, *, staff: bool) -> dict[int, Resource]:
        """Every resource a viewer sees on the roadmaps' pages (`RoadmapContent.shown`,
        of the roadmaps they may see), by id, in reading order. Search finds these only."""
        return self._resources_shown[staff]

    def topic_shown(self, pk: int, *, staff: bool) -> Topic | None:
        """The topic `pk` if a viewer sees it on its roadmap's page (`RoadmapContent.shown`,
        of the roadmaps they may see), with its part and roadmap; None otherwise."""
        return self._topics_shown[staff].get(pk)

    @cached_property
    def _topics_shown(self) -> dict[bool, dict[int, Topic]]:
        return {
            staff: {topic.pk: topic for topic, _resources in self._topics_to(staff)}
            for staff in (False, True)
        }

    def _topics_to(self, staff: bool):
        """Each topic a viewer sees, with its resources, in reading order."""
        for listed in self.visible(staff=staff):
            for _part, topics in listed.shown(staff=staff):
                yield from topics

    def works_shown_to(self, *, staff: bool) -> dict[int, list[Resource]]:
        """Each work a viewer sees listed: its listings they see, in reading order."""
        return self._works_shown[staff]

    @cached_property
    def _resources_shown(self) -> dict[bool, dict[int, Resource]]:
        return {
            staff: {
                resource.pk: resource
                for _topic, resources in self._topics_to(staff)
                for resource in resources
            }
            for staff in (False, True)
        }

    @cached_property
    def _works_shown(self) -> dict[bool, dict[int, list[Resource]]]:
        shown = {}
        for staff, resources in self._resources_shown.items():
            works: dict[int, list[Resource]] = defaultdict(list)
            for resource in resources.values():
                works[resource.work_id].append(resource)
            shown[staff] = dict(works)
        return shown

    @cached_property
    def counted(self) -> dict[int, Resource]:
        """Every resource that counts (each roadmap's `counted`), by id: what a row
        offers to tick, wherever it is listed."""
        return {pk: resource for listed in self.roadmaps for pk, resource in listed.counted.items()}

    @cached_property
    def counted_works(self) -> dict[int, list[Resource]]:
        """Each work that counts: the resources listing it that count, in reading order
        (roadmap by roadmap)."""
        works: dict[int, list[Resource]] = defaultdict(list)
        for listed in self.roadmaps:
            for resource in listed.counted.values():
                works[resource.work_id].append(resource)
        return dict(works)

    @cached_property
    def counted_in(self) -> dict[int, tuple[tuple[str, int], ...]]:
        """Each work that counts: where it counts, the roadmaps, parts and topics listing
        it as (scope, id) pairs, roadmap by roadmap. A work listed twice in a scope counts
        once in it: it is one thing to a learner."""
        counted_in: dict[int, tuple[tuple[str, int], ...]] = {}
        for listed in self.roadmaps:
            for work, where in listed.piece.counted_in.items():
                counted_in[work] = counted_in.get(work, ()) + where
        return counted_in

    @cached_property
    def totals(self) -> Counter:
        """How many works count in each roadmap, part and topic, by (scope, id)."""
        totals: Counter = Counter()
        for listed in self.roadmaps:
            totals.update(listed.piece.totals)
        return totals


# The newest piece of each roadmap this process has read, by roadmap id.
_pieces: dict[int, _Piece] = {}


def forget_snapshots() -> None:
    """Forget every snapshot this process keeps, as a new worker starts."""
    global _latest
    snapshots.clear()
    _pieces.clear()
    _latest = None


def _read_pieces(roadmaps: dict[int, Roadmap], versions: dict[int, int]) -> dict[int, _Piece]:
    """The pieces of the roadmaps `roadmaps` at `versions`, read in a fixed number of
    queries however many (call it in the snapshot's transaction)."""
    staff, public = defaultdict(list), defaultdict(list)
    for parts, seen in ((staff, True), (public, False)):
        visible = Part.objects.filter(roadmap__in=list(roadmaps)).visible_to(staff=seen)
        for part in visible.with_content(staff=seen):
            part.roadmap = roadmaps[part.roadmap_id]
            parts[part.roadmap_id].append(part)
    counted_ids = set(
        Resource.objects.counted()
        .filter(topic__part__roadmap__in=list(roadmaps))
        .values_list("pk", flat=True)
    )
    pieces = {}
    for pk in roadmaps:
        counted = {
            resource.pk: resource
            for part in staff[pk]
            for topic in part.topics.all()
            for resource in topic.resources.all()
            if resource.pk in counted_ids
        }
        pieces[pk] = _Piece(versions.get(pk, 0), staff[pk], public[pk], counted)
    return pieces


def load_content() -> Content:
    """Every roadmap's content and the version, read in one snapshot: a fixed number of
    queries, however many roadmaps, parts and resources; the roadmaps whose own version
    this process has read already are taken as read."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        version, roadmaps_at = versions()
        roadmaps = list(Roadmap.objects.order_by("order", "pk").prefetch_related("prerequisites"))
        by_id = {roadmap.pk: roadmap for roadmap in roadmaps}
        pieces = {
            pk: piece
            for pk in by_id
            if (piece := _pieces.get(pk)) is not None and piece.version == roadmaps_at.get(pk, 0)
        }
        unread = {pk: roadmap for pk, roadmap in by_id.items() if pk not in pieces}
        if unread:
            pieces |= _read_pieces(unread, roadmaps_at)
    for pk, piece in pieces.items():
        if pk not in _pieces or _pieces[pk].version < piece.version:
            _pieces[pk] = piece
    listed = []
    for roadmap in roadmaps:
        prerequisites = [
            by_id[other.pk]
            for other in roadmap.prerequisites.all()
            if other.is_published and other.pk != roadmap.pk  # (a roadmap before itself: no)
        ]
        prerequisites.sort(key=lambda other: (other.order, other.pk))
        listed.append(RoadmapContent(roadmap, pieces[roadmap.pk], prerequisites))
    return Content(version, listed)


class ContentMoved(Exception):
    """The content was read at a newer version than the one asked for."""

    def __init__(self, version: int) -> None:
        self.version = version


_latest: Content | None = None
# The snapshots this process has read, by the site's version.
snapshots = ProcessCache()


def content_at(version: int) -> Content:
    """The content at `version`, read once per process; if it has changed since, the
    content at the newer version it is now: compare the answer's `version`."""
    global _latest

    def load() -> Content:
        content = load_content()
        if content.version != version:
            raise ContentMoved(content.version)  # never kept under a version it is not
        return content

    try:
        content = snapshots.get((("site", version), "content"), load)
    except ContentMoved as moved:
        return content_at(moved.version)
    if _latest is None or content.version > _latest.version:
        _latest = content
    return content


def latest_content() -> Content:
    """The newest content this process has read, without asking the database: most
    likely the current content."""
    return _latest or content_at(content_version())


def counted_resource(key: str, *, current: bool = False) -> tuple[Content, Resource]:
    """The resource with public id `key` if it counts now (404 otherwise), with its topic,
    part and roadmap, and the content it was found in: the newest this process has read,
    which saves reading the version first on the busiest writes, or the current one if
    it is not there (or if `current`)."""
    content = latest_content()
    if current or key not in content.by_public_id:  # perhaps published since last looked
        content = content_at(content_version())
    resource = content.by_public_id.get(key)
    if resource is None:
        raise Http404
    return content, resource
