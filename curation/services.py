"""Writes of the curators' loop: a learner's suggestion and report, and what a curator
decides about them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from curation.models import Report, Suggestion
from roadmap.content import Content
from roadmap.models import Resource, Topic, Work, content_writes_wait, url_key
from roadmap.roadmap_markdown import guess_kind


def listings_of(content: Content, url: str) -> list[Resource]:
    """Where learners can see `url` listed in `content` (as `url_key` compares URLs), in
    reading order, with each listing's roadmap, part and topic."""
    work = Work.objects.filter(url_key=url_key(url)).values_list("pk", flat=True).first()
    return content.counted_works.get(work, [])


# A learner's suggestions a day: counted from the suggestions themselves, so the quota is
# exact in every worker and costs one look at an index (not a cache's lock, read and
# write). Two sent in the same instant, at the tenth, may both be filed.
SUGGESTIONS_A_DAY = 10


class QuotaReached(Exception):
    """The learner has sent SUGGESTIONS_A_DAY suggestions in the last 24 hours."""


class AlreadySuggested(Exception):
    """The learner's suggestion of this URL for this topic is pending already (a second
    click, a form sent again)."""


def suggestion_create(*, user, topic: Topic, url: str, title: str, why: str, credit: bool):
    """File a learner's suggestion of `url` for `topic`, pending a curator, unless it is
    pending already (AlreadySuggested) or they have sent as many as a day allows
    (QuotaReached)."""
    today, pending = Suggestion.objects.sent_by(user, topic=topic, url=url)
    if pending:
        raise AlreadySuggested
    if today >= SUGGESTIONS_A_DAY:
        raise QuotaReached
    return Suggestion.objects.create(
        user=user,
        topic=topic,
        url=url,
        title=title,
        why=why,
        credit=credit,
        kind=guess_kind(title, url, why),
    )


class SuggestionRefused(ValueError):
    """A suggestion that cannot be accepted as it is; the message says why."""


# Every character Markdown could read as syntax, escaped in a name (roadmap_markdown's
# escape_title leaves out what is harmless in link text, such as a final "1." or "#").
# "&" too: an entity (`&rlm;`) in a name would come out as the direction mark it names.
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&])")
ESCAPED = re.compile(r"\\(.)")


# A credit line as `credit_line` writes it, whatever the name was then.
CREDIT = re.compile(r"^\*Suggested by (?:\\.|[^\\\n])*\.\*$")


def credits_withdraw(*, user) -> int:
    """Take the learner's name off the resources their suggestions became (when their
    account is deleted, nothing of them stays): their credit line as it reads now, or
    the one credit line there if their name has changed since (never another's, never
    one of two). How many descriptions changed."""
    return credits_rewrite(user=user, was=user.display_name, now="", or_the_only_one=True)


def credits_rewrite(*, user, was: str, now: str, or_the_only_one: bool = False) -> int:
    """Credit the learner as `now` where a resource their suggestion became credits them
    as `was` (no line at all where `now` is blank); with `or_the_only_one`, also where
    the description has one credit line under another name (one a curator edited). How
    many descriptions changed."""
    old, new = credit_line(was), credit_line(now)
    as_read = ESCAPED.sub(r"\1", old)
    changed = 0
    credited = Suggestion.objects.filter(user=user, credit=True, resource__isnull=False)
    for suggestion in credited.select_related("resource"):
        resource = suggestion.resource
        lines = resource.description.split("\n")
        credits = [n for n, line in enumerate(lines) if CREDIT.match(line.strip())]
        # (Compared as read, whichever characters were escaped when it was written.)
        theirs = [n for n in credits if ESCAPED.sub(r"\1", lines[n].strip()) == as_read]
        found = theirs[:1] or (credits if or_the_only_one and len(credits) == 1 else [])
        if found and lines[found[0]].strip() != new:
            at = found[0]
            if new:
                lines[at] = new
            else:  # the line, and the blank line that set it apart
                del lines[at - (at > 0 and not lines[at - 1].strip()) : at + 1]
            resource.description = "\n".join(lines).strip()
            resource.save(update_fields=["description"])  # (and its HTML)
            changed += 1
    return changed


@transaction.atomic
def visitor_reports_join(*, visitor: str, user) -> int:
    """A visitor's reports become the learner's when they sign up or log in (their
    export has them; deleting the account deletes them). Where the learner has an open
    report on the same resource already, theirs stands (one open report each) and takes
    what the visitor said: their comment, after the problem they chose where it is
    another (whole: the joined comment may be longer than one form takes). How many
    joined."""
    theirs = {
        report.resource_id: report
        for report in Report.objects.open().select_for_update().filter(user=user)
    }
    visitors = Report.objects.filter(visitor=visitor, user__isnull=True).select_for_update()
    for report in visitors.open().filter(resource__in=list(theirs)):
        kept = theirs[report.resource_id]
        said = report.comment
        if report.problem not in {kept.problem, Report.Problem.OTHER}:
            said = f"{report.get_problem_display()}. {said}".strip()
        if said and said not in kept.comment.split("\n\n"):  # (said once)
            kept.comment = f"{kept.comment}\n\n{said}".strip()
            kept.save(update_fields=["comment"])
        report.delete()
    return visitors.update(user=user, visitor="")


