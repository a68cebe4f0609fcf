"""The roadmap's content: a Roadmap has Parts, a Part has Topics, a Topic has Resources.
A resource lists a Work, what its URL points at; learners' states and notes are on works,
so the same URL listed in several places is one thing to them.

The content version. Every statement that writes one of the content tables (roadmap,
part, topic, resource) bumps a single row, `roadmap_content_version`, by a database
trigger (migration 0006), whatever made the write: admin, the importer, a bulk update,
raw SQL. Its values come from a sequence, so a version never repeats, even when a
transaction rolls back; the row changes only when the write commits. Everything rendered
or counted from the content is kept per version (roadmap/content.py): a new version
makes it all be read and rendered afresh, and nothing else ever needs to be told.
Each roadmap has a version of its own too (`roadmap_version`, migration 0014), bumped
by the statements that write its rows, its parts', topics' and resources': what shows
one roadmap alone is kept under that roadmap's version, so an edit in one roadmap leaves
what is kept of the others in place.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import normalize_newlines

from accounts.models import reads_as_written


def new_share_token() -> str:
    """192 random bits from `secrets`, URL-safe: 32 characters of [A-Za-z0-9_-]."""
    return secrets.token_urlsafe(24)


# What a share token looks like; share URLs match nothing else (roadmap/converters.py).
SHARE_TOKEN_PATTERN = "[A-Za-z0-9_-]{32}"  # noqa: S105 - a pattern, not a secret


def content_writes_wait() -> None:
    """Take, now, the lock every write of the content takes at its first statement (the
    trigger that bumps the version row), in a transaction that will write it: until it
    ends, no other curator's write of the content comes between, so what it checked
    before it writes still holds when it does. Taken before any other lock a curator's
    save takes (a work's row, `Work.for_resource`), so that all take them in one order.
    (Ticks read the row without locking it: they do not wait.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM roadmap_content_version WHERE id = 1 FOR NO KEY UPDATE")


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


class MarkdownQuerySet(models.QuerySet):
    """Rows written in bulk get their Markdown's HTML too, as `save` gives it."""

    def bulk_create(self, objs, *args, **kwargs) -> list:
        objs = list(objs)
        for obj in objs:
            obj.render_markdown()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        objs = list(objs)
        html = [self.model.MARKDOWN[name] for name in fields if name in self.model.MARKDOWN]
        if html:
            for obj in objs:
                obj.render_markdown()
        return super().bulk_update(objs, [*fields, *html], *args, **kwargs)

    def update(self, **kwargs) -> int:
        """As `QuerySet.update`; a Markdown field given as text comes with its HTML (one
        given as an expression is refused: there is no text to render). Django's own
        `bulk_update` gives the HTML with it: taken as it is."""
        from roadmap.templatetags.markdown import markdown

        for source, html in self.model.MARKDOWN.items():
            if source in kwargs and html not in kwargs:
                if not isinstance(kwargs[source], str):
                    raise TypeError(f"Give {source} as text: its HTML is rendered from it.")
                kwargs[source] = normalize_newlines(kwargs[source])
                kwargs[html] = str(markdown(kwargs[source]))
        return super().update(**kwargs)


class MarkdownModel(models.Model):
    """Curators' Markdown kept beside its HTML (`MARKDOWN`: each field and its HTML's),
    rendered when the row is written, by the one safe renderer, as djangoproject.com keeps
    `Entry.body_html` beside `body`: no page renders Markdown while it is built. `save`,
    `bulk_create`, `bulk_update` and a queryset's `update` (MarkdownQuerySet) write it."""

    MARKDOWN: dict[str, str]

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        html = self.render_markdown()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *html}
        super().save(*args, **kwargs)

    def render_markdown(self) -> list[str]:
        """Set each HTML field from its Markdown; the HTML fields' names."""
        from roadmap.templatetags.markdown import markdown

        for source, html in self.MARKDOWN.items():
            text = normalize_newlines(getattr(self, source))
            setattr(self, source, text)
            setattr(self, html, str(markdown(text)))
        return list(self.MARKDOWN.values())


def html_field() -> models.TextField:
    """A Markdown field's HTML (MarkdownModel): written with it, shown as it is."""
    return models.TextField(blank=True, editable=False)


class RoadmapQuerySet(MarkdownQuerySet):
    def main(self) -> Roadmap | None:
        """The first roadmap (in order, published or not): the one the importer and the
        exporter act on without `--roadmap`."""
        return self.order_by("order", "pk").first()


class Roadmap(MarkdownModel):
    """A track of its own: the seed's general path (`deep-learning`) and one per field."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"  # staff only
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200, validators=[reads_as_written])
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.TextField(blank=True, help_text="Markdown, for the list of roadmaps.")
    introduction = models.TextField(blank=True, help_text="Markdown.")
    summary_html = html_field()
    introduction_html = html_field()
    MARKDOWN = {"summary": "summary_html", "introduction": "introduction_html"}
    order = models.PositiveIntegerField(
        default=0, help_text="Position on the home page; smaller comes first."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="leads_to",
        help_text="Roadmaps to follow before this one. Shown at its top; nothing is locked.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoadmapQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roadmap", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class PartQuerySet(MarkdownQuerySet):
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
        resources = Resource.objects.exported().order_by("order", "pk")
        topics = Topic.objects.order_by("order", "pk").prefetch_related(
            Prefetch("resources", queryset=resources)
        )
        return self.order_by("order", "pk").prefetch_related(Prefetch("topics", queryset=topics))


class Part(OrderedModel, MarkdownModel):
    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        COMING_SOON = "coming_soon", "Coming soon"
        DRAFT = "draft", "Draft"

    order_parent = "roadmap"

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="parts")
    title = models.CharField(max_length=200, validators=[reads_as_written])
    slug = models.SlugField(max_length=100)
    summary = models.TextField(blank=True, help_text="Markdown.")
    summary_html = html_field()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)
    MARKDOWN = {"summary": "summary_html"}

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
        return f"{self.roadmap.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return f"part-{self.slug}"

    @property
    def is_coming_soon(self) -> bool:
        return self.status == self.Status.COMING_SOON


class Topic(OrderedModel, MarkdownModel):
    order_parent = "part"

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(max_length=200, validators=[reads_as_written])
    slug = models.SlugField(max_length=100)
    summary = models.TextField(blank=True, help_text="Markdown.")
    summary_html = html_field()
    updated_at = models.DateTimeField(auto_now=True)
    MARKDOWN = {"summary": "summary_html"}

    objects = MarkdownQuerySet.as_manager()

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
        return f"{self.part.roadmap.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return f"topic-{self.part.slug}-{self.slug}"

    @property
    def place(self) -> str:
        """Where it is, as every page names a place: "Roadmap › Part › Topic"."""
        return f"{self.part.roadmap.title} › {self.part.title} › {self.title}"


def url_key(url: str) -> str:
    """What two resource URLs are compared by: the same key is the same thing to a learner
    (one `Work`). The scheme is left out (http and https of one address are one), the
    host is compared in lower case and without a default port (80, 443) or a final dot,
    trailing slashes of the path are dropped (so an empty path is "/"), and an empty
    query or fragment is no query or fragment. The rest (the path's case, the query, a
    fragment) is kept as it is: on most sites it names a different page or section."""
    parts = urlsplit(url.strip())
    userinfo, _, host = parts.netloc.rpartition("@")
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:  # not a port: the validator refuses such a URL; compare as written
        port, host = None, host.lower()
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    if userinfo:
        host = f"{userinfo}@{host}"
    key = f"//{host}{parts.path.rstrip('/') or '/'}"
    if parts.query:
        key += f"?{parts.query}"
    if parts.fragment:
        key += f"#{parts.fragment}"
    return key


class WorkQuerySet(models.QuerySet):
    def for_urls(self, urls) -> dict[str, Work]:
        """The work of each of `urls`, by its `url_key`, made where there is none: for
        resources written in bulk (`Resource.objects.bulk_create`), in two statements."""
        keys = {url_key(url) for url in urls}
        self.bulk_create([Work(url_key=key) for key in keys], ignore_conflicts=True)
        return {work.url_key: work for work in self.filter(url_key__in=keys)}


class Work(models.Model):
    """What a URL points at: the book, course, video or paper a learner reads, whichever
    roadmaps list it and however often. Every resource whose URL has the same `url_key`
    lists the same work, and a learner's state and note are on the work: tick it in one
    roadmap and it is done in every roadmap that lists it. Never deleted while anybody
    has a state or a note on it, even when no resource lists it any more: listing its
    URL again brings them back."""

    url_key = models.CharField(max_length=600, unique=True, editable=False)
    # The key it had before it last took another, and whose correction moved it: setting
    # that resource's URL back after another resource came to list the new one asks what
    # becomes of the states (services.work_take_plan).
    moved_from = models.CharField(max_length=600, blank=True, editable=False)
    moved_by = models.ForeignKey(
        "Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkQuerySet.as_manager()

    def __str__(self) -> str:
        return self.url_key

    @classmethod
    def for_resource(cls, resource: Resource) -> Work:
        """The work `resource`'s URL points at (call it in a transaction). A save never
        moves learners' states from one work to another that exists: when a resource is
        the only listing of its work and its URL is corrected to one that is no work yet,
        the work itself takes the new URL (its learners' states follow the correction,
        and setting the URL back takes it back); otherwise the resource lists the new
        URL's work, and the old one keeps its states, shown again wherever its URL is
        listed again. Joining them into the new URL's work is a step of its own
        (services.work_join), which setting the URL back undoes."""
        key = url_key(resource.url)
        content_writes_wait()  # first, as every curator's write locks it
        # Locked: whether it is the resource's only listing holds until the save commits.
        # (No key: a tick's new row naming the work, checked at its commit, does not wait.)
        works = cls.objects.select_for_update(no_key=True)
        current = works.filter(pk=resource.work_id).first() if resource.work_id else None
        if current is not None and current.url_key == key:
            return current
        alone = current is not None and not current.resources.exclude(pk=resource.pk).exists()
        if alone and not cls.objects.filter(url_key=key).exists():
            try:
                with transaction.atomic():  # another save may take the key first
                    current.moved_from, current.moved_by = current.url_key, resource
                    current.url_key = key
                    current.save(update_fields=["url_key", "moved_from", "moved_by"])
                return current
            except IntegrityError:
                pass  # it is another work's now: listed as below
        work, _ = cls.objects.get_or_create(url_key=key)
        return work


class WorkJoinQuerySet(models.QuerySet):
    def open(self) -> WorkJoinQuerySet:
        """Joins not undone."""
        return self.filter(undone_at__isnull=True)

    def now_as(self) -> dict[int, int]:
        """Each work joined away by a join not undone, and the work its learners' states
        are on now (following later joins): a history of states told by work (activity's)
        tells a state moved by a join as the same resource's. One query."""
        into = dict(self.open().order_by("id").values_list("from_work_id", "into_work_id"))
        now: dict[int, int] = {}
        for work in into:
            seen, last = {work}, into[work]
            while last in into and last not in seen:  # (a chain; never round a circle)
                seen.add(last)
                last = into[last]
            now[work] = last
        return now

    def undone_by(self, resource, *, work, before) -> WorkJoinQuerySet:
        """The joins that giving `resource` the URL of `work` (it listed `before`) takes
        back: those its own correction made out of that work; for one made before joins
        named their resource, one into `before`. Another resource given that URL undoes
        nothing."""
        return self.filter(from_work=work).filter(
            models.Q(resource=resource) | models.Q(resource__isnull=True, into_work=before)
        )


class WorkJoin(models.Model):
    """Learners' states and notes (and visitors' states) on one work joined into
    another's, as a curator chose when a resource's URL was corrected to one listed
    already (services.work_join): whose rows moved or met rows there, each an entry
    (WorkJoinEntry), so that setting the URL back undoes it (services.work_join_undo)."""

    from_work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="joined_out")
    into_work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="joined_in")
    # The resource whose URL was corrected: only setting its URL back undoes the join
    # (none for joins made before it was recorded: then only from the work joined into).
    resource = models.ForeignKey(
        "Resource", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = WorkJoinQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.from_work} joined into {self.into_work}"

    def joined_into_since(self) -> WorkJoin | None:
        """An open join made since into the same work: the rows this one moved there have
        met its rows, so undoing this one first would take that one's doing with them
        (services.work_join_undo refuses)."""
        later = WorkJoin.objects.open().filter(into_work=self.into_work_id, pk__gt=self.pk)
        return later.select_related("resource", "from_work").order_by("pk").first()


