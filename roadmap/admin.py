"""Curation: the roadmap's content in Django admin. No edit here can lose progress."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify

from config.admin import SelectionChecked
from roadmap.forms import RoadmapImportForm
from roadmap.models import (
    Note,
    OrderedModel,
    Part,
    Progress,
    Resource,
    Roadmap,
    Topic,
    VisitorProgress,
    Work,
    url_key,
)
from roadmap.roadmap_markdown import export_roadmap_markdown
from roadmap.services import (
    ImportRefused,
    order_renumber,
    order_settled,
    resource_status_set,
    roadmap_import,
    work_join,
    work_join_plan,
    work_join_undo_refused,
    work_join_undone_by,
    work_take,
    work_take_plan,
)

# The lookup from Resource to each model whose rows hold resources.
RESOURCE_PATHS = {
    Resource: "pk",
    Topic: "topic",
    Part: "topic__part",
    Roadmap: "topic__part__roadmap",
}


def ticks_under(queryset: QuerySet) -> int:
    """How many states and notes learners have, and states visitors keep (theirs at sign
    up), on the works of the resources under `queryset` (of any model in RESOURCE_PATHS)."""
    resources = Resource.objects.filter(**{f"{RESOURCE_PATHS[queryset.model]}__in": queryset})
    works = Work.objects.filter(resources__in=resources)
    return sum(
        model.objects.filter(work__in=works).count() for model in (Progress, Note, VisitorProgress)
    )


def refusal(what: str, ticks: int, model) -> str:
    """Why `what` cannot be deleted, and what to do instead."""
    if model is Roadmap:
        instead = (
            "Set its status to Draft instead: a draft roadmap leaves the site and the "
            "totals, and publishing it again brings everyone's states back."
        )
    else:
        instead = (
            "Archive the resources instead — archived resources leave the roadmap and the "
            "totals, and unarchiving brings everyone's states and notes back."
        )
    return (
        f"{what} cannot be deleted: learners (or visitors, until they sign up) have marked "
        f"its resources or written notes on them {ticks} time(s). {instead}"
    )


class TickProtectingFormSet(BaseInlineFormSet):
    """An inline's rows: one whose resources learners have ticked cannot be deleted here
    either (the database keeps the states and notes, on their works, whatever is
    deleted; this keeps them shown). Their orders are settled as a row's own page
    settles them."""

    settled: list = ()  # the rows kept, as `orders_settle` ranked them

    def clean(self) -> None:
        self.orders_settle()  # before the check that no two rows have one order
        super().clean()
        doomed = [
            form.instance.pk
            for form in self.forms
            if getattr(form, "cleaned_data", {}).get("DELETE") and form.instance.pk
        ]
        if doomed and (ticks := ticks_under(self.model.objects.filter(pk__in=doomed))):
            raise ValidationError(refusal("A row marked for deletion", ticks, self.model))

    def orders_settle(self) -> None:
        """Orders typed that tie are settled, not refused, as a row's own page settles
        them (services.order_settled): each row kept takes the position its order puts it
        in (written by `save`, the rows left unchanged too); a blank order appends."""
        rows = [
            form
            for form in self.forms
            if form.is_valid()
            and form not in self.deleted_forms
            and form.cleaned_data.get("order") is not None
        ]
        moved = [
            (form.instance, form.initial.get("order"))
            for form in rows
            if "order" in form.changed_data
        ]
        by_instance = {id(form.instance): form for form in rows}
        ranked = order_settled([form.instance for form in rows], moved)
        for position, instance in enumerate(ranked, start=1):
            instance.order = by_instance[id(instance)].cleaned_data["order"] = position
        self.settled = ranked

    def save(self, commit: bool = True) -> list:
        saved = super().save(commit)
        if commit and (rows := [row for row in self.settled if row.pk is not None]):
            self.model.objects.bulk_update(rows, ["order"])
        return saved


class ProgressProtectingAdmin(SelectionChecked):
    """Refuses, with a message that points to Archive, to delete anything whose resources
    learners have ticked (`ticks_under`)."""

    def refuse(self, request: HttpRequest, what: str, ticks: int) -> None:
        self.message_user(request, refusal(what, ticks, self.model), messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and (ticks := ticks_under(self.model.objects.filter(pk=obj.pk))):
            self.refuse(request, f"“{obj}”", ticks)
            return redirect(
                reverse(f"admin:roadmap_{self.model._meta.model_name}_change", args=[obj.pk])
            )
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            delete_selected, name, description = actions["delete_selected"]

            def guarded_delete(modeladmin, request, queryset):
                if ticks := ticks_under(queryset):
                    modeladmin.refuse(request, "The selection", ticks)
                    return None
                return delete_selected(modeladmin, request, queryset)

            actions["delete_selected"] = (guarded_delete, name, description)
        return actions


class OrderedAdmin(ProgressProtectingAdmin):
    """Keeps each parent's children numbered 1..n whatever order a curator types."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not isinstance(obj, OrderedModel):
            return
        old_parent_id = form.initial.get(obj.order_parent) if change else None
        moved_within = change and old_parent_id == getattr(obj, f"{obj.order_parent}_id")
        was = form.initial.get("order") if moved_within else None
        order_renumber(items=list(obj.siblings()), moved=[(obj, was)])
        if old_parent_id and old_parent_id != getattr(obj, f"{obj.order_parent}_id"):
            moved_from = type(obj).objects.filter(**{f"{obj.order_parent}_id": old_parent_id})
            order_renumber(items=list(moved_from))

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        # (The rows' settled positions are written: those appended, blank, after them.)
        fk_name = formset.fk.name
        order_renumber(items=list(formset.model.objects.filter(**{fk_name: formset.instance})))


