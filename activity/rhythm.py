"""A learner's rhythm, from their history (activity.models.Event): the days they moved
something forward, their streaks, this week against their goal, and their pace. Every
date is a day in the learner's zone as it was when they acted (`Event.day`); "today" is
today in their zone now. Both are reckoned by the database (`activity_local_day`, the
function that dates each change), never one by PostgreSQL's zone rules and the other by
Python's: the two carry their own copies of the rules, which can differ for a while
after a country changes its clocks, and a tick would land on a day that is not "today".

The streak rule, said once (and on /me/): a day is active when the learner moved at least
one resource forward (from not started to in progress, or to done or skipped: changing
done for skipped, or going back, is no step forward); a streak is a run of active days
one after the other, and one that was alive yesterday stays current through today.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.db import connection
from django.utils import timezone

from activity.models import moved_forward
from roadmap.models import Progress, WorkJoin

STREAK_RULE = (
    "A day counts when you move at least one resource forward (from not started to in"
    " progress, or to done or skipped), in your time zone; a streak alive yesterday stays"
    " current all today."
)
PACE_WEEKS = 4


def week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Rhythm:
    today: date
    moved: dict[date, set[int]]  # day: the works moved forward on it
    completed: dict[int, date] = field(default_factory=dict)  # work: the day it went to
    # done or skipped (from neither)

    @cached_property
    def active(self) -> Counter:
        """Day: how many resources were moved forward on it (each work once a day)."""
        return Counter({day: len(works) for day, works in self.moved.items()})

    @cached_property
    def active_this_year(self) -> int:
        """The days the heatmap's year has with a resource moved forward."""
        first = first_day(self.today)
        return sum(1 for day, n in self.active.items() if n and first <= day <= self.today)

    @cached_property
    def current_streak(self) -> int:
        """Active days in a row up to today, or up to yesterday while today is not active
        yet (a streak alive yesterday is current all today)."""
        day = self.today if self.active[self.today] else self.today - timedelta(days=1)
        streak = 0
        while self.active[day]:
            streak += 1
            day -= timedelta(days=1)
        return streak

    @cached_property
    def longest_streak(self) -> int:
        longest, run, previous = 0, 0, None
        for day in sorted(d for d, n in self.active.items() if n):
            run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
            longest, previous = max(longest, run), day
        return longest

    def completed_between(self, first: date, last: date) -> set[int]:
        return {work for work, day in self.completed.items() if first <= day <= last}

    @cached_property
    def last_week(self) -> tuple[int, int]:
        """Last ISO week's resources moved forward (one moved on two days is one), and
        those done or skipped."""
        monday = week_start(self.today) - timedelta(weeks=1)
        sunday = monday + timedelta(days=6)
        moved = set().union(
            *(works for day, works in self.moved.items() if monday <= day <= sunday)
        )
        return len(moved), len(self.completed_between(monday, sunday))

    @cached_property
    def this_week(self) -> int:
        """Resources done or skipped this ISO week (Monday first), in the learner's zone."""
        return len(self.completed_between(week_start(self.today), self.today))

    def weekly_pace(self, works: Container[int] | None = None) -> float:
        """Resources done or skipped a week over the last four weeks (of `works`)."""
        done = self.completed_between(self.today - timedelta(days=PACE_WEEKS * 7 - 1), self.today)
        if works is not None:
            done = {work for work in done if work in works}
        return len(done) / PACE_WEEKS

    def weeks(self) -> list[tuple[date, list[tuple[int, str]]]]:
        """The heatmap: a year of weeks, each its Monday and its days, Monday first,
        each day as its shade (0 to 4) and its label, "N resources on YYYY-MM-DD" (days
        after today are left out)."""
        first = first_day(self.today)
        return [
            (
                first + timedelta(weeks=w),
                [
                    (min(count, 4), f"{count} resource{'' if count == 1 else 's'} on {day}")
                    for n in range(7)
                    if (day := first + timedelta(weeks=w, days=n)) <= self.today
                    for count in (self.active[day],)
                ],
            )
            for w in range(53)
        ]


