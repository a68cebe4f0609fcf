"""What learners send the curators, and what the curators do with it: suggestions of
resources for a topic, and reports of a problem with a listed resource. Both are kept
with their outcome, so the learner can see what became of theirs."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import URLValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.query import RawQuerySet
from django.utils import timezone

from accounts.models import reads_as_written
from roadmap.models import Resource, Roadmap, Topic, url_key

SUGGESTION_WHY_MAX = 2000
# A learner's suggestions (the index suggestion_of_learner), read on every /me/ and every
# suggestion sent: SQL of its own, as activity's latest event is, where the ORM's building
# of each query cost three to four times its run (in-process, 0.3 ms against 1.1 ms each;
# docs/performance.md).
OF_LEARNER = (
    "SELECT * FROM curation_suggestion WHERE user_id = %s ORDER BY created_at DESC, id DESC"
)
SENT_BY = (
    "SELECT count(*) FILTER (WHERE created_at > %(since)s),"
    " count(*) FILTER (WHERE status = %(pending)s AND topic_id = %(topic)s AND url_key = %(key)s)"
    " FROM curation_suggestion WHERE user_id = %(user)s"
)
REPORT_COMMENT_MAX = 2000


class SuggestionQuerySet(models.QuerySet):
    def pending(self) -> SuggestionQuerySet:
        return self.filter(status=Suggestion.Status.PENDING)

    def sent_by(self, user, *, topic, url: str) -> tuple[int, bool]:
        """How many suggestions the learner sent in the last 24 hours, and whether theirs
        of `url` (as `url_key` compares URLs) for `topic` is pending: one look at their
        suggestions (suggestion_of_learner)."""
        with connection.cursor() as cursor:
            cursor.execute(
                SENT_BY,
                {
                    "since": timezone.now() - timedelta(days=1),
                    "pending": Suggestion.Status.PENDING,
                    "topic": topic.pk,
                    "key": url_key(url),
                    "user": user.pk,
                },
            )
            today, pending = cursor.fetchone()
        return today, bool(pending)

    def of(self, user) -> RawQuerySet:
        """A learner's own, newest first, with what each became (their topics are not
        read: /me/ names those it shows from the content snapshot)."""
        return self.raw(OF_LEARNER, [user.pk])


class Suggestion(models.Model):
    """A resource a learner thinks belongs in a topic. A curator accepts it (it becomes a
    resource of the topic, `resource`) or declines it with a reason the learner reads."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    # (Its index is the queue's first column: suggestion_of_learner, below.)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="suggestions",
        db_index=False,
    )
    # A topic deleted since leaves the suggestion (and the learner's words) in place.
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, related_name="suggestions"
    )
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"]), reads_as_written],
    )
    url_key = models.CharField(max_length=600, editable=False, db_index=True)
    # Shown to everyone once accepted: as written.
    title = models.CharField(max_length=300, validators=[reads_as_written])
    why = models.TextField("Why it belongs", max_length=SUGGESTION_WHY_MAX)
    # Guessed from its words as the importer guesses (a curator may correct it).
    kind = models.CharField(
        max_length=20, choices=Resource.Kind.choices, default=Resource.Kind.OTHER
    )
    credit = models.BooleanField(
        "Credit me by my display name", default=False, help_text="Shown with the resource."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was declined; the learner reads it.")
    resource = models.ForeignKey(
        Resource, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at"], name="suggestion_queue"),
            # A learner's, newest first: /me/ and the day's quota.
            models.Index(fields=["user", "-created_at"], name="suggestion_of_learner"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.url_key = url_key(self.url)
        super().save(*args, **kwargs)


class ReportQuerySet(models.QuerySet):
    def open(self) -> ReportQuerySet:
        return self.filter(status=Report.Status.OPEN)


class Report(models.Model):
    """A problem with a listed resource, from a learner or a visitor (their session):
    one open report per person per resource; a curator marks it fixed or declines it."""

    class Problem(models.TextChoices):
        BROKEN = "broken", "The link is broken"
        PAYWALLED = "paywalled", "It is paywalled now"
        WRONG = "wrong", "The information is wrong"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        DECLINED = "declined", "Declined"

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="reports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
    )
    # A visitor's session key when they reported: who "one open report each" means.
    visitor = models.CharField(max_length=40, blank=True, editable=False)
    problem = models.CharField("What is wrong", max_length=20, choices=Problem.choices)
    comment = models.TextField(blank=True, max_length=REPORT_COMMENT_MAX)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True, help_text="Why it was declined.")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "user"],
                condition=Q(status="open", user__isnull=False),
                name="report_one_open_per_learner",
            ),
            models.UniqueConstraint(
                fields=["resource", "visitor"],
                condition=Q(status="open") & ~Q(visitor=""),
                name="report_one_open_per_visitor",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(visitor=""), name="report_has_a_reporter"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="report_queue")]

    def __str__(self) -> str:
        return f"{self.get_problem_display()}: {self.resource}"


class InsightsRefresh(models.Model):
    """When the figures behind the insights pages (curation/insights.py) were last
    computed, and how long that took: one row."""

    refreshed_at = models.DateTimeField()
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"Insights refreshed at {self.refreshed_at}"


class Insights(Roadmap):
    """A roadmap's figures, as admin lists them (curation/admin.py): a proxy of the
    roadmap, with no table of its own, so that admin's index and permissions name it. Not
    "Insights": that is the name of the link on each roadmap's change page, and admin's
    sidebar shows the index beside it."""

    class Meta:
        proxy = True
        verbose_name = "roadmap figures"
        verbose_name_plural = "roadmap figures"