def credit_line(name: str) -> str:
    """The Markdown line that credits a learner by their display name `name` ("" without
    one: a username may be an email address)."""
    name = MARKDOWN_PUNCTUATION.sub(r"\\\1", name.strip())
    return f"*Suggested by {name}.*" if name else ""


@transaction.atomic
def suggestion_accept(*, suggestion: Suggestion, publish: bool) -> Resource:
    """Make the suggestion a resource at the end of its topic (published, or a draft for
    the curator to finish), with the learner's reasons as its description and their
    name if they asked to be credited."""
    suggestion = (
        Suggestion.objects.select_related("topic", "user")
        .select_for_update(of=("self",))
        .get(pk=suggestion.pk)
    )
    if suggestion.status != Suggestion.Status.PENDING:
        raise SuggestionRefused(f"“{suggestion.title}” was {suggestion.status} already.")
    if suggestion.topic is None:
        raise SuggestionRefused(f"The topic of “{suggestion.title}” has been deleted.")
    description = suggestion.why.strip()
    if suggestion.credit and (credit := credit_line(suggestion.user.display_name)):
        description = f"{description}\n\n{credit}"
    resource = Resource(
        topic=suggestion.topic,
        title=suggestion.title,
        url=suggestion.url,
        kind=suggestion.kind,
        description=description,
        status=Resource.Status.PUBLISHED if publish else Resource.Status.DRAFT,
    )
    try:
        resource.full_clean(exclude=["work", "order"])  # set as it is saved
    except ValidationError as error:
        problems = "; ".join(m for ms in error.message_dict.values() for m in ms)
        raise SuggestionRefused(f"“{suggestion.title}”: {problems}") from None
    resource.save()
    suggestion.status = Suggestion.Status.ACCEPTED
    suggestion.resource = resource
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "resource", "decided_at"])
    return resource


# Suggestions accepted in one transaction. Learners' ticks meet one change of the
# content for each (a change made every tick in flight read the content again: five
# hundred committed one by one left them none to land on), and another curator's save
# waits for one (its statement timeout); a transaction of twenty keeps under the 64
# subtransactions (three savepoints each) past which PostgreSQL slows every session.
ACCEPTED_TOGETHER = 20


def suggestions_accept(
    *, suggestions: QuerySet[Suggestion], publish: bool
) -> tuple[list[Resource], list[SuggestionRefused]]:
    """Accept each of `suggestions`, oldest first, as `suggestion_accept` does, twenty in
    a transaction that takes the content's lock first, as every curator's write does (two
    curators accepting the same ones wait for each other, never deadlock). The resources
    made, and why the others were not."""
    made, refused = [], []
    pending = list(suggestions.order_by("created_at", "pk").values_list("pk", flat=True))
    for start in range(0, len(pending), ACCEPTED_TOGETHER):
        together = pending[start : start + ACCEPTED_TOGETHER]
        with transaction.atomic():
            content_writes_wait()
            for suggestion in Suggestion.objects.filter(pk__in=together).order_by(
                "created_at", "pk"
            ):
                try:
                    made.append(suggestion_accept(suggestion=suggestion, publish=publish))
                except SuggestionRefused as why:  # (its savepoint rolled back: nothing kept)
                    refused.append(why)
    return made, refused


def suggestion_decline(*, suggestions: QuerySet[Suggestion], reason: str) -> int:
    """Decline the pending ones of `suggestions`, telling their learners `reason`."""
    return suggestions.filter(status=Suggestion.Status.PENDING).update(
        status=Suggestion.Status.DECLINED, reason=reason, decided_at=timezone.now()
    )


@dataclass(frozen=True)
class Reported:
    report: Report
    new: bool  # False: the person's open report on the resource was there already


def report_create(
    *, resource: Resource, user=None, visitor: str = "", problem: str, comment: str
) -> Reported:
    """File a report of a problem with `resource` from a learner (`user`) or a visitor
    (their session's key), unless that person has one open on it already."""
    reporter = {"user": user} if user is not None else {"visitor": visitor}
    try:
        with transaction.atomic():
            report = Report.objects.create(
                resource=resource, problem=problem, comment=comment, **reporter
            )
    except IntegrityError:
        # Their open report on it (report_one_open_per_*); or the resource is gone since.
        report = Report.objects.open().filter(resource=resource, **reporter).first()
        if report is None:
            raise ReportRefused from None
        return Reported(report, new=False)
    return Reported(report, new=True)


class ReportRefused(LookupError):
    """A report on a resource that no longer is."""


def report_close(*, reports: QuerySet[Report], status: str, reason: str = "") -> int:
    """Close the open ones of `reports`: fixed, or declined with `reason`."""
    return reports.open().update(status=status, reason=reason, closed_at=timezone.now())
