"""The curators' queue in Django admin: suggestions and reports, each with where its URL
is listed already; and each roadmap's insights (curation/insights.py)."""

from __future__ import annotations

import csv
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from procrastinate.exceptions import AlreadyEnqueued

from config.admin import SelectionChecked
from curation.insights import figures
from curation.models import Insights, Report, Suggestion
from curation.services import report_close, suggestion_decline, suggestions_accept
from roadmap.content import content_at, content_version
from roadmap.models import Resource, Roadmap


class QueueActionForm(ActionForm):
    """What an action needs besides the rows: whether an accepted suggestion is
    published at once, and a declined one's reason (the learner reads it)."""

    publish = forms.BooleanField(
        required=False, label="Publish accepted suggestions at once (otherwise drafts)"
    )
    reason = forms.CharField(required=False, max_length=1000, label="Reason for declining")


def reason_for_declining(model_admin: admin.ModelAdmin, request: HttpRequest) -> str:
    """The reason typed beside a "Decline" action (what the learner reads), or "" once
    the curator is told that nothing was declined without one."""
    reason = request.POST.get("reason", "").strip()
    if not reason:
        model_admin.message_user(
            request,
            "Give a reason for declining: the learners read it. Nothing was declined.",
            messages.ERROR,
        )
    return reason


def listed_as(outer: str):
    """Every listing of the URL of the row (`outer`: the lookup of its url_key), as
    "Roadmap › Part › Topic: title", for a changelist's column, in its one query."""
    return ArraySubquery(
        Resource.objects.filter(work__url_key=OuterRef(outer))
        .order_by("topic__part__roadmap__order", "topic__part__order", "topic__order", "order")
        .values(
            label=Concat(
                F("topic__part__roadmap__title"),
                Value(" › "),
                F("topic__part__title"),
                Value(" › "),
                F("topic__title"),
                Value(": "),
                F("title"),
                Value(" ("),
                F("status"),
                Value(")"),
            )
        )
    )


def listings_column(labels: list[str]) -> str:
    if not labels:
        return "—"
    return format_html(
        "<ul class='listings'>{}</ul>",
        format_html_join("", "<li>{}</li>", ((label,) for label in labels)),
    )


class RoadmapFilter(admin.SimpleListFilter):
    title = "roadmap"
    parameter_name = "roadmap"
    lookup: str

    def lookups(self, request, model_admin):
        # The roadmaps as they are (this process's newest snapshot may be older: admin's
        # pages never read it).
        return [(str(pk), title) for pk, title in Roadmap.objects.values_list("pk", "title")]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not (self.value().isascii() and self.value().isdigit()):
            return queryset.none()
        return queryset.filter(**{self.lookup: int(self.value())})


class SuggestionRoadmapFilter(RoadmapFilter):
    lookup = "topic__part__roadmap"


class ReportRoadmapFilter(RoadmapFilter):
    lookup = "resource__topic__part__roadmap"


def suggested_by(user) -> str:
    """How the queue names a learner: their display name, else their number; never their
    username, which may be an email address."""
    return user.display_name.strip() or f"Learner #{user.pk}"


