"""A roadmap's figures for its curators: per resource, how many learners have it in
progress, done and skipped, its skip rate and the median days from started to done; how
many learners reached each part; all within a date range.

Read from two materialized views (migration curation 0002 defines them), refreshed by a
job as INSIGHTS_REFRESH_CRON says (every 30 minutes; `manage.py refresh_insights` at
once), not from the progress table:
the same figures aggregated from 10M progress rows take seconds (`make bench` prints
both), the views a few milliseconds. Each view is grouped so that its aggregation has
as few groups as it can: per learner only one per roadmap (not one per part). What it costs: figures as old as the last refresh,
which the page says. The views keep counts by day, so that any range is a sum:

- `curation_work_figures`: learners by (work, state, day the state was reached, whole
  days from started to done); "started" is the learner's first move into in progress
  (activity's history), so a resource ticked done at once has no duration.
- `curation_reach`: learners by (roadmap, the furthest of its parts they have a state in,
  the day of their first state in it). A learner has reached a part when they have got
  at least that far: the funnel of a part counts those whose furthest part is it or a
  later one, so it never grows from one part to the next; "learners who started it" are
  all of them, and the date range picks them by the day they started (a cohort).

Days are UTC dates. A work listed in several roadmaps counts its learners in each, as a
learner's state of it shows in each."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from curation.models import InsightsRefresh
from roadmap.content import RoadmapContent
from roadmap.models import Part, Progress, Resource

VIEWS = ["curation_work_figures", "curation_reach"]


def insights_refresh() -> InsightsRefresh:
    """Compute the figures afresh (both views), without keeping readers waiting: a view
    refreshed before is refreshed concurrently. Returns when and how long it took."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        # Room for the aggregation of every learner's furthest part in memory, for this
        # transaction only (at 10M rows: 4M groups, 45 s spilled to disk, 26 s not).
        cursor.execute("SET LOCAL work_mem = '256MB'")
        for view in VIEWS:
            cursor.execute("SELECT ispopulated FROM pg_matviews WHERE matviewname = %s", [view])
            concurrently = "CONCURRENTLY " if cursor.fetchone()[0] else ""
            cursor.execute(f"REFRESH MATERIALIZED VIEW {concurrently}{view}")
    with transaction.atomic():
        InsightsRefresh.objects.all().delete()
        return InsightsRefresh.objects.create(
            refreshed_at=timezone.now(), seconds=time.monotonic() - started
        )


def last_refresh() -> InsightsRefresh | None:
    return InsightsRefresh.objects.order_by("-refreshed_at").first()


@dataclass
class ResourceFigures:
    resource: Resource
    in_progress: int = 0
    done: int = 0
    skipped: int = 0
    durations: dict[int, int] = field(default_factory=dict)  # whole days: learners

    @property
    def learners(self) -> int:
        return self.in_progress + self.done + self.skipped

    @property
    def skip_rate(self) -> int | None:
        """Skipped, as a whole percent (rounded down, as every percentage of the site)
        of the learners with a state on it; None with nobody."""
        return self.skipped * 100 // self.learners if self.learners else None

    @property
    def median_days(self) -> float | None:
        """The median of whole days from started to done (the mean of the two middle
        ones for an even count); None when no learner's start is known."""
        count = sum(self.durations.values())
        if not count:
            return None
        middle = sorted(self._nth(i) for i in {(count - 1) // 2, count // 2})
        return sum(middle) / len(middle)

    def _nth(self, n: int) -> int:
        for days in sorted(self.durations):
            n -= self.durations[days]
            if n < 0:
                return days
        raise IndexError(n)


@dataclass
class PartReach:
    part: Part
    learners: int


@dataclass
class Figures:
    learners: int  # who have a state on any of its resources
    resources: list[ResourceFigures]
    funnel: list[PartReach]
    refreshed: InsightsRefresh | None

    @property
    def widest(self) -> int:
        """The largest count a bar shows: every bar is drawn to its scale."""
        counts = [f.learners for f in self.resources] + [p.learners for p in self.funnel]
        return max([self.learners, *counts, 1])


def figures(listed: RoadmapContent, *, start: date | None, end: date | None) -> Figures:
    """The roadmap's figures over days `start` to `end` (each included; None: no bound),
    its resources in reading order (those counted now), its published parts in order."""
    by_work: dict[int, list[ResourceFigures]] = {}
    rows = []
    for resource in listed.counted.values():
        row = ResourceFigures(resource)
        rows.append(row)
        by_work.setdefault(resource.work_id, []).append(row)
    bounds = {"start": start or date.min, "end": end or date.max}
    parts = [p for p in listed.parts_for(staff=False) if p.status == Part.Status.PUBLISHED]
    refreshed = last_refresh()
    if refreshed is None:  # the views hold nothing yet
        return Figures(0, rows, [PartReach(part, 0) for part in parts], None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT work_id, state, days, sum(learners) FROM curation_work_figures"
            " WHERE work_id = ANY(%(works)s) AND day BETWEEN %(start)s AND %(end)s"
            " GROUP BY 1, 2, 3",
            {"works": list(by_work), **bounds},
        )
        for work, state, days, learners in cursor.fetchall():
            for row in by_work[work]:
                setattr(row, state, getattr(row, state) + learners)
                if state == Progress.State.DONE and days >= 0:
                    row.durations[days] = row.durations.get(days, 0) + learners
        cursor.execute(
            "SELECT furthest, sum(learners) FROM curation_reach WHERE roadmap_id = %(roadmap)s"
            " AND day BETWEEN %(start)s AND %(end)s GROUP BY 1",
            {"roadmap": listed.roadmap.pk, **bounds},
        )
        furthest = cursor.fetchall()
    return Figures(
        learners=sum(learners for _order, learners in furthest),
        resources=rows,
        funnel=[
            PartReach(part, sum(n for order, n in furthest if order >= part.order))
            for part in parts
        ],
        refreshed=refreshed,
    )
