"""The pages everyone shares, made once and kept (roadmap/render_once.py): a roadmap's
page for each kind of viewer, the answer to a tick, and the share page. Every other page
is a plain `render()` view (a piece of one that shows a roadmap may be kept through the
tag `kept_roadmap`).

What each is kept under is said here, once, from what it shows: the version of the
roadmap it is made from (`RoadmapContent.scope`), the kind of viewer, and the template's own
arguments. A view asks for a page by what it is about and fills it in.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.utils.safestring import mark_safe

from roadmap.content import ROADMAP, Content, RoadmapContent
from roadmap.filters import FACETS
from roadmap.models import Note
from roadmap.progress import LearnerState
from roadmap.render_once import Filled, Holes, Rendering, render_once, renderings, rows

# The kinds of viewer a page is rendered once for; nothing else of the viewer is in it.
# Staff also see the parts and resources only staff see; a share page is rendered for a
# visitor, whoever looks.
VIEWERS = {
    "visitor": {"signed_in": False, "staff": False},
    "learner": {"signed_in": True, "staff": False},
    "staff": {"signed_in": True, "staff": True},
}


# What other apps add to a roadmap's page, as templates included, with the page's
# context, into each topic (`topic`) and each listed resource's row (`resource`): part
# of the page made once for everybody, so they may use nothing of the viewer but
# `signed_in` and `staff`; a row's, kept with the row's tail (`{% row %}`), nothing of
# the page but `resource`. curation adds its suggestions and reports; roadmap names none.
TOPIC_ACTIONS: list[str] = []
RESOURCE_ACTIONS: list[str] = []


def viewer_of(user) -> str:
    return "staff" if user.is_staff else "learner" if user.is_authenticated else "visitor"


def kept(listed: RoadmapContent, template: str, key: tuple, context) -> Rendering:
    """`template` rendered once for everybody with `context()` (called only to render),
    kept in this process under the version of the roadmap `listed` it shows and `key`
    (all else that the context depends on): a small piece, made from kept rows sooner
    than it is fetched."""
    return renderings.get((listed.scope, template, *key), lambda: render_once(template, context()))


def roadmap_rendering(
    listed: RoadmapContent,
    viewer: str,
    template: str = "roadmap/roadmap.html",
    *,
    everywhere: bool = True,
    **context,
) -> Rendering:
    """The roadmap `listed` in `template` as `viewer` sees it (`context`: the template's
    own arguments, plain values), made once per version of the roadmap; kept for every
    process (`everywhere`: the whole roadmap, slow to render, with the rows it was made
    of, for the process that makes its next version) or in this one (a piece that shows
    a little of it, made sooner than fetched)."""

    def everything() -> dict:
        seen = {**VIEWERS[viewer], **context}
        return {
            "listed": listed,
            "roadmap": listed.roadmap,
            "parts": listed.parts_for(staff=seen["staff"]),
            "counted": listed.counted,
            "prerequisites": listed.prerequisites,
            "facets": FACETS,
            "topic_actions": TOPIC_ACTIONS,
            "resource_actions": RESOURCE_ACTIONS,
            **seen,
        }

    # What it shows of other roadmaps: their titles and addresses.
    shown = tuple((p.pk, p.title, p.slug) for p in listed.prerequisites)
    key = (viewer, shown, *sorted(context.items()))
    if not everywhere:
        return kept(listed, template, key, everything)
    name = (listed.roadmap.pk, template, viewer, *sorted(context.items()))

    def build() -> Rendering:
        shared = rows.fetch(name)  # the rows another process made this page of, if any
        holes = Holes()
        rendering = render_once(template, everything(), holes)
        if not shared:
            rows.share(name, holes.rows)
        return rendering

    return renderings.get((listed.scope, template, *key), build, shared=True)


def share_page_shell(content: Content, viewer: str) -> Rendering:
    """The share page around its sections (`shared_section`), as `viewer` sees its
    navigation: the same for every share link. Kept whole, not rendered plainly: for a
    learner who has started many roadmaps it is a few megabytes, joined here as bytes
    where a template copies it at every level (paired bench runs: 0.39 of /healthz
    kept, 0.24 rendered plainly with 1M progress rows; 0.30-0.33 and 0.11 with 10M;
    docs/performance.md)."""
    return renderings.get(
        (content.version, "roadmap/shared.html", viewer),
        lambda: render_once(
            "roadmap/shared.html",
            {**VIEWERS[viewer], "default_roadmap": content.first and content.first.roadmap},
        ),
    )


def shared_section(listed: RoadmapContent) -> Rendering:
    """A roadmap as every share page shows it, whoever looks: read-only, no drafts."""
    return roadmap_rendering(
        listed,
        "visitor",
        "roadmap/shared.html#shared-roadmap",
        readonly=True,
        anchor_prefix=f"{listed.roadmap.slug}-",  # ids unique on a page of several
    )


def shared_sections(shared: LearnerState, owner_name: str) -> list[Filled]:
    """Each roadmap a learner has started, as their share page shows it (`shared_section`
    filled with their states and figures, under their name). Kept in each process
    (`caches["shares"]`), each named by all it is made of, as /me/'s pieces are: a link
    posted somewhere is viewed far more often than its owner ticks. Gain, in paired runs
    (docs/performance.md, "The share page's sections kept"): 0.30-0.31 -> 0.38-0.40 of
    /healthz at 1M rows, 0.28 -> 0.35 at 10M. Cost: up to 40 filled sections a process
    (about 8 MB), and the first view after any change fills as before."""
    made_of = hashlib.blake2b(
        f"{shared.fingerprint}:{owner_name}".encode(), digest_size=16
    ).hexdigest()
    kept_sections = caches["shares"]
    return [
        kept_sections.get_or_set(
            f"shared-section:{made_of}:{listed.roadmap.pk}",
            lambda listed=listed: shared_section(listed).fill_value(
                states=shared.states_in(listed), progress=shared.progress, owner_name=owner_name
            ),
        )
        for listed in shared.roadmaps_started()
    ]


def notes_shown(listed: RoadmapContent, user) -> dict[str, Filled]:
    """The learner's notes, on every resource of the roadmap `listed` listing their works,
    as their rows show them: one query however many, each rendered when it was saved."""
    shown = kept(listed, "roadmap/roadmap.html#note-shown", (), dict)
    listings = listed.listings
    return {
        # (`html` was rendered by the safe Markdown renderer when the note was saved.)
        key: shown.fill_value(note_html=mark_safe(html))  # noqa: S308
        for work, html in Note.objects.filter(user=user).values_list("work_id", "html")
        for key in listings.get(work, ())
    }


def tick_answer(
    content: Content, public_id: str, viewer: str, *, in_results: bool = False
) -> Rendering:
    """The htmx answer to a change of one resource's state: its row, and out of band the
    other rows of its roadmap listing the same URL, the bars of its roadmap that count
    its work (its topic's and part's, and those of any other topic or part listing it),
    the roadmap's overall bar, how far through the roadmaps before it that list it too
    the learner is, the navigation's percentage and the announcement. From
    search's results (`in_results`), which show no bars and the first roadmap's
    percentage in the navigation: the row, that percentage and the announcement.
    Kept (per resource, kind of viewer and roadmap version), filled per tick. No paired
    run has set it against a plain `render()` of the same partials: what the answer
    costs is in docs/performance.md's tick figures, not this choice's gain."""
    resource = content.by_public_id[public_id]
    listed = content.roadmap_of(resource)
    # The roadmaps before it that count it too (search's results show none of them).
    counted_in = () if in_results else content.counted_in.get(resource.work_id, ())
    prerequisites = [p for p in listed.prerequisites if (ROADMAP, p.pk) in counted_in]

    def context() -> dict:
        listings = content.counted_works[resource.work_id]
        here = [other for other in listings if other.topic.part.roadmap_id == listed.roadmap.pk]
        return {
            **VIEWERS[viewer],
            "resource": resource,
            "twins": [other for other in here if other != resource],
            "prerequisites": prerequisites,
            "topics": list(dict.fromkeys(other.topic for other in here)),
            "parts": list(dict.fromkeys(other.topic.part for other in here)),
            "roadmap": content.first.roadmap if in_results else listed.roadmap,
            "ticked_in": listed.roadmap,
            "counted": listed.counted,
        }

    if in_results:
        template = "roadmap/roadmap.html#progress-updated-in-results"
    else:
        template = "roadmap/roadmap.html#progress-updated"
    # (Kept by this roadmap's version: from the results, also by which roadmap is first,
    # which an edit elsewhere may change.)
    first = content.first.roadmap.pk if in_results else None
    # (And by the roadmaps before it that count it: an edit there may change which.)
    before = tuple(p.pk for p in prerequisites)
    return kept(listed, template, (public_id, viewer, first, before), context)