class WorkJoinEntryQuerySet(models.QuerySet):
    def open(self) -> WorkJoinEntryQuerySet:
        """Entries of joins not undone."""
        return self.filter(join__in=WorkJoin.objects.open())


class WorkJoinEntry(models.Model):
    """One row a join moved to the work joined into (`moved`), or met there: whose, and
    what undoing it needs. A learner's entry goes with their account; a visitor's is
    named by the key their states are filed under (as `VisitorProgress.visitor`) and goes
    with their session (at log-in, or by `manage.py prune_sessions`). Of a state
    met, its values before and after; of a note met, how long it was before, when it was
    written, and a signed digest of the text the join made: never a learner's text,
    which stays in their notes."""

    class Kind(models.TextChoices):
        STATE = "state"
        NOTE = "note"

    join = models.ForeignKey(WorkJoin, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visitor = models.CharField(max_length=40, blank=True)
    moved = models.BooleanField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = WorkJoinEntryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(  # a learner's, or a visitor's state
                condition=models.Q(user__isnull=False, visitor="")
                | (models.Q(user__isnull=True, kind="state") & ~models.Q(visitor="")),
                name="work_join_entry_whose",
            ),
            # (A learner may have both: moved, and met as the visitor they were.)
            models.UniqueConstraint(
                fields=["join", "kind", "user", "moved"], name="work_join_entry_once_a_learner"
            ),
            models.UniqueConstraint(
                fields=["join", "visitor"],
                condition=~models.Q(visitor=""),
                name="work_join_entry_once_a_visitor",
            ),
        ]
        indexes = [
            models.Index(
                fields=["visitor"], condition=~models.Q(visitor=""), name="work_join_entry_visitor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {'moved' if self.moved else 'met'} in join {self.join_id}"


class ResourceQuerySet(MarkdownQuerySet):
    def bulk_create(self, objs, *args, **kwargs) -> list[Resource]:
        """As `QuerySet.bulk_create`, with each resource's work set from its URL where it
        has none, as `Resource.save` does."""
        objs = list(objs)
        works = Work.objects.for_urls(r.url for r in objs if r.work_id is None)
        for resource in objs:
            if resource.work_id is None:
                resource.work = works[url_key(resource.url)]
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        """As `QuerySet.bulk_update`; with "url" among `fields`, each resource whose URL
        is another work's now gets its work as `Resource.save` gives it
        (`Work.for_resource`: the only listing of a work takes the work along, and its
        learners' states with it), and a URL set back undoes its join as `save` does."""
        objs = list(objs)
        if "url" not in fields:
            return super().bulk_update(objs, fields, *args, **kwargs)
        with transaction.atomic():
            keys = Work.objects.filter(pk__in={r.work_id for r in objs}).values_list(
                "pk", "url_key"
            )
            listed = dict(keys)
            before = {}
            for resource in objs:
                if listed.get(resource.work_id) != url_key(resource.url):
                    before[resource] = resource.work_id
                    resource.work = Work.for_resource(resource)
            written = super().bulk_update(objs, [*fields, "work"], *args, **kwargs)
            for resource, work in before.items():
                resource.joins_set_back(work)
            return written

    def update(self, **kwargs) -> int:
        """As `QuerySet.update`; a new URL (a value, not an expression) is written as
        `bulk_update` writes it, each resource's work following it. (Django's own
        `bulk_update` gives the work with the URL: taken as it is.)"""
        if "url" not in kwargs or {"work", "work_id"} & kwargs.keys():
            return super().update(**kwargs)
        url = kwargs.pop("url")
        if not isinstance(url, str):
            raise TypeError("Give a resource's URL as text: its work is found from it.")
        with transaction.atomic():
            rows = Resource.objects.filter(pk__in=list(self.values_list("pk", flat=True)))
            if kwargs:
                rows.update(**kwargs)
            resources = list(rows)
            for resource in resources:
                resource.url = url
            rows.bulk_update(resources, ["url"])
            return len(resources)

    def listing_in(self, roadmap, url_keys) -> ResourceQuerySet:
        """The resources of `roadmap` whose URL is one of `url_keys` (as `url_key` spells
        them): where a URL is listed once in a roadmap, what another listing would clash
        with."""
        return self.filter(topic__part__roadmap=roadmap, work__url_key__in=url_keys)

    def with_learners(self) -> ResourceQuerySet:
        """Each with how many learners have its work done (`learners_count`), in progress
        (`in_progress_count`) and skipped (`skipped_count`), counted for each row read (a
        subquery, from the progress table's (work, state) index): joined and grouped, every
        progress row was read before a page's hundred were picked (152-194 s at the bench's
        10,000,000; now 0.3-0.6 s)."""

        def learners_in(state: str) -> Coalesce:
            of_work = Progress.objects.filter(work=OuterRef("work"), state=state).order_by()
            counts = of_work.values("work").annotate(n=Count("*")).values("n")
            return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)

        return self.annotate(
            learners_count=learners_in(Progress.State.DONE),
            in_progress_count=learners_in(Progress.State.IN_PROGRESS),
            skipped_count=learners_in(Progress.State.SKIPPED),
        )

    def counted(self) -> ResourceQuerySet:
        """What counts toward a learner's progress: a published resource in a published
        part of a published roadmap. The one definition of the rule: the totals, a
        learner's state, the tick's answer, admin's counts and the export all come from
        it (through the content snapshot, roadmap/content.py, where they are counted in
        Python)."""
        return self.filter(
            status=Resource.Status.PUBLISHED,
            topic__part__status=Part.Status.PUBLISHED,
            topic__part__roadmap__status=Roadmap.Status.PUBLISHED,
        )

    def visible_to(self, *, staff: bool) -> ResourceQuerySet:
        """Resources a viewer may see listed: staff also see drafts and archived ones."""
        if staff:
            return self
        return self.filter(status=Resource.Status.PUBLISHED)

    def exported(self) -> ResourceQuerySet:
        """What the Markdown export lists: published resources (in every part, so that a
        part's status travels with it). An import archives only these when its file
        leaves them out: a draft, which no export lists, is never "missing"."""
        return self.filter(status=Resource.Status.PUBLISHED)


class Resource(OrderedModel, MarkdownModel):
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
    # Set from `url` on every save (Work.for_resource).
    work = models.ForeignKey(
        Work, on_delete=models.PROTECT, related_name="resources", editable=False
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=300, validators=[reads_as_written])
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"]), reads_as_written],
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # Blank means the roadmap does not say: shown as nothing rather than a guess.
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    cost = models.CharField(max_length=10, choices=Cost.choices, blank=True)
    # A curator's estimate; a roadmap says how long it takes when each of its resources has one.
    hours = models.DecimalField(
        "Estimated hours",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text="About how long it takes to work through; blank if unknown.",
    )
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = html_field()
    MARKDOWN = {"description": "description_html"}
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    updated_at = models.DateTimeField(auto_now=True)
    # Written by `manage.py check_links`.
    link_status = models.PositiveSmallIntegerField(
        "HTTP status", null=True, blank=True, editable=False
    )
    link_error = models.CharField(max_length=300, blank=True, editable=False)
    link_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What no page shows (admin alone): a change of these alone makes no page again, nor
    # bumps a version (migration 0023 names them too).
    NOT_CONTENT = ("updated_at", "link_status", "link_error", "link_checked_at")

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

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            work = Work.for_resource(self)
            before = self.work_id
            if work.pk != before:
                self.work = work
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "work"}
            super().save(*args, **kwargs)
            self.joins_set_back(before)

    def get_absolute_url(self) -> str:
        return f"{self.topic.part.roadmap.get_absolute_url()}#{self.anchor}"

    def joins_set_back(self, before: int | None) -> None:
        """After a write that moved this resource from the work `before` to the one it
        lists now: set back to the URL whose states its correction joined into another
        (straight back, or by way of other URLs), they come back with it. (`save` and
        `bulk_update` call it: call it in their transaction.)"""
        from roadmap.services import work_join_undo

        if before is None or self.work_id == before:
            return
        joins = WorkJoin.objects.open().undone_by(self, work=self.work_id, before=before)
        for join in joins.order_by("pk"):  # (each locked in turn: as a log-in locks them)
            work_join_undo(join=join)

    def same_url(self) -> ResourceQuerySet:
        """The other resources whose URL is this one's, as `url_key` compares them."""
        return Resource.objects.filter(work__url_key=url_key(self.url)).exclude(pk=self.pk)

    def clean(self) -> None:
        super().clean()
        if self.url and self.topic_id:
            listed = Resource.objects.listing_in(self.topic.part.roadmap_id, [url_key(self.url)])
            clash = listed.exclude(pk=self.pk).first()
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

    # The names of its kind, level and cost, as a row shows them, looked up in the
    # choices' enums: get_FOO_display() flattens a field's choices on every call, which
    # a page of 500 rows made from nothing paid 1,500 times (about 35 ms of ~330).
    @property
    def kind_label(self) -> str:
        return self.Kind(self.kind).label

    @property
    def level_label(self) -> str:
        return self.Level(self.level).label if self.level else ""

    @property
    def cost_label(self) -> str:
        return self.Cost(self.cost).label if self.cost else ""


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
    """Where one learner stands with one work (every resource listing its URL): in
    progress, done or skipped (no row: not started). Archiving a resource keeps the row,
    so unarchiving brings the state back."""

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

    # No index of its own: the unique (user, work) index below serves every lookup by
    # learner, and one index fewer makes each tick cheaper to write.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress", db_index=False
    )
    # On the work, not the resource: the same URL in two roadmaps is one state. PROTECT:
    # what a learner ticked is kept, whatever happens to the resources listing it. Its
    # index is (work, state), below.
    work = models.ForeignKey(
        Work, on_delete=models.PROTECT, related_name="progress", db_index=False
    )
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
        indexes = [
            # A work's learners in each state, counted from the index alone (admin's columns
            # of a hundred resources: 0.09 s at 10,000,000 rows, where reading the rows took
            # 13 s); every lookup by work. It replaced the work's own index: a tick's write
            # adds an entry to each index either way (the state is in the unique one too).
            models.Index(fields=["work", "state"], name="progress_by_work_state"),
        ]
        constraints = [
            # Covering: a learner's state is read from this index alone (roadmap/progress.py).
            models.UniqueConstraint(
                fields=["user", "work"],
                include=["state", "completed_at"],
                name="progress_unique_per_learner",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["in_progress", "done", "skipped"]),  # STORED_STATES
                name="progress_state_known",
            ),
        ]

    def __str__(self) -> str:
        # By ids: admin names each row of a learner it deletes (a statement per row, were
        # the work read for its name).
        return f"Learner {self.user_id}: work {self.work_id} {self.get_state_display().lower()}"

    def stands_over(self, other: Progress) -> bool:
        """Of two states of one learner that meet on one work (two URLs that turn out to
        be one), whether this one is kept: what counts first, then the earlier. (Migration
        0010 met them by the same rule, in SQL.)"""
        counted = Progress.COUNTED_STATES
        counts, theirs = self.state in counted, other.state in counted
        if counts != theirs:
            return counts
        return (self.completed_at or timezone.now()) < (other.completed_at or timezone.now())

    @staticmethod
    def keeps_date(before: str, after: str) -> bool:
        """Whether a row moving from state `before` to `after` keeps its `completed_at`:
        when the state stays, and between done and skipped (when it was completed); into
        or out of in progress the date is the move's. The tick's statement says the same
        in SQL (PROGRESS_STORE, roadmap/services.py)."""
        in_progress = Progress.State.IN_PROGRESS
        return before == after or in_progress not in (before, after)