class PartInline(admin.TabularInline):
    model = Part
    formset = TickProtectingFormSet
    fields = ("title", "slug", "order", "status")
    prepopulated_fields = {"slug": ("title",)}
    extra = 0
    show_change_link = True


class TopicInline(admin.TabularInline):
    model = Topic
    formset = TickProtectingFormSet
    fields = ("title", "slug", "order")
    prepopulated_fields = {"slug": ("title",)}
    extra = 0
    show_change_link = True


# A URL typed without a scheme is taken as https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def formfield_with_https(db_field, **kwargs):
    return db_field.formfield(**URL_FIELDS.get(type(db_field), {}) | kwargs)


class ResourceForm(forms.ModelForm):
    """A resource, and, when its URL is corrected to one listed already while it was the
    only listing of its own, or set back after another resource came to list the one its
    states moved to, what becomes of its learners' states: the curator is told before
    anything moves, and chooses."""

    KEEP, JOIN, TAKE = "keep", "join", "take"
    learners_states = forms.ChoiceField(
        label="Learners' states on the old address",
        required=False,
        choices=[
            ("", "—"),
            (KEEP, "Keep them with the old URL (they come back if it is listed again)"),
            (JOIN, "Join them into the new URL's (setting the URL back undoes it)"),
            (TAKE, "Take them with this resource to its new URL (the others keep the old one)"),
        ],
        help_text="Asked only when the new URL is listed already and this resource was the"
        " only listing of the old one (keep or join), or when this resource's URL is set"
        " back after another came to list the one it was corrected to (keep or take).",
    )

    class Meta:
        model = Resource
        fields = [
            "topic",
            "title",
            "status",
            "url",
            "kind",
            "level",
            "cost",
            "hours",
            "description",
            "order",
        ]
        formfield_callback = formfield_with_https

    def clean(self) -> dict:
        cleaned = super().clean()
        # (Asked of a URL changed only: a topic's page posts every row it lists.)
        url = cleaned.get("url") if "url" in self.changed_data else None
        self.undone = (
            url and self.instance.pk and work_join_undone_by(resource=self.instance, url=url)
        )
        if self.undone and (refused := work_join_undo_refused(join=self.undone)):
            self.add_error("url", refused)
        # Setting a URL back undoes its join (Resource.save): nothing to ask then.
        self.join = url and not self.undone and work_join_plan(resource=self.instance, url=url)
        chosen = cleaned.get("learners_states")
        if self.join and chosen not in (self.KEEP, self.JOIN):
            self.add_error(
                "learners_states",
                f"The new URL is listed already, and {self.join.who} a state"
                f" or note on the old one: keep them with the old URL, or join them ({self.join}).",
            )
        # (Set back after another resource was given the URL it had been corrected to,
        # its learners' states are there: asked, not left with the other in silence.)
        self.take = url and not self.join and work_take_plan(resource=self.instance, url=url)
        if self.take and chosen not in (self.KEEP, self.TAKE):
            self.add_error(
                "learners_states",
                f"{self.take.listed} {self.take.agreeing('also lists', 'also list')} the"
                f" old URL, and {self.take.who} a state or"
                " note on it: keep them with the old URL (shown there), or take them with"
                f" this resource ({self.take}).",
            )
        return cleaned

    def states_as_chosen(self, admin_page, request) -> None:
        """After the save: the join (or the taking along) the curator chose, said."""
        if self.take and self.cleaned_data.get("learners_states") == self.TAKE:
            if work_take(resource=self.instance, from_work=self.take.from_work):
                admin_page.message_user(request, f"{self.instance.title}: {self.take}.")
            else:
                admin_page.message_user(
                    request,
                    f"{self.instance.title}: the URLs changed meanwhile, so no learners'"
                    " states were taken along. Check the URL and save again.",
                    messages.WARNING,
                )
        if self.join and self.cleaned_data.get("learners_states") == self.JOIN:
            # As planned only if the save went as planned: the resource lists the work
            # joined into, and nothing lists the one joined from (another row of the same
            # form, or another curator, may have changed either meanwhile).
            listed = Resource.objects.filter(work=self.join.from_work).exists()
            if self.instance.work_id != self.join.into_work.pk or listed:
                admin_page.message_user(
                    request,
                    f"{self.instance.title}: the URLs changed meanwhile, so no learners'"
                    " states were joined. Check the URL and save again.",
                    messages.WARNING,
                )
                return
            work_join(
                from_work=self.join.from_work, into_work=self.join.into_work, resource=self.instance
            )
            admin_page.message_user(request, f"{self.instance.title}: {self.join}.")
        if self.undone:
            admin_page.message_user(
                request,
                f"{self.instance.title}: its URL is set back, so the join of learners' states"
                f" from “{self.undone.from_work}” into “{self.undone.into_work}” was undone.",
            )


