import heapq
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts.decorators import private_page
from accounts.sessions import verified_session
from roadmap.badge import THEMES, Badge
from roadmap.models import ShareLink
from roadmap.page_cache import (
    CompletionSlots,
    ProgressSlots,
    Rendering,
    content_version,
    fragments,
    pages,
    slot,
)
from roadmap.progress import (
    Content,
    content_at,
    latest_content,
    learner_state,
    progress_after,
    shared_state,
)
from roadmap.services import (
    progress_set,
    progress_set_signed_in,
    share_link_disable,
    share_link_enable,
    share_link_regenerate,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class Viewer:
    """Whom a shared rendering is made for: only what may change what a page shows, so
    that nothing about one person can reach another's page."""

    is_authenticated: bool = False
    is_staff: bool = False


VARIANTS = {
    "visitor": Viewer(),
    "learner": Viewer(is_authenticated=True),
    "staff": Viewer(is_authenticated=True, is_staff=True),
    "readonly": Viewer(),
}
PARTS = mark_safe("\x00parts\x00")


def variant_of(user) -> str:
    return "staff" if user.is_staff else "learner" if user.is_authenticated else "visitor"


def slot_context(variant: str) -> dict:
    """What a shared rendering for `variant` is made with: slots for each request's values."""
    return {
        "user": VARIANTS[variant],
        "show_progress": variant != "visitor",
        "readonly": variant == "readonly",
        "shared_rendering": True,
        "csrf_token": slot("csrf"),
        "progress": ProgressSlots(),
        "learner_progress": ProgressSlots(),
    }


def shared_context(content: Content, variant: str) -> dict:
    """The roadmap's parts as `variant` sees them, with slots for each request's values."""
    viewer = VARIANTS[variant]
    parts = []
    if content.roadmap is not None:
        parts = list(content.roadmap.parts.visible_to(viewer).with_content(viewer))
    for part in parts:
        part.completion = CompletionSlots(f"part-{part.pk}")
        for topic in part.topics.all():
            topic.completion = CompletionSlots(f"topic-{topic.pk}")
    return slot_context(variant) | {"roadmap": content.roadmap, "parts": parts}


def roadmap_rendering(
    content: Content, variant: str, template: str = "roadmap/roadmap.html"
) -> Rendering:
    """The roadmap page as `variant` sees it (or a partial of it: `#roadmap-parts` is the
    table of contents and the parts, for pages around them), made once per version."""
    return pages.get(
        (template, content.version, variant),
        lambda: Rendering(render_to_string(template, shared_context(content, variant))),
    )


def waiting_messages(request: HttpRequest) -> str:
    """The messages waiting for this request, rendered; nothing (and no work) if none."""
    waiting = messages.get_messages(request)
    return render_to_string("base.html#messages", {"messages": waiting}) if len(waiting) else ""


def render_around(request: HttpRequest, template: str, context: dict, parts: bytes) -> HttpResponse:
    """`template` rendered for this request, with the shared rendering `parts` put in
    where it shows `parts_html`."""
    page = render_to_string(template, {**context, "parts_html": PARTS}, request=request)
    before, after = page.encode().split(PARTS.encode())
    return HttpResponse(b"".join((before, parts, after)))


@require_safe
def roadmap_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        state = learner_state(user=user)
        content, done, progress = state.content, state.done, state.progress
    else:
        content, done, progress = content_at(content_version()), (), None
    page = roadmap_rendering(content, variant_of(user)).fill(
        done=done,
        progress=progress,
        csrf=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


def progress_fragment(content: Content, public_id: str) -> Rendering:
    """The htmx answer to a tick of one resource: its row, and out of band the topic's,
    the part's and the overall bar, the navigation's percentage and the announcement."""

    def render_fragment() -> Rendering:
        resource = content.resources[public_id]
        # Copies: the content's objects are shared between threads.
        topic, part = copy(resource.topic), copy(resource.topic.part)
        topic.completion = CompletionSlots(f"topic-{topic.pk}")
        part.completion = CompletionSlots(f"part-{part.pk}")
        # No CSRF token in it: only htmx asks for it, and htmx sends the page's in a header.
        context = slot_context("learner") | {
            "resource": resource,
            "topic": topic,
            "part": part,
            "csrf_token": "",
        }
        return Rendering(render_to_string("roadmap/roadmap.html#progress-updated", context))

    return fragments.get(("tick", content.version, public_id), render_fragment)


DESIRED_STATE = {"1": True, "0": False}
# How often a tick is tried on content that keeps changing under it.
TICK_TRIES = 3


def log_in_to_tick(request: HtmxHttpRequest, resource) -> HttpResponse:
    messages.info(request, "Log in or sign up to keep track of your progress.")
    login = f"{reverse('account_login')}?{urlencode({'next': f'/#{resource.anchor}'})}"
    return HttpResponseClientRedirect(login) if request.htmx else redirect(login)


@require_POST
def progress_update(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Set one resource done or not done; htmx gets the row and every affected bar back.

    The resource is looked up in the content this process last read, and the write
    checks that the content is still at that version: one query fewer than reading the
    version first, on the busiest write. If the content has moved on, nothing was
    written, and the tick is tried again on the content as it now is. Likewise a session
    this process has verified is not read again: the write checks that it still signs
    the learner in (accounts/sessions.py), and if not, the session is checked in full."""
    content, key = latest_content(), str(public_id)
    if key not in content.resources:  # perhaps published since this process last looked
        content = content_at(content_version())
    resource = content.resources.get(key)
    if resource is None:
        raise Http404
    session = verified_session(request)
    if session is None and not request.user.is_authenticated:
        return log_in_to_tick(request, resource)

    # The form sends a hidden "0" before the checkbox's "1": the last value is the box's.
    done = DESIRED_STATE.get(request.POST.get("done", ""))
    if done is None:
        return HttpResponseBadRequest("Send done=1 or done=0.", content_type="text/plain")
    for _attempt in range(TICK_TRIES):
        if session is not None:
            tick = progress_set_signed_in(
                session=session, resource=resource, done=done, content=content
            )
            if not tick.signed_in:  # nothing was written: check the session in full
                session = None
                if not request.user.is_authenticated:
                    return log_in_to_tick(request, resource)
                continue
        else:
            tick = progress_set(user=request.user, resource=resource, done=done, content=content)
        if tick.version == content.version:
            break
        content = content_at(tick.version)  # it had moved on: nothing was written
        resource = content.resources.get(key)
        if resource is None:
            raise Http404
    else:
        return HttpResponse(
            "The roadmap is being edited right now. Try again.",
            status=503,
            content_type="text/plain",
        )

    if not request.htmx:
        state = "done" if done else "not done"
        messages.success(request, f"{resource.title} marked as {state}.")
        return redirect(f"{reverse('roadmap')}#{resource.anchor}")
    fragment = progress_fragment(content, key).fill(
        done=[key] if done else [],
        progress=progress_after(tick=tick, resource=resource, content=content),
    )
    return HttpResponse(fragment)


def dashboard_rendering(content: Content, variant: str) -> Rendering:
    """The dashboard as every learner (or every curator) sees it, made once per content
    version, with slots for one learner's name, figures, next resource and recent ones."""

    def render_dashboard() -> Rendering:
        parts = [copy(part) for part in content.visible_parts(staff=variant == "staff")]
        for part in parts:
            part.completion = CompletionSlots(f"part-{part.pk}")
        context = slot_context(variant) | {"roadmap": content.roadmap, "parts": parts}
        return Rendering(render_to_string("roadmap/dashboard.html", context))

    return pages.get(("dashboard", content.version, variant), render_dashboard)


def day_shown(day: date) -> str:
    """A day as the dashboard shows it ("3 March 2026"), in the active language; many
    learners share days, so each is formatted once."""
    return _day_shown(day, get_language())


@lru_cache(maxsize=1024)
def _day_shown(day: date, language: str) -> str:
    return date_format(day, "j F Y")


def recently_completed(content: Content, recent: list[tuple[str, float]]) -> bytes:
    """The dashboard's list of resources completed lately, newest first: each resource's
    item rendered once per content version, with its completion time filled in."""
    if not recent:
        return fragments.get(
            ("recent", False),
            lambda: render_to_string("roadmap/dashboard.html#recent", {"recent": False}).encode(),
        )
    here = get_current_timezone()
    items = []
    for key, when in recent:
        at = datetime.fromtimestamp(when, here)
        item = fragments.get(
            ("recent-item", content.version, key),
            lambda key=key: Rendering(
                render_to_string(
                    "roadmap/dashboard.html#recent-item", {"resource": content.published[key]}
                )
            ),
        )
        items.append(item.fill(iso=at.isoformat(), day=day_shown(at.date())))
    listing = fragments.get(
        ("recent", True),
        lambda: Rendering(render_to_string("roadmap/dashboard.html#recent", {"recent": True})),
    )
    return listing.fill(recent_items=b"".join(items))


@private_page
@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    state = learner_state(user=request.user)
    content, done = state.content, state.done
    next_up = next((key for key in content.published if key not in done), None)
    recent = [
        (key, when)
        for when, key in heapq.nlargest(
            5, ((when, key) for key, when in done.items() if key in content.published)
        )
    ]
    page = dashboard_rendering(content, variant_of(request.user)).fill(
        progress=state.progress,
        learner_name=escape(str(request.user)),
        # The same for every learner with the same next resource: rendered once, from
        # nothing but the content at this version and that resource.
        next_up=fragments.get(
            ("next-up", content.version, next_up),
            lambda: render_to_string(
                "roadmap/dashboard.html#next-up",
                {
                    "next_up": next_up and content.published[next_up],
                    "anything_published": content.overall_total > 0,
                },
            ),
        ),
        recent=recently_completed(content, recent),
        csrf=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    state = shared_state(token=token)
    if state is None or state.content.roadmap is None:
        raise Http404
    # Visibility as for a visitor, whoever the owner or the viewer is.
    parts = roadmap_rendering(state.content, "readonly", "roadmap/roadmap.html#roadmap-parts").fill(
        done=state.done, progress=state.progress
    )
    context = {
        "roadmap": state.content.roadmap,
        "progress": state.progress,
        "owner_name": state.name or "A learner",
        "readonly": True,
        "show_progress": True,
        "share_url": request.build_absolute_uri(),
    }
    response = render_around(request, "roadmap/shared.html", context, parts)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def share_badge(request: HttpRequest, token: str) -> HttpResponse:
    theme = request.GET.get("theme", "light")
    if theme not in THEMES:
        return HttpResponseBadRequest("theme must be light or dark.", content_type="text/plain")
    state = shared_state(token=token)
    if state is None or state.content.roadmap is None:
        raise Http404
    title = state.content.roadmap.title
    value = f"{state.progress.overall.percent}%"
    svg = fragments.get(
        ("badge", state.content.version, value, theme),
        lambda: render_to_string(
            "roadmap/badge.svg", {"badge": Badge(label=title, value=value, theme=theme)}
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


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
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
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 when it does not. Touches no session."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
