"""The content snapshot: the roadmap as it is at one content version, read once per
process and shared by every request (read it, never change it).

Everything a page shows of the content and every total a figure is counted against come
from one snapshot, read in one REPEATABLE READ transaction together with its version,
and cached under that version only. Renderings are made from the snapshot they are
cached with (roadmap/views.py), so a rendering kept for version N shows version N.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.db import connection, transaction

from roadmap.models import Part, Resource, Roadmap
from roadmap.render_once import renderings


def content_version() -> int:
    """The current content version (see roadmap/models.py): one primary-key read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM roadmap_content_version WHERE id = 1")
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class Content:
    version: int
    roadmap: Roadmap | None  # the roadmap the site serves (Roadmap.objects.main())
    parts: list[Part]  # as staff see them: every part and resource, in order
    public_parts: list[Part]  # as everyone else does: no draft parts, published resources
    counted: dict[int, Resource]  # what counts toward progress (Resource.objects.counted()),
    # by id, in reading order, with their topic and part

    @cached_property
    def by_public_id(self) -> dict[str, Resource]:
        """What counts, by public id: what can be ticked."""
        return {str(resource.public_id): resource for resource in self.counted.values()}

    @cached_property
    def public_ids(self) -> dict[int, str]:
        """Every resource of the roadmap (staff see them all): id to public id."""
        return {
            resource.pk: str(resource.public_id)
            for part in self.parts
            for topic in part.topics.all()
            for resource in topic.resources.all()
        }

    @cached_property
    def counted_in(self) -> dict[int, tuple[int, int]]:
        """What counts, by id: the (topic id, part id) it counts in."""
        return {pk: (r.topic_id, r.topic.part_id) for pk, r in self.counted.items()}

    @cached_property
    def topic_totals(self) -> dict[int, int]:
        return self._totals(lambda resource: resource.topic_id)

    @cached_property
    def part_totals(self) -> dict[int, int]:
        return self._totals(lambda resource: resource.topic.part_id)

    @property
    def overall_total(self) -> int:
        return len(self.counted)

    def _totals(self, scope) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for resource in self.counted.values():
            totals[scope(resource)] += 1
        return dict(totals)

    def parts_for(self, *, staff: bool) -> list[Part]:
        return self.parts if staff else self.public_parts


def load_content() -> Content:
    """The content and its version, read in one snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        version = content_version()
        roadmap = Roadmap.objects.main()
        if roadmap is None:
            return Content(version, None, [], [], {})
        parts = list(roadmap.parts.visible_to(staff=True).with_content(staff=True))
        public_parts = list(roadmap.parts.visible_to(staff=False).with_content(staff=False))
        counted_ids = set(
            Resource.objects.counted()
            .filter(topic__part__roadmap=roadmap)
            .values_list("pk", flat=True)
        )
    counted = {
        resource.pk: resource
        for part in parts
        for topic in part.topics.all()
        for resource in topic.resources.all()
        if resource.pk in counted_ids
    }
    return Content(version, roadmap, parts, public_parts, counted)


class ContentMoved(Exception):
    """The content was read at a newer version than the one asked for."""

    def __init__(self, version: int) -> None:
        self.version = version


_latest: Content | None = None


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
        content = renderings.get((version, "content"), load)
    except ContentMoved as moved:
        return content_at(moved.version)
    if _latest is None or content.version > _latest.version:
        _latest = content
    return content


def latest_content() -> Content:
    """The newest content this process has read, without asking the database: most
    likely the current content."""
    return _latest or content_at(content_version())