class ResourceFormSet(TickProtectingFormSet):
    """A topic's rows: no URL twice among them (each row is checked against the roadmap's
    other rows by Resource.clean, but not against the rows saved with it)."""

    def clean(self) -> None:
        super().clean()
        seen: dict[str, str] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data.get("url") or data.get("DELETE"):
                continue
            key = url_key(data["url"])
            if key in seen:
                raise ValidationError(
                    f"Two of these rows have the same URL (“{seen[key]}” and"
                    f" “{data.get('title') or data['url']}”): a URL is listed once in a roadmap."
                )
            seen[key] = data.get("title") or data["url"]


class ResourceInline(admin.StackedInline):
    model = Resource
    form = ResourceForm
    formset = ResourceFormSet
    formfield_overrides = URL_FIELDS
    fields = (
        ("title", "status"),
        "url",
        "learners_states",
        ("kind", "level", "cost", "hours"),
        "description",
        "order",
    )
    extra = 0
    show_change_link = True


class RoadmapForm(forms.ModelForm):
    class Meta:
        model = Roadmap
        fields = ["title", "slug", "status", "order", "summary", "introduction", "prerequisites"]

    def clean_prerequisites(self):
        """Never the roadmap itself, nor one that comes after it (directly or through
        others): "Before this" would send a learner round in a circle."""
        chosen = self.cleaned_data["prerequisites"]
        if self.instance.pk is None:
            return chosen
        before: dict[int, list[int]] = {}  # every roadmap's prerequisites, in one query
        edges = Roadmap.prerequisites.through.objects.values_list("from_roadmap", "to_roadmap")
        for after, prerequisite in edges:
            before.setdefault(after, []).append(prerequisite)
        seen, todo = set(), [roadmap.pk for roadmap in chosen]
        while todo:
            pk = todo.pop()
            if pk == self.instance.pk:
                raise forms.ValidationError(
                    "A roadmap cannot come before itself: take out this roadmap, or the one"
                    " that leads back to it."
                )
            if pk not in seen:
                seen.add(pk)
                todo += before.get(pk, [])
        return chosen


