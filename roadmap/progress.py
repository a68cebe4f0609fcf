"""A learner's completion of the roadmap: exact integer percentages, counted from the
learner's rows against the content snapshot (roadmap/content.py), where the rule for
what counts (`Resource.objects.counted()`) has already been applied."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection

from roadmap.content import Content, content_at
from roadmap.models import Progress


class Completion(NamedTuple):
    done: int = 0
    total: int = 0
    skipped: int = 0

    @property
    def percent(self) -> int:
        """Whole percent of what counts (done or skipped), rounded down:
        floor(100 * (done + skipped) / total). 2 of 3 is 66; only all of them is 100."""
        return (self.done + self.skipped) * 100 // self.total if self.total else 0


NOTHING = Completion()


@dataclass(frozen=True)
class ProgressSummary:
    """Completion overall, per part and per topic."""

    overall: Completion
    parts: dict[int, Completion]
    topics: dict[int, Completion]

    @classmethod
    def of(cls, *, content: Content, states: dict[int, str]) -> ProgressSummary:
        """For a learner whose resources are in `states` (id: state): what counts of them."""
        done: dict[str, dict[int, int]] = {"topic": defaultdict(int), "part": defaultdict(int)}
        skipped: dict[str, dict[int, int]] = {"topic": defaultdict(int), "part": defaultdict(int)}
        overall = {Progress.State.DONE: 0, Progress.State.SKIPPED: 0}
        counted_in = content.counted_in
        for pk, state in states.items():
            where = counted_in.get(pk)
            if where is None or state not in Progress.COUNTED_STATES:
                continue
            tally = done if state == Progress.State.DONE else skipped
            overall[state] += 1
            tally["topic"][where[0]] += 1
            tally["part"][where[1]] += 1

        def per(scope: str, totals: dict[int, int]) -> dict[int, Completion]:
            return {
                pk: Completion(done[scope][pk], total, skipped[scope][pk])
                for pk, total in totals.items()
            }

        return cls(
            overall=Completion(
                overall[Progress.State.DONE], content.overall_total, overall[Progress.State.SKIPPED]
            ),
            parts=per("part", content.part_totals),
            topics=per("topic", content.topic_totals),
        )

    def get(self, key: str) -> Completion:
        """By the key a page's progress bar has: "overall", "part-<id>" or "topic-<id>"."""
        if key == "overall":
            return self.overall
        scope, _, pk = key.partition("-")
        return (self.parts if scope == "part" else self.topics).get(int(pk), NOTHING)


EMPTY = ProgressSummary(overall=NOTHING, parts={}, topics={})


@dataclass(frozen=True)
class LearnerState:
    """Where one learner stands, at one content version."""

    content: Content
    progress: ProgressSummary
    states: dict[str, str]  # public id of each resource started: its state
    completed: dict[str, float]  # public id of each done or skipped: when (POSIX time)
    name: str = ""  # the learner's display name, when read through a share link
    read_at: int = 0  # the content version the rows were read at (`content` may be newer)


class Row(NamedTuple):
    state: str
    completed_at: float | None


def learner_state_from(*, version: int, rows: dict[int, Row], name: str = "") -> LearnerState:
    """The state of a learner with `rows` (resource id: their row), at `version`."""
    content = content_at(version)
    known = content.public_ids
    return LearnerState(
        content=content,
        progress=ProgressSummary.of(
            content=content, states={pk: r.state for pk, r in rows.items()}
        ),
        states={known[pk]: row.state for pk, row in rows.items() if pk in known},
        completed={
            known[pk]: row.completed_at
            for pk, row in rows.items()
            if pk in known and row.completed_at is not None
        },
        name=name,
        read_at=version,
    )


# The content version with the learner's rows, in one round trip and one row, so the rows
# are counted against the content of their version. From the covering (user, resource)
# index alone; dates as numbers, which load faster.
# (The tick's statement reads them the same way: roadmap/services.py.)
LEARNER_ROWS = (
    "array_agg(p.resource_id), array_agg(p.state),"
    " array_agg(extract(epoch FROM p.completed_at)::float8)"
)
BY_USER = f"""
SELECT v.version, {LEARNER_ROWS}, ''
FROM roadmap_content_version v
LEFT JOIN roadmap_progress p ON p.user_id = %(user)s
WHERE v.id = 1
GROUP BY v.version
"""  # noqa: S608 - SQL of our own
BY_SHARE_TOKEN = f"""
SELECT v.version, {LEARNER_ROWS}, u.display_name
FROM roadmap_content_version v
JOIN roadmap_sharelink s ON s.token = %(token)s
JOIN accounts_user u ON u.id = s.user_id AND u.is_active
LEFT JOIN roadmap_progress p ON p.user_id = u.id
WHERE v.id = 1
GROUP BY v.version, u.display_name
"""  # noqa: S608 - SQL of our own


def rows_of(ids: list, states: list, whens: list) -> dict[int, Row]:
    """A learner's rows from their aggregates (a learner with none: [None] each)."""
    return {
        pk: Row(state, when)
        for pk, state, when in zip(ids, states, whens, strict=True)
        if pk is not None
    }


def _read(sql: str, params: dict) -> LearnerState | None:
    # Should the content change between this read and the content's, read again: the
    # figures always belong to one version (after three tries the newest stands).
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        version, ids, states, whens, name = row
        if content_at(version).version == version:
            break
    return learner_state_from(version=version, rows=rows_of(ids, states, whens), name=name)


def learner_state(*, user) -> LearnerState:
    """The learner's completion of the roadmap and when they ticked each resource.
    Nothing here grows with the number of other learners."""
    return _read(BY_USER, {"user": user.pk})


def shared_state(*, token: str) -> LearnerState | None:
    """The state of the learner whose share link has `token`; None for a token that is
    unknown, regenerated away or disabled, or whose learner is deactivated."""
    return _read(BY_SHARE_TOKEN, {"token": token})
