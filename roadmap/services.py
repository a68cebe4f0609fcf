"""Writes to the roadmap's data. Views call these; nothing else writes progress."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NamedTuple, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from psycopg.errors import DeadlockDetected, UniqueViolation

from roadmap.content import Content, content_at, content_version
from roadmap.models import (
    Note,
    Part,
    Progress,
    Resource,
    Roadmap,
    ShareLink,
    Topic,
    VisitorProgress,
    Work,
    WorkJoin,
    WorkJoinEntry,
    content_writes_wait,
    new_share_token,
    url_key,
)
from roadmap.progress import (
    VISITOR,
    ProgressSummary,
    Row,
    Standing,
    visitor_rows,
    visitor_state,
)
from roadmap.roadmap_markdown import ParsedRoadmap
from roadmap.templatetags.markdown import markdown

T = TypeVar("T")

# The write, only if the content is still at the version the resource was looked up in
# and the resource still lists the work, and the ids of the learner's other works done
# and skipped, with the current version, in one statement: all a tick's answer shows is
# figures. Its SELECT sees the table as it was before the write, so this work is left out
# and added by its desired state, which is the state the write leaves.
# The resource's row is locked (FOR SHARE) while the write is made: a curator's save that
# points it at another work waits for the tick, or the tick for the save, and then sees
# the work it lists now (`listed`), so a tick never lands on a work no page shows.
PROGRESS_SET = """
WITH current AS (SELECT version FROM roadmap_content_version WHERE id = 1),
listed AS (SELECT work_id FROM roadmap_resource WHERE id = %(resource)s FOR SHARE),
written AS ({write})
SELECT current.version, (SELECT work_id FROM listed),
       array_agg(p.work_id) FILTER (WHERE p.state = 'done'),
       array_agg(p.work_id) FILTER (WHERE p.state = 'skipped')
