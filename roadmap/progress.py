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

    @property
    def percent(self) -> int:
        """Whole percent, rounded down: 2 of 3 is 66, and only all of them is 100."""
        return self.done * 100 // self.total if self.total else 0


NOTHING = Completion()


@dataclass(frozen=True)
class ProgressSummary:
    """Completion overall, per part and per topic."""

    overall: Completion
    parts: dict[int, Completion]
    topics: dict[int, Completion]

    @classmethod
    def of(cls, *, content: Content, done: set[int]) -> ProgressSummary:
        """For a learner who has done the resources `done` (ids): what counts of them."""
        in_topic: dict[int, int] = defaultdict(int)
        in_part: dict[int, int] = defaultdict(int)
        overall, counted_in = 0, content.counted_in
        for pk in done:
            where = counted_in.get(pk)
            if where is not None:
                overall += 1
                in_topic[where[0]] += 1
                in_part[where[1]] += 1
        return cls(
            overall=Completion(overall, content.overall_total),
            parts={p: Completion(in_part[p], total) for p, total in content.part_totals.items()},
            topics={t: Completion(in_topic[t], total) for t, total in content.topic_totals.items()},
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
    done: dict[str, float]  # public id of each resource done: when, as a POSIX timestamp
    name: str = ""  # the learner's display name, when read through a share link
    read_at: int = 0  # the content version the rows were read at (`content` may be newer)

    @property
    def states(self) -> dict[str, str]:
        """Each resource's state, by public id, for `Rendering.fill`."""
        return dict.fromkeys(self.done, Progress.State.DONE)


def learner_state_from(*, version: int, done: dict[int, float], name: str = "") -> LearnerState:
    """The state of a learner who has done `done` (resource id: when), at `version`."""
    content = content_at(version)
    known = content.public_ids
    return LearnerState(
        content=content,
        progress=ProgressSummary.of(content=content, done=done.keys()),
        done={known[pk]: when for pk, when in done.items() if pk in known},
        name=name,
        read_at=version,
    )


# The content version with the learner's rows, in one round trip and one row, so the rows
# are counted against the content of their version. From the covering (user, resource)
# index alone; dates as numbers, which load faster.
# (The tick's statement reads them the same way: roadmap/services.py.)
LEARNER_ROWS = "array_agg(p.resource_id), array_agg(extract(epoch FROM p.completed_at)::float8)"
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


def rows_done(ids: list, whens: list) -> dict[int, float]:
    """The aggregated rows of a learner, as resource id: when (none done: [None])."""
    return {pk: when for pk, when in zip(ids, whens, strict=True) if pk is not None}


def _read(sql: str, params: dict) -> LearnerState | None:
    # Should the content change between this read and the content's, read again: the
    # figures always belong to one version (after three tries the newest stands).
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        version, ids, whens, name = row
        if content_at(version).version == version:
            break
    return learner_state_from(version=version, done=rows_done(ids, whens), name=name)


def learner_state(*, user) -> LearnerState:
    """The learner's completion of the roadmap and when they ticked each resource.
    Nothing here grows with the number of other learners."""
    return _read(BY_USER, {"user": user.pk})


def shared_state(*, token: str) -> LearnerState | None:
    """The state of the learner whose share link has `token`; None for a token that is
    unknown, regenerated away or disabled, or whose learner is deactivated."""
    return _read(BY_SHARE_TOKEN, {"token": token})
