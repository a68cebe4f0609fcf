"""A learner's completion of the roadmap: exact integer percentages from SQL counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, Window

from roadmap.models import Part, Progress, Resource, Roadmap
from roadmap.page_cache import cached, content_version


@dataclass(frozen=True)
class Completion:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 2 of 3 is 66, and only all of them is 100."""
        return self.done * 100 // self.total if self.total else 0

    def __add__(self, other: Completion) -> Completion:
        return Completion(self.done + other.done, self.total + other.total)


@dataclass(frozen=True)
class ProgressSummary:
    """Completion per topic, per part and overall, from rows of
    (topic_id, topic__part_id, total, done)."""

    topics: dict[int, Completion]
    parts: dict[int, Completion]
    overall: Completion

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> ProgressSummary:
        topics: dict[int, Completion] = {}
        parts: dict[int, Completion] = defaultdict(Completion)
        for row in rows:
            completion = Completion(row["done"], row["total"])
            topics[row["topic_id"]] = completion
            parts[row["topic__part_id"]] += completion
        return cls(topics=topics, parts=dict(parts), overall=sum(parts.values(), Completion()))

    def topic(self, topic_id: int) -> Completion:
        return self.topics.get(topic_id, Completion())

    def part(self, part_id: int) -> Completion:
        return self.parts.get(part_id, Completion())


def main_roadmap(version: int) -> Roadmap | None:
    """The roadmap the site serves at `/`, cached per content version."""
    return cached(("roadmap", version), lambda: Roadmap.objects.order_by("pk").first())


def topic_totals(*, version: int, roadmap_id: int) -> list[dict]:
    """Published resources per topic (published parts only), cached per content version."""
    return cached(
        ("totals", version, roadmap_id),
        lambda: list(
            Resource.objects.published()
            .filter(topic__part__roadmap=roadmap_id)
            .values("topic_id", "topic__part_id")
            .annotate(total=Count("pk"))
            .order_by()
        ),
    )


EMPTY = ProgressSummary(topics={}, parts={}, overall=Completion())


def learner_state(
    *, user, roadmap_id: int | None = None, version: int | None = None
) -> tuple[ProgressSummary, dict[str, datetime]]:
    """The learner's completion of a roadmap (by default the main one) and when they
    ticked each resource (by public id), in one query over their own progress rows.

    Counts cover published resources in published parts only, by conditional
    aggregation in SQL (a filtered COUNT per topic); the totals they are divided by are
    shared by everyone and cached per content version. Nothing here grows with the
    number of other learners."""
    if not user.is_authenticated:
        return EMPTY, {}
    version = version if version is not None else content_version()
    if roadmap_id is None:
        roadmap = main_roadmap(version)
        if roadmap is None:
            return EMPTY, {}
        roadmap_id = roadmap.pk
    counted = Q(
        resource__status=Resource.Status.PUBLISHED,
        resource__topic__part__status=Part.Status.PUBLISHED,
        resource__topic__part__roadmap=roadmap_id,
    )
    rows = Progress.objects.filter(user=user).values_list(
        "resource__public_id",
        "resource__topic_id",
        "completed_at",
        Window(Count("pk", filter=counted), partition_by=F("resource__topic_id")),
    )
    done, done_per_topic = {}, {}
    for public_id, topic_id, completed_at, done_in_topic in rows:
        done[str(public_id)] = completed_at
        done_per_topic[topic_id] = done_in_topic
    summary = ProgressSummary.from_rows(
        {**row, "done": done_per_topic.get(row["topic_id"], 0)}
        for row in topic_totals(version=version, roadmap_id=roadmap_id)
    )
    return summary, done


def published_in_order(*, version: int, roadmap_id: int) -> list[Resource]:
    """The roadmap's published resources in reading order, cached per content version.
    Shared between requests: read them, never change them."""
    return cached(
        ("published", version, roadmap_id),
        lambda: list(
            Resource.objects.published()
            .filter(topic__part__roadmap=roadmap_id)
            .select_related("topic__part")
            .order_by("topic__part__order", "topic__order", "order", "pk")
        ),
    )


def parts_of(*, version: int, roadmap_id: int, staff: bool) -> list[Part]:
    """The roadmap's parts in order (drafts for staff only), cached per content version.
    Shared between requests: read them, never change them."""

    def load() -> list[Part]:
        parts = Part.objects.filter(roadmap=roadmap_id).order_by("order", "pk")
        return list(parts if staff else parts.exclude(status=Part.Status.DRAFT))

    return cached(("parts", version, roadmap_id, staff), load)


def progress_summary(**kwargs) -> ProgressSummary:
    """Just the completion part of `learner_state`."""
    return learner_state(**kwargs)[0]