class VisitorProgress(models.Model):
    """A visitor's state of one work, before they have an account: filed under their
    session (`visitor`, the session's key when they first kept a state), merged into the
    account when they sign up or log in (roadmap/signals.py), deleted with their session
    when it expires (`manage.py prune_sessions`). One row per work, as a learner's: a
    visitor's concurrent ticks (two tabs, quick saves) each write their own row, where
    states kept in the session's data would be saved whole, the last request's winning.
    Rows on works that stop counting (a roadmap back to draft, an archived resource)
    stay, as a learner's do, and count again when they do."""

    visitor = models.CharField(max_length=40)
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(
        max_length=20, choices=[(state.value, state.label) for state in Progress.STORED_STATES]
    )
    completed_at = models.DateTimeField(default=timezone.now)  # as Progress.completed_at

    class Meta:
        verbose_name_plural = "visitors' progress"
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "work"],
                include=["state", "completed_at"],
                name="visitor_progress_unique_per_work",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in Progress.STORED_STATES]),
                name="visitor_progress_state_known",
            ),
        ]

    def __str__(self) -> str:
        return f"A visitor: {self.work} {self.get_state_display().lower()}"

    # Of a visitor's two states that meet on one work, the one kept: as of a learner's.
    stands_over = Progress.stands_over


NOTE_MAX_LENGTH = 10_000


class Note(models.Model):
    """A learner's private Markdown note on a resource, shown to its author only: never on
    a share page, a badge or in admin. Independent of the resource's state: it survives
    unticking, archiving and unarchiving. Deleted with the account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    # On the work, as a state is. PROTECT: what a learner wrote is never lost.
    work = models.ForeignKey(Work, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    # `text` rendered by the same safe renderer as descriptions, when it was saved: a page
    # with a hundred notes renders none of them.
    html = models.TextField(editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "work"], name="note_unique_per_learner")
        ]

    def __str__(self) -> str:
        # Neutral on purpose: admin may list it (a protected object) and must not show it.
        return "A learner's note"
