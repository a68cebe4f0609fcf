"""`/search/?q=…`: the resources of the published roadmaps (and, for staff, what they see
on the roadmaps' pages) whose words match, ranked, 20 a page, a URL listed in several
places as one result naming each place; with a typo and no match, titles with a similar
word."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.cache import caches
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Func, Value
from django.db.models.functions import Replace
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from accounts.decorators import private_page
from roadmap.content import Content
from roadmap.models import Resource
from roadmap.pages import RESOURCE_ACTIONS, VIEWERS, viewer_of
from roadmap.progress import viewer_state
from roadmap.render_once import Rendering, render_once
from search.models import CONFIG, SearchEntry

PER_PAGE = 20
LONGEST_QUERY = 200
# Where ts_headline marks a match: characters of no script (Unicode's private use),
# taken out of the text first (a title may still have one) and replaced after escaping.
START, STOP = "\ue000", "\ue001"


def unmarked(text):
    """The expression `text` without START or STOP."""
    return Replace(Replace(text, Value(START), Value("")), Value(STOP), Value(""))


@dataclass(frozen=True)
class Result:
    first: Resource  # its listing found best, as the viewer sees it
    url: str  # its row on its roadmap's page
    places: list[tuple[str, str]]  # every listing the viewer sees, in reading order: its
    # row's address and "Roadmap › Part › Topic"
    title: str  # with the words the query matched between START and STOP
    snippet: str


def where(resource: Resource, roadmap_urls: dict[int, str]) -> tuple[str, str]:
    """A listing's row's address and where it is, "Roadmap › Part › Topic"."""
    topic = resource.topic
    roadmap = topic.part.roadmap
    if roadmap.pk not in roadmap_urls:
        roadmap_urls[roadmap.pk] = roadmap.get_absolute_url()
    url = f"{roadmap_urls[roadmap.pk]}#{resource.anchor}"
    return url, topic.place


def best_listings(ranks: dict[int, float], shown: dict[int, Resource]) -> list[Resource]:
    """Of the resources found (`ranks`), those the viewer sees (`shown`): one listing per
    work (a URL listed in several places is one result), the best ranked, best first."""
    best: dict[int, tuple[tuple[float, int], Resource]] = {}
    for pk, rank in ranks.items():
        resource = shown.get(pk)
        if resource is None:
            continue
        key = (-rank, pk)
        if resource.work_id not in best or key < best[resource.work_id][0]:
            best[resource.work_id] = (key, resource)
    return [resource for _key, resource in sorted(best.values(), key=lambda item: item[0])]


def marked(resources: list[Resource], query: SearchQuery) -> dict[int, tuple[str, str]]:
    """Each resource's title and a snippet of its description, the words `query` matched
    between START and STOP (SearchHeadline; of a description, what is searched of it:
    the text of its HTML, search_html_text, migration 0003), in one query."""
    options = {"config": CONFIG, "start_sel": START, "stop_sel": STOP}
    rows = (
        Resource.objects.filter(pk__in=[resource.pk for resource in resources])
        .annotate(
            title_marked=SearchHeadline(unmarked("title"), query, highlight_all=True, **options),
            snippet_marked=SearchHeadline(
                unmarked(Func("description_html", function="search_html_text")),
                query,
                max_words=30,
                min_words=12,
                **options,
            ),
        )
        .values_list("pk", "title_marked", "snippet_marked")
    )
    return {pk: (title, snippet) for pk, title, snippet in rows}


def found(words: str, content: Content, *, staff: bool) -> tuple[list[int], bool]:
    """The ids of the listings `words` finds in `content` for a viewer (one per work,
    best first), and whether by similar words (none matched, some were similar). Kept a
    day in this process under the content's version: a search asked again costs no
    query."""

    def search() -> tuple[list[int], bool]:
        shown = content.shown_to(staff=staff)
        query = SearchQuery(words, search_type="websearch", config=CONFIG)
        if listings := best_listings(SearchEntry.objects.matching(query).ranks(), shown):
            return [resource.pk for resource in listings], False
        listings = best_listings(SearchEntry.objects.similar_to(words).ranks(), shown)
        return [resource.pk for resource in listings], bool(listings)

    return caches["pages"].get_or_set(named("found", content, staff, words), search)


def named(what: str, content: Content, *made_of) -> str:
    """A kept value's name in the process's cache: what it is, the content's version and
    a digest of the rest of what it is made of (a query has any characters)."""
    digest = hashlib.blake2b(repr(made_of).encode(), digest_size=16).hexdigest()
    return f"search:{what}:{content.version}:{digest}"


def found_page(words: str, content: Content, page: Page, *, viewer: str, similar: bool):
    """A page of what `words` found, as `viewer` (a kind of viewer) sees it, made once
    and kept in this process under the content's version, the query and the page: each
    request fills in its viewer's states (roadmap/render_once.py). Gain: paired runs
    (`BENCH_ROWS=1000000 BENCH_ONLY="search (learner),search with a typo"`, b154926
    against 8e96e20, twice each): 0.25 and 0.25 of /healthz rendered per request, 0.39
    and 0.41 kept; in-process 6 ms to 3 ms. Cost: a query's first page is rendered
    (12-15 ms), and each kept page is an entry of the process's pages cache (300)."""

    def build() -> Rendering:
        staff = VIEWERS[viewer]["staff"]
        shown = content.shown_to(staff=staff)
        listings = [shown[pk] for pk in page.object_list]
        marks = {}
        if not similar:
            query = SearchQuery(words, search_type="websearch", config=CONFIG)
            marks = marked(listings, query)
        works = content.works_shown_to(staff=staff)
        urls: dict[int, str] = {}
        results = [
            Result(
                resource,
                where(resource, urls)[0],
                [where(place, urls) for place in works[resource.work_id]],
                *marks.get(resource.pk, (resource.title, "")),
            )
            for resource in listings
        ]
        context = {
            **VIEWERS[viewer],
            "q": words,
            "page": page,
            "count": page.paginator.count,
            "similar": similar,
            "results": results,
            "counted": content.counted,  # what a row offers to tick, as on its roadmap
            "resource_actions": RESOURCE_ACTIONS,  # what other apps add to a row
        }
        return render_once("search/search.html#found", context)

    name = named("page", content, viewer, words, page.number)
    return caches["pages"].get_or_set(name, build)


@private_page  # it shows the viewer's states
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The search page; with `q`, its results (`page` for the next 20). What it finds
    is what the viewer sees on the roadmaps' pages (`Content.shown_to`)."""
    words = " ".join(request.GET.get("q", "").split())[:LONGEST_QUERY]
    if not words:
        return render(request, "search/search.html", {"q": ""})
    state = viewer_state(request)
    content, staff = state.content, request.user.is_staff
    ids, similar = found(words, content, staff=staff)
    pages = Paginator(ids, PER_PAGE)
    try:
        page = pages.page(request.GET.get("page", 1))
    except (PageNotAnInteger, EmptyPage):
        return HttpResponseBadRequest(
            f"page must be a number from 1 to {pages.num_pages}.", content_type="text/plain"
        )
    shown = content.shown_to(staff=staff)
    listings = [shown[pk] for pk in page.object_list]
    rendering = found_page(words, content, page, viewer=viewer_of(request.user), similar=similar)
    filled = rendering.fill(request=request, states=state.states_of(listings))
    # (A template's rendering, filled: markup.)
    context = {"q": words, "found": mark_safe(filled.decode())}  # noqa: S308
    return render(request, "search/search.html", context)
