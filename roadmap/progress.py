"""A learner's completion of the roadmap: exact integer percentages from SQL counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from roadmap.models import Resource, Roadmap


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
    """Completion per topic, per part and overall, from `completion_by_topic` rows."""

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


def progress_summary(*, user, roadmap_id: int | None = None) -> ProgressSummary:
    """The learner's completion of a roadmap (by default the main one), in one query,
    counted over published resources in published parts only."""
    if not user.is_authenticated:
        return ProgressSummary(topics={}, parts={}, overall=Completion())
    roadmap = roadmap_id or Roadmap.objects.order_by("pk").values("pk")[:1]
    rows = Resource.objects.published().filter(topic__part__roadmap=roadmap)
    return ProgressSummary.from_rows(rows.completion_by_topic(user))