@admin.register(Roadmap)
class RoadmapAdmin(OrderedAdmin):
    form = RoadmapForm
    list_display = ("title", "slug", "status", "order", "updated_at", "export_link")
    list_editable = ("status", "order")
    list_filter = ("status",)
    prepopulated_fields = {"slug": ("title",)}
    fields = (("title", "slug"), ("status", "order"), "summary", "introduction", "prerequisites")
    filter_horizontal = ("prerequisites",)
    inlines = [PartInline]
    change_list_template = "admin/roadmap/roadmap/change_list.html"

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="roadmap_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="roadmap_export"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload, preview what would change (a dry run), then apply: for a curator who may
        add and change roadmaps, parts, topics and resources, all of which it writes."""
        needed = [
            f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}"
            for model in (Roadmap, Part, Topic, Resource)
            for action in ("add", "change")
        ]
        if not request.user.has_perms(needed):
            return HttpResponse("You may not import the roadmap.", status=403)
        posted = request.method == "POST"
        form = RoadmapImportForm(
            request.POST if posted else None, request.FILES if posted else None
        )
        context = {**self.admin_site.each_context(request), "title": "Import the roadmap"}
        if posted and form.is_valid():
            apply = request.POST.get("step") == "apply"
            try:
                report = roadmap_import(
                    document=form.cleaned_data["document"],
                    slug=form.cleaned_data["slug"],
                    publish=form.cleaned_data["publish"],
                    archive_missing=form.cleaned_data["archive_missing"],
                    dry_run=not apply,
                )
            except ImportRefused as error:
                form.add_error("roadmap", str(error))
            else:
                if apply:
                    self.message_user(
                        request, "Imported. " + " ".join(report.lines()), messages.SUCCESS
                    )
                    return redirect("admin:roadmap_roadmap_changelist")
                context |= {
                    "report": report,
                    "document": form.cleaned_data["document"],
                    "content": form.cleaned_data["content"],
                }
        context |= {"form": form, "opts": self.model._meta}
        return render(request, "admin/roadmap/roadmap/import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The roadmap `?roadmap=<slug>` (by default the first) as Markdown."""
        if not self.has_view_permission(request):
            return HttpResponse("You may not export the roadmap.", status=403)
        slug = request.GET.get("roadmap") or None
        text = export_roadmap_markdown(slug)
        if text is None:
            return HttpResponse("There is no such roadmap.", status=404)
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        name = slugify(slug or "deep-learning-roadmap")
        response["Content-Disposition"] = f'attachment; filename="{name}.md"'
        return response

    @admin.display(description="Markdown")
    def export_link(self, roadmap: Roadmap) -> str:
        url = reverse("admin:roadmap_export")
        return format_html('<a href="{}?roadmap={}">export</a>', url, roadmap.slug)


class PartForm(forms.ModelForm):
    class Meta:
        model = Part
        fields = ["roadmap", "title", "slug", "order", "summary", "status"]

    def clean(self) -> dict:
        """A part moved to another roadmap takes its resources along: refused if that
        roadmap lists one of their URLs already (a URL is listed once in a roadmap)."""
        cleaned = super().clean()
        roadmap = cleaned.get("roadmap")
        if self.instance.pk and roadmap and roadmap.pk != self.instance.roadmap_id:
            keys = Resource.objects.filter(topic__part=self.instance).values("work__url_key")
            listed = Resource.objects.listing_in(roadmap, keys)
            clash = listed.exclude(topic__part=self.instance).first()
            if clash is not None:
                self.add_error(
                    "roadmap",
                    f"That roadmap lists “{clash.title}” already, which this part lists too:"
                    " a URL is listed once in a roadmap.",
                )
        return cleaned


@admin.register(Part)
class PartAdmin(OrderedAdmin):
    form = PartForm
    list_display = ("title", "roadmap", "order", "status")
    list_editable = ("status",)
    list_filter = ("status", "roadmap")
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "summary")
    inlines = [TopicInline]


@admin.register(Topic)
class TopicAdmin(OrderedAdmin):
    list_display = ("title", "part", "order")
    list_filter = ("part",)
    list_select_related = ("part",)
    prepopulated_fields = {"slug": ("title",)}
    search_fields = ("title", "summary")
    inlines = [ResourceInline]

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        for resource_form in formset.forms:
            if resource_form.instance.pk is not None and resource_form.has_changed():
                resource_form.states_as_chosen(self, request)
        for resource in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
            say_where_else_listed(self, request, resource)


def say_where_else_listed(admin_page, request, resource: Resource) -> None:
    """Tell the curator who saved `resource` where else its URL is listed (as `url_key`
    compares URLs): one thing to learners, whose states and notes show in every place."""
    others = resource.same_url().select_related("topic__part__roadmap")
    if others:
        where = "; ".join(f"{o.topic.part.roadmap} / {o.topic}" for o in others)
        admin_page.message_user(
            request,
            f"{resource.title}: this URL is also listed in {where}. It is one resource to "
            "learners, so their states and notes show in every place.",
            messages.WARNING,
        )


class LinkHealthFilter(admin.SimpleListFilter):
    title = "link health"
    parameter_name = "link"
    broken = Q(link_checked_at__isnull=False) & (
        ~Q(link_error="") | Q(link_status__isnull=True) | Q(link_status__gte=400)
    )

    def lookups(self, request, model_admin):
        return [("broken", "Broken"), ("ok", "OK"), ("unchecked", "Not checked yet")]

    def queryset(self, request, queryset):
        if self.value() == "broken":
            return queryset.filter(self.broken)
        if self.value() == "ok":
            return queryset.filter(link_checked_at__isnull=False).exclude(self.broken)
        if self.value() == "unchecked":
            return queryset.filter(link_checked_at__isnull=True)
        return queryset


