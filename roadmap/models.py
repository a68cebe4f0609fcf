"""The roadmap's content: a Roadmap has Parts, a Part has Topics, a Topic has Resources.

The content version. Every statement that writes one of the content tables (roadmap,
part, topic, resource) bumps a single row, `roadmap_content_version`, by a database
trigger (migration 0006), whatever made the write: admin, the importer, a bulk update,
raw SQL. Its values come from a sequence, so a version never repeats, even when a
transaction rolls back; the row changes only when the write commits. Everything rendered
or counted from the content is kept per version (roadmap/content.py): a new version
makes it all be read and rendered afresh, and nothing else ever needs to be told.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Max, Prefetch
from django.utils import timezone


def new_share_token() -> str:
    """192 random bits from `secrets`, URL-safe: 32 characters of [A-Za-z0-9_-]."""
    return secrets.token_urlsafe(24)


# What a share token looks like; share URLs match nothing else (roadmap/converters.py).
SHARE_TOKEN_PATTERN = "[A-Za-z0-9_-]{32}"  # noqa: S105 - a pattern, not a secret


class OrderedModel(models.Model):
    """Ordered among the children of one parent (`order_parent`, a foreign key's name).
    A blank order appends at the end; services keep the order contiguous."""

    order_parent: str

    order = models.PositiveIntegerField(
        blank=True, help_text="Position among its siblings; leave blank to add at the end."
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.order is None:
            self.order = (self.siblings().aggregate(last=Max("order"))["last"] or 0) + 1
        super().save(*args, **kwargs)

    def siblings(self) -> models.QuerySet:
        parent_id = getattr(self, f"{self.order_parent}_id")
        return type(self)._default_manager.filter(**{f"{self.order_parent}_id": parent_id})

    def validate_constraints(self, exclude=None) -> None:
        # An order that clashes with a sibling's is settled by renumbering the siblings
        # after the save (services.order_renumber), not refused; the database still
        # checks uniqueness when the transaction commits.
        super().validate_constraints(exclude={*(exclude or ()), "order"})


class RoadmapQuerySet(models.QuerySet):
    def main(self) -> Roadmap | None:
        """The roadmap the site serves: the first one."""
        return self.order_by("pk").first()


class Roadmap(models.Model):
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True, help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoadmapQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return "/"


class PartQuerySet(models.QuerySet):
    def visible_to(self, *, staff: bool) -> PartQuerySet:
        """Parts a viewer may see: drafts are for staff only."""
        if staff:
            return self
        return self.exclude(status=Part.Status.DRAFT)

    def with_content(self, *, staff: bool) -> PartQuerySet:
        """In order, with each part's topics and the resources a viewer may see prefetched."""
        resources = Resource.objects.visible_to(staff=staff).order_by("order", "pk")
        topics = Topic.objects.order_by("order", "pk").prefetch_related(
            Prefetch("resources", queryset=resources)
        )
        return self.order_by("order", "pk").prefetch_related(Prefetch("topics", queryset=topics))

    def for_export(self) -> PartQuerySet:
        """Parts in order with their topics and published resources, for the Markdown."""
        resources = Resource.objects.filter(status=Resource.Status.PUBLISHED).order_by(
            "order", "pk"
        )
        topics = Topic.objects.order_by("order", "pk").prefetch_related(
            Prefetch("resources", queryset=resources)
        )
        return self.order_by("order", "pk").prefetch_related(Prefetch("topics", queryset=topics))


class Part(OrderedModel):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        COMING_SOON = "coming_soon", "Coming soon"
        DRAFT = "draft", "Draft"

    order_parent = "roadmap"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="parts")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    summary = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartQuerySet.as_manager()

    class Meta:
        ordering = ["roadmap", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "slug"], name="part_slug_unique_in_roadmap"),
            # Deferred, so that curators can swap two parts' order in one transaction.
            models.UniqueConstraint(
                fields=["roadmap", "order"],
                name="part_order_unique_in_roadmap",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/#part-{self.slug}"

    @property
    def is_coming_soon(self) -> bool:
        return self.status == self.Status.COMING_SOON


class Topic(OrderedModel):
    order_parent = "part"

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    summary = models.TextField(blank=True, help_text="Markdown.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["part", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["part", "slug"], name="topic_slug_unique_in_part"),
            models.UniqueConstraint(
                fields=["part", "order"],
                name="topic_order_unique_in_part",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/#topic-{self.part.slug}-{self.slug}"

    @property
    def anchor(self) -> str:
        return f"topic-{self.part.slug}-{self.slug}"


class ResourceQuerySet(models.QuerySet):
    def counted(self) -> ResourceQuerySet:
        """What counts toward a learner's progress: a published resource in a published
        part. The one definition of the rule: the totals, a learner's state, the tick's
        answer, admin's counts and the export all come from it (through the content
        snapshot, roadmap/content.py, where they are counted in Python)."""
        return self.filter(
            status=Resource.Status.PUBLISHED, topic__part__status=Part.Status.PUBLISHED
        )

    def visible_to(self, *, staff: bool) -> ResourceQuerySet:
        """Resources a viewer may see listed: staff also see drafts and archived ones."""
        if staff:
            return self
        return self.filter(status=Resource.Status.PUBLISHED)


class Resource(OrderedModel):
    class Kind(models.TextChoices):
        BOOK = "book", "Book"
        COURSE = "course", "Course"
        VIDEO = "video", "Video"
        ARTICLE = "article", "Article"
        PAPER = "paper", "Paper"
        TOOL = "tool", "Tool"
        OTHER = "other", "Other"

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"

    class Cost(models.TextChoices):
        FREE = "free", "Free"
        PAID = "paid", "Paid"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    order_parent = "topic"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="resources")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300)
    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # Blank means the roadmap does not say: shown as nothing rather than a guess.
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    cost = models.CharField(max_length=10, choices=Cost.choices, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)
    # Written by `manage.py check_links`.
    link_status = models.PositiveSmallIntegerField(
        "HTTP status", null=True, blank=True, editable=False
    )
    link_error = models.CharField(max_length=300, blank=True, editable=False)
    link_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "order"],
                name="resource_order_unique_in_topic",
                deferrable=models.Deferrable.DEFERRED,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/#{self.anchor}"

    def clean(self) -> None:
        super().clean()
        if self.url and self.topic_id:
            clash = (
                Resource.objects.filter(
                    url=self.url, topic__part__roadmap=self.topic.part.roadmap_id
                )
                .exclude(pk=self.pk)
                .first()
            )
            if clash is not None:
                raise ValidationError(
                    {"url": f"This URL is already in the roadmap, as “{clash.title}”."}
                )

    @property
    def link_broken(self) -> bool | None:
        """None until checked; then whether the last check failed."""
        if self.link_checked_at is None:
            return None
        return bool(self.link_error) or self.link_status is None or self.link_status >= 400

    @property
    def anchor(self) -> str:
        return f"resource-{self.public_id}"


