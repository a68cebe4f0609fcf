"""A learner's completion of the roadmap: exact integer percentages from SQL counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

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


def progress_summary(
    *, user, roadmap_id: int | None = None, version: int | None = None
) -> ProgressSummary:
    """The learner's completion of a roadmap (by default the main one), counted over
    published resources in published parts only: the totals per topic are shared by
    everyone and cached per content version; the learner's own counts are one aggregate
    query over their progress rows, so the cost does not grow with other learners."""
    if not user.is_authenticated:
        return ProgressSummary(topics={}, parts={}, overall=Completion())
    version = version if version is not None else content_version()
    if roadmap_id is None:
        roadmap = main_roadmap(version)
        if roadmap is None:
            return ProgressSummary(topics={}, parts={}, overall=Completion())
        roadmap_id = roadmap.pk
    done = dict(
        Progress.objects.filter(
            user=user,
            resource__status=Resource.Status.PUBLISHED,
            resource__topic__part__status=Part.Status.PUBLISHED,
            resource__topic__part__roadmap=roadmap_id,
        )
        .values("resource__topic_id")
        .annotate(done=Count("pk"))
        .values_list("resource__topic_id", "done")
    )
    rows = [
        {**row, "done": done.get(row["topic_id"], 0)}
        for row in topic_totals(version=version, roadmap_id=roadmap_id)
    ]
    return ProgressSummary.from_rows(rows)


def done_resource_ids(user) -> set[str]:
    """public ids of every resource the learner has ticked."""
    if not user.is_authenticated:
        return set()
    return {
        str(pk)
        for pk in Progress.objects.filter(user=user).values_list("resource__public_id", flat=True)
    }