def status_action(name: str, status: str, description: str, *, only: str | None = None):
    """A bulk action that sets resources' status (of those in status `only`, if given;
    the others are left as they are, and the message says how many); progress rows are
    never touched."""

    def action(modeladmin, request, queryset) -> None:
        chosen = list(queryset)
        acted = [r for r in chosen if only is None or r.status == only]
        count = resource_status_set(resources=acted, status=status)
        left = len(chosen) - len(acted)
        unchanged = f" ({left} not {only}, left as they are)" if left else ""
        modeladmin.message_user(request, f"{description}: {count} resource(s){unchanged}.")

    action.__name__ = name
    return admin.action(description=f"{description} selected resources")(action)


@admin.register(Resource)
class ResourceAdmin(OrderedAdmin):
    list_display = (
        "title",
        "topic",
        "part",
        "kind",
        "level",
        "cost",
        "status",
        "link_health",
        "counts",
        "learners_completed",
        "learners_in_progress",
        "learners_skipped",
        "view_on_roadmap",
    )
    form = ResourceForm
    formfield_overrides = URL_FIELDS
    list_editable = ("status",)
    list_filter = (
        "topic__part__roadmap",
        "topic__part",
        "kind",
        "level",
        "cost",
        "status",
        LinkHealthFilter,
    )
    list_select_related = ("topic__part__roadmap",)
    search_fields = ("title", "url", "description")
    readonly_fields = (
        "public_id",
        "link_status",
        "link_error",
        "link_checked_at",
        "listed_elsewhere",
    )
    fields = (
        "topic",
        ("title", "status"),
        "url",
        "learners_states",
        "listed_elsewhere",
        ("kind", "level", "cost", "hours"),
        "description",
        "order",
        "public_id",
        ("link_status", "link_error", "link_checked_at"),
    )
    actions = [
        status_action("publish", Resource.Status.PUBLISHED, "Publish"),
        status_action("back_to_draft", Resource.Status.DRAFT, "Back to draft"),
        status_action("archive", Resource.Status.ARCHIVED, "Archive"),
        # Unarchiving publishes again, and everyone's ticks count once more: archived
        # resources only (a draft among those selected is not published by it).
        status_action(
            "unarchive", Resource.Status.PUBLISHED, "Unarchive", only=Resource.Status.ARCHIVED
        ),
    ]

    def get_queryset(self, request) -> QuerySet:
        counted = Resource.objects.counted().filter(pk=OuterRef("pk"))
        return super().get_queryset(request).with_learners().annotate(is_counted=Exists(counted))

    @admin.display(description="Also listed at")
    def listed_elsewhere(self, resource: Resource) -> str:
        """The other resources with this URL (as `url_key` compares them): one thing to a
        learner, so a state or note on one shows on all."""
        if resource.pk is None:
            return "—"
        others = resource.same_url().select_related("topic__part__roadmap")
        if not others:
            return "Nowhere else."
        return format_html_join(
            ", ",
            '<a href="{}">{} / {} / {}</a>',
            (
                (
                    reverse("admin:roadmap_resource_change", args=[o.pk]),
                    o.topic.part.roadmap,
                    o.topic.part,
                    o.topic,
                )
                for o in others
            ),
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [f for f in fields if f != "learners_states"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if form.has_changed():
            if isinstance(form, ResourceForm):  # not the list's status column
                form.states_as_chosen(self, request)
            say_where_else_listed(self, request, obj)

    @admin.display(description="counts toward progress", boolean=True, ordering="is_counted")
    def counts(self, resource: Resource) -> bool:
        """By the one rule (Resource.objects.counted()): learners' ticks of it count."""
        return resource.is_counted

    @admin.display(description="part", ordering="topic__part__order")
    def part(self, resource: Resource) -> Part:
        return resource.topic.part

    @admin.display(description="learners completed", ordering="learners_count")
    def learners_completed(self, resource: Resource) -> int:
        return resource.learners_count

    @admin.display(description="learners in progress", ordering="in_progress_count")
    def learners_in_progress(self, resource: Resource) -> int:
        return resource.in_progress_count

    @admin.display(description="learners skipped", ordering="skipped_count")
    def learners_skipped(self, resource: Resource) -> int:
        return resource.skipped_count

    @admin.display(description="link", ordering="link_status")
    def link_health(self, resource: Resource) -> str:
        if resource.link_broken is None:
            return "not checked"
        if resource.link_broken:
            return format_html(
                '<span title="{}">✗ {}</span>', resource.link_error, resource.link_status or "error"
            )
        return f"✓ {resource.link_status}"

    @admin.display(description="on site")
    def view_on_roadmap(self, resource: Resource) -> str:
        return format_html('<a href="{}">view</a>', resource.get_absolute_url())
