import heapq
from datetime import datetime

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import get_current_timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from accounts.decorators import private_page
from roadmap.badge import THEMES, Badge
from roadmap.content import (
    Content,
    RoadmapContent,
    content_at,
    content_version,
    latest_content,
)
from roadmap.forms import NoteForm, ProgressResetForm
from roadmap.models import Note, Progress, Resource, ShareLink
from roadmap.progress import VISITOR, learner_state, shared_state, visitor_state
from roadmap.render_once import Filled, Rendering, render_once, renderings
from roadmap.services import (
    ContentBusy,
    NotCounted,
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


def kept(scope: tuple, template: str, key: tuple, context, *, shared: bool = False) -> Rendering:
    """`template` rendered once for everybody with `context()` (called only to render),
    kept in this process under the version it is made from (`Content.scope`: a roadmap's
    own, or the site's) and `key` (all else that the context depends on); with `shared`,
    in every process (a whole roadmap, which takes long to render: its page, its section
    of a share page)."""
    return renderings.get(
        (scope, template, *key), lambda: render_once(template, context()), shared=shared
    )


def rendered_once(
    content: Content, viewer: str, template: str, listed: RoadmapContent | None = None, **context
) -> Rendering:
    """`template` as `viewer` sees it, with the roadmap `listed` (on a share page when
    `context` says so), made once per content version from that version's snapshot."""

    def everything() -> dict:
        seen = {**VIEWERS[viewer], **context}
        if listed is None:
            about = {
                "visible": content.visible(staff=seen["drafts"]),  # the roadmaps the viewer sees
                "default_roadmap": content.first and content.first.roadmap,
            }
        else:  # one roadmap's alone: kept under its version, and what it shows of others
            about = {
                "roadmap": listed.roadmap,
                "parts": listed.parts_for(staff=seen["drafts"]),
                "counted": listed.counted,
                "prerequisites": listed.prerequisites,
            }
        return {**about, **seen}

    shown = tuple((p.pk, p.title, p.slug) for p in listed.prerequisites) if listed else ()
    key = (viewer, shown, *sorted(context.items()))
    return kept(content.scope(listed), template, key, everything, shared=listed is not None)


def roadmap_seen(content: Content, slug: str, user) -> RoadmapContent:
    """The roadmap `slug` if the viewer may see it (a draft: staff only); 404 otherwise."""
    listed = content.by_slug.get(slug)
    if listed is None or not listed.visible_to(staff=user.is_staff):
        raise Http404
    return listed


def viewer_state(request: HttpRequest):
    """Where the viewer stands: a learner's rows, or a visitor's from their session."""
    if request.user.is_authenticated:
        return learner_state(user=request.user)
    return visitor_state(session=request.session, content=content_at(content_version()))


# Private: it shows the viewer's own figures.
@private_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The published roadmaps in order (drafts too, for staff), with the viewer's figures:
    a learner's, or a visitor's once they have ticked something."""
    state = viewer_state(request)
    content = state.content
    viewer = viewer_of(request.user)
    figures = viewer != "visitor" or bool(state.rows)
    page = rendered_once(content, viewer, "roadmap/home.html", figures=figures).fill(
        progress=state.progress,
        continue_label={str(pk): "Continue" for pk in state.started},
        csrf_token=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


def waiting_messages(request: HttpRequest) -> str:
    """The messages waiting for this request, rendered; nothing (and no work) if none."""
    waiting = messages.get_messages(request)
    if not len(waiting):
        return ""
    return render_to_string("base.html#messages", {"messages": waiting})  # safe: rendered


# Private: a learner's page has their notes, and every page a CSRF token of its own.
@private_page
@require_safe
def roadmap_page(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    state = viewer_state(request)  # a visitor's: what they ticked, from their session
    listed = roadmap_seen(state.content, slug, user)
    notes = notes_shown(state.content, listed, user) if user.is_authenticated else {}
    page = rendered_once(state.content, viewer_of(user), "roadmap/roadmap.html", listed).fill(
        states=state.states_in(listed),
        progress=state.progress,
        notes=notes,
        csrf_token=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


def notes_shown(content: Content, listed: RoadmapContent, user) -> dict[str, Filled]:
    """The learner's notes, on every resource of the roadmap `listed` listing their works,
    as their rows show them: one query however many, each rendered when it was saved."""
    shown = kept(content.scope(listed), "roadmap/roadmap.html#note-shown", (), dict)
    listings = listed.listings
    return {
        # (`html` was rendered by the safe Markdown renderer when the note was saved.)
        key: shown.fill_value(note_html=mark_safe(html))  # noqa: S308
        for work, html in Note.objects.filter(user=user).values_list("work_id", "html")
        for key in listings.get(work, ())
    }


def progress_answer(content: Content, public_id: str, viewer: str) -> Rendering:
    """The htmx answer to a change of one resource's state: its row, and out of band the
    other rows of its roadmap listing the same URL, the bars of its roadmap that count
    its work (its topic's and part's, and those of any other topic or part listing it),
    the roadmap's overall bar, the navigation's percentage and the announcement."""
    resource = content.by_public_id[public_id]
    listed = content.roadmap_of(resource)

    def context() -> dict:
        listings = content.counted_works[resource.work_id]
        here = [other for other in listings if other.topic.part.roadmap_id == listed.roadmap.pk]
        return {
            **VIEWERS[viewer],
            "resource": resource,
            "twins": [other for other in here if other != resource],
            "topics": list(dict.fromkeys(other.topic for other in here)),
            "parts": list(dict.fromkeys(other.topic.part for other in here)),
            "roadmap": listed.roadmap,
            "counted": listed.counted,
        }

    return kept(
        content.scope(listed), "roadmap/roadmap.html#progress-updated", (public_id, viewer), context
    )


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


def too_many_changes(request: HtmxHttpRequest) -> HttpResponse:
    """429 for a visitor's write past the limit: the page that says so, or, with htmx,
    the same words in the page's alert region (base.html lets htmx swap a 429)."""
    if not request.htmx:
        return ratelimit.respond_429(request)
    response = render(request, "429.html#explanation", status=429)
    return retarget(reswap(response, "innerHTML"), "#page-alert")


@require_POST
def progress_update(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Set one resource's state (a learner's in their rows, a visitor's in their session);
    htmx gets the row and every affected bar back.

    The resource is looked up in the newest content this process has read, which saves
    reading the version first on the busiest write; `progress_set` checks it against the
    content as it is, and tries again on newer content if it has moved on."""
    key = str(public_id)
    # A visitor's session has no version to check a write against, as a learner's rows
    # have: their figures are counted against the content as it is now.
    signed_in = request.user.is_authenticated
    if not signed_in and not ratelimit.consume(request, action="visitor_write"):
        return too_many_changes(request)
    content, resource = counted_resource(key, current=not signed_in)
    desired = desired_state(request.POST)
    if desired is None:
        return HttpResponseBadRequest(
            "Send done=1 or done=0, or state=not_started, in_progress, done or skipped.",
            content_type="text/plain",
        )

    if not signed_in:
        new_visitor = VISITOR not in request.session and desired != Progress.State.NOT_STARTED
        if new_visitor and not ratelimit.consume(request, action="visitor_session"):
            return too_many_changes(request)  # the session this write would make: refused
        standing = visitor_progress_set(
            session=request.session, resource=resource, state=desired, content=content
        )
    else:
        try:
            standing = progress_set(
                user=request.user, resource=resource, state=desired, content=content
            )
        except NotCounted:
            raise Http404 from None
        except ContentBusy:
            return HttpResponse(
                "The roadmap is being edited right now. Try again.",
                status=503,
                content_type="text/plain",
            )
        resource = standing.content.by_public_id.get(key, resource)  # as it is now
    if not request.htmx or key not in standing.content.by_public_id:
        # (With htmx too when the content has changed since and the resource no longer
        # counts: the page comes back as it now is.)
        label = Progress.State(desired).label.lower()
        messages.success(request, f"{resource.title} marked as {label}.")
        target = resource.get_absolute_url()
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    # A learner's htmx requests carry the page's token in a header (base.html); a
    # visitor's page has none, so the row they get back carries its own.
    here = standing.content.roadmap_of(standing.content.by_public_id[key])
    answer = progress_answer(standing.content, key, "learner" if signed_in else "visitor").fill(
        states=dict.fromkeys(here.listings[resource.work_id], desired),  # its row and twins'
        progress=standing.progress,
        csrf_token="" if signed_in else get_token(request),
    )
    return HttpResponse(answer)


def next_up_fragment(content: Content, next_up: str | None, anything: bool) -> str:
    """A roadmap's "next up" on the dashboard: the same for every learner with the same
    next resource."""
    scope = content.scope(next_up and content.roadmap_of(content.by_public_id[next_up]))
    return renderings.get(
        (scope, "next-up", next_up, anything),
        lambda: render_to_string(
            "roadmap/dashboard.html#next-up",
            {"next_up": next_up and content.by_public_id[next_up], "anything_published": anything},
        ),
    )


def resource_items(
    content: Content, template: str, listed: list[tuple[Resource, float | None]]
) -> Filled:
    """Resources as the dashboard lists them (in progress, recently completed): each item
    rendered once per content version, its time filled in."""
    here = get_current_timezone()
    items = []
    for resource, when in listed:
        scope = content.scope(content.roadmap_of(resource))
        item = kept(scope, template, (resource.pk,), lambda r=resource: {"resource": r})
        at = datetime.fromtimestamp(when, here) if when is not None else None
        items.append(
            item.fill_value(
                iso=at.isoformat() if at else "", day=date_format(at.date(), "j F Y") if at else ""
            )
        )
    return Filled.joined(items)


def newest(state, which: str, at_most: int | None = None) -> list[tuple[int, float]]:
    """The learner's works in state `which` that count now, newest first."""
    found = (
        (when, work)
        for work, when in state.since.items()
        if state.rows[work] == which and work in state.content.counted_works
    )
    ranked = heapq.nlargest(at_most, found) if at_most else sorted(found, reverse=True)
    return [(work, when) for when, work in ranked]


def first_listings(resources: list[Resource]) -> dict[int, Resource]:
    """Of a work's resources, the first in each roadmap, by roadmap id."""
    first: dict[int, Resource] = {}
    for resource in resources:
        first.setdefault(resource.topic.part.roadmap_id, resource)
    return first


def roadmap_card(content: Content, listed: RoadmapContent, state, started, viewer) -> Filled:
    """A roadmap on the learner's dashboard: its bar, what is next and what is in
    progress in it, and its parts' bars."""
    card = kept(
        content.scope(listed),
        "roadmap/dashboard.html#roadmap-card",
        (listed.roadmap.pk, bool(started), viewer),
        lambda: {
            **VIEWERS[viewer],
            "roadmap": listed.roadmap,
            "parts": listed.parts_for(staff=VIEWERS[viewer]["drafts"]),
            "started": bool(started),
        },
    )
    # Next: the first resource in reading order the learner has not started at all.
    next_up = next(
        (str(r.public_id) for r in listed.counted.values() if r.work_id not in state.rows), None
    )
    return card.fill_value(
        progress=state.progress,
        next_up=next_up_fragment(content, next_up, bool(listed.counted)),
        started_items=resource_items(content, "roadmap/dashboard.html#started-item", started),
    )


@private_page
@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """A card per roadmap the learner has started (bar, next up, in progress), then what
    they completed lately, in any roadmap."""
    state = learner_state(user=request.user)
    content = state.content
    viewer = viewer_of(request.user)
    # What is in progress, newest first, in each roadmap that lists it (no date shown).
    in_progress: dict[int, list] = {}
    for work, _when in newest(state, Progress.State.IN_PROGRESS):
        for roadmap, resource in first_listings(content.counted_works[work]).items():
            in_progress.setdefault(roadmap, []).append((resource, None))
    cards = []
    for listed in started_roadmaps(state):
        started = in_progress.get(listed.roadmap.pk, [])
        cards.append(roadmap_card(content, listed, state, started, viewer))
    if not cards:
        cards.append(
            kept(content.scope(), "roadmap/dashboard.html#no-cards", (), dict).fill_value()
        )
    # Each completed work once, where it is first listed.
    recent = [
        (content.counted_works[work][0], when)
        for work, when in newest(state, Progress.State.DONE, 5)
    ]
    listing = kept(
        content.scope(),
        "roadmap/dashboard.html#recent",
        (bool(recent),),
        lambda: {"recent": bool(recent)},
    )
    page = rendered_once(content, viewer, "roadmap/dashboard.html").fill(
        progress=state.progress,
        learner_name=str(request.user),
        cards=Filled.joined(cards),
        recent=listing.fill_value(
            recent_items=resource_items(content, "roadmap/dashboard.html#recent-item", recent)
        ),
        csrf_token=get_token(request),
        messages=waiting_messages(request),
    )
    return HttpResponse(page)


def started_roadmaps(state) -> list[RoadmapContent]:
    """The published roadmaps a learner has started, in order; before they start any,
    the first: what their dashboard and their share page show."""
    published = state.content.published
    return [listed for listed in published if listed.roadmap.pk in state.started] or published[:1]


def shared_sections(content: Content, state, viewer: str) -> Filled:
    """Each roadmap the learner has started, as their share page shows it: bars and
    states, read-only."""
    sections = [
        rendered_once(
            content,
            viewer,
            "roadmap/shared.html#shared-roadmap",
            listed,
            anchor_prefix=f"{listed.roadmap.slug}-",  # ids unique on a page of several
            **SHARED,
        ).fill_value(
            states=state.states_in(listed),
            progress=state.progress,
            owner_name=state.name or "A learner",
        )
        for listed in started_roadmaps(state)
    ]
    return Filled.joined(sections)


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    state = shared_state(token=token)
    if state is None:
        raise Http404
    content = state.content
    # Visibility as for a visitor, whoever the owner or the viewer is; the navigation is
    # the viewer's own.
    viewer = viewer_of(request.user)
    if request.user.is_authenticated:
        mine = learner_state(user=request.user).progress
    else:  # a visitor's own, from their session (none: nothing)
        mine = visitor_state(session=request.session, content=content).progress
    owner = state.name or "A learner"
    shown = started_roadmaps(state)
    if not shown:
        raise Http404  # no roadmap is published
    first = shown[0]  # the headline's
    percent = state.progress.get(first.key).percent
    headline = f"{owner} is {percent}% through the {first.roadmap.title}"
    page = rendered_once(content, viewer, "roadmap/shared.html", **SHARED).fill(
        progress=state.progress,
        viewer_progress=mine,
        owner_name=owner,
        headline=headline,
        sections=shared_sections(content, state, viewer),
        share_url=request.build_absolute_uri(),
        csrf_token=get_token(request) if request.user.is_authenticated else "",
        messages=waiting_messages(request),
    )
    response = HttpResponse(page)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def share_badge(request: HttpRequest, token: str, slug: str | None = None) -> HttpResponse:
    """The learner's percentage of one published roadmap (by default the first) as an SVG
    badge."""
    theme = request.GET.get("theme", "light")
    if theme not in THEMES:
        return HttpResponseBadRequest("theme must be light or dark.", content_type="text/plain")
    state = shared_state(token=token)
    if state is None:
        raise Http404
    content = state.content
    listed = content.by_slug.get(slug) if slug else content.first
    if listed is None or not listed.visible_to(staff=False):  # as on the share page
        raise Http404
    title = listed.roadmap.title
    value = f"{state.progress.get(listed.key).percent}%"
    svg = renderings.get(
        (content.scope(), "badge", title, value, theme),
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
    """Start over: clear the states of one part, one roadmap or everything, confirmed by
    typing."""
    content = content_at(content_version())
    form = ProgressResetForm(
        request.POST if request.method == "POST" else None, roadmaps=content.published
    )
    if request.method == "POST" and form.is_valid():
        part, roadmap = form.part, form.roadmap
        cleared = progress_reset(
            user=request.user, part=part, roadmap=roadmap, notes=form.cleaned_data["notes"]
        )
        chosen = part or roadmap
        what = f"“{chosen.title}”" if chosen is not None else "every roadmap"
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
        "roadmaps": [listed.roadmap for listed in content_at(content_version()).published],
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
    note = Note.objects.filter(user=request.user, work=resource.work_id).first()
    if request.method == "POST":
        if "text" not in request.POST:  # not the editor's form: an empty text would delete
            return HttpResponseBadRequest(
                "Send text=... (an empty text deletes the note).", content_type="text/plain"
            )
        form = NoteForm(request.POST, resource=resource, note=note)
        if form.is_valid():
            note = note_save(user=request.user, resource=resource, text=form.cleaned_data["text"])
            if not request.htmx:
                messages.success(
                    request, "Your note was saved." if note else "Your note was deleted."
                )
                return redirect(resource.get_absolute_url())
            return render(
                request,
                "roadmap/roadmap.html#note-saved",
                {"resource": resource, "note": note, "focus": True},
            )
    else:
        if request.htmx and request.GET.get("close"):  # Cancel: the note as it was
            context = {"resource": resource, "note": note, "focus": True}
            return render(request, "roadmap/roadmap.html#note-area", context)
        form = NoteForm(initial={"text": note.text if note else ""}, resource=resource, note=note)
    template = "roadmap/note.html#note-editor" if request.htmx else "roadmap/note.html"
    context = {"resource": resource, "form": form, "in_place": request.htmx}
    return render(request, template, context)
