"""A learner's completion of the roadmap: exact integer percentages, counted from the
learner's rows against the content snapshot (roadmap/content.py), where the rule for
what counts (`Resource.objects.counted()`) has already been applied."""

from __future__ import annotations

import hashlib
import pickle
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from itertools import chain
from typing import NamedTuple

from django.db import connection

from roadmap.content import ROADMAP, Content, RoadmapContent, content_at, content_version
from roadmap.models import Progress, Resource, VisitorProgress, Work


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
    """Completion of each roadmap, part and topic: how many works count in each, how many
    of them are done and how many skipped, by (scope, id) (roadmap/content.py); a
    `Completion` is made only for the figures a page asks for."""

    totals: Counter
    done: Counter
    skipped: Counter

    @classmethod
    def of(cls, *, content: Content, done: Iterable[int], skipped: Iterable[int] = ()):
        """For a learner who has done the works `done` and skipped `skipped` (ids): what
        counts of them in each roadmap, part and topic that lists them."""
        counted_in = content.counted_in

        def tally(ids: Iterable[int]) -> Counter:
            return Counter(chain.from_iterable(counted_in.get(pk, ()) for pk in ids))

        return cls(content.totals, tally(done), tally(skipped))

    def get(self, key: str) -> Completion:
        """By the key a page's progress bar has: "roadmap-<id>", "part-<id>" or
        "topic-<id>"."""
        scope, _, pk = key.partition("-")
        where = (scope, int(pk))
        total = self.totals.get(where)
        if total is None:
            return NOTHING
        return Completion(self.done[where], total, self.skipped[where])


EMPTY = ProgressSummary(Counter(), Counter(), Counter())


@dataclass(frozen=True)
class LearnerState:
    """Where one learner stands, at one content version."""

    content: Content
    progress: ProgressSummary
    rows: dict[int, str]  # each work started: its state
    name: str = ""  # the learner's display name, when read through a share link
    read_at: int = 0  # the content version the rows were read at (`content` may be newer)
    whens: tuple[dict[int, int], list] = ({}, [])  # for `since`: where each is, the times

    def states_of(self, resources) -> dict[str, str]:
        """Public id of each of `resources` whose work the learner has started: its
        state."""
        rows = self.rows
        return {str(r.public_id): rows[r.work_id] for r in resources if r.work_id in rows}

    def states_in(self, listed: RoadmapContent) -> dict[str, str]:
        """Public id of each resource of the roadmap `listed` whose work the learner has
        started: its state."""
        listings = listed.listings
        return {
            key: state
            for work, state in self.rows.items()
            if work in listings
            for key in listings[work]
        }

    def roadmaps_started(self) -> list[RoadmapContent]:
        """The published roadmaps the learner has started, in order; before they start
        any, the first: what their dashboard, share page and weekly summary show."""
        published = self.content.published
        return [listed for listed in published if listed.roadmap.pk in self.started] or published[
            :1
        ]

    def hours_left(self, listed: RoadmapContent) -> Decimal | None:
        """The estimated hours of what the learner has not done or skipped in `listed`;
        None unless each of its resources has an estimate."""
        if listed.hours is None:
            return None
        counted = Progress.COUNTED_STATES
        return sum(
            (h for work, h in listed.hours.items() if self.rows.get(work) not in counted),
            Decimal(0),
        )

    def next_up(self, listed: RoadmapContent) -> Resource | None:
        """The first resource of `listed`, in reading order, the learner has not started."""
        return next((r for r in listed.counted.values() if r.work_id not in self.rows), None)

    @cached_property
    def started(self) -> set[int]:
        """The roadmaps (ids) that count a work this learner has any state of."""
        counted_in = self.content.counted_in
        return {
            pk for work in self.rows for scope, pk in counted_in.get(work, ()) if scope == ROADMAP
        }

    @cached_property
    def fingerprint(self) -> str:
        """All the learner's standing is made of (the content's version, each work's state
        and since when), as a short digest: what a piece of a page kept for this learner is
        named by, so that it is never shown once any of it has changed."""
        where, times = self.whens
        rows = sorted((work, state, times[where[work]]) for work, state in self.rows.items())
        # (Pickled, not repr'd, to be digested: for 2,000 rows 0.7 ms against 2.4.)
        made_of = pickle.dumps((self.content.version, rows), protocol=5)
        return hashlib.blake2b(made_of, digest_size=16).hexdigest()

    @cached_property
    def since(self) -> dict[int, float]:
        """Each work started: since when it is in its state (POSIX time); for done and
        skipped, when it was completed (kept between the two). Only the pages that show
        dates ask, so only they pay for it."""
        where, times = self.whens
        return {work: times[i] for work, i in where.items() if times[i] is not None}