FROM current
LEFT JOIN roadmap_progress p ON p.user_id = %(user)s AND p.work_id <> %(work)s
GROUP BY current.version
"""
# `completed_at` is when the row reached its state: kept as Progress.keeps_date says, for
# a learner's rows and a visitor's alike.
KEEP_DATE = (
    " ON CONFLICT ({owner}, work_id) DO UPDATE SET state = EXCLUDED.state,"
    " completed_at = CASE WHEN {table}.state = EXCLUDED.state"
    " OR ({table}.state <> 'in_progress' AND EXCLUDED.state <> 'in_progress')"
    " THEN {table}.completed_at ELSE EXCLUDED.completed_at END"
)
PROGRESS_STORE = PROGRESS_SET.format(
    write="INSERT INTO roadmap_progress (user_id, work_id, state, completed_at)"  # noqa: S608
    " SELECT %(user)s, %(work)s, %(state)s, %(now)s FROM current, listed"
    " WHERE version = %(version)s AND listed.work_id = %(work)s"
    + KEEP_DATE.format(owner="user_id", table="roadmap_progress")
)
# A visitor's, on the work the resource lists when its row is locked (FOR SHARE), for the
# same reason; their figures are counted against the content as it is now.
VISITOR_STORE = (
    "WITH listed AS (SELECT work_id FROM roadmap_resource WHERE id = %(resource)s FOR SHARE)"  # noqa: S608
    " INSERT INTO roadmap_visitorprogress (visitor, work_id, state, completed_at)"
    " SELECT %(visitor)s, work_id, %(state)s, %(now)s FROM listed"
    + KEEP_DATE.format(owner="visitor", table="roadmap_visitorprogress")
)
VISITOR_FORGET = (
    "DELETE FROM roadmap_visitorprogress WHERE visitor = %(visitor)s AND work_id ="
    " (SELECT work_id FROM roadmap_resource WHERE id = %(resource)s FOR SHARE)"
)
PROGRESS_FORGET = PROGRESS_SET.format(
    write="DELETE FROM roadmap_progress WHERE user_id = %(user)s AND work_id = %(work)s"
    " AND EXISTS (SELECT FROM current, listed"
    " WHERE version = %(version)s AND listed.work_id = %(work)s)"
)


class NotCounted(LookupError):
    """The resource does not count (any more): nothing to set."""


class ContentBusy(RuntimeError):
    """The content changed under every try of a tick: nothing was written."""


class NoteChanged(RuntimeError):
    """The note an editor showed is not the one there now (a curator gave the resource
    another URL, or joined another URL's note into it, or the learner saved it elsewhere):
    nothing was written."""


class NoteSeen(NamedTuple):
    """The note an editor showed: the work it was on, and `note_digest` of its text."""

    work: int
    digest: str


def note_digest(text: str | None) -> str:
    """A short name for a note's text ("" for no note), for an editor to say which it
    showed."""
    return "" if text is None else hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# How often a tick is tried on content that keeps changing under it.
TICK_TRIES = 3


def progress_set(
    *,
    user,
    resource: Resource,
    state: str | None = None,
    done: bool | None = None,
    content: Content | None = None,
) -> Standing:
    """Set `user`'s state of `resource`'s work, in every roadmap that lists it (one of
    Progress.State; `done=True` or `False` stands for done or not started); return where
    the learner stands.

    `content` is the content the resource was looked up in (by default the current
    one): each try writes only if it is still current, and otherwise looks the resource
    up again in the content as it now is and tries again, TICK_TRIES times at most
    (ContentBusy after that; NotCounted if the resource stopped counting). Sets the
    desired state rather than toggling, so a retried or doubled request cannot flip it
    back. Done or skipped again keeps the first completion date; concurrent requests
    meet at the unique constraint (INSERT ... ON CONFLICT), never in an IntegrityError.
    """
    if state is None:
        state = Progress.State.DONE if done else Progress.State.NOT_STARTED
    if content is None:
        content = content_at(content_version())
    key = str(resource.public_id)
    for _attempt in range(TICK_TRIES):
        standing = progress_write(user=user, resource=resource, state=state, content=content)
        if standing.read_at == content.version:  # written
            return standing
        content = standing.content  # it had moved on: nothing was written
        resource = content.by_public_id.get(key)
        if resource is None:
            raise NotCounted(key)
    raise ContentBusy(key)


def progress_write(*, user, resource: Resource, state: str, content: Content) -> Standing:
    """One try of `progress_set`: the write, if `content` is still current, and where
    the learner stands, in one statement (this is the hot write). If the answer's
    content is at another version (`read_at`), nothing was written."""
    parameters = {
        "user": user.pk,
        "resource": resource.pk,
        "work": resource.work_id,
        "state": state,
        "now": timezone.now(),
        "version": content.version,
    }
    statement = PROGRESS_FORGET if state == Progress.State.NOT_STARTED else PROGRESS_STORE
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)
        version, listed, done_ids, skipped_ids = cursor.fetchone()
    if listed != resource.work_id:  # re-pointed (or gone) meanwhile: nothing was written
        version = content_version()  # newer than `content`: looked up again there
    return _standing(version, done_ids or [], skipped_ids or [], resource.work_id, state)


def _standing(version: int, done: list, skipped: list, pk: int, state: str) -> Standing:
    """Figures of a learner whose other works are `done` and `skipped`, and `pk` in
    `state`."""
    content = content_at(version)
    if version == content.version:
        if state == Progress.State.DONE:
            done.append(pk)
        elif state == Progress.State.SKIPPED:
            skipped.append(pk)
    return Standing(
        content, ProgressSummary.of(content=content, done=done, skipped=skipped), version
    )


def visitor_of(session) -> str:
    """Who a visitor is, for what the site keeps of them (their states, a report of
    theirs): their session's key when they first kept something, made now if need be.
    It stays theirs when the session's key changes."""
    if VISITOR not in session:
        visitor_rows(session)  # a session from before rows: its states first
    if VISITOR not in session:
        if session.session_key is None:
            session.save()  # makes the key the rows are filed under
        session[VISITOR] = session.session_key
    return session[VISITOR]


def visitor_progress_set(*, session, resource: Resource, state: str, content: Content) -> Standing:
    """Set a visitor's state of `resource`'s work, as `progress_set` does a learner's (the
    completion date kept between done and skipped), in a row of its own: concurrent ticks
    never replace each other. A visitor's session is made (and its cookie sent) only for
    a state worth keeping: a tick to "not started" from a browser with none makes none."""
    if state == Progress.State.NOT_STARTED:
        if VISITOR in session:
            with connection.cursor() as cursor:
                parameters = {"visitor": session[VISITOR], "resource": resource.pk}
                cursor.execute(VISITOR_FORGET, parameters)
    else:
        parameters = {
            "visitor": visitor_of(session),
            "resource": resource.pk,
            "state": state,
            "now": timezone.now(),
        }
        with connection.cursor() as cursor:
            cursor.execute(VISITOR_STORE, parameters)
        # Saved again, so its expiry moves on: a visitor who keeps ticking keeps their
        # session (and the rows under it) as long as a learner keeps theirs.
        session.modified = True
    now = visitor_state(session=session, content=content)
    return Standing(now.content, now.progress, content.version)


@dataclass
class Merged:
    added: int  # states the account did not have
    kept: int  # works the account had a state of already: the account's stood
    works: frozenset[int] = frozenset()  # the works of the states added


@transaction.atomic
def progress_merge(*, user, rows: dict[int, Row]) -> Merged:
    """Add a visitor's states to the account they signed up or logged in to: the
    account's own state wins where both have one, and of two completion dates the earlier
    is kept."""
    ids = set(Work.objects.filter(pk__in=rows).values_list("pk", flat=True))
    existing = {
        row.work_id: row
        for row in Progress.objects.select_for_update().filter(user=user, work_id__in=ids)
    }
    added, earlier = [], []
    for pk in ids:
        state, since = rows[pk]
        when = datetime.fromtimestamp(since, UTC) if since is not None else timezone.now()
        mine = existing.get(pk)
        if mine is None:
            added.append(Progress(user=user, work_id=pk, state=state, completed_at=when))
        elif (
            {mine.state, state} <= Progress.COUNTED_STATES
            and mine.completed_at is not None
            and when < mine.completed_at
        ):
            mine.completed_at = when
            earlier.append(mine)
    with writing_as("keeping"):
        Progress.objects.bulk_create(added, ignore_conflicts=True)
    Progress.objects.bulk_update(earlier, ["completed_at"])
    return Merged(added=len(added), kept=len(existing), works=frozenset(r.work_id for r in added))


def visitor_progress_merge(*, user, session) -> Merged | None:
    """Move a visitor's states into the account they signed up or logged in to (see
    `progress_merge`), and forget them; None if they kept none. Should it fail, nothing
    is forgotten. Where open joins moved or met the visitor's rows, or met a work they
    have a row on, the two are merged where their states were before those joins, which
    are then made again for the learner: undoing one later leaves the learner what
    signing up alone would have (tests/test_joins_property.py)."""
    visitor_rows(session)  # a session from before rows: its states into rows first
    visitor = session.get(VISITOR, "")
    merged = tried_again(lambda: _visitor_progress_merge(user=user, visitor=visitor))
    session.pop(VISITOR, None)
    return merged


def tried_again(write: Callable[[], T], *, attempts: int = 3) -> T:
    """`write()` in a transaction of its own (a savepoint in another), tried again
    should another transaction's write meanwhile end it: a curator's join or undoing and
    a log-in, or a tick, taking the same rows the other way round (PostgreSQL ends one
    of two in a deadlock), or a row added where this one moves another (a learner's tick
    or note on the work their row is moving onto, which this one could not see yet).
    A fresh try sees the rows and their locks as they are now."""
    for _attempt in range(attempts - 1):
        try:
            with transaction.atomic():
                return write()
        except (OperationalError, IntegrityError) as error:
            if not isinstance(error.__cause__, DeadlockDetected | UniqueViolation):
                raise
    with transaction.atomic():
        return write()


def _visitor_progress_merge(*, user, visitor: str) -> Merged | None:
    if not visitor:
        return None
    with connection.cursor() as cursor:
        # One log-in to an account at a time: two browsers' at once would each move the
        # learner's rows where the other's does not see them yet.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [MERGE_LOCK, user.pk % 2**31])
    # The joins first, then the visitor's rows, then the learner's: as an undoing
    # takes them (services._work_join_undo), so that one waits for the other.
    joins = _joins_met(user=user, visitor=visitor)
    # What is merged is what is deleted, in one statement: a tick from another tab
    # meanwhile is either in it or stays, never deleted unmerged.
    with connection.cursor() as cursor:
        cursor.execute(VISITOR_ROWS_GO, [visitor])
        kept = [
            VisitorProgress(visitor=visitor, work_id=work, state=state, completed_at=when)
            for work, state, when in cursor.fetchall()
        ]
        cursor.execute(VISITOR_ENTRIES_GO, [visitor])
        entries = [
            WorkJoinEntry(
                join_id=join,
                kind=kind,
                visitor=visitor,
                moved=moved,
                before=before and json.loads(before),
                after=after and json.loads(after),
            )
            for join, kind, moved, before, after in cursor.fetchall()
        ]
    if not kept:
        return None
    stays: set[int] = set()
    if joins:
        kept, stays = _as_before_joins(joins, user=user, visitor_rows=kept, visitor_entries=entries)
    merged = progress_merge(
        user=user, rows={row.work_id: Row(row.state, row.completed_at.timestamp()) for row in kept}
    )
    with writing_as("curating"):
        for join in joins:  # the oldest first, as they were made
            if join.pk not in stays or {join.from_work_id, join.into_work_id} & merged.works:
                _states_join_again(join, user=user)
    return merged


# Log-ins to one account wait for each other on this lock (and the account's id).
MERGE_LOCK = 1_946_112_001
# A visitor's rows at log-in, and what joins named of them: deleted, and read as they go.
VISITOR_ROWS_GO = (
    "DELETE FROM roadmap_visitorprogress WHERE visitor = %s RETURNING work_id, state, completed_at"
)
VISITOR_ENTRIES_GO = (
    "DELETE FROM roadmap_workjoinentry WHERE visitor = %s"
    " RETURNING join_id, kind, moved, before::text, after::text"
)


def _joins_met(*, user, visitor: str) -> list[WorkJoin]:
    """The open joins of a visitor's states and of the learner's they log in to, locked,
    oldest first, if any named the visitor or met a work the visitor has a row on: their
    states would otherwise be merged where the joins put them, not where they were."""
    named = WorkJoinEntry.objects.filter(visitor=visitor).values("join_id")
    learners = WorkJoinEntry.objects.filter(user=user, kind=WorkJoinEntry.Kind.STATE)
    joins = WorkJoin.objects.open().filter(Q(pk__in=named) | Q(pk__in=learners.values("join_id")))
    theirs = VisitorProgress.objects.filter(visitor=visitor).values("work_id")
    met = Q(pk__in=named) | Q(from_work__in=theirs) | Q(into_work__in=theirs)
    if not joins.filter(met).exists():
        return []
    locked = joins.select_related("from_work", "into_work").select_for_update(of=("self",))
    return list(locked.order_by("pk"))


def _as_before_joins(
    joins: list[WorkJoin], *, user, visitor_rows: list, visitor_entries: list
) -> tuple[list[VisitorProgress], set[int]]:
    """The visitor's rows and the learner's as they would be had `joins` not been made,
    each taken back for these two alone, the newest first, so that their states are
    merged where they were. Returns the visitor's rows, and the joins that leave the
    learner's own rows as they are: where a row the join met changed since, or is gone
    (as undoing it would), or a row it moved cannot go back. Those are made again only
    for rows the visitor's states add."""
    works = {work for join in joins for work in (join.from_work_id, join.into_work_id)}
    mine = {
        row.work_id: row
        for row in Progress.objects.select_for_update().filter(user=user, work__in=works)
    }
    theirs = {row.work_id: row for row in visitor_rows}
    learners = list(
        WorkJoinEntry.objects.filter(join__in=joins, user=user, kind=WorkJoinEntry.Kind.STATE)
    )
    changed, stays = [], set()
    for join in reversed(joins):
        entries = [e for e in (*visitor_entries, *learners) if e.join_id == join.pk]
        for entry in sorted(entries, key=lambda entry: not entry.moved):
            if not entry.user_id:
                _taken_back(theirs, entry, join)
            elif join.into_work_id not in mine:  # gone since: a row moved, as if never
                if not entry.moved:
                    stays.add(join.pk)
            elif taken := _taken_back(mine, entry, join):
                changed += taken
            else:
                stays.add(join.pk)
    with writing_as("curating"):
        for row in changed:  # one at a time, in the order they moved
            row.save(update_fields=["work", "state", "completed_at"])
    return list(theirs.values()), stays


def _states_join_again(join: WorkJoin, *, user) -> None:
    """`join` made again for the learner's states alone (see `_visitor_progress_merge`)."""
    join.entries.filter(user=user, kind=WorkJoinEntry.Kind.STATE).delete()
    moved, met = _states_join(Progress, "user_id", join.from_work, join.into_work, user=user)
    entries = _entries(WorkJoinEntry.Kind.STATE, moved, met, _learner)
    for entry in entries:
        entry.join = join
    WorkJoinEntry.objects.bulk_create(entries)


class Cleared(NamedTuple):
    states: int
    notes: int


def progress_reset(
    *, user, part: Part | None = None, roadmap: Roadmap | None = None, notes: bool = False
) -> Cleared:
    """Clear `user`'s states of the works listed in `part`, or in `roadmap`, or of every
    work, and with `notes` their notes on them too; how many of each. A work
    is one thing in every roadmap: cleared here, it is cleared wherever it is listed. A
    part or a roadmap is what the learner sees counted of it: a listing only staff see
    (a draft), one no one sees (archived) or one to come must not clear a state the
    learner keeps elsewhere, or one that unarchiving would bring back."""
    rows = Progress.objects.filter(user=user)
    written = Note.objects.filter(user=user)
    if part is not None or roadmap is not None:
        listed = {"topic__part": part} if part is not None else {"topic__part__roadmap": roadmap}
        works = Work.objects.filter(resources__in=Resource.objects.counted().filter(**listed))
        rows = rows.filter(work__in=works)
        if notes:
            shown = notes_shown_on(user=user, works=works.values_list("pk", flat=True))
            written = written.filter(work__in=shown)
    with transaction.atomic():
        states, _ = rows.delete()
        gone, _ = written.delete() if notes else (0, None)
    return Cleared(states, gone)


def note_save(*, user, resource: Resource, text: str, seen: NoteSeen | None = None) -> Note | None:
    """Keep the learner's note on `resource`'s work (shown wherever it is listed),
    rendered once here; an empty one is deleted. Returns the note, or None when there is
    none any more. With `seen` (the note the editor showed), NoteChanged if the note there
    now is another: the text would replace one its learner has not seen."""
    with transaction.atomic():
        # The work the resource lists now, its row locked until the note is written: a
        # curator's save that re-points it meanwhile waits, or is waited for, so the note
        # never lands on a work no page shows (as a tick, PROGRESS_SET).
        listed = Resource.objects.select_for_update(no_key=True).filter(pk=resource.pk)
        work = listed.values_list("work_id", flat=True).first() or resource.work_id
        if seen is not None:
            there = Note.objects.filter(user=user, work=work).values_list("text", flat=True)
            if (work, note_digest(there.first())) != seen:
                raise NoteChanged
        if not text.strip():
            Note.objects.filter(
                user=user, work__in=notes_shown_on(user=user, works=[work])
            ).delete()
            return None
        # One statement, whether the learner had a note or not.
        (note,) = Note.objects.bulk_create(
            [Note(user=user, work_id=work, text=text, html=markdown(text))],
            update_conflicts=True,
            unique_fields=["user", "work"],
            update_fields=["text", "html", "updated_at"],
        )
    return note


def notes_shown_on(*, user, works: Iterable[int]) -> set[int]:
    """The works whose notes of `user`'s show on `works` (ids): those, and any whose note
    a join took into one of them (the note joined from stays on its own work, where no
    page shows it, for the join to be undone), however many joins led there, each made
    before the one after it. A join that moved the note leaves none behind, but leads on
    to what was joined into it before. Deleting a note deletes what it showed. The
    learner's open joins are read in one query, however many works."""
    found = set(works)
    entries = (
        WorkJoinEntry.objects.open()
        .filter(kind=WorkJoinEntry.Kind.NOTE, user=user)
        .values_list("join_id", "join__from_work_id", "join__into_work_id", "moved")
    )
    into: dict[int, list[tuple[int, int, bool]]] = {}
    for join_id, from_work, into_work, moved in entries:
        into.setdefault(into_work, []).append((join_id, from_work, moved))
    frontier: list[tuple[int, int | None]] = [(work, None) for work in found]
    while frontier:
        work, before = frontier.pop()
        # (Made before it: ids, not clocks, say which was first.)
        for join_id, from_work, moved in into.get(work, []):
            if before is None or join_id < before:
                if not moved:
                    found.add(from_work)
                frontier.append((from_work, join_id))
    return found


@dataclass
class JoinPlan:
    """A resource whose URL is corrected to one listed already, while it was the only
    listing of its own: the learners who have a state or note on each, and the visitors
    who have kept a state on each."""

    from_work: Work
    into_work: Work
    learners: int  # with a state or note on `from_work`
    learners_there: int  # on `into_work`
    visitors: int = 0  # with a state on `from_work`
    visitors_there: int = 0  # on `into_work`

    @property
    def who(self) -> str:
        """Who has a state or note on `from_work`, in words, with their verb: "1 learner
        has", "2 learners and 1 visitor have"."""
        return _people(self.learners, self.visitors, have=True)

    def __str__(self) -> str:
        whose = _people(self.learners, self.visitors, whose=True)
        there = _people(self.learners_there, self.visitors_there, have=True)
        return f"this joins {whose} states and notes into “{self.into_work}” (where {there} one)"


def _people(learners: int, visitors: int, *, whose: bool = False, have: bool = False) -> str:
    """Who, in words: "1 learner", "2 learners and 1 visitor", "no one"; with `whose`,
    "1 learner's", "2 learners' and 1 visitor's"; with `have`, followed by the verb as it
    agrees with them ("has", "have")."""
    said = [
        f"{n} {noun}{'s' if n != 1 else ''}" + (("'" if n != 1 else "'s") if whose else "")
        for n, noun in ((learners, "learner"), (visitors, "visitor"))
        if n
    ]
    words = " and ".join(said) or ("no one's" if whose else "no one")
    if have:
        words += " have" if learners + visitors > 1 else " has"
    return words


def _learners_on(work: Work) -> tuple[int, int]:
    """How many learners have a state or note on `work`, and how many visitors a state."""
    states = Progress.objects.filter(work=work).values("user")
    learners = Note.objects.filter(work=work).values("user").union(states).count()
    visitors = VisitorProgress.objects.filter(work=work).values("visitor").distinct().count()
    return learners, visitors


def work_join_plan(*, resource: Resource, url: str) -> JoinPlan | None:
    """What joining would mean if `resource` (saved) took `url`: None unless it is the
    only listing of its work, that work has learners' states or notes, and `url` is a
    work already (Work.for_resource then leaves the states where they are)."""
    if resource.pk is None or resource.work_id is None:
        return None
    key = url_key(url)
    into = Work.objects.filter(url_key=key).exclude(pk=resource.work_id).first()
    if (
        into is None
        or Resource.objects.filter(work=resource.work_id).exclude(pk=resource.pk).exists()
    ):
        return None
    current = Work.objects.get(pk=resource.work_id)
    learners, visitors = _learners_on(current)
    if not (learners or visitors):
        return None
    learners_there, visitors_there = _learners_on(into)
    return JoinPlan(current, into, learners, learners_there, visitors, visitors_there)


@dataclass
class TakePlan:
    """A resource whose URL is corrected to one no work has yet, while other resources
    list its old one too (set back, say, after another was given the URL it had been
    corrected to): the learners and visitors with a state or note on its work, and those
    other resources."""

    from_work: Work
    learners: int
    visitors: int
    others: list[Resource]

    @property
    def who(self) -> str:
        return _people(self.learners, self.visitors, have=True)

    @property
    def listed(self) -> str:
        return ", ".join(f"“{other.title}”" for other in self.others)

    def agreeing(self, one: str, more: str) -> str:
        """The verb that agrees with `listed`: "lists" for one, "list" for more."""
        return one if len(self.others) == 1 else more

    def __str__(self) -> str:
        whose = _people(self.learners, self.visitors, whose=True)
        keep = self.agreeing("keeps", "keep")
        return f"{whose} states and notes go with it to its new URL; {self.listed} {keep} the old one, with none"


def work_take_plan(*, resource: Resource, url: str) -> TakePlan | None:
    """What taking its learners' states along would mean if `resource` (saved) took
    `url`: None unless it sets back its own correction (its work moved from `url` with it,
    Work.for_resource), `url` is no work yet, and other resources list its work now, which
    has learners' states or notes (the save alone would leave them there, with those)."""
    if resource.pk is None or resource.work_id is None:
        return None
    key = url_key(url)
    current = Work.objects.get(pk=resource.work_id)
    if current.moved_by_id != resource.pk or current.moved_from != key:
        return None
    if Work.objects.filter(url_key=key).exists():
        return None
    others = list(Resource.objects.filter(work=current).exclude(pk=resource.pk))
    if not others:
        return None  # alone: its work takes the URL back, states and all
    learners, visitors = _learners_on(current)
    if not (learners or visitors):
        return None
    return TakePlan(current, learners, visitors, others)


@transaction.atomic
def work_take(*, resource: Resource, from_work: Work) -> bool:
    """After `resource` was given a URL no work had (its own new work now) and left
    `from_work`, which others list: give it `from_work` back, under its new URL, with
    every learner's and visitor's state and note on it (and their history), and give
    those others a work of their own under the old URL, with none. Two keys swapped and
    the listings pointed again, however many states. False, changing nothing, if either
    work changed meanwhile."""
    content_writes_wait()
    works = Work.objects.select_for_update(no_key=True)
    new = works.filter(pk=resource.work_id).first()
    old = works.filter(pk=from_work.pk).first()
    if (
        new is None
        or old is None
        or new.pk == old.pk
        or _learners_on(new) != (0, 0)
        or not Resource.objects.filter(work=old).exclude(pk=resource.pk).exists()
    ):
        return False
    new_key, old_key = new.url_key, old.url_key
    Resource.objects.filter(work=old).exclude(pk=resource.pk).update(work=new)
    Resource.objects.filter(pk=resource.pk).update(work=old)
    new.url_key = f"(taking {new.pk})"  # (no URL's key: each key is once at every moment)
    new.save(update_fields=["url_key"])
    old.url_key = new_key
    old.save(update_fields=["url_key"])
    new.url_key = old_key
    new.save(update_fields=["url_key"])
    resource.work = old
    return True


def work_join_undone_by(*, resource: Resource, url: str) -> WorkJoin | None:
    """The join that setting `resource`'s URL to `url` would undo (Resource.save): the
    one its own correction made of that URL's states."""
    work = Work.objects.filter(url_key=url_key(url)).first()
    if work is None or work.pk == resource.work_id:
        return None
    return (
        WorkJoin.objects.open()
        .undone_by(resource, work=work, before=resource.work_id)
        .select_related("from_work", "into_work")
        .first()
    )


@contextmanager
def writing_as(doing: Literal["curating", "keeping"]):
    """Say what the learners' states written meanwhile are, for a history of what learners
    did (the setting `roadmap.<doing>`, for this transaction at most): "curating", a
    curator's doing, not the learners' own, which it leaves out; "keeping", a visitor's
    states kept at sign-up, each set when its `completed_at` says, not now."""
    setting = f"roadmap.{doing}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [setting])
        yield
        cursor.execute("SELECT set_config(%s, '', true)", [setting])


@transaction.atomic
def work_join(*, from_work: Work, into_work: Work, resource: Resource | None = None) -> WorkJoin:
    """Join the learners' states and notes, and the visitors' states, on `from_work` into
    `into_work`, recording what it does so that `work_join_undo` can take it back. A
    learner (or visitor) with a row on one only: the row moves. On both: the state that
    `stands_over` the other is kept on `into_work`, and two notes are joined (the one
    there first); their rows on `from_work` stay as they were, where no resource shows
    them. `resource` is the one whose URL was corrected: setting its URL back undoes the
    join (Resource.save)."""
    with writing_as("curating"):
        return tried_again(lambda: _work_join(from_work, into_work, resource))


def _work_join(from_work: Work, into_work: Work, resource: Resource | None) -> WorkJoin:
    Kind = WorkJoinEntry.Kind
    # Visitors' rows, learners', notes: the order a log-in and an undoing take them in.
    visitors = _states_join(VisitorProgress, "visitor", from_work, into_work)
    entries = _entries(Kind.STATE, *visitors, _visitor)
    learners = _states_join(Progress, "user_id", from_work, into_work)
    entries += _entries(Kind.STATE, *learners, _learner)
    notes = Note.objects.select_for_update().filter(work__in=[from_work, into_work])
    written = {note.user_id: note for note in notes if note.work_id == from_work.pk}
    joined = [note for note in notes if note.work_id == into_work.pk and note.user_id in written]
    now, met = timezone.now(), {}
    for mine in joined:
        # What undoing needs and no more (the learner's text stays in their notes only):
        # how much of the note was there, and which text the join made of it.
        before = {"kept": len(mine.text), "updated_at": mine.updated_at.isoformat()}
        mine.text = f"{mine.text}{NOTES_JOINED}{written.pop(mine.user_id).text}"
        mine.html, mine.updated_at = markdown(mine.text), now
        met[mine] = {"before": before, "after": recorded(mine.text, of="note")}
    Note.objects.bulk_update(joined, ["text", "html", "updated_at"])
    Note.objects.filter(work=from_work, user__in=list(written)).update(work=into_work)
    entries += _entries(Kind.NOTE, list(written.values()), met, _learner)
    join = WorkJoin.objects.create(from_work=from_work, into_work=into_work, resource=resource)
    for entry in entries:
        entry.join = join
    WorkJoinEntry.objects.bulk_create(entries)
    return join


def _entries(kind: str, moved: list, met: dict, whose) -> list[WorkJoinEntry]:
    """A join's entries for the rows of `kind` it `moved`, and those it `met` (each with
    its values before and after), each row's owner named by `whose`."""
    return [WorkJoinEntry(kind=kind, moved=True, **whose(row)) for row in moved] + [
        WorkJoinEntry(kind=kind, moved=False, **whose(row), **values) for row, values in met.items()
    ]


def _learner(row) -> dict:
    return {"user_id": row.user_id}


def _visitor(row) -> dict:
    return {"visitor": row.visitor}


# Between a note and the note of the same learner joined into it.
NOTES_JOINED = "\n\n"


def recorded(value: str, *, of: str, secret: str | None = None) -> str:
    """`value` (a note's text: `of`) as a join's entry names it, signed one way with the
    site's secret: an entry never holds a learner's text."""
    return salted_hmac(f"roadmap.WorkJoin.{of}", value, secret=secret).hexdigest()[:32]


def recorded_names(value: str, *, of: str) -> set[str]:
    """Each name `value` may have in a record: with the site's secret, or one it had
    (SECRET_KEY_FALLBACKS), so that a join made before the secret changed is still
    undone whole."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return {recorded(value, of=of, secret=secret) for secret in secrets}


def _states_join(model, owner: str, from_work: Work, into_work: Work, **only) -> tuple[list, dict]:
    """The rows of `model` (Progress, or VisitorProgress; those `only` filters) on
    `from_work` moved to `into_work`, each owner's (`owner`, the field naming it) where
    they have none there; where they have, the one that `stands_over` the other is kept
    there, and the one on `from_work` stays. Returns the rows moved, and each row met
    with its values before and after."""
    rows = model.objects.select_for_update().filter(work__in=[from_work, into_work], **only)
    theirs = {getattr(row, owner): row for row in rows if row.work_id == from_work.pk}
    met = [row for row in rows if row.work_id == into_work.pk and getattr(row, owner) in theirs]
    changes = {}
    for mine in met:
        other = theirs.pop(getattr(mine, owner))
        before = _values(mine)
        if other.stands_over(mine):
            mine.state, mine.completed_at = other.state, other.completed_at
        changes[mine] = {"before": before, "after": _values(mine)}
    model.objects.bulk_update(met, ["state", "completed_at"])
    moved = list(theirs.values())
    model.objects.filter(pk__in=[row.pk for row in moved]).update(work=into_work)
    return moved, changes


def _values(row) -> list:
    return [row.state, row.completed_at and row.completed_at.isoformat()]


@transaction.atomic
def work_join_undo(*, join: WorkJoin) -> None:
    """Take a join back: rows that moved go back (with any change made since); rows they
    met get their values from before the join, unless their learner changed them since.
    Not while a later join into the same work is open (ValidationError, saying which):
    that one is to be undone first. (Locked first: a log-in replaying it for a learner
    meanwhile is done, or waits.)"""
    join = WorkJoin.objects.open().select_for_update().filter(pk=join.pk).first()
    if join is None:  # undone meanwhile
        return
    refused = work_join_undo_refused(join=join)
    if refused:
        raise ValidationError({"url": refused})
    with writing_as("curating"):
        tried_again(lambda: _work_join_undo(join))


def work_join_undo_refused(*, join: WorkJoin) -> str:
    """Why `join` cannot be undone yet, for a curator; "" if it can. (Call it in a
    transaction: the answer holds until it ends, as no curator's write, and so no join
    of a URL corrected meanwhile, comes between: as between admin's check of a form and
    its save.)"""
    content_writes_wait()
    later = join.joined_into_since()
    if later is None:
        return ""
    since = f"“{later.resource.title}”" if later.resource else f"the URL of “{later.from_work}”"
    return (
        f"Setting this URL back would undo the join of learners' states into"
        f" “{join.into_work}”, but those of {since} were joined into it since: set"
        f" {'its' if later.resource else 'that'} URL back first, then this one."
    )


def _taken_back(rows: dict, entry: WorkJoinEntry, join: WorkJoin) -> list:
    """One owner's rows on `join`'s two works (by work), with their `entry` taken back:
    the row it moved goes back, with any change made since (unless they have one there
    again); the row it met gets its values from before, unless changed since. The rows
    it changed."""
    row = rows.get(join.into_work_id)
    if row is None:
        return []
    if entry.moved:
        if join.from_work_id in rows:
            return []
        row.work_id = join.from_work_id
        rows[join.from_work_id] = rows.pop(join.into_work_id)
    elif _values(row) == entry.after:
        row.state, when = entry.before
        row.completed_at = when and datetime.fromisoformat(when)
    else:
        return []
    return [row]


def _work_join_undo(join: WorkJoin) -> None:
    Kind = WorkJoinEntry.Kind
    entries = sorted(join.entries.all(), key=lambda entry: not entry.moved)  # moved first
    back = {"work__in": [join.from_work_id, join.into_work_id]}
    # Visitors' rows, learners', notes: the order a log-in and a join take them in.
    visitors = list(VisitorProgress.objects.select_for_update().filter(**back))
    learners = list(Progress.objects.select_for_update().filter(**back))
    list(Note.objects.select_for_update().filter(**back))
    for model, owner, locked in (
        (Progress, "user_id", learners),
        (VisitorProgress, "visitor", visitors),
    ):
        rows: dict = {}  # each owner's, by work
        for row in locked:
            rows.setdefault(getattr(row, owner), {})[row.work_id] = row
        changed = []
        for entry in entries:
            whose = getattr(entry, owner)
            if entry.kind == Kind.STATE and whose:
                changed += _taken_back(rows.get(whose, {}), entry, join)
        model.objects.bulk_update(changed, ["work", "state", "completed_at"])
    notes_moved = [e.user_id for e in entries if e.kind == Kind.NOTE and e.moved]
    already = Note.objects.filter(work=join.from_work_id).values("user")
    Note.objects.filter(work=join.into_work_id, user__in=notes_moved).exclude(
        user__in=already
    ).update(work=join.from_work_id)
    notes_met = {e.user_id: e for e in entries if e.kind == Kind.NOTE and not e.moved}
    for note in Note.objects.filter(work=join.into_work_id, user__in=notes_met):
        # As the join made it: then as it was before, down to when it was written (an
        # update, not a save). (An entry without what the join made of it cannot tell:
        # the note stays.)
        entry = notes_met[note.user_id]
        if entry.after not in recorded_names(note.text, of="note"):
            continue
        kept = note.text[: entry.before["kept"]]
        Note.objects.filter(pk=note.pk).update(
            text=kept,
            html=markdown(kept),
            updated_at=datetime.fromisoformat(entry.before["updated_at"]),
        )
    join.undone_at = timezone.now()
    join.save(update_fields=["undone_at"])


def share_link_enable(*, user) -> ShareLink:
    """Turn sharing on; if it is on already, keep the link the learner has."""
    link, _ = ShareLink.objects.get_or_create(user=user)
    return link


@transaction.atomic
def share_link_regenerate(*, user) -> ShareLink:
    """Give the learner a new link; the old one stops working at once."""
    link, created = ShareLink.objects.select_for_update().get_or_create(user=user)
    if not created:
        link.token = new_share_token()
        link.save(update_fields=["token", "created_at"])
    return link


def share_link_disable(*, user) -> None:
    """Turn sharing off: the link is forgotten and answers 404 from now on."""
    ShareLink.objects.filter(user=user).delete()


def order_settled(items: list, moved: Iterable[tuple] = ()) -> list:
    """Siblings in the order their orders put them. Of those that tie, each of `moved`
    (an item a curator just gave its order, with the order it had: None if it is new
    there) takes the place they typed: before the others when it came from further down
    or from elsewhere, after them when it came from further up."""
    moved = list(moved)

    def tie(item) -> int:
        for placed, was in moved:
            if item is placed or (item.pk is not None and item.pk == placed.pk):
                return 1 if was is not None and (item.order or 0) > was else -1
        return 0

    return sorted(items, key=lambda item: (item.order or 0, tie(item), item.pk or 0))


def order_renumber(*, items: list, moved: Iterable[tuple] = ()) -> None:
    """Number siblings 1..n as `order_settled` ranks them. Saves only the rows whose
    order changed."""
    changed = []
    for position, item in enumerate(order_settled(items, moved), start=1):
        if item.order != position:
            item.order = position
            changed.append(item)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["order"])


@transaction.atomic
def resource_status_set(*, resources, status: str) -> int:
    """Publish, unpublish, archive or unarchive resources. Progress rows are never
    touched: an archived resource leaves the totals and comes back with its ticks."""
    return Resource.objects.filter(pk__in=[r.pk for r in resources]).update(status=status)


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.archived} archived"
        )


@dataclass
class Planned:
    """One row of what an import writes, for the preview: a part, topic or resource, what
    happens to it ("create", "update", "keep") and, for a part or topic, what is in it."""

    title: str
    action: str
    url: str = ""
    kind: str = ""
    line: int = 0
    rows: list[Planned] = field(default_factory=list)


@dataclass
class ImportReport:
    parts: ImportCounts = field(default_factory=ImportCounts)
    topics: ImportCounts = field(default_factory=ImportCounts)
    resources: ImportCounts = field(default_factory=ImportCounts)
    missing: list[Resource] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    outline: list[Planned] = field(default_factory=list)
    linked: int = 0  # new resources whose URL another roadmap lists
    dry_run: bool = False

    def lines(self) -> list[str]:
        lines = [
            f"Parts: {self.parts}",
            f"Topics: {self.topics}",
            f"Resources: {self.resources}",
        ]
        if self.linked:
            lines.append(
                f"{self.linked} of the new resources are listed in another roadmap too:"
                " learners' states there show here."
            )
        if self.missing:
            verb = "archived" if self.resources.archived else "left as they are"
            lines.append(f"Not in the file ({verb}):")
            lines += [f"  - {r.title} <{r.url}>" for r in self.missing]
        if self.dry_run:
            lines.append("Dry run: nothing was changed.")
        return lines


class ImportRefused(ValueError):
    """An import that would overwrite what the curator did not name."""


def _update(instance, *, values: dict, counts: ImportCounts, report, label) -> list[str]:
    """Set on an existing row what the file changes of it (not saved); count it, and
    name the fields changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        counts.updated += 1
        report.changes.append(f"update {label}: {', '.join(changed)}")
    else:
        counts.unchanged += 1
    return changed


def _upsert(model, *, existing, lookup: dict, values: dict, counts: ImportCounts, report, label):
    """Create or update one row from the file; count what happened."""
    if existing is None:
        instance = model(**lookup, **values)
        instance.save()
        counts.created += 1
        report.changes.append(f"create {label}")
        return instance, "create"
    if _update(existing, values=values, counts=counts, report=report, label=label):
        existing.save()
        return existing, "update"
    return existing, "keep"


def _renumber_placed_first(siblings, placed: set) -> None:
    """After an import: what the file placed comes first, in the file's order; the rest
    keep their relative order after it."""
    items = list(siblings)
    for item in items:
        if item not in placed:
            item.order += 1_000_000
    order_renumber(items=items)


def _import_target(*, document: ParsedRoadmap, slug: str | None) -> Roadmap:
    """The roadmap `slug` (locked), else the first one, else a new one (unsaved). Into
    the first one only a file with its title: a list with another title, or none, may be
    meant for another roadmap, and the curator is asked which."""
    roadmaps = Roadmap.objects.select_for_update()
    roadmap = roadmaps.filter(slug=slug).first() if slug else roadmaps.main()
    if roadmap is None:
        title = document.title or (slug.replace("-", " ").capitalize() if slug else "")
        title = title or "Deep Learning Roadmap"
        roadmap = Roadmap(slug=slug or slugify(title)[:100] or "roadmap", title=title)
        roadmap.order = (Roadmap.objects.aggregate(last=Max("order"))["last"] or 0) + 1
    elif slug is None and document.title != roadmap.title:
        file = (
            f"The file's title, “{document.title}”, is not the first roadmap's"
            if document.title
            else "The file has no title (a # heading) to match the first roadmap's"
        )
        raise ImportRefused(
            f"{file}, “{roadmap.title}”: say which roadmap to import it into (its slug, or"
            " a new slug for a new roadmap)."
        )
    return roadmap


@transaction.atomic
def roadmap_import(
    *,
    document: ParsedRoadmap,
    slug: str | None = None,
    publish: bool = False,
    archive_missing: bool = False,
    dry_run: bool = False,
    say: Callable[[str], None] | None = None,
) -> ImportReport:
    """Upsert the roadmap `slug` (by default the first one, see `_import_target`) from
    its Markdown: parts by slug, topics by slug within their part, resources by URL (as
    `url_key` compares them) within the roadmap; a new resource whose URL another roadmap
    lists shares its work, so learners' states follow it. A roadmap that does not exist
    is created, as a draft unless `publish`; `publish` also publishes one that does.
    Nothing is deleted; resources missing from the file are reported, and archived only
    with `archive_missing`, which also publishes again an archived one the file lists.
    One transaction: a dry run rolls it all back. `say`, if given,
    is told each part as it is written."""
    report = ImportReport(dry_run=dry_run)
    roadmap = _import_target(document=document, slug=slug)
    if publish and roadmap.status != Roadmap.Status.PUBLISHED:
        if roadmap.pk is not None:
            report.changes.append(f"publish roadmap {roadmap.title} ({roadmap.slug})")
        roadmap.status = Roadmap.Status.PUBLISHED
    if roadmap.pk is None:
        report.changes.append(f"create roadmap {roadmap.title} ({roadmap.slug}, {roadmap.status})")
    elif document.title and document.title != roadmap.title:
        report.changes.append(f"retitle roadmap {roadmap.title} as {document.title}")
    roadmap.title = document.title or roadmap.title
    if document.title or document.introduction:
        roadmap.introduction = document.introduction
    roadmap.save()

    parts = {p.slug: p for p in roadmap.parts.all()}
    listed = Resource.objects.filter(topic__part__roadmap=roadmap)
    resources = {url_key(r.url): r for r in listed}
    exported = set(listed.exported())  # what "missing from the file" can be said of
    placed: set = set()  # every row the file placed
    touched_topics: set[int] = set()
    created: list[Resource] = []
    updated: dict[Resource, None] = {}
    updated_fields: set[str] = set()
    for part_index, parsed_part in enumerate(document.parts, start=1):
        part, action = _upsert(
            Part,
            existing=parts.get(parsed_part.slug),
            lookup={"roadmap": roadmap, "slug": parsed_part.slug},
            values={
                "title": parsed_part.title,
                "summary": parsed_part.summary,
                "status": parsed_part.status,
                "order": part_index,
            },
            counts=report.parts,
            report=report,
            label=f"part {parsed_part.title}",
        )
        part_plan = Planned(parsed_part.title, action, line=parsed_part.line)
        report.outline.append(part_plan)
        created_before = len(created)
        topics = {t.slug: t for t in part.topics.all()}
        for topic_index, parsed_topic in enumerate(parsed_part.topics, start=1):
            topic, action = _upsert(
                Topic,
                existing=topics.get(parsed_topic.slug),
                lookup={"part": part, "slug": parsed_topic.slug},
                values={
                    "title": parsed_topic.title,
                    "summary": parsed_topic.summary,
                    "order": topic_index,
                },
                counts=report.topics,
                report=report,
                label=f"topic {parsed_topic.title}",
            )
            topic_plan = Planned(parsed_topic.title, action, line=parsed_topic.line)
            part_plan.rows.append(topic_plan)
            touched_topics.add(topic.pk)
            for resource_index, parsed in enumerate(parsed_topic.resources, start=1):
                resource = resources.get(url_key(parsed.url))
                values = {
                    "topic_id": topic.pk,
                    "url": parsed.url,  # as the file spells it: the same url_key, one work
                    "title": parsed.title,
                    "description": parsed.description,
                    "order": resource_index,
                    **parsed.details,
                }
                if resource is None:
                    resource = Resource(
                        **values
                        | {"kind": parsed.kind, "level": parsed.level, "cost": parsed.cost},
                        status=Resource.Status.PUBLISHED,
                    )
                    created.append(resource)
                    report.resources.created += 1
                    report.changes.append(f"create resource {parsed.title}")
                    action = "create"
                else:
                    touched_topics.add(resource.topic_id)
                    if archive_missing and resource.status == Resource.Status.ARCHIVED:
                        # The file says what is listed (it archives what it leaves out):
                        # listed again, it is back, with every learner's state on it. A
                        # draft stays one; without `archive_missing` status is admin's.
                        values["status"] = Resource.Status.PUBLISHED
                    changed = _update(
                        resource,
                        values=values,
                        counts=report.resources,
                        report=report,
                        label=f"resource {parsed.title}",
                    )
                    if changed:
                        updated[resource] = None
                        updated_fields.update(changed)
                    action = "update" if changed else "keep"
                    placed.add(resource)
                topic_plan.rows.append(
                    Planned(
                        parsed.title, action, url=parsed.url, kind=resource.kind, line=parsed.line
                    )
                )
            placed.add(topic)
        # Written a part at a time, in bulk: `bulk_create` gives each its work.
        Resource.objects.bulk_create(created[created_before:], batch_size=1000)
        placed.update(created[created_before:])
        _renumber_placed_first(part.topics.all(), placed)
        placed.add(part)
        if say is not None:
            count = sum(len(t.rows) for t in part_plan.rows)
            say(
                f"Part {parsed_part.title}: {len(part_plan.rows)} topics, {count} resources"
                f" ({len(created) - created_before} new)"
            )
    if updated:
        Resource.objects.bulk_update(updated, sorted(updated_fields), batch_size=1000)
    _renumber_placed_first(roadmap.parts.all(), placed)
    for topic in Topic.objects.filter(pk__in=touched_topics).prefetch_related("resources"):
        _renumber_placed_first(topic.resources.all(), placed)
    report.linked = (
        Resource.objects.filter(work__in=[r.work_id for r in created])
        .exclude(topic__part__roadmap=roadmap)
        .values("work")
        .distinct()
        .count()
        if created
        else 0
    )

    report.missing = [r for r in resources.values() if r not in placed and r in exported]
    if archive_missing and report.missing:
        report.resources.archived = resource_status_set(
            resources=report.missing, status=Resource.Status.ARCHIVED
        )
    if dry_run:
        transaction.set_rollback(True)
    return report
