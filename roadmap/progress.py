"""A learner's completion of the roadmap: exact integer percentages from SQL counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection, transaction
from django.db.models import Count

from roadmap.models import Part, Resource, Roadmap
from roadmap.page_cache import content_version, pages

if TYPE_CHECKING:
    from roadmap.services import Tick


class Completion(NamedTuple):
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 2 of 3 is 66, and only all of them is 100."""
        return self.done * 100 // self.total if self.total else 0


NOTHING = Completion()


@dataclass(frozen=True)
class ProgressSummary:
    """Completion per topic, per part and overall. A topic's is made when asked for: most
    pages ask for a few, or none."""

    overall: Completion
    parts: dict[int, Completion]
    done_per_topic: dict[int, int]
    totals: dict[int, tuple[int, int]]  # topic id: (part id, published resources)

    @classmethod
    def from_counts(cls, *, content: Content, done: dict[int, int]) -> ProgressSummary:
        """From how many resources of each topic the learner has done, and the content's
        totals."""
        done_in_part: dict[int, int] = defaultdict(int)
        for topic_id, done_in_topic in done.items():
            if topic_id in content.totals:
                done_in_part[content.totals[topic_id][0]] += done_in_topic
        return cls(
            overall=Completion(sum(done_in_part.values()), content.overall_total),
            parts={
                part_id: Completion(done_in_part.get(part_id, 0), total)
                for part_id, total in content.part_totals.items()
            },
            done_per_topic=done,
            totals=content.totals,
        )

    def topic(self, topic_id: int) -> Completion:
        if topic_id not in self.totals:
            return NOTHING
        return Completion(self.done_per_topic.get(topic_id, 0), self.totals[topic_id][1])

    def part(self, part_id: int) -> Completion:
        return self.parts.get(part_id, NOTHING)

    def get(self, key: str) -> Completion:
        """By the key a page's progress bar has: "overall", "part-<id>" or "topic-<id>"."""
        if key == "overall":
            return self.overall
        scope, _, pk = key.partition("-")
        return self.part(int(pk)) if scope == "part" else self.topic(int(pk))


EMPTY = ProgressSummary(overall=NOTHING, parts={}, done_per_topic={}, totals={})