class Row(NamedTuple):
    state: str
    completed_at: float | None


def learner_state_from(
    *, version: int, ids: list, states: list, whens: list, name: str = ""
) -> LearnerState:
    """The state of a learner whose rows are `ids`, `states` and `whens` (work ids, their
    states and since when, in step), at `version`."""
    content = content_at(version)
    listings = content.listings
    rows, where, done, skipped = {}, {}, [], []
    for i, (pk, state) in enumerate(zip(ids, states, strict=True)):
        if pk not in listings:  # a work no resource lists now (or none: [None])
            continue
        rows[pk], where[pk] = state, i
        if state == Progress.State.DONE:
            done.append(pk)
        elif state == Progress.State.SKIPPED:
            skipped.append(pk)
    return LearnerState(
        content=content,
        progress=ProgressSummary.of(content=content, done=done, skipped=skipped),
        rows=rows,
        name=name,
        read_at=version,
        whens=(where, whens),
    )


# The content version with the learner's rows, in one round trip and one row, so the rows
# are counted against the content of their version. From the covering (user, work)
# index alone; dates as numbers, which load faster.
# (The tick's statement reads them the same way: roadmap/services.py.)
LEARNER_ROWS = (
    "array_agg(p.work_id), array_agg(p.state),"
    " array_agg(extract(epoch FROM p.completed_at)::float8)"
)
BY_USER = f"""
SELECT v.version, {LEARNER_ROWS}, ''
FROM roadmap_content_version v
LEFT JOIN roadmap_progress p ON p.user_id = %(user)s
WHERE v.id = 1
GROUP BY v.version
"""  # noqa: S608 - SQL of our own
# The same for many learners, one row each, with their id.
BY_USERS = f"""
SELECT v.version, {LEARNER_ROWS}, '', u.id
FROM roadmap_content_version v
CROSS JOIN unnest(%(users)s::bigint[]) AS u(id)
LEFT JOIN roadmap_progress p ON p.user_id = u.id
WHERE v.id = 1
GROUP BY v.version, u.id
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


# A visitor's states are rows (VisitorProgress) filed under the key their session had
# when they first kept one, kept in the session's data under VISITOR: the key changes at
# log-in, the data stays, so the merge finds them.
VISITOR = "visitor"
# Before rows, the states were kept in the session's data: by work, and before works by
# resource id. Read once into rows (roadmap/services.py, visitor_rows_carry_over).
VISITOR_ROWS = "visitor_works"
VISITOR_RESOURCE_ROWS = "visitor_progress"


def has_visitor_rows(session) -> bool:
    return VISITOR in session or VISITOR_ROWS in session or VISITOR_RESOURCE_ROWS in session


def visitor_rows(session) -> dict[int, Row]:
    """A visitor's rows (nothing read when they have kept none)."""
    if VISITOR_ROWS in session or VISITOR_RESOURCE_ROWS in session:
        _carry_over(session)
    key = session.get(VISITOR)
    if key is None:
        return {}
    rows = VisitorProgress.objects.filter(visitor=key).values_list("work", "state", "completed_at")
    return {work: Row(state, when.timestamp()) for work, state, when in rows}