@admin.register(Suggestion)
class SuggestionAdmin(SelectionChecked):
    list_display = ("title", "link", "place", "kind", "by", "status", "created_at", "listings")
    list_filter = ("status", SuggestionRoadmapFilter, "kind", "created_at")
    search_fields = ("title", "url")
    list_select_related = ("topic__part__roadmap", "user")
    action_form = QueueActionForm
    actions = ["accept", "decline"]
    fields = (
        "title",
        "url",
        "kind",
        "topic",
        "why",
        "by",
        "credit",
        "status",
        "reason",
        "resource",
        "created_at",
        "decided_at",
    )
    readonly_fields = (
        "url",
        "why",
        "by",
        "credit",
        "status",
        "resource",
        "created_at",
        "decided_at",
    )
    raw_id_fields = ("topic",)

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(listed=listed_as("url_key"))

    def has_add_permission(self, request) -> bool:
        return False  # learners suggest; curators add resources as resources

    def has_accept_permission(self, request: HttpRequest) -> bool:
        """Accepting adds (and may publish) a resource: it takes both permissions."""
        return request.user.has_perms(["curation.change_suggestion", "roadmap.add_resource"])

    @admin.display(description="URL")
    def link(self, suggestion: Suggestion) -> str:
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            suggestion.url,
            suggestion.url,
        )

    @admin.display(description="For")
    def place(self, suggestion: Suggestion) -> str:
        return suggestion.topic.place if suggestion.topic else "(topic deleted)"

    @admin.display(description="Suggested by")
    def by(self, suggestion: Suggestion) -> str:
        return suggested_by(suggestion.user)

    @admin.display(description="Listed already")
    def listings(self, suggestion: Suggestion) -> str:
        return listings_column(getattr(suggestion, "listed", None) or [])

    @admin.action(permissions=["accept"], description="Accept selected suggestions")
    def accept(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        publish = request.POST.get("publish") == "on"
        made, refused = suggestions_accept(suggestions=queryset, publish=publish)
        for why in refused:
            self.message_user(request, f"Not accepted: {why}", messages.WARNING)
        if made:
            kind = "published resources" if publish else "draft resources"
            self.message_user(request, f"{len(made)} accepted, as {kind}.", messages.SUCCESS)

    @admin.action(permissions=["change"], description="Decline selected suggestions")
    def decline(self, request: HttpRequest, queryset: QuerySet[Suggestion]) -> None:
        if not (reason := reason_for_declining(self, request)):
            return
        declined = suggestion_decline(suggestions=queryset, reason=reason)
        self.message_user(request, f"{declined} declined.", messages.SUCCESS)


@admin.register(Report)
class ReportAdmin(SelectionChecked):
    list_display = (
        "problem",
        "resource_link",
        "comment_start",
        "reporter",
        "status",
        "created_at",
        "link_check",
        "listings",
    )
    list_display_links = ("problem",)  # (its resource's column holds links of its own)
    list_filter = ("status", ReportRoadmapFilter, "problem", "created_at")
    search_fields = ("resource__title", "resource__url", "comment")
    list_select_related = ("resource__topic__part__roadmap", "user")
    action_form = QueueActionForm
    actions = ["mark_fixed", "decline"]
    fields = (
        "resource_link",
        "problem",
        "comment",
        "reporter",
        "link_check",
        "status",
        "reason",
        "created_at",
        "closed_at",
    )
    readonly_fields = (
        "resource_link",
        "problem",
        "comment",
        "reporter",
        "link_check",
        "status",
        "created_at",
        "closed_at",
    )

    def get_queryset(self, request) -> QuerySet:
        return super().get_queryset(request).annotate(listed=listed_as("resource__work__url_key"))

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Resource", ordering="resource__title")
    def resource_link(self, report: Report) -> str:
        resource = report.resource
        url = reverse("admin:roadmap_resource_change", args=[resource.pk])
        return format_html(
            '<a href="{}">{}</a> <a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            url,
            resource.title,
            resource.url,
            resource.url,
        )

    @admin.display(description="Comment")
    def comment_start(self, report: Report) -> str:
        return report.comment if len(report.comment) <= 120 else report.comment[:119] + "…"

    @admin.display(description="From")
    def reporter(self, report: Report) -> str:
        return f"A learner: {suggested_by(report.user)}" if report.user_id else "A visitor"

    @admin.display(description="Link check")
    def link_check(self, report: Report) -> str:
        resource = report.resource
        if resource.link_checked_at is None:
            return "Not checked yet"
        verdict = "broken" if resource.link_broken else "answers"
        said = resource.link_error or f"HTTP {resource.link_status}"
        return f"{verdict} ({said}), {resource.link_checked_at:%Y-%m-%d}"

    @admin.display(description="Listings of its URL")
    def listings(self, report: Report) -> str:
        return listings_column(getattr(report, "listed", None) or [])

    @admin.action(permissions=["change"], description="Mark selected reports fixed")
    def mark_fixed(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        fixed = report_close(reports=queryset, status=Report.Status.FIXED)
        self.message_user(request, f"{fixed} marked fixed.", messages.SUCCESS)

    @admin.action(permissions=["change"], description="Decline selected reports")
    def decline(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        if not (reason := reason_for_declining(self, request)):
            return
        declined = report_close(reports=queryset, status=Report.Status.DECLINED, reason=reason)
        self.message_user(request, f"{declined} declined.", messages.SUCCESS)


class InsightsRange(forms.Form):
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", "The range ends before it starts.")
        return cleaned


@admin.register(Insights)
class InsightsAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "figures_link")
    list_display_links = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Insights")
    def figures_link(self, roadmap) -> str:
        return format_html(
            '<a href="{}">Insights into {}</a>',
            reverse("admin:curation_insights_figures", args=[roadmap.pk]),
            roadmap.title,
        )

    def get_urls(self):
        return [
            path(
                "<int:roadmap_id>/figures/",
                self.admin_site.admin_view(self.figures_view),
                name="curation_insights_figures",
            ),
            path(
                "refresh/",
                self.admin_site.admin_view(self.refresh_view),
                name="curation_insights_refresh",
            ),
            *super().get_urls(),
        ]

    def figures_view(self, request: HttpRequest, roadmap_id: int) -> HttpResponse:
        """A roadmap's figures over a date range: a page, or CSV (`?format=csv`)."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not read the insights.", status=403)
        listed = content_at(content_version()).by_id.get(roadmap_id)
        if listed is None:
            raise Http404
        form = InsightsRange(
            request.GET if "start" in request.GET or "end" in request.GET else None
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Insights: {listed.roadmap.title}",
            "roadmap": listed.roadmap,
            "form": form,
            "opts": self.model._meta,
        }
        if form.is_bound and not form.is_valid():
            return render(request, "admin/curation/insights.html", context, status=400)
        span = form.cleaned_data if form.is_bound else {}
        found = figures(listed, start=span.get("start"), end=span.get("end"))
        if request.GET.get("format") == "csv":
            return insights_csv(listed.roadmap.slug, found, span)
        csv_query = request.GET.copy()
        csv_query["format"] = "csv"
        context.update(
            figures=found,
            csv_query=csv_query.urlencode(),
            refresh_cron=settings.INSIGHTS_REFRESH_CRON,
        )
        return render(request, "admin/curation/insights.html", context)

    def refresh_view(self, request: HttpRequest) -> HttpResponse:
        """Ask the job runner to compute the figures now (POST)."""
        from curation.tasks import refresh_insights

        if request.method != "POST" or not self.has_view_permission(request):
            return HttpResponse(
                "POST, as a curator.", status=405 if request.method != "POST" else 403
            )
        try:
            with transaction.atomic():  # (a refused job leaves the request's transaction whole)
                refresh_insights.defer(timestamp=0)
        except AlreadyEnqueued:
            pass  # asked for already, and not started yet: the same computation
        self.message_user(
            request,
            "Asked: a job worker computes the figures (a minute or so once it starts on"
            " them); reload this page then.",
            messages.SUCCESS,
        )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("admin:curation_insights_changelist")  # never off the site
        return HttpResponseRedirect(back)  # (a URL: redirect() would take "abc" for a view)


def cell(value) -> str:
    """A CSV cell a spreadsheet reads as text: titles come from learners' suggestions,
    and one starting with =, +, - or @ would be read as a formula."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def insights_csv(slug: str, found, span: dict) -> HttpResponse:
    """The figures per resource, then per part, as a spreadsheet reads them."""
    start, end = span.get("start"), span.get("end")
    name = f"insights-{slug}-{start or 'start'}-{end or date.today()}.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "Part",
            "Topic",
            "Resource",
            "URL",
            "In progress",
            "Done",
            "Skipped",
            "Skip rate (%)",
            "Median days to done",
        ]
    )
    for row in found.resources:
        r = row.resource
        writer.writerow(
            [
                cell(r.topic.part.title),
                cell(r.topic.title),
                cell(r.title),
                cell(r.url),
                row.in_progress,
                row.done,
                row.skipped,
                "" if row.skip_rate is None else row.skip_rate,
                "" if row.median_days is None else f"{row.median_days:g}",
            ]
        )
    writer.writerow([])
    writer.writerow(["Part", "Learners who got this far"])
    for reach in found.funnel:
        writer.writerow([cell(reach.part.title), reach.learners])
    return response
