import heapq
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from accounts.decorators import private_page
from roadmap.badge import THEMES, Badge
from roadmap.content import Content, content_at, content_version, latest_content
from roadmap.forms import NoteForm, ProgressResetForm
from roadmap.models import Note, Part, Progress, Resource, ShareLink
from roadmap.progress import learner_state, shared_state, visitor_state
from roadmap.render_once import Filled, Rendering, render_once, renderings
from roadmap.services import (
    note_save,
    progress_reset,
    progress_set,
    share_link_disable,
    share_link_enable,
    share_link_regenerate,
    visitor_progress_set,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


# The kinds of viewer a page is rendered once for; nothing else of the viewer is in it.
# `drafts`: the parts and resources only staff see are shown; a share page never shows
# them, whoever looks.
VIEWERS = {
    "visitor": {"signed_in": False, "staff": False, "drafts": False, "show_progress": True},
    "learner": {"signed_in": True, "staff": False, "drafts": False, "show_progress": True},
    "staff": {"signed_in": True, "staff": True, "drafts": True, "show_progress": True},
}
SHARED = {"drafts": False, "show_progress": True, "readonly": True}


def viewer_of(user) -> str:
    return "staff" if user.is_staff else "learner" if user.is_authenticated else "visitor"


def kept(content: Content, template: str, key: tuple, context) -> Rendering:
    """`template` rendered once for everybody with `context()` (called only to render),
    kept in this process under the content version it is made from and `key` (all that
    the context depends on)."""
    return renderings.get(
        (content.version, template, *key), lambda: render_once(template, context())
    )


def rendered_once(content: Content, viewer: str, template: str, **context) -> Rendering:
    """`template` with the roadmap as `viewer` sees it (on a share page when `context`
    says so), made once per content version from that version's snapshot."""

    def everything() -> dict:
        seen = {**VIEWERS[viewer], **context}
        parts = content.parts_for(staff=seen["drafts"])
        return {"roadmap": content.roadmap, "parts": parts, "counted": content.counted, **seen}

    return kept(content, template, (viewer, *sorted(context.items())), everything)


def waiting_messages(request: HttpRequest) -> str:
    """The messages waiting for this request, rendered; nothing (and no work) if none."""
    waiting = messages.get_messages(request)
    if not len(waiting):
        return ""
    return render_to_string("base.html#messages", {"messages": waiting})  # safe: rendered


# Private: a learner's page has their notes, and every page a CSRF token of its own.
@private_page
@require_safe
def roadmap_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    notes = {}
    if user.is_authenticated:
        state = learner_state(user=user)
        notes = notes_shown(state.content, user)
    else:  # a visitor: what they ticked is in their session
        state = visitor_state(session=request.session, content=content_at(content_version()))
    page = rendered_once(state.content, viewer_of(user), "roadmap/roadmap.html").fill(
        states=state.states,
        progress=state.progress,
        notes=notes,
        csrf_token=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


def notes_shown(content: Content, user) -> dict[str, Filled]:
    """The learner's notes on the resources of `content`, as their rows show them: one
    query however many, each rendered when it was saved."""
    shown = kept(content, "roadmap/roadmap.html#note-shown", (), dict)
    known = content.public_ids
    return {
        # (`html` was rendered by the safe Markdown renderer when the note was saved.)
        str(known[pk]): shown.fill_value(note_html=mark_safe(html))  # noqa: S308
        for pk, html in Note.objects.filter(user=user).values_list("resource_id", "html")
        if pk in known
    }


def progress_answer(content: Content, public_id: str, viewer: str) -> Rendering:
    """The htmx answer to a change of one resource's state: its row, and out of band the
    topic's, the part's and the overall bar, the navigation's percentage and the
    announcement."""
    resource = content.by_public_id[public_id]

    def context() -> dict:
        return {
            **VIEWERS[viewer],
            "resource": resource,
            "topic": resource.topic,
            "part": resource.topic.part,
            "counted": content.counted,
        }

    return kept(content, "roadmap/roadmap.html#progress-updated", (public_id, viewer), context)


CHECKBOX = {"1": Progress.State.DONE, "0": Progress.State.NOT_STARTED}


def desired_state(data) -> str | None:
    """The state a row's form asks for, or None if it makes no sense.

    The row's one form sends `was` (the state the row showed), the status select's
    `state`, and done=1 when its checkbox is ticked (an unticked box sends nothing). The
    control the learner changed wins: the select, if it differs from `was`; otherwise
    the checkbox: ticked is done, and unticking a done row makes it not started (a row
    in progress or skipped, whose box was never ticked, stays as it was).
    Without `was` (any other client): `state`, or done=1 or done=0."""
    state, was, done = data.get("state"), data.get("was"), data.get("done")
    if state is not None and state not in Progress.State.values:
        return None
    if was is None:
        return state if state is not None else CHECKBOX.get(done)
    if was not in Progress.State.values:
        return None
    if state is not None and state != was:
        return state
    if done == "1":
        return Progress.State.DONE
    return Progress.State.NOT_STARTED if was == Progress.State.DONE else was


def counted_resource(key: str, *, current: bool = False) -> tuple[Content, Resource]:
    """The resource with public id `key` if it counts now (404 otherwise), and the content
    it was found in: the newest this process has read, which saves reading the version
    first on the busiest writes, or the current one if it is not there (or if `current`)."""
    content = latest_content()
    if current or key not in content.by_public_id:  # perhaps published since last looked
        content = content_at(content_version())
    resource = content.by_public_id.get(key)
    if resource is None:
        raise Http404
    return content, resource


# How often a tick is tried on content that keeps changing under it.
TICK_TRIES = 3


@require_POST
def progress_update(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Set one resource's state (a learner's in their rows, a visitor's in their session);
    htmx gets the row and every affected bar back.

    The resource is looked up in the newest content this process has read, which saves
    reading the version first on the busiest write, and the write checks that the
    content is still at that version. If it has moved on, nothing was written, and the
    change is tried again on the content as it now is."""
    key = str(public_id)
    # A visitor's session has no version to check a write against, as a learner's rows
    # have: their figures are counted against the content as it is now.
    signed_in = request.user.is_authenticated
    content, resource = counted_resource(key, current=not signed_in)
    desired = desired_state(request.POST)
    if desired is None:
        return HttpResponseBadRequest(
            "Send done=1 or done=0, or state=not_started, in_progress, done or skipped.",
            content_type="text/plain",
        )

    if not signed_in:
        standing = visitor_progress_set(
            session=request.session, resource=resource, state=desired, content=content
        )
    else:
        for _attempt in range(TICK_TRIES):
            standing = progress_set(
                user=request.user, resource=resource, state=desired, content=content
            )
            if standing.read_at == content.version:  # written
                break
            content = standing.content  # it had moved on: nothing was written
            resource = content.by_public_id.get(key)
            if resource is None:
                raise Http404
        else:
            return HttpResponse(
                "The roadmap is being edited right now. Try again.",
                status=503,
                content_type="text/plain",
            )
    if not request.htmx or key not in standing.content.by_public_id:
        # (With htmx too when the content has changed since and the resource no longer
        # counts: the page comes back as it now is.)
        label = Progress.State(desired).label.lower()
        messages.success(request, f"{resource.title} marked as {label}.")
        target = f"{reverse('roadmap')}#{resource.anchor}"
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    # A learner's htmx requests carry the page's token in a header (base.html); a
    # visitor's page has none, so the row they get back carries its own.
    answer = progress_answer(standing.content, key, "learner" if signed_in else "visitor").fill(
        states={key: desired},
        progress=standing.progress,
        csrf_token="" if signed_in else get_token(request),
    )
    return HttpResponse(answer)


def next_up_fragment(content: Content, next_up: str | None) -> str:
    """The dashboard's "next up": the same for every learner with the same next resource."""
    return renderings.get(
        (content.version, "next-up", next_up),
        lambda: render_to_string(
            "roadmap/dashboard.html#next-up",
            {
                "next_up": next_up and content.by_public_id[next_up],
                "anything_published": content.overall_total > 0,
            },
        ),
    )


def recently_completed(content: Content, recent: list[tuple[str, float]]) -> Filled:
    """The dashboard's list of resources completed lately, newest first: each item is
    rendered once per content version, with its completion time filled in."""
    listing = kept(
        content, "roadmap/dashboard.html#recent", (bool(recent),), lambda: {"recent": bool(recent)}
    )
    here = get_current_timezone()
    items = []
    for key, when in recent:
        at = datetime.fromtimestamp(when, here)
        resource = content.by_public_id[key]
        item = kept(
            content,
            "roadmap/dashboard.html#recent-item",
            (key,),
            lambda r=resource: {"resource": r},
        )
        items.append(item.fill_value(iso=at.isoformat(), day=date_format(at.date(), "j F Y")))
    return listing.fill_value(recent_items=Filled.joined(items))


def newest(state, which: str, at_most: int | None = None) -> list[tuple[str, float]]:
    """The learner's resources in state `which` that count now, newest first."""
    found = (
        (when, key)
        for key, when in state.since.items()
        if state.states[key] == which and key in state.content.by_public_id
    )
    ranked = heapq.nlargest(at_most, found) if at_most else sorted(found, reverse=True)
    return [(key, when) for when, key in ranked]


def in_progress_list(content: Content, started: list[tuple[str, float]]) -> Filled:
    """The dashboard's resources in progress, newest first; each rendered once."""
    listing = kept(
        content,
        "roadmap/dashboard.html#in-progress",
        (bool(started),),
        lambda: {"started": bool(started)},
    )
    items = [
        kept(
            content,
            "roadmap/dashboard.html#started-item",
            (key,),
            lambda r=content.by_public_id[key]: {"resource": r},
        ).fill_value()
        for key, _when in started
    ]
    return listing.fill_value(started_items=Filled.joined(items))


@private_page
@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    state = learner_state(user=request.user)
    content = state.content
    # Next: the first resource in reading order the learner has not started at all.
    next_up = next((key for key in content.by_public_id if key not in state.states), None)
    recent = newest(state, Progress.State.DONE, 5)
    started = newest(state, Progress.State.IN_PROGRESS)
    viewer = viewer_of(request.user)
    page = rendered_once(content, viewer, "roadmap/dashboard.html").fill(
        progress=state.progress,
        learner_name=str(request.user),
        next_up=next_up_fragment(content, next_up),
        recent=recently_completed(content, recent),
        in_progress=in_progress_list(content, started),
        csrf_token=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    state = shared_state(token=token)
    if state is None or state.content.roadmap is None:
        raise Http404
    # Visibility as for a visitor, whoever the owner or the viewer is; the navigation is
    # the viewer's own.
    viewer = viewer_of(request.user)
    if request.user.is_authenticated:
        mine = learner_state(user=request.user).progress
    else:  # a visitor's own, from their session (none: nothing)
        mine = visitor_state(session=request.session, content=state.content).progress
    page = rendered_once(state.content, viewer, "roadmap/shared.html", **SHARED).fill(
        states=state.states,
        progress=state.progress,
        viewer_progress=mine,
        owner_name=state.name or "A learner",
        share_url=request.build_absolute_uri(),
        csrf_token=get_token(request) if request.user.is_authenticated else "",
        messages=waiting_messages(request),
    )
    response = HttpResponse(page)
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
    svg = renderings.get(
        (state.content.version, "badge", value, theme),
        lambda: render_to_string(
            "roadmap/badge.svg", {"badge": Badge(label=title, value=value, theme=theme)}
        ),
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Robots-Tag"] = "noindex"
    return response


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def progress_reset_page(request: HttpRequest) -> HttpResponse:
    """Start over: clear the states of one part or of everything, confirmed by typing."""
    content = content_at(content_version())
    parts = [part for part in content.public_parts if part.status == Part.Status.PUBLISHED]
    form = ProgressResetForm(request.POST if request.method == "POST" else None, parts=parts)
    if request.method == "POST" and form.is_valid():
        part = form.part
        cleared = progress_reset(user=request.user, part=part, notes=form.cleaned_data["notes"])
        what = f"“{part.title}”" if part is not None else "the whole roadmap"
        notes = " and your notes on it" if form.cleaned_data["notes"] else ""
        messages.success(
            request, f"Your progress{notes} on {what} was cleared ({cleared} resources)."
        )
        return redirect("dashboard")
    return render(request, "roadmap/reset.html", {"form": form})


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


@private_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def resource_note(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """The learner's own note on a resource: an editor in place with htmx, a page of its
    own without JavaScript. Nobody else's note is ever read here: a note is found by its
    author and the resource."""
    _content, resource = counted_resource(str(public_id))
    if request.method == "POST":
        if "text" not in request.POST:  # not the editor's form: an empty text would delete
            return HttpResponseBadRequest(
                "Send text=... (an empty text deletes the note).", content_type="text/plain"
            )
        form = NoteForm(request.POST, resource=resource)
        if form.is_valid():
            note = note_save(user=request.user, resource=resource, text=form.cleaned_data["text"])
            if not request.htmx:
                messages.success(
                    request, "Your note was saved." if note else "Your note was deleted."
                )
                return redirect(f"{reverse('roadmap')}#{resource.anchor}")
            return render(
                request,
                "roadmap/roadmap.html#note-saved",
                {"resource": resource, "note": note, "focus": True},
            )
    else:
        note = Note.objects.filter(user=request.user, resource=resource).first()
        if request.htmx and request.GET.get("close"):  # Cancel: the note as it was
            context = {"resource": resource, "note": note, "focus": True}
            return render(request, "roadmap/roadmap.html#note-area", context)
        form = NoteForm(initial={"text": note.text if note else ""}, resource=resource)
    template = "roadmap/note.html#note-editor" if request.htmx else "roadmap/note.html"
    context = {"resource": resource, "form": form, "in_place": request.htmx}
    return render(request, template, context)
