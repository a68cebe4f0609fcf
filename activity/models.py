"""A learner's history: every change of their state of a work, appended as it is written
and never changed, with the day it was in their own time zone then; and the weekly
summaries sent to them."""

from datetime import date, datetime

from django.conf import settings
from django.db import connection, models

from roadmap.models import Progress, Work

STATES = Progress.State.choices


def along(state: str) -> int:
    """How far along a state is: not started, in progress, then done or skipped (as far
    as each other: both count toward progress)."""
    if state in Progress.COUNTED_STATES:
        return 2
    return 1 if state == Progress.State.IN_PROGRESS else 0


class Event(models.Model):
    """One change of a learner's state of a work. Written by the database in the
    statement that changes the state (a trigger on roadmap_progress, migrations 0002 and
    0005), so every write is recorded, in the same transaction, whoever made it; a
    curator's join of two works (roadmap.services.work_join) is no learner's doing and is
    left out. `at` is when it was written, but for a visitor's state kept at sign-up:
    when the visitor set it (so the order the changes were written in is `id`'s)."""

    # The user's events go with the user, by the database (ON DELETE CASCADE, 0002): the
    # rows a deletion of their progress records on its way are deleted with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # History outlives the work's listing: no constraint, a work's id is all it keeps.
    work = models.ForeignKey(
        Work, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    before = models.CharField(max_length=20, choices=STATES)
    after = models.CharField(max_length=20, choices=STATES)
    at = models.DateTimeField()
    # The learner's date when it happened, in their zone then: a past day never moves,
    # whatever zone they are in later.
    day = models.DateField()

    class Meta:
        # A learner's history, newest first: their latest event (what their kept rhythm
        # panel is named by) is its first entry, their year a short walk. One index, so
        # that a tick's record costs one entry besides its key.
        indexes = [models.Index(fields=["user", "-id"], name="activity_event_user_latest")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.work_id} {self.before} → {self.after} on {self.day}"

    @property
    def forward(self) -> bool:
        return moved_forward(self.before, self.after)


# (On every /me/: SQL of its own, a tenth of the ORM's cost for two values.)
LATEST_EVENT = "SELECT id FROM activity_event WHERE user_id = %s ORDER BY user_id, id DESC LIMIT 1"
LATEST_EVENT_AND_TODAY = f"SELECT ({LATEST_EVENT}), activity_local_day(%s, %s)"


def latest_event_and_today(user, now: datetime) -> tuple[int, date]:
    """The id of the learner's latest event (0 before any), which changes with each change
    of their states and only then (the index activity_event_user_latest finds it), and
    their today at `now`, reckoned as their events' days are (activity/rhythm.py)."""
    with connection.cursor() as cursor:
        cursor.execute(LATEST_EVENT_AND_TODAY, [user.pk, now, user.time_zone])
        latest, today = cursor.fetchone()
    return latest or 0, today


def moved_forward(before: str, after: str) -> bool:
    """Whether a change moved a resource forward, further along: what makes a day active
    (a streak's, the heatmap's)."""
    return along(after) > along(before)


class Digest(models.Model):
    """The last weekly summary sent to a learner: claimed, with what it said, in one
    statement before it is sent (activity/digests.py), so that none is sent twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    sent_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"
