"""Writes to the roadmap's data. Views call these; nothing else writes progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from accounts.sessions import STILL_SIGNED_IN, VerifiedSession
from config.database import run_retrying_if_dropped
from roadmap.models import (
    Part,
    Resource,
    Roadmap,
    ShareLink,
    Topic,
    new_share_token,
)
from roadmap.page_cache import content_version
from roadmap.progress import Content, content_at
from roadmap.roadmap_markdown import ParsedRoadmap


@dataclass(frozen=True)
class Tick:
    """What a learner's progress came to after a tick: how many published resources they
    have done in the resource's topic, its part and its roadmap, and the content
    version those were counted at. `signed_in` is false when the write was made on a
    verified session that no longer signs its user in: then nothing was written."""

    version: int
    in_topic: int
    in_part: int
    in_roadmap: int
    signed_in: bool = True


PROGRESS_WRITE = {
    True: "INSERT INTO roadmap_progress (user_id, resource_id, completed_at)"
    " SELECT %(user)s, %(resource)s, %(now)s FROM based_on"
    " ON CONFLICT (user_id, resource_id) DO NOTHING",
    False: "DELETE FROM roadmap_progress WHERE user_id = %(user)s AND resource_id = %(resource)s"
    " AND EXISTS (SELECT FROM based_on)",
}
# The write happens only if the content is still at the version of the content the
# caller looked the resource up in, and (when the caller has no more than a verified
# session) that session still signs the learner in; `based_on` is empty otherwise. The
# same statement counts the learner's rows among the resources their progress counts at
# that version: all of those are written into the statement as a constant array, which
# PostgreSQL hashes, and the topic's and the part's come as parameters. Its SELECTs see
# the table as it was before the write, so they count the learner's other resources and
# this one by its desired state: the state the write leaves.
PROGRESS_WRITE_AND_COUNT = """
WITH current AS (SELECT version FROM roadmap_content_version WHERE id = 1),
signed_in AS (SELECT {signed_in} AS yes),
based_on AS (SELECT FROM current, signed_in WHERE version = %(version)s AND signed_in.yes),
written AS ({write}),
mine AS (
    SELECT resource_id FROM roadmap_progress
    WHERE user_id = %(user)s AND resource_id <> %(resource)s
    UNION ALL SELECT %(resource)s WHERE %(done)s
)
SELECT (SELECT version FROM current),
       (SELECT count(*) FROM mine
        JOIN unnest(%(in_topic)s::bigint[]) AS topic(id) ON topic.id = mine.resource_id),
       (SELECT count(*) FROM mine
        JOIN unnest(%(in_part)s::bigint[]) AS part(id) ON part.id = mine.resource_id),
       (SELECT count(*) FROM mine WHERE resource_id = ANY('{counted}'::bigint[])),
       (SELECT yes FROM signed_in)
"""


@lru_cache(maxsize=32)
def progress_statement(*, counted: str, done: bool, signed_in: bool) -> str:
    """The tick's statement for one content version's counted ids: made once, not per tick."""
    return PROGRESS_WRITE_AND_COUNT.format(
        write=PROGRESS_WRITE[done],
        signed_in=STILL_SIGNED_IN if signed_in else "TRUE",
        counted=counted,
    )


def progress_set(*, user, resource: Resource, done: bool, content: Content | None = None) -> Tick:
    """Record that `user` has (or has not) completed `resource`, and count where that
    leaves them, only if `content` (the content `resource` was looked up in; by default
    the current one) is still current: the answer's `version` says whether it was (if
    not, nothing was written; the view tries again on the newer content).

    Sets the desired state rather than toggling, so a retried or doubled request cannot
    flip it back. Ticking an already ticked resource keeps its first completion date;
    concurrent requests meet at the unique constraint (INSERT ... ON CONFLICT DO NOTHING),
    never in an IntegrityError. One statement, writing and counting: this is the hot
    write path.
    """
    if content is None:
        content = content_at(content_version())
    return _progress_write(user_id=user.pk, resource=resource, done=done, content=content)


def progress_set_signed_in(
    *, session: VerifiedSession, resource: Resource, done: bool, content: Content
) -> Tick:
    """progress_set for the user a verified session signs in, written only if the session
    still does, exactly as verified (accounts.sessions.STILL_SIGNED_IN): the request need
    not read its session first. If it no longer does, nothing is written and the answer's
    `signed_in` is false: check the request's session the usual way."""
    return _progress_write(
        user_id=session.user_id, resource=resource, done=done, content=content, session=session
    )


def _progress_write(
    *,
    user_id: int,
    resource: Resource,
    done: bool,
    content: Content,
    session: VerifiedSession | None = None,
) -> Tick:
    statement = progress_statement(
        counted=content.counted_ids, done=done, signed_in=session is not None
    )
    parameters = {
        "version": content.version,
        "user": user_id,
        "resource": resource.pk,
        "now": timezone.now(),
        "done": done,
        "in_topic": content.counted_in_topic.get(resource.topic_id, "{}"),
        "in_part": content.counted_in_part.get(resource.topic.part_id, "{}"),
    }
    if session is not None:
        parameters |= {
            "session_key": session.session_key,
            "session_data": session.session_data,
            "password": session.password,
        }

    def write() -> Tick:
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return Tick(*cursor.fetchone())

    # Safe to run twice: it sets the desired state. So the tick skips the pool's round
    # trip to check its connection, and runs again if the server had dropped it.
    return run_retrying_if_dropped(write)


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