@dataclass(frozen=True)
class Content:
    """The roadmap at one content version, read once per process and shared by every
    request: read it, never change it."""

    version: int
    roadmap: Roadmap | None  # the main roadmap, the one the site serves
    parts: list[Part]  # the main roadmap's, in order, drafts included
    published: dict[str, Resource]  # the main roadmap's, by public id, in reading order
    totals: dict[int, tuple[int, int]]  # topic id: (part id, published resources)
    resources: dict[str, Resource]  # every published resource, by public id

    @cached_property
    def part_totals(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for part_id, total in self.totals.values():
            totals[part_id] += total
        return dict(totals)

    @cached_property
    def overall_total(self) -> int:
        return sum(total for _part, total in self.totals.values())

    # The resources a learner's progress counts (`published`), as PostgreSQL array
    # literals of their ids: all of them, and those of each topic and each part.
    @cached_property
    def counted_ids(self) -> str:
        return _array(resource.pk for resource in self.published.values())

    @cached_property
    def counted_in_topic(self) -> dict[int, str]:
        return self._counted_by(lambda resource: resource.topic_id)

    @cached_property
    def counted_in_part(self) -> dict[int, str]:
        return self._counted_by(lambda resource: resource.topic.part_id)

    def _counted_by(self, scope) -> dict[int, str]:
        ids = defaultdict(list)
        for resource in self.published.values():
            ids[scope(resource)].append(resource.pk)
        return {key: _array(pks) for key, pks in ids.items()}

    @classmethod
    def empty(cls, version: int) -> Content:
        return cls(version=version, roadmap=None, parts=[], published={}, totals={}, resources={})

    def visible_parts(self, *, staff: bool) -> list[Part]:
        return self.parts if staff else [p for p in self.parts if p.status != Part.Status.DRAFT]


def _array(ids) -> str:
    """A PostgreSQL array literal of ids: integers only, so it can be written into SQL."""
    return "{" + ",".join(str(int(pk)) for pk in sorted(ids)) + "}"


_latest: Content | None = None


def content_at(version: int) -> Content:
    """The content at `version`, read once per process; or at a newer version if it
    has changed since: compare the answer's `version`."""
    global _latest
    _latest = pages.get(("content", version), load_content)
    return _latest


def latest_content() -> Content:
    """The content this process last looked at: the current content, most likely, for a
    write that checks the version it was based on (services.progress_set)."""
    return _latest or content_at(content_version())


def load_content() -> Content:
    """Read the content and its version in one snapshot, so that the totals always
    belong to the version they are cached under."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT version FROM roadmap_content_version WHERE id = 1")
            version = cursor.fetchone()[0]
        roadmap = Roadmap.objects.order_by("pk").first()
        if roadmap is None:
            return Content.empty(version)
        published = [
            resource
            for resource in Resource.objects.published()
            .select_related("topic__part")
            .order_by("topic__part__order", "topic__order", "order", "pk")
        ]
        # Counted in SQL by the same filter that counts a learner's done resources.
        totals = (
            Resource.objects.published()
            .filter(topic__part__roadmap=roadmap)
            .values_list("topic_id", "topic__part_id")
            .annotate(total=Count("pk"))
            .order_by()
        )
        return Content(
            version=version,
            roadmap=roadmap,
            parts=list(roadmap.parts.order_by("order", "pk")),
            published={
                str(resource.public_id): resource
                for resource in published
                if resource.topic.part.roadmap_id == roadmap.pk
            },
            totals={topic: (part, total) for topic, part, total in totals},
            resources={str(resource.public_id): resource for resource in published},
        )


@dataclass(frozen=True)
class LearnerState:
    """Where one learner stands, at one content version."""

    content: Content
    progress: ProgressSummary
    done: dict[str, float]  # public id of each resource done: when, as a POSIX timestamp
    name: str = ""  # the learner's display name, when read through a share link


# One round trip for everything a page needs to know about a learner: the content
# version, each of their progress rows, and per topic how many of those rows count —
# published resources in published parts of the main roadmap, by a filtered COUNT.
# Raw SQL because it runs on nearly every request: the ORM cannot start from the version
# row, and compiling the query took longer than running it. The rows come from the
# covering (user, resource) index alone; dates as numbers, which load faster.
STATE_SQL = """
WITH learner AS ({learner})
SELECT v.version, learner.name, r.public_id::text, r.topic_id,
       extract(epoch FROM p.completed_at)::float8,
       count(p.resource_id) FILTER (
           WHERE r.status = %(resource_published)s AND part.status = %(part_published)s
             AND part.roadmap_id = (SELECT min(id) FROM roadmap_roadmap)
       ) OVER (PARTITION BY r.topic_id)
FROM roadmap_content_version v
JOIN learner ON true
LEFT JOIN roadmap_progress p ON p.user_id = learner.id
LEFT JOIN roadmap_resource r ON r.id = p.resource_id
LEFT JOIN roadmap_topic t ON t.id = r.topic_id
LEFT JOIN roadmap_part part ON part.id = t.part_id
WHERE v.id = 1
"""
BY_USER = STATE_SQL.format(learner="SELECT %(user)s::bigint AS id, ''::text AS name")
BY_SHARE_TOKEN = STATE_SQL.format(
    learner="SELECT u.id, u.display_name AS name FROM roadmap_sharelink s"
    " JOIN accounts_user u ON u.id = s.user_id WHERE s.token = %(token)s AND u.is_active"
)


def _state(sql: str, params: dict) -> LearnerState | None:
    params |= {
        "resource_published": Resource.Status.PUBLISHED,
        "part_published": Part.Status.PUBLISHED,
    }
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        content = content_at(rows[0][0])
        if content.version == rows[0][0]:
            break  # else the content changed between the two reads: read the learner again
    # (Should curators change the content three times within one request, the newest
    # content stands: a figure off for one page view rather than a page that never ends.)
    done, done_per_topic = {}, {}
    for _version, _name, public_id, topic_id, completed_at, counted in rows:
        if public_id is not None:
            done[public_id] = completed_at
            done_per_topic[topic_id] = counted
    return LearnerState(
        content=content,
        progress=ProgressSummary.from_counts(content=content, done=done_per_topic),
        done=done,
        name=rows[0][1],
    )


def learner_state(*, user) -> LearnerState:
    """The learner's completion of the main roadmap and when they ticked each resource.
    Nothing here grows with the number of other learners."""
    return _state(BY_USER, {"user": user.pk})


def shared_state(*, token: str) -> LearnerState | None:
    """The state of the learner whose share link has `token`; None for a token that is
    unknown, regenerated away or disabled, or whose learner is deactivated."""
    return _state(BY_SHARE_TOKEN, {"token": token})


def progress_after(*, tick: Tick, resource: Resource, content: Content) -> ProgressSummary:
    """The learner's completion of `resource`'s topic, its part and the whole roadmap,
    from what their tick counted at `content`'s version: all that the tick changed."""
    topic = resource.topic
    if content.roadmap is None or topic.part.roadmap_id != content.roadmap.pk:
        return EMPTY  # not the roadmap the site shows
    return ProgressSummary(
        overall=Completion(tick.in_roadmap, content.overall_total),
        parts={topic.part_id: Completion(tick.in_part, content.part_totals[topic.part_id])},
        done_per_topic={topic.pk: tick.in_topic},
        totals=content.totals,
    )