# The heatmap's columns, as its header names them (each row is a week).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def first_day(today: date) -> date:
    """The heatmap's first day: the Monday 52 weeks before this week's."""
    return week_start(today) - timedelta(weeks=52)


# Learners' today, in their zone at `now` (reckoned once a learner), and their whole
# history, each learner's in the order it was written (`id`: a state kept from a visitor
# is dated when the visitor set it, earlier than changes written before it; a streak may
# be older than the heatmap's year). (SQL of its own: on every summary and every /me/
# made anew, where the ORM's building of it cost more than its run.)
HISTORY = """
WITH learners AS MATERIALIZED (
  SELECT id, activity_local_day(%s, time_zone) AS today FROM accounts_user WHERE id = ANY(%s)
)
SELECT l.id, l.today, e.work_id, e.before, e.after, e.day
FROM learners l LEFT JOIN activity_event e ON e.user_id = l.id
ORDER BY l.id, e.id
"""


def rhythm_of(user, now: datetime | None = None) -> Rhythm:
    """The learner's rhythm (two queries: `rhythms_of`)."""
    return rhythms_of([user], now)[user.pk]


def rhythms_of(users: list, now: datetime | None = None) -> dict[int, Rhythm]:
    """Each learner's rhythm, by id, in two queries however many (for work over many: the
    summaries): their histories, and the joins that moved states."""
    if not users:
        return {}
    todays: dict[int, date] = {}
    changes: dict[int, list[tuple]] = {}
    # A state a curator's join moved is the same resource's: its changes before and after
    # the join are told as one work's.
    now_as = WorkJoin.objects.now_as()
    with connection.cursor() as cursor:
        cursor.execute(HISTORY, [now or timezone.now(), [user.pk for user in users]])
        for user, today, work, before, after, day in cursor.fetchall():
            todays[user] = today
            changes.setdefault(user, [])
            if work is not None:  # (a learner with no history: one row, no change)
                # A day after their today (made in a zone east of the one they moved to
                # since) is told as today: it happened, and no later than now.
                changes[user].append((now_as.get(work, work), before, after, min(day, today)))
    return {pk: rhythm_from(today, changes[pk]) for pk, today in todays.items()}


def rhythm_from(today: date, changes: list[tuple]) -> Rhythm:
    """A learner's rhythm on `today`, from their changes (work, before, after, day) in the
    order they were made. A resource is completed on the day it went from not counting
    to done or skipped; changing done for skipped, or back, keeps that day."""
    moved: dict[date, set[int]] = {}
    completed: dict[int, date] = {}
    for work, before, after, day in changes:
        if moved_forward(before, after):
            moved.setdefault(day, set()).add(work)
        if after not in Progress.COUNTED_STATES:
            completed.pop(work, None)  # undone since: not completed
        elif before not in Progress.COUNTED_STATES:
            completed[work] = day
    return Rhythm(today, moved, completed)


def weeks_left(remaining: int, pace: float) -> int | None:
    """Weeks to finish `remaining` resources at `pace` a week; None without a pace."""
    if remaining <= 0 or pace <= 0:
        return None
    return math.ceil(remaining / pace)


@dataclass(frozen=True)
class Pace:
    listed: object  # roadmap.content.RoadmapContent
    percent: int
    per_week: float
    weeks: int | None  # to finish at that pace; None without one


def paces(rhythm: Rhythm, state) -> list[Pace]:
    """Each roadmap the learner has started (`state`, a LearnerState): where they are,
    their pace in it over the last four weeks, and the weeks left at that pace."""
    found = []
    for listed in state.roadmaps_started():
        figure = state.progress.get(listed.key)
        per_week = rhythm.weekly_pace(listed.works)  # what counts in it, as `remaining`
        remaining = figure.total - figure.done - figure.skipped
        found.append(Pace(listed, figure.percent, per_week, weeks_left(remaining, per_week)))
    return found