def order_renumber(*, items: list, first=None) -> None:
    """Number siblings 1..n in their current order; `first` (an item just moved) goes
    before any sibling it ties with. Saves only the rows whose order changed."""
    ranked = sorted(items, key=lambda item: (item.order or 0, item != first, item.pk or 0))
    changed = []
    for position, item in enumerate(ranked, start=1):
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
class ImportReport:
    parts: ImportCounts = field(default_factory=ImportCounts)
    topics: ImportCounts = field(default_factory=ImportCounts)
    resources: ImportCounts = field(default_factory=ImportCounts)
    missing: list[Resource] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def lines(self) -> list[str]:
        lines = [
            f"Parts: {self.parts}",
            f"Topics: {self.topics}",
            f"Resources: {self.resources}",
        ]
        if self.missing:
            verb = "archived" if self.resources.archived else "left as they are"
            lines.append(f"Not in the file ({verb}):")
            lines += [f"  - {r.title} <{r.url}>" for r in self.missing]
        if self.dry_run:
            lines.append("Dry run: nothing was changed.")
        return lines


def _upsert(model, *, existing, lookup: dict, values: dict, counts: ImportCounts, report, label):
    """Create or update one row from the file; count what happened."""
    instance = existing
    if instance is None:
        instance = model(**lookup, **values)
        instance.save()
        counts.created += 1
        report.changes.append(f"create {label}")
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.save()
        counts.updated += 1
        report.changes.append(f"update {label}: {', '.join(changed)}")
    else:
        counts.unchanged += 1
    return instance


def _renumber_placed_first(siblings, placed: set) -> None:
    """After an import: what the file placed comes first, in the file's order; the rest
    keep their relative order after it."""
    items = list(siblings)
    for item in items:
        if item not in placed:
            item.order += 1_000_000
    order_renumber(items=items)


@transaction.atomic
def roadmap_import(
    *, document: ParsedRoadmap, archive_missing: bool = False, dry_run: bool = False
) -> ImportReport:
    """Upsert the roadmap from its Markdown: parts by slug, topics by slug within their
    part, resources by URL within the roadmap. Nothing is deleted; resources missing from
    the file are reported, and archived only with `archive_missing`. One transaction: a
    dry run rolls it all back."""
    report = ImportReport(dry_run=dry_run)
    roadmap = Roadmap.objects.select_for_update().order_by("pk").first()
    if roadmap is None:
        roadmap = Roadmap.objects.create(title=document.title or "Deep Learning Roadmap")
    roadmap.title = document.title or roadmap.title
    roadmap.introduction = document.introduction
    roadmap.save()

    parts = {p.slug: p for p in roadmap.parts.all()}
    resources = {r.url: r for r in Resource.objects.filter(topic__part__roadmap=roadmap)}
    placed: set = set()  # every row the file placed
    touched_topics: set[int] = set()
    for part_index, parsed_part in enumerate(document.parts, start=1):
        part = _upsert(
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
        topics = {t.slug: t for t in part.topics.all()}
        for topic_index, parsed_topic in enumerate(parsed_part.topics, start=1):
            topic = _upsert(
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
            touched_topics.add(topic.pk)
            for resource_index, parsed in enumerate(parsed_topic.resources, start=1):
                existing = resources.get(parsed.url)
                values = {
                    "topic_id": topic.pk,
                    "title": parsed.title,
                    "description": parsed.description,
                    "order": resource_index,
                    **parsed.metadata,
                }
                if existing is None:
                    values |= {"kind": parsed.kind, "status": Resource.Status.PUBLISHED}
                else:
                    touched_topics.add(existing.topic_id)
                resource = _upsert(
                    Resource,
                    existing=existing,
                    lookup={"url": parsed.url},
                    values=values,
                    counts=report.resources,
                    report=report,
                    label=f"resource {parsed.title}",
                )
                placed.add(resource)
            placed.add(topic)
        _renumber_placed_first(part.topics.all(), placed)
        placed.add(part)
    _renumber_placed_first(roadmap.parts.all(), placed)
    for topic in Topic.objects.filter(pk__in=touched_topics).prefetch_related("resources"):
        _renumber_placed_first(topic.resources.all(), placed)

    report.missing = [
        r for r in resources.values() if r not in placed and r.status != Resource.Status.ARCHIVED
    ]
    if archive_missing and report.missing:
        report.resources.archived = resource_status_set(
            resources=report.missing, status=Resource.Status.ARCHIVED
        )
    if dry_run:
        transaction.set_rollback(True)
    return report
