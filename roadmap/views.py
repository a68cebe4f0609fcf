from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from roadmap.badge import THEMES, Badge
from roadmap.forms import ProgressForm
from roadmap.models import Resource, ShareLink
from roadmap.page_cache import (
    CompletionSlots,
    cached,
    content_version,
    fill,
    slot,
    split,
    unsplit,
)
from roadmap.progress import (
    learner_state,
    main_roadmap,
    parts_of,
    progress_summary,
    published_in_order,
)
from roadmap.services import (
    progress_set,
    share_link_disable,
    share_link_enable,
    share_link_regenerate,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def parts_html(*, version: int, variant: str, viewer) -> tuple[str, ...]:
    """The table of contents and every part, rendered once per content version and
    variant, with slots for each request's ticks, bars and CSRF token."""

    def render_parts() -> str:
        roadmap = main_roadmap(version)
        parts = []
        if roadmap is not None:
            parts = list(roadmap.parts.visible_to(viewer).with_content(viewer))
        for part in parts:
            part.completion = CompletionSlots(f"part-{part.pk}")
            for topic in part.topics.all():
                topic.completion = CompletionSlots(f"topic-{topic.pk}")
        context = {
            "parts": parts,
            "show_progress": variant != "visitor",
            "readonly": variant == "readonly",
            "shared_rendering": True,
            "csrf_token": slot("csrf"),
        }
        return split(render_to_string("roadmap/roadmap.html#roadmap-parts", context))

    return cached(("parts", version, variant), render_parts)


def roadmap_context(request: HttpRequest, *, learner, variant: str) -> dict:
    """The roadmap with `learner`'s ticks and progress bars, filled into the shared
    rendering for `variant`."""
    version = content_version()
    roadmap = main_roadmap(version)
    progress, done_ids = learner_state(
        user=learner, roadmap_id=roadmap and roadmap.pk, version=version
    )
    viewer = request.user if variant == "staff" else AnonymousUser()
    html = fill(
        parts_html(version=version, variant=variant, viewer=viewer),
        done_ids=done_ids,
        progress=progress,
        csrf_token=get_token(request) if variant != "readonly" else "",
    )
    return {"roadmap": roadmap, "parts_html": html, "progress": progress}


def visitor_page(request: HttpRequest, version: int) -> HttpResponse:
    """The whole page as a visitor sees it, rendered once per content version; only the
    CSRF token differs from one visitor to the next."""

    def render_page() -> tuple[str, ...]:
        context = {
            "roadmap": main_roadmap(version),
            "parts_html": unsplit(
                parts_html(version=version, variant="visitor", viewer=AnonymousUser())
            ),
            "show_progress": False,
            "csrf_token": slot("csrf"),
        }
        return split(render_to_string("roadmap/roadmap.html", context))

    pieces = cached(("visitor-page", version), render_page)
    return HttpResponse(fill(pieces, done_ids={}, progress=None, csrf_token=get_token(request)))


@require_GET
def roadmap_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated and "messages" not in request.COOKIES:
        return visitor_page(request, content_version())
    variant = "staff" if user.is_staff else "learner" if user.is_authenticated else "visitor"
    context = roadmap_context(request, learner=user, variant=variant)
    context["show_progress"] = user.is_authenticated
    context["learner_progress"] = context["progress"]
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
        "learner_progress": progress,
        "announcement": announcement,
    }
    return render(request, "roadmap/roadmap.html#progress-updated", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    version = content_version()
    roadmap = main_roadmap(version)
    progress, done = learner_state(
        user=request.user, roadmap_id=roadmap and roadmap.pk, version=version
    )
    parts, published = [], []
    if roadmap is not None:
        staff = request.user.is_staff
        parts = parts_of(version=version, roadmap_id=roadmap.pk, staff=staff)
        published = published_in_order(version=version, roadmap_id=roadmap.pk)
    ticked = [r for r in published if str(r.public_id) in done]
    context = {
        "roadmap": roadmap,
        "parts": [{"part": part, "completion": progress.part(part.pk)} for part in parts],
        "progress": progress,
        "learner_progress": progress,
        "next_up": next((r for r in published if str(r.public_id) not in done), None),
        "recent": sorted(
            ({"resource": r, "completed_at": done[str(r.public_id)]} for r in ticked),
            key=lambda item: item["completed_at"],
            reverse=True,
        )[:5],
    }
    return render(request, "roadmap/dashboard.html", context)


def shared_learner(token: str):
    """The learner behind a share token. Unknown, regenerated-away and disabled tokens
    all raise the same 404."""
    link = ShareLink.objects.select_related("user").filter(token=token).first()
    if link is None:
        raise Http404
    return link.user


@require_GET
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    owner = shared_learner(token)
    # Visibility as for a visitor, whoever the owner or the viewer is.
    context = roadmap_context(request, learner=owner, variant="readonly")
    if context["roadmap"] is None:
        raise Http404
    context |= {
        "owner_name": owner.display_name or "A learner",
        "readonly": True,
        "show_progress": True,
        "share_url": request.build_absolute_uri(),
    }
    response = render(request, "roadmap/shared.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def share_badge(request: HttpRequest, token: str) -> HttpResponse:
    theme = request.GET.get("theme", "light")
    if theme not in THEMES:
        return HttpResponseBadRequest("theme must be light or dark.", content_type="text/plain")
    owner = shared_learner(token)
    version = content_version()
    roadmap = main_roadmap(version)
    if roadmap is None:
        raise Http404
    progress = progress_summary(user=owner, roadmap_id=roadmap.pk, version=version)
    value = f"{progress.overall.percent}%"
    svg = cached(
        ("badge", version, value, theme),
        lambda: render_to_string(
            "roadmap/badge.svg", {"badge": Badge(label=roadmap.title, value=value, theme=theme)}
        ),
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Robots-Tag"] = "noindex"
    return response


SHARING_ACTIONS = {
    "enable": (share_link_enable, "Sharing is on. Anyone with the link can see your progress."),
    "regenerate": (share_link_regenerate, "You have a new link. The old one no longer works."),
    "disable": (share_link_disable, "Sharing is off. Your link no longer works."),
}


@login_required
@require_http_methods(["GET", "POST"])
def sharing_settings(request: HtmxHttpRequest) -> HttpResponse:
    """Turn the share link on or off, or regenerate it; in place with htmx."""
    announcement = ""
    if request.method == "POST":
        action = SHARING_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponseBadRequest(
                "action must be enable, regenerate or disable.", content_type="text/plain"
            )
        service, announcement = action
        service(user=request.user)
        if not request.htmx:
            messages.success(request, announcement)
            return redirect("sharing")

    link = ShareLink.objects.filter(user=request.user).first()
    context = {
        "link": link,
        "share_url": link and request.build_absolute_uri(link.get_absolute_url()),
        "confirm_regenerate": link is not None and request.GET.get("confirm") == "regenerate",
        "announcement": announcement,
    }
    template = "roadmap/sharing.html#sharing-panel" if request.htmx else "roadmap/sharing.html"
    return render(request, template, context)


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