class ShareLink(models.Model):
    """A learner's read-only progress link. Sharing is on while the row exists; turning it
    off deletes the row, and regenerating replaces the token, so an old link dies at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_link"
    )
    token = models.CharField(max_length=64, unique=True, default=new_share_token)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Share link of {self.user}"

    def get_absolute_url(self) -> str:
        return f"/p/{self.token}/"


class Progress(models.Model):
    """Where one learner stands with one resource: in progress, done or skipped (no row:
    not started). Archiving the resource keeps the row, so unarchiving brings the state
    back."""

    class State(models.TextChoices):
        """Pages show a resource in each state by the template's branches for it
        (`{% by_state %}`, roadmap/templatetags/render_once.py)."""

        NOT_STARTED = "not_started", "Not started"  # no row
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    # What counts toward a learner's completion: done, or skipped (a resource the learner
    # decided they do not need). In progress counts for nothing.
    COUNTED_STATES = frozenset({State.DONE, State.SKIPPED})
    STORED_STATES = [State.IN_PROGRESS, State.DONE, State.SKIPPED]

    # No index of its own: the unique (user, resource) index below serves every lookup by
    # learner, and one index fewer makes each tick cheaper to write.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress", db_index=False
    )
    # PROTECT: a resource somebody has ticked cannot be deleted by accident; archive it.
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="progress")
    state = models.CharField(
        max_length=20,
        choices=[(state.value, state.label) for state in STORED_STATES],
        default=State.DONE,
        db_default=State.DONE,  # rows written in bulk without it (COPY) are done
    )
    # When the row reached its state: for done and skipped, when it was completed (kept
    # when it moves between the two); for in progress, when it was started (`keeps_date`).
    completed_at = models.DateTimeField(null=True, blank=True, default=timezone.now)

    class Meta:
        verbose_name_plural = "progress"
        constraints = [
            # Covering: a learner's state is read from this index alone (roadmap/progress.py).
            models.UniqueConstraint(
                fields=["user", "resource"],
                include=["state", "completed_at"],
                name="progress_unique_per_learner",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["in_progress", "done", "skipped"]),  # STORED_STATES
                name="progress_state_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.resource} {self.get_state_display().lower()}"

    @staticmethod
    def keeps_date(before: str, after: str) -> bool:
        """Whether a row moving from state `before` to `after` keeps its `completed_at`:
        when the state stays, and between done and skipped (when it was completed); into
        or out of in progress the date is the move's. The tick's statement says the same
        in SQL (PROGRESS_STORE, roadmap/services.py)."""
        in_progress = Progress.State.IN_PROGRESS
        return before == after or in_progress not in (before, after)


NOTE_MAX_LENGTH = 10_000


class Note(models.Model):
    """A learner's private Markdown note on a resource, shown to its author only: never on
    a share page, a badge or in admin. Independent of the resource's state: it survives
    unticking, archiving and unarchiving. Deleted with the account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    # PROTECT: what a learner wrote is not lost with a resource deleted by accident.
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    # `text` rendered by the same safe renderer as descriptions, when it was saved: a page
    # with a hundred notes renders none of them.
    html = models.TextField(editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "resource"], name="note_unique_per_learner")
        ]

    def __str__(self) -> str:
        # Neutral on purpose: admin may list it (a protected object) and must not show it.
        return "A learner's note"
