from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from roadmap.forms import ProgressForm
from roadmap.models import Part, Progress, Resource, Roadmap
from roadmap.progress import ProgressSummary, progress_summary
from roadmap.services import progress_set


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def attach_completion(parts, progress: ProgressSummary) -> None:
    """Give each part and topic its `completion`, for the templates' progress bars."""
    for part in parts:
        part.completion = progress.part(part.pk)
        for topic in part.topics.all():
            topic.completion = progress.topic(topic.pk)


@require_GET
def roadmap_page(request: HttpRequest) -> HttpResponse:
    roadmap = Roadmap.objects.first()
    parts = []
    progress = progress_summary(user=request.user, roadmap_id=roadmap and roadmap.pk)
    if roadmap is not None:
        parts = list(roadmap.parts.visible_to(request.user).with_content(request.user))
        attach_completion(parts, progress)
    context = {"roadmap": roadmap, "parts": parts, "progress": progress}
    return render(request, "roadmap/roadmap.html", context)


@require_POST
def progress_update(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Set one resource done or not done; htmx gets the row and every affected bar back."""
    resource = get_object_or_404(
        Resource.objects.published().select_related("topic__part"), public_id=public_id
    )
    back = f"{reverse('roadmap')}#{resource.anchor}"
    if not request.user.is_authenticated:
        messages.info(request, "Log in or sign up to keep track of your progress.")
        login = f"{reverse('account_login')}?{urlencode({'next': back})}"
        return HttpResponseClientRedirect(login) if request.htmx else redirect(login)

    form = ProgressForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Send done=1 or done=0.", content_type="text/plain")
    done = form.cleaned_data["done"]
    progress_set(user=request.user, resource=resource, done=done)
    announcement = f"{resource.title} marked as {'done' if done else 'not done'}."

    if not request.htmx:
        messages.success(request, announcement)
        return redirect(back)

    topic, part = resource.topic, resource.topic.part
    progress = progress_summary(user=request.user, roadmap_id=part.roadmap_id)
    resource.done = done
    topic.completion = progress.topic(topic.pk)
    part.completion = progress.part(part.pk)
    context = {
        "resource": resource,
        "topic": topic,
        "part": part,
        "progress": progress,
        "announcement": announcement,
    }
    return render(request, "roadmap/roadmap.html#progress-updated", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    roadmap = Roadmap.objects.first()
    progress = progress_summary(user=request.user, roadmap_id=roadmap and roadmap.pk)
    parts = list(Part.objects.visible_to(request.user).filter(roadmap=roadmap))
    for part in parts:
        part.completion = progress.part(part.pk)
    published = Resource.objects.published().filter(topic__part__roadmap=roadmap)
    next_up = (
        published.with_done(request.user)
        .filter(done=False)
        .select_related("topic__part")
        .order_by("topic__part__order", "topic__order", "order", "pk")
        .first()
    )
    recent = (
        Progress.objects.filter(user=request.user, resource__in=published)
        .select_related("resource__topic")
        .order_by("-completed_at", "-pk")[:5]
    )
    context = {
        "roadmap": roadmap,
        "parts": parts,
        "progress": progress,
        "next_up": next_up,
        "recent": recent,
    }
    return render(request, "roadmap/dashboard.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not. Touches no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
