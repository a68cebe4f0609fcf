import heapq
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, ProgrammingError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render, resolve_url
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh, reswap, retarget, trigger_client_event
from django_htmx.middleware import HtmxDetails

from accounts.decorators import private_page
from roadmap.badge import THEMES, Badge
from roadmap.content import (
    Content,
    RoadmapContent,
    content_at,
    content_version,
    counted_resource,
)
from roadmap.filters import FACETS, BadFilter, Filters
from roadmap.forms import NoteForm, ProgressResetForm
from roadmap.models import Note, Progress, Resource, ShareLink
from roadmap.pages import (
    notes_shown,
    roadmap_rendering,
    share_page_shell,
    shared_sections,
    tick_answer,
    viewer_of,
)
from roadmap.progress import VISITOR, navigation_progress, shared_state, viewer_state
from roadmap.render_once import Filled
from roadmap.services import (
    ContentBusy,
    NotCounted,
    NoteChanged,
    NoteSeen,
    note_digest,
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


def roadmap_seen(content: Content, slug: str, user) -> RoadmapContent:
    """The roadmap `slug` if the viewer may see it (a draft: staff only); 404 otherwise."""
    listed = content.by_slug.get(slug)
    if listed is None or not listed.visible_to(staff=user.is_staff):
        raise Http404
    return listed


# Private: it shows the viewer's own figures.
@private_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The published roadmaps in order (drafts too, for staff), with the viewer's figures:
    a learner's, or a visitor's once they have ticked something. The list is kept by all
    it is made of (`{% cache %}` in the template): the kind of viewer and their standing."""
    state = viewer_state(request)
    context = {
        "state": state,
        "visible": state.content.visible(staff=request.user.is_staff),
        "figures": request.user.is_authenticated or bool(state.rows),
        "progress": state.progress,
        "started": state.started,
    }
    return render(request, "roadmap/home.html", context)


# Private: a learner's page has their notes, and every page a CSRF token of its own.
@private_page
@require_safe
def roadmap_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The roadmap `slug` for everyone, made once per version of it for each kind of
    viewer (roadmap/pages.py), with the viewer's states, figures and notes filled in,
    and what the filters in its GET parameters hide left out (roadmap/filters.py)."""
    user = request.user
    try:
        filters = Filters.from_query(request.GET)
    except BadFilter as error:
        if request.htmx:  # (said in the page's alert: htmx_failures)
            return HttpResponseBadRequest(str(error), content_type="text/plain")
        # A page, with the way to the roadmap unfiltered (an address typed or kept).
        context = {"said": str(error), "instead": request.path}
        return HttpResponseBadRequest(render_to_string("400.html", context))
    state = viewer_state(request)  # a visitor's: what they ticked, from their session
    listed = roadmap_seen(state.content, slug, user)
    states = state.states_in(listed)
    filtered = filters.apply(listed, states, staff=user.is_staff)
    if request.htmx and request.htmx.target == "filter-sets":  # after a tick: the counts
        context = {"facets": FACETS, "filter_counts": filtered.counts, "oob": True}
        return render(request, "roadmap/filters.html#filter-counts", context)
    summary = ""
    if filters.active:
        summary = render_to_string(
            "roadmap/filters.html#filter-summary",
            {"roadmap": listed.roadmap, "filtered": filtered},
        )
    page = roadmap_rendering(listed, viewer_of(user)).fill(
        request=request,
        states=states,
        progress=state.progress,
        notes=notes_shown(listed, user) if user.is_authenticated else {},
        filter_checked=filters.checked,
        filter_counts=filtered.counts,
        filter_summary=summary,
        shown=filtered.shown,
    )
    return HttpResponse(page)


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


def too_many_changes(request: HtmxHttpRequest) -> HttpResponse:
    """429 for a visitor's write past the limit: the page that says so, or, with htmx,
    the same words in the page's alert region (base.html lets htmx swap a 429)."""
    if not request.htmx:
        return render(request, "429.html", {"visitor": True}, status=429)
    response = render(request, "429.html#explanation", {"visitor": True}, status=429)
    return retarget(reswap(response, "innerHTML"), "#page-alert")


# What an htmx request from a signed-in learner's page carries (base.html, on <body>).
SENT_SIGNED_IN = "X-Signed-In"


@require_POST
def progress_update(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """Set one resource's state (a learner's in their rows, a visitor's in their session);
    htmx gets the row and every affected bar back, and the event "progress-changed".

    The resource is looked up in the newest content this process has read, which saves
    reading the version first on the busiest write; `progress_set` checks it against the
    content as it is, and tries again on newer content if it has moved on."""
    key = str(public_id)
    # A visitor's session has no version to check a write against, as a learner's rows
    # have: their figures are counted against the content as it is now.
    signed_in = request.user.is_authenticated
    if not signed_in and request.headers.get(SENT_SIGNED_IN):
        # From a learner's page, whose session has ended since (logged out in another
        # tab, or expired): not a visitor's tick, which their next log-in would overturn
        # without a word. Not saved, and said so, with a link to log in (htmx_failures).
        return redirect_to_login(request.get_full_path())
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
        if request.htmx:
            return HttpResponseClientRefresh()  # the page it was sent from, as it now is
        return redirect(back_to_row(request, resource))
    here = standing.content.roadmap_of(standing.content.by_public_id[key])
    viewer = viewer_of(request.user)  # (its row as the page it came from shows it)
    in_results = request.POST.get("from") == "results"  # (a page of results says so)
    answer = tick_answer(standing.content, key, viewer, in_results=in_results).fill(
        request=request,
        states=dict.fromkeys(here.listings[resource.work_id], desired),  # its row and twins'
        progress=standing.progress,
    )
    # (A page's filter form then counts again what each option would show: filters.html.)
    return trigger_client_event(HttpResponse(answer), "progress-changed")


def back_to_row(request: HttpRequest, resource: Resource) -> str:
    """Where a form about `resource` sent without JavaScript goes back to (and its page's
    Cancel): the page it came from, at the resource's row; otherwise the row on its
    roadmap's page."""
    page = came_from(request)
    return f"{page}#{resource.anchor}" if page else resource.get_absolute_url()


def came_from(request: HttpRequest) -> str | None:
    """The page of rows a form about a resource came from (a filtered roadmap, search
    results): named by the form (`back`, on a page of its own: `ways_back`), or else the
    request's Referer (sent by browsers under the same-origin policy); None for none."""
    for url in (request.POST.get("back", ""), request.headers.get("Referer", "")):
        if page := this_sites_page(request, url):
            return page
    return None


def ways_back(request: HtmxHttpRequest, resource: Resource) -> dict:
    """A form's own page's ways back, for its template: `back`, the page it came from,
    which the form names to be sent back there (none in place: htmx answers there), and
    `cancel`, where its Cancel goes."""
    return {
        "back": "" if request.htmx else came_from(request) or "",
        "cancel": back_to_row(request, resource),
    }


# The pages that show resources' rows, by their URL's name: where a form about one goes
# back to.
PAGES_OF_ROWS = {"roadmap", "search"}


def this_sites_page(request: HttpRequest, url: str) -> str | None:
    """`url` without its fragment if it is a page of this site that shows resources' rows
    (a roadmap's, search results), not the log-in page a form's own page was reached
    through, say; None otherwise."""
    url = url.partition("#")[0]
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    try:
        name = resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None
    return url if name in PAGES_OF_ROWS else None


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


@private_page
@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """A card per roadmap the learner has started (bar, next up, in progress, by part),
    then what they completed lately, in any roadmap. Both are kept, named by all the
    learner's standing is made of (`{% cache %}` in the template): made again only when
    something of it changed."""
    state = viewer_state(request)
    context = {
        "state": state,
        # (Called only when what shows them is made.)
        "cards": lambda: dashboard_cards(state),
        "recent": lambda: recently_completed(state),
        "progress": state.progress,
    }
    with timezone.override(request.user.zone):  # dates in the learner's zone
        return render(request, "roadmap/dashboard.html", context)


def recently_completed(state) -> list[tuple[Resource, datetime]]:
    """The five works the learner completed last, newest first, each where it is first
    listed, with when."""
    return [
        (state.content.counted_works[work][0], datetime.fromtimestamp(when, UTC))
        for work, when in newest(state, Progress.State.DONE, 5)
    ]


def dashboard_cards(state) -> list[dict]:
    """A card per roadmap the learner has started: it, what they have in progress in it
    (newest first, each in each roadmap that lists it), next up and the hours left."""
    in_progress: dict[int, list[Resource]] = {}
    for work, _when in newest(state, Progress.State.IN_PROGRESS):
        for roadmap, resource in first_listings(state.content.counted_works[work]).items():
            in_progress.setdefault(roadmap, []).append(resource)
    return [
        {
            "listed": listed,
            "started": in_progress.get(listed.roadmap.pk, []),
            "next_up": state.next_up(listed),
            "hours_left": state.hours_left(listed),
            "anything_published": bool(listed.counted),
        }
        for listed in state.roadmaps_started()
    ]


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """A learner's progress in each roadmap they have started, read-only, for anyone with
    the link (roadmap/pages.py keeps it: each roadmap as everyone sees it)."""
    shared = shared_state(token=token)
    if shared is None:
        raise Http404
    shown = shared.roadmaps_started()
    if not shown:
        raise Http404  # no roadmap is published
    owner = shared.name or "A learner"
    first = shown[0]  # the headline's
    percent = shared.progress.get(first.key).percent
    sections = Filled.joined(shared_sections(shared, owner))
    # Visibility as for a visitor, whoever the owner or the viewer is; the navigation is
    # the viewer's own.
    page = share_page_shell(shared.content, viewer_of(request.user)).fill(
        request=request,
        progress=shared.progress,
        viewer_progress=navigation_progress(request),
        owner_name=owner,
        headline=f"{owner} is {percent}% through the {first.roadmap.title}",
        share_url=request.build_absolute_uri(),
        sections=sections,
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
    shared = shared_state(token=token)
    if shared is None:
        raise Http404
    content = shared.content
    listed = content.by_slug.get(slug) if slug else content.first
    if listed is None or not listed.visible_to(staff=False):  # as on the share page
        raise Http404
    badge = Badge(
        label=listed.roadmap.title,
        value=f"{shared.progress.get(listed.key).percent}%",
        theme=theme,
    )
    response = render(request, "roadmap/badge.svg", {"badge": badge}, content_type="image/svg+xml")
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
        where = f"“{chosen.title}”" if chosen is not None else "Every roadmap"
        said = f"{where} starts over: {cleared.states} state{pluralize(cleared.states)} cleared"
        if form.cleaned_data["notes"]:
            said += f", {cleared.notes} note{pluralize(cleared.notes)} deleted"
        messages.success(request, f"{said}.")
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
        "in_place": request.htmx,
    }
    template = "roadmap/sharing.html#sharing-panel" if request.htmx else "roadmap/sharing.html"
    return render(request, template, context)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when this process can serve pages: the database answers, the shared cache
    answers (log-ins' and visitors' limits, kept renderings: without its table every
    log-in was a 500) and the static files were collected (without them every page
    was); 503 saying which does not. Touches no session. With the database as the shared
    cache, one statement asks both, as cheap as `SELECT 1`."""
    shared = caches["default"]
    try:
        with connection.cursor() as cursor:
            if isinstance(shared, DatabaseCache):  # (its table: `createcachetable`'s)
                table = connection.ops.quote_name(settings.CACHES["default"]["LOCATION"])
                cursor.execute(f"SELECT 1 FROM {table} LIMIT 0")  # noqa: S608 - a setting
            else:
                cursor.execute("SELECT 1")
                shared.get("healthz")
    except Exception as error:  # the database; the cache's table (ProgrammingError); Redis
        down = isinstance(error, DatabaseError) and not isinstance(error, ProgrammingError)
        said = "database unavailable" if down else "shared cache unavailable"
        return HttpResponse(f"{said}\n", status=503, content_type="text/plain")
    try:
        staticfiles_storage.url("css/site.css")
    except ValueError:  # a manifest without it, or none
        return HttpResponse("static files not collected\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def note_changed(request: HtmxHttpRequest, public_id, *, written_for: int | None):
    """The resource as it is and its editor again, when the note the editor showed changed
    while its learner wrote (the resource was given another URL, or another URL's note
    was joined into it): the text they sent kept, and what it would replace shown, so
    nothing is lost either way; saving again is saving over that."""
    _content, resource = counted_resource(str(public_id), current=True)
    there = Note.objects.filter(user=request.user, work=resource.work_id).first()
    data = request.POST.copy()
    data["work"], data["seen"] = resource.work_id, note_digest(there and there.text)
    form = NoteForm(data, resource=resource, note=there)
    form.is_valid()
    if resource.work_id != written_for:
        what = f"this resource was given another link, {resource.url}"
    else:
        what = "your note on it changed"
    said = f"it says: “{Truncator(there.text).chars(200)}”" if there else "there is no note there"
    form.add_error(
        "text",
        f"While you wrote, {what}, and {said}. "
        "Nothing was saved: your text is below, and saving it again replaces that.",
    )
    return resource, form


@private_page
@require_http_methods(["GET", "HEAD", "POST"])
def resource_note(request: HtmxHttpRequest, public_id) -> HttpResponse:
    """The learner's own note on a resource: an editor in place with htmx, a page of its
    own without JavaScript. Nobody else's note is ever read here: a note is found by its
    author and the resource, at the content as it is (a curator may have just given the
    resource another URL, and the learner another note there)."""
    sent = request.method == "POST" and not request.htmx and "text" in request.POST
    if not request.user.is_authenticated and not sent:
        return redirect_to_login(request.get_full_path())  # (htmx: said, editor kept)
    try:
        _content, resource = counted_resource(str(public_id), current=True)
    except Http404:
        if sent:
            return note_not_saved(request, None)
        raise  # (htmx: said, editor kept)
    if not request.user.is_authenticated:
        return note_not_saved(request, resource)
    note = Note.objects.filter(user=request.user, work=resource.work_id).first()
    if request.method == "POST":
        if "text" not in request.POST:  # not the editor's form: an empty text would delete
            return HttpResponseBadRequest(
                "Send text=... (an empty text deletes the note).", content_type="text/plain"
            )
        form = NoteForm(request.POST, resource=resource, note=note)
        if form.is_valid():
            work, digest = form.cleaned_data["work"], form.cleaned_data["seen"]
            try:
                note = note_save(
                    user=request.user,
                    resource=resource,
                    text=form.cleaned_data["text"],
                    seen=NoteSeen(work, digest) if work is not None else None,
                )
            except NoteChanged:
                # (The editor again, below: 200, as a form with errors, which htmx swaps.)
                resource, form = note_changed(request, public_id, written_for=work)
            else:
                if not request.htmx:
                    said = "Your note was saved." if note else "Your note was deleted."
                    messages.success(request, said)
                    return redirect(back_to_row(request, resource))
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
    return render(request, template, context | ways_back(request, resource))


def note_not_saved(request: HttpRequest, resource: Resource | None) -> HttpResponse:
    """A note sent without JavaScript from a page whose session has ended since (logged
    out in another tab, or expired), or on a resource a curator has taken off the roadmap
    since (None: named nowhere): not saved, and said so, with what was typed shown to
    copy (and a link to log in). Nothing is kept for later: the next to log in on this
    browser may be somebody else."""
    context = {"typed": request.POST["text"], "resource": resource}
    if resource is None:
        return render(request, "roadmap/note.html", context, status=404)
    context["log_in"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
    return render(request, "roadmap/note.html", context, status=403)
