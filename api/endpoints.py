"""The API, version 1 (Django Ninja): the published roadmaps for anyone; a learner's
progress and activity with their token. Every answer is made from what the pages use
(the content snapshot, `learner_state`, `progress_set`), so it says what they say."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import wraps
from uuid import UUID

import pydantic_core
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Query
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.renderers import BaseRenderer
from pydantic import BaseModel, Field

from accounts.decorators import private_page
from activity.models import Event
from activity.rhythm import rhythm_of
from api import auth
from api.schemas import (
    ActivityOut,
    Error,
    Listing,
    ProgressOut,
    ProgressSetOut,
    RoadmapList,
    RoadmapOut,
    StateIn,
)
from roadmap.content import ROADMAP, Content, RoadmapContent, content_at, content_version
from roadmap.content import counted_resource as counted
from roadmap.kept import ProcessCache
from roadmap.models import Resource
from roadmap.progress import ProgressSummary, learner_state
from roadmap.services import ContentBusy, NotCounted, progress_set


def schema_page(view):
    """The schema and the docs (Ninja's views): GET and HEAD, and a 405 in the API's shape
    for anything else (never the CSRF check's page: nothing here is signed in)."""

    @csrf_exempt
    @wraps(view)
    def page(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = error(request, 405, f"{request.path} takes GET, HEAD.")
            response["Allow"] = "GET, HEAD"
            return response
        return view(request, *args, **kwargs)

    return page


class JSON(BaseRenderer):
    """Answers written by pydantic's serializer, as the kept roadmap documents are, rather
    than by the json module with Ninja's encoder (Ninja's public `renderer`): in-process,
    `GET /me/progress`'s page of 100 takes 4.9 ms instead of 6.1; in the bench, 0.20 ->
    0.24 of /healthz (docs/performance.md, "The personal API"). Cost: times are written to
    the microsecond (Ninja's encoder cut them to the millisecond). Django's lazy strings
    are written as strings, as Ninja's encoder writes them; anything else it cannot write
    is an error, not its repr."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data, *, response_status: int) -> bytes:
        return pydantic_core.to_json(data, fallback=self.lazy_text)

    @staticmethod
    def lazy_text(value) -> str:
        if isinstance(value, Promise):
            return str(value)
        raise TypeError(f"{type(value).__name__} cannot be written as JSON")


api = NinjaAPI(
    title="Deep Learning Roadmap API",
    version="1",
    description=(
        "The published roadmaps, for anyone; your progress and activity with a personal"
        " access token (made on /me/tokens/), sent as `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    docs_decorator=schema_page,
    renderer=JSON(),
)

# The public operations are as open as the pages they mirror; a token's are limited per
# token (auth.per_token), counted in the token's row.
# The errors each kind of operation may answer, as the schema states them.
PUBLIC = {400: Error, 404: Error, 422: Error}
PRIVATE = {400: Error, 401: Error, 422: Error, 429: Error}
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid",
    429: "throttled",
    500: "server_error",
    503: "busy",
}
# Every method a client may send; an address answers those it does not take with a 405.
# (A verb nobody uses, PROPFIND say, gets Ninja's own plain 405.)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


def error(request: HttpRequest, status: int, detail: str, **more) -> HttpResponse:
    """The one shape of every error the API answers (`Error`)."""
    body = {"code": CODES.get(status, "error"), "detail": detail, **more}
    return api.create_response(request, body, status=status)


def operation(method: str, path: str, **options):
    """Register a view as the operation `method` on `path` (with Ninja's `options`). A
    GET also answers HEAD, which load balancers and `curl -I` send (kept out of the
    schema: it is the GET without a body); every other method gets a 405 in the API's
    shape, with `Allow`."""
    taken = [method, "HEAD"] if method == "GET" else [method]

    def refuse(request: HttpRequest) -> HttpResponse:
        response = error(request, 405, f"{path} takes {', '.join(taken)}.")
        response["Allow"] = ", ".join(taken)
        return response

    def register(view):
        api.api_operation([method], path, **options)(view)
        if method == "GET":
            api.api_operation(["HEAD"], path, include_in_schema=False, **options)(view)
        others = [other for other in METHODS if other not in taken]
        with warnings.catch_warnings():  # (the refusal reads none of the path's parameters)
            warnings.simplefilter("ignore", UserWarning)
            api.api_operation(others, path, include_in_schema=False)(refuse)
        return view

    return register


@csrf_exempt  # (never signed in by a cookie: there is nothing to forge)
def no_operation(request: HttpRequest, *args) -> HttpResponse:
    """An address under /api/v1/ that names no operation: a 404 in the API's shape."""
    return error(request, 404, "No such operation: see /api/v1/docs.")


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error(
        request, 401, "Send a valid token: Authorization: Bearer <token> (made on /me/tokens/)."
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = error(request, 429, "Too many requests: wait a little.")
    response["Retry-After"] = str(math.ceil(exc.wait or 60))
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "Not found.")


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in exc.errors]
    return error(request, 422, "The request is not valid.", errors=errors)


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Logged as Django logs what it answers with a 400 or 500 (and so reported to
    Sentry), answered in the API's shape."""
    if isinstance(exc, BadRequest | SuspiciousOperation):  # a request Django cannot read
        if isinstance(exc, SuspiciousOperation):
            logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
        return error(request, 400, "The request could not be read.")
    logging.getLogger("django.request").error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    return error(request, 500, "Something went wrong on our side. It has been recorded.")


class PageQuery(BaseModel):
    limit: int = Field(100, ge=1, le=500, description="How many, at most.")
    offset: int = Field(0, ge=0, le=1_000_000, description="How many to pass over first.")


def page_of(request: HttpRequest, count: int, page: PageQuery) -> dict:
    """The count and the neighbouring pages' URLs of a page of `count` items."""

    def at(offset: int) -> str:
        query = request.GET.copy()
        query["limit"], query["offset"] = str(page.limit), str(offset)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    ahead = page.offset + page.limit
    return {
        "count": count,
        "next": at(ahead) if ahead < count else None,
        # (From past the end: the last page.)
        "previous": at(max(min(page.offset, count) - page.limit, 0)) if page.offset else None,
    }


def summary_of(site: str, listed: RoadmapContent) -> dict:
    """What a list of roadmaps says of the roadmap `listed`, whose page is on `site`."""
    roadmap = listed.roadmap
    return {
        "slug": roadmap.slug,
        "title": roadmap.title,
        "summary": roadmap.summary,
        "url": site.rstrip("/") + roadmap.get_absolute_url(),
        "resources": listed.works_counted,
        "hours": listed.total_hours,
        "prerequisites": [prerequisite.slug for prerequisite in listed.prerequisites],
    }


def listing_of(content: Content, resource: Resource) -> Listing:
    """Where `resource` is listed."""
    topic = resource.topic
    return Listing(
        id=resource.public_id,
        title=resource.title,
        url=resource.url,
        roadmap=content.by_id[topic.part.roadmap_id].roadmap.slug,
        part=topic.part.title,
        topic=topic.title,
    )


# Where each work is listed (`Listing`), made when first asked for and kept per content
# version in each process: it depends on the content alone. Gain: GET /me/progress's page
# of 100 (285 listings) 8.5 -> 6.1 ms in-process, 0.15 -> 0.20 of /healthz in the bench;
# cost: a list per work asked for, at most every work's (about 10,000 listings).
listings = ProcessCache()


def listed_in(content: Content, works: Iterable[int]) -> dict[int, list[Listing]]:
    """Where each of `works` is listed now, for everyone (an empty list: nowhere)."""
    kept = listings.get((content.version, "listings"), dict)
    shown = content.works_shown_to(staff=False)
    for work in works:
        if work not in kept:
            kept[work] = [listing_of(content, resource) for resource in shown.get(work, ())]
    return kept


def figures_of(progress: ProgressSummary, roadmaps: list[RoadmapContent]) -> list[dict]:
    """A learner's figures (`progress`) in each of `roadmaps` (`Figure`)."""
    return [
        {"roadmap": listed.roadmap.slug, **figure._asdict(), "percent": figure.percent}
        for listed in roadmaps
        for figure in [progress.get(listed.key)]
    ]


@operation("GET", "/roadmaps", response={200: RoadmapList, **PUBLIC}, tags=["roadmaps"])
def roadmaps(request: HttpRequest, page: Query[PageQuery]):
    """The published roadmaps, in order."""
    published = content_at(content_version()).published
    shown = published[page.offset : page.offset + page.limit]
    site = request.build_absolute_uri("/")
    return {
        **page_of(request, len(published), page),
        "items": [summary_of(site, listed) for listed in shown],
    }


@operation("GET", "/roadmaps/{slug}", response={200: RoadmapOut, **PUBLIC}, tags=["roadmaps"])
def roadmap(request: HttpRequest, slug: str):
    """One published roadmap: its parts, topics and resources, as its page shows them
    to everyone (a coming-soon part has no resources yet)."""
    listed = content_at(content_version()).by_slug.get(slug)
    if listed is None or not listed.visible_to(staff=False):
        raise Http404
    # (Its prerequisites are other roadmaps, whose edits leave its version as it is.)
    shown = tuple(prerequisite.slug for prerequisite in listed.prerequisites)
    document = documents.get((listed.scope, *shown), lambda: roadmap_document(NO_SITE, listed))
    # The site's address as this request reached it, in the one field that names it (its
    # key and quotes too: a text may hold the characters `\u0000/`, never those quotes).
    site = pydantic_core.to_json(request.build_absolute_uri("/"))[:-1]
    return HttpResponse(
        document.replace(NO_SITE_JSON, b'"url":' + site, 1), content_type="application/json"
    )


# Each published roadmap's document, made once per version of the roadmap in each process
# and kept: it depends on the content alone. Cost: a few megabytes per worker for 20
# roadmaps; gain: docs/performance.md ("The personal API"). It is kept with no address
# of the site, which each request puts in: kept by address, one for each port a client
# wrote in its Host, it grew without bound. (NUL, which no text in the database holds.)
documents = ProcessCache()
NO_SITE = "\x00/"
NO_SITE_JSON = b'"url":' + pydantic_core.to_json(NO_SITE)[:-1]


def roadmap_document(site: str, listed: RoadmapContent) -> bytes:
    """The roadmap `listed`, as its page shows it to everyone, in JSON (RoadmapOut)."""
    document = {
        **summary_of(site, listed),
        "introduction": listed.roadmap.introduction,
        "parts": [
            {
                "slug": part.slug,
                "title": part.title,
                "summary": part.summary,
                "status": part.status,
                "topics": [
                    {
                        "slug": topic.slug,
                        "title": topic.title,
                        "summary": topic.summary,
                        "resources": [
                            {
                                "id": resource.public_id,
                                "title": resource.title,
                                "url": resource.url,
                                "kind": resource.kind,
                                "level": resource.level,
                                "cost": resource.cost,
                                "hours": resource.hours,
                                "description": resource.description,
                            }
                            for resource in resources
                        ],
                    }
                    for topic, resources in topics
                ],
            }
            for part, topics in listed.shown(staff=False)
        ],
    }
    return RoadmapOut.model_validate(document).model_dump_json().encode()


def yours(method: str, path: str, answer: type, *, write: bool = False, errors=None):
    """Register an operation on the token's learner's own data: with a token (one that
    may write, for `write`), limited per token, never stored by a cache on the way (as
    the learner's own pages); `errors`: what else it may answer."""
    register = operation(
        method,
        path,
        auth=auth.write if write else auth.read,
        throttle=auth.per_token,
        response={200: answer, **PRIVATE, **(errors or {})},
        tags=["your progress"],
    )
    return lambda view: register(decorate_view(private_page)(view))


@yours("GET", "/me/progress", ProgressOut)
def my_progress(request: HttpRequest, page: Query[PageQuery]):
    """Every resource you have a state of (a URL listed in several places is one), where
    it is listed, and your figures in each published roadmap: the numbers the pages
    show, in a stable order (of when each resource's address was first listed). One no
    roadmap shows now (archived, or only in a draft) keeps its state, with no `url` and
    no listings; a state kept under an address no resource has any more (a curator
    moved a resource to a new one and kept the states with the old) is not here, but in
    /me/export.json."""
    state = learner_state(user=request.auth.user)
    content = state.content
    works = sorted(state.rows)[page.offset : page.offset + page.limit]
    places = listed_in(content, works)
    since = state.since
    return {
        **page_of(request, len(state.rows), page),
        "roadmaps": figures_of(state.progress, content.published),
        "items": [
            {
                "state": state.rows[work],
                "since": datetime.fromtimestamp(since[work], UTC) if work in since else None,
                "counts": work in content.counted_works,
                "url": places[work][0].url if places[work] else None,
                "listed_in": places[work],
            }
            for work in works
        ],
    }


@yours(
    "PUT",
    "/me/progress/{public_id}",
    ProgressSetOut,
    write=True,
    errors={403: Error, 404: Error, 503: Error},
)
def my_progress_set(request: HttpRequest, public_id: UUID, body: StateIn):
    """Set your state of a resource (by its public id): the desired state, so sending it
    twice changes nothing more. Every listing of its URL shows the new state."""
    content, resource = counted(str(public_id))
    try:
        standing = progress_set(
            user=request.auth.user, resource=resource, state=body.state, content=content
        )
    except NotCounted:
        raise Http404 from None
    except ContentBusy:
        raise HttpError(503, "The roadmap is being edited right now. Try again.") from None
    content = standing.content
    resource = content.by_public_id.get(str(public_id), resource)
    listing = {pk for scope, pk in content.counted_in.get(resource.work_id, ()) if scope == ROADMAP}
    return {
        "id": public_id,
        "state": body.state,
        "roadmaps": figures_of(
            standing.progress,
            [listed for listed in content.published if listed.roadmap.pk in listing],
        ),
    }


@yours("GET", "/me/activity", ActivityOut)
def my_activity(request: HttpRequest, page: Query[PageQuery]):
    """Your streaks, this week's count against your goal, and every change of state you
    made, newest first; days are in your time zone as it was then."""
    user = request.auth.user
    rhythm = rhythm_of(user)
    # By when each was made (a visitor's state kept at log-in is recorded later, dated
    # then), in the order recorded within an instant: the export's order, reversed.
    events = Event.objects.filter(user=user).order_by("-at", "-id")
    shown = events[page.offset : page.offset + page.limit]
    places = listed_in(content_at(content_version()), [event.work_id for event in shown])
    return {
        **page_of(request, events.count(), page),
        "current_streak": rhythm.current_streak,
        "longest_streak": rhythm.longest_streak,
        "this_week": rhythm.this_week,
        "weekly_goal": user.weekly_goal,
        "items": [
            {
                "at": event.at,
                "day": event.day,
                "before": event.before,
                "after": event.after,
                "resource": next(iter(places[event.work_id]), None),
            }
            for event in shown
        ],
    }
