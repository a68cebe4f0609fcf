"""`/search/?q=…`: the resources of the published roadmaps (and, for staff, what they see
on the roadmaps' pages) whose words match, ranked, 20 a page, a URL listed in several
places as one result naming each place; with a typo and no match, titles with a similar
word."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Func
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts.decorators import private_page
from roadmap.models import Resource
from roadmap.progress import viewer_state
from search.models import CONFIG, SearchEntry

PER_PAGE = 20
LONGEST_QUERY = 200
# Where ts_headline marks a match: characters no text has, replaced after escaping.
START, STOP = "\ue000", "\ue001"


@dataclass(frozen=True)
class Result:
    first: Resource  # where it is listed first, as the viewer sees it
    places: list[Resource]  # every listing the viewer sees, in reading order
    title: str  # with the matched words between START and STOP
    snippet: str


def headlined(resources, query: SearchQuery | None):
    """`resources` with their title and a snippet of their description, the words
    `query` matched marked (SearchHeadline), when there is a query."""
    if query is None:
        return resources
    options = {"config": CONFIG, "start_sel": START, "stop_sel": STOP}
    return resources.annotate(
        title_marked=SearchHeadline("title", query, highlight_all=True, **options),
        # (What is searched of it: search_text, migration 0001.)
        snippet_marked=SearchHeadline(
            Func("description", function="search_text"),
            query,
            max_words=30,
            min_words=12,
            **options,
        ),
    )


def results(works: list[dict], *, staff: bool, query: SearchQuery | None) -> list[Result]:
    """The results for one page of works (`SearchEntryQuerySet.by_work`'s rows)."""
    listings = headlined(
        Resource.objects.shown_to(staff=staff)
        .filter(work_id__in=[row["work"] for row in works])
        .select_related("topic__part__roadmap")
        .order_by("topic__part__roadmap__order", "topic__part__order", "topic__order", "order"),
        query,
    )
    places: dict[int, list[Resource]] = {}
    for resource in listings:
        places.setdefault(resource.work_id, []).append(resource)
    found = []
    for row in works:
        mine = places.get(row["work"])
        if not mine:
            continue  # hidden since the page of works was read
        first = next((r for r in mine if r.pk == row["first"]), mine[0])
        found.append(
            Result(
                first=first,
                places=mine,
                title=getattr(first, "title_marked", first.title),
                snippet=getattr(first, "snippet_marked", ""),
            )
        )
    return found


@private_page  # it shows the viewer's states
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """The search page; with `q`, its results (`page` for the next 20)."""
    words = " ".join(request.GET.get("q", "").split())[:LONGEST_QUERY]
    context: dict = {"q": words}
    if words:
        staff = request.user.is_staff
        entries = SearchEntry.objects.shown_to(staff=staff)
        query = SearchQuery(words, search_type="websearch", config=CONFIG)
        pages, similar = Paginator(entries.matching(query).by_work(), PER_PAGE), False
        if not pages.count:
            pages = Paginator(entries.similar_to(words).by_work(), PER_PAGE)
            query, similar = None, True
        try:
            page = pages.page(request.GET.get("page", 1))
        except (PageNotAnInteger, EmptyPage):
            return HttpResponseBadRequest(
                f"page must be a number from 1 to {pages.num_pages}.", content_type="text/plain"
            )
        found = results(list(page.object_list), staff=staff, query=query)
        state = viewer_state(request)
        context |= {
            "page": page,
            "count": pages.count,
            "similar": similar,
            "results": found,
            # The rows' state controls, as on a roadmap's page.
            "states": {
                str(result.first.public_id): state.rows[result.first.work_id]
                for result in found
                if result.first.work_id in state.rows
            },
            "counted": {
                result.first.pk
                for result in found
                if str(result.first.public_id) in state.content.by_public_id
            },
        }
    return render(request, "search/search.html", context)