def _carry_over(session) -> None:
    """States a session kept in its data before rows: into rows, once."""
    kept = {int(pk): row for pk, row in session.pop(VISITOR_ROWS, {}).items()}
    by_resource = session.pop(VISITOR_RESOURCE_ROWS, {})
    works = Resource.objects.filter(pk__in=[int(pk) for pk in by_resource])
    for pk, work in works.values_list("pk", "work_id"):
        kept.setdefault(work, by_resource[str(pk)])
    key = session.setdefault(VISITOR, session.session_key)
    existing = set(Work.objects.filter(pk__in=kept).values_list("pk", flat=True))
    VisitorProgress.objects.bulk_create(
        [
            VisitorProgress(
                visitor=key,
                work_id=work,
                state=state,
                completed_at=datetime.fromtimestamp(since, UTC),
            )
            for work, (state, since) in kept.items()
            if work in existing and state in Progress.STORED_STATES and since is not None
        ],
        ignore_conflicts=True,  # a row for it already, or a work gone: the row stands
    )


def visitor_state(*, session, content: Content) -> LearnerState:
    """Where a visitor stands, from the states they kept."""
    rows = visitor_rows(session)
    return learner_state_from(
        version=content.version,
        ids=list(rows),
        states=[row.state for row in rows.values()],
        whens=[row.completed_at for row in rows.values()],
    )


class Standing(NamedTuple):
    """Where a learner stands right after a change of one state: their figures (no more,
    since that is all a tick's answer shows), at `read_at`, the version the change was
    made at (see services.progress_set)."""

    content: Content
    progress: ProgressSummary
    read_at: int


def _read(sql: str, params: dict) -> list[tuple[LearnerState, tuple]]:
    # Should the content change between this read and the content's, read again: the
    # figures always belong to one version (after three tries the newest stands).
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows or content_at(rows[0][0]).version == rows[0][0]:
            break
    return [
        (learner_state_from(version=version, ids=ids, states=states, whens=whens, name=name), rest)
        for version, ids, states, whens, name, *rest in rows
    ]


def learner_state(*, user) -> LearnerState:
    """The learner's completion of every roadmap and when they ticked each work.
    Nothing here grows with the number of other learners."""
    [(state, _)] = _read(BY_USER, {"user": user.pk})
    return state


def learner_states(*, users: list) -> dict[int, LearnerState]:
    """`learner_state` of each of `users`, by id, in one query (for work over many
    learners: the weekly summaries)."""
    return {pk: state for state, (pk,) in _read(BY_USERS, {"users": [u.pk for u in users]})}


def shared_state(*, token: str) -> LearnerState | None:
    """The state of the learner whose share link has `token`; None for a token that is
    unknown, regenerated away or disabled, or whose learner is deactivated."""
    found = _read(BY_SHARE_TOKEN, {"token": token})
    return found[0][0] if found else None


def viewer_state(request) -> LearnerState:
    """Where the viewer of `request` stands: a learner's rows, or a visitor's from their
    session. Read once a request: a page's figures and its navigation's are one read."""
    state = getattr(request, "viewer_state", None)
    if state is None:
        if request.user.is_authenticated:
            state = learner_state(user=request.user)
        else:
            content = content_at(content_version())
            state = visitor_state(session=request.session, content=content)
        request.viewer_state = state
    return state


def navigation_state(request) -> LearnerState | None:
    """The viewer's own state, as the navigation shows it; None (and nothing read) for a
    visitor who has kept no state."""
    if not request.user.is_authenticated and not has_visitor_rows(request.session):
        return None
    return viewer_state(request)


def navigation_progress(request) -> ProgressSummary:
    """The viewer's own figures, as the navigation shows them."""
    state = navigation_state(request)
    return state.progress if state is not None else EMPTY
